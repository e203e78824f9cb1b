/* Placeholder until issue #3 lands: the command is listed but says it is not built yet. */
#include "commands.h"
#include "error.h"

int qb_cmd_probe_mem(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return qb_fail(QB_EUSAGE, "qbench probe mem: not implemented yet (issue #3)");
}
