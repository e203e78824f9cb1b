/* What the probes offer the command layer (entry points are in src/commands.h). */
#ifndef QB_PROBES_H
#define QB_PROBES_H

#include "repeat.h"
#include "results.h"

/* Measure into res (appending records), as the commands and 'qbench run' do.
 * They stop early and return QB_EINTR, keeping finished records, once
 * qb_interrupted() is set. cpu < 0: stay on the current CPU. */
int qb_probe_inst_measure(qb_results *res, const char *filter, int cpu, const qb_rep_policy *pol);
int qb_probe_peak_measure(qb_results *res, const char *filter, const int *threads, int nthreads,
                          const qb_rep_policy *pol);

/* qbench list: the probe part of the listing. */
void qb_probes_list(void);

#endif
