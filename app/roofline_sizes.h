/* qbench roofline --sizes: each memory-bound operator run at a footprint
 * inside each chosen memory level, one point per level, like the per-level
 * dots of a cache-aware roofline. */
#ifndef QB_ROOFLINE_SIZES_H
#define QB_ROOFLINE_SIZES_H

#include "ops_run.h"
#include "repeat.h"
#include "results.h"
#include "roofline_model.h"

/* sizes: a comma list of level names (L1, L2, L3, DRAM) and byte sizes (16K,
 * 8M). A level's footprint is the middle, on a log scale, of what that level
 * holds beyond the level above it, from the ceilings' measured capacities; a
 * level with no room of its own (its capacity no larger than the level
 * above's) is skipped with a line on stderr. Each size and data type is one
 * qb_ops_measure call of `base` (its dtypes list is the set to run), its
 * records tagged with the size ("/L2", "/16K"). */
int qb_roofline_sizes_measure(qb_results *points, const char *sizes, const qb_ceilings *c,
                              const qb_ops_opts *base, const qb_rep_policy *pol);

#endif
