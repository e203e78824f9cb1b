/* SIGINT/SIGTERM handling for long runs: the first signal sets a flag that
 * measuring loops check between items, so a run stops at a clean point and
 * writes what it finished; a second signal ends the process at once. */
#ifndef QB_INTERRUPT_H
#define QB_INTERRUPT_H

#include <stdbool.h>

void qb_interrupt_install(void);
bool qb_interrupted(void);

#endif
