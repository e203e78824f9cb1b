/* Machine facts: cpuid, sysfs caches, clocks, kernel, counters. Caches come
 * from sysfs because glibc's sysconf and PAPI misreport the L3 on this VM. */
#ifndef QB_SYSINFO_H
#define QB_SYSINFO_H

#include "results.h"

#define QB_MAX_CACHES 8

typedef struct {
    int level;
    char type[16];  /* Data, Instruction, Unified */
    long bytes;
    int line;
    int ways;
    int shared_by;  /* CPUs sharing one instance */
} qb_cache;

/* Caches of cpu0 as sysfs describes them; returns the count (0 if sysfs has none). */
int qb_sysinfo_caches(qb_cache *out, int max);

/* Data or unified cache size of a level (1..3) in bytes, or 0 if unknown. */
long qb_sysinfo_cache_bytes(int level);

/* "zen3", "zen4", ... from the vendor, family and model; "unknown" otherwise. */
const char *qb_sysinfo_uarch(void);

/* Fill the machine object of a results document (calibrates the clock once). */
int qb_sysinfo_fill(cJSON *machine);

/* Set machine.core_ghz to the clock the records were counted at: a probe
 * that refreshed the calibration (qb_core_ghz_refresh) may have raised it. */
int qb_sysinfo_update_clock(cJSON *machine, double ghz);


#endif
