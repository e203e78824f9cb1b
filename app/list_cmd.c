/* qbench list: every probe and operator, from their registries. */
#include "commands.h"
#include "error.h"
#include "ops_run.h"
#include "probes.h"

#include <stdio.h>
#include <string.h>

int qb_cmd_list(int argc, char **argv)
{
    if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        printf("Usage: qbench list\n\nList every probe and operator with its parameters and\n"
               "whether this CPU supports it.\n\nExamples:\n  qbench list\n");
        return QB_DONE;
    }
    if (argc > 0) return qb_fail(QB_EUSAGE, "qbench list: unexpected argument '%s'", argv[0]);
    qb_probes_list();
    qb_ops_list();
    return QB_OK;
}
