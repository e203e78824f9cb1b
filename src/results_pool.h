/* Pooling whole runs: `qbench run --interleave K` runs the suite K times,
 * alternating benchmarks, and pools the passes record by record the way
 * pooled.h pools rounds: every sample kept, the value the best pass's. */
#ifndef QB_RESULTS_POOL_H
#define QB_RESULTS_POOL_H

#include "results.h"

/* dst (initialised, empty of records) receives one record per id of the
 * passes: params and notes of its first appearance, each metric with the
 * samples of every pass and the best pass value in its direction (the first
 * for better=none). Notes say how far the passes' values spread. */
int qb_results_pool(qb_results *dst, const qb_results *passes, int npasses);

#endif
