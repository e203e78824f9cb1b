/* Roofline ceilings from results records, and the machine profile that keeps
 * them between runs ($XDG_CACHE_HOME/qbench/, keyed by CPU model, core count
 * and qbench version), so roofline does not re-measure the machine each time.
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

/* The profile file of this machine: <dir>/profile-<cpu>-<cores>c-<version>.json. */
int qb_profile_path(char *path, size_t len);

/* Load the stored profile into res. QB_EINPUT when absent, unreadable or
 * older than QB_PROFILE_MAX_AGE_DAYS (then *stale is set). */
int qb_profile_load(qb_results *res, bool *stale);
int qb_profile_store(const qb_results *res);

/* Ceilings for `threads` from the profile, measuring (quick policy) and
 * storing them when the profile is missing, stale, lacks this thread count,
 * or refresh is set. Says on stderr when it measures. */
int qb_ceilings_obtain(int threads, bool refresh, qb_ceilings *c);

#endif
