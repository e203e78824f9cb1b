/* Load latency at one working set: a pointer chase over a random single
 * cycle of cache-line nodes, on huge pages where the system gives them. */
#ifndef QB_MEM_LAT_H
#define QB_MEM_LAT_H

#include "mem_alloc.h"
#include "repeat.h"

#include <stdint.h>

typedef struct {
    qb_mem_map map;
    size_t bytes;
    size_t nodes;
    void *start;
    const char *pages; /* "2M", "4K" or "unknown" */
} qb_lat_set;

/* Map, build the chain (the caller's thread touches it first) and record the page kind. */
int qb_lat_set_alloc(qb_lat_set *s, size_t bytes, uint64_t seed);
void qb_lat_set_free(qb_lat_set *s);

/* Measure: ns per load in samples, core cycles per load in aux (the trial's
 * bracketing clock calibration). */
int qb_lat_measure(qb_lat_set *s, const qb_rep_policy *pol, double trial_us, qb_rep_result *out);

#endif
