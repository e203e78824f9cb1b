/* The machine profile: the ceilings of probe peak and probe mem kept between
 * runs ($XDG_CACHE_HOME/qbench/, keyed by CPU model, core count and qbench
 * version), so roofline does not re-measure the machine each time. */
#ifndef QB_PROFILE_H
#define QB_PROFILE_H

#include "ceilings.h"
#include "results.h"

#include <stdbool.h>
#include <stddef.h>

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
