/* What the probes offer the command layer (entry points are in src/commands.h). */
#ifndef QB_PROBES_H
#define QB_PROBES_H

/* qbench list: the probe part of the listing. */
void qb_probes_list(void);

#endif
