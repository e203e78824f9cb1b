/* Roofline ceilings from results records (the machine profile that keeps
 * them between runs is app/profile.h).
 *
 * Compute ceilings: records probe.peak/<dtype>/t<threads>, metric gops.
 * Bandwidth ceilings: records of group probe.mem with params level (L1, L2,
 * L3, DRAM), kernel and threads, metric bandwidth (GB/s); a level's ceiling is
 * the fastest kernel at that level (read, copy, triad or write; non-temporal
 * stores excluded as they bypass the level they are counted at). */
#ifndef QB_CEILINGS_H
#define QB_CEILINGS_H

#include "results.h"
#include "roofline_model.h"

#include <stdbool.h>

/* Fill c with the ceilings for a thread count found in res. Returns QB_OK
 * (possibly with no ceilings: check c->ncompute and c->nmemory). */
int qb_ceilings_from_results(const qb_results *res, int threads, qb_ceilings *c);

#endif
