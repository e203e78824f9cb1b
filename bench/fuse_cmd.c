/* Placeholder until issue #5 lands: the command is listed but says it is not built yet. */
#include "commands.h"
#include "error.h"

int qb_cmd_fuse(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return qb_fail(QB_EUSAGE, "qbench fuse: not implemented yet (issue #5)");
}
