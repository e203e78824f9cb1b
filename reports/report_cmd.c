/* Placeholder until issue #6 lands: the command is listed but says it is not built yet. */
#include "commands.h"
#include "error.h"

int qb_cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return qb_fail(QB_EUSAGE, "qbench report: not implemented yet (issue #6)");
}
