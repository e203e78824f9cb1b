/* Placeholder until issue #7 lands: the command is listed but says it is not built yet. */
#include "commands.h"
#include "error.h"

int qb_cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return qb_fail(QB_EUSAGE, "qbench run: not implemented yet (issue #7)");
}
