/* Machine facts: cpuid, caches, clocks, kernel, counters. Caches come from
 * sysfs, which the kernel fills from the CPU's own tables (glibc's sysconf and
 * PAPI can misreport the L3 under a hypervisor); where sysfs has no cache
 * folder, from cpuid. */
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
    char source[24]; /* "sysfs", or the cpuid leaf it was read from */
    char note[96];   /* why a figure differs from what its source said, or "" */
} qb_cache;

/* Caches of cpu0 as sysfs describes them, or as cpuid does where sysfs has
 * none; returns the count (0 if neither knows). */
int qb_sysinfo_caches(qb_cache *out, int max);

/* Caches of the running CPU from cpuid alone (src/cache_cpuid.c). */
int qb_cache_from_cpuid(qb_cache *out, int max);

/* Data or unified cache size of a level (1..3) in bytes, or 0 if unknown. */
long qb_sysinfo_cache_bytes(int level);

/* The largest data or unified cache of levels 1..3 in bytes, or 0 if unknown. */
long qb_sysinfo_largest_cache_bytes(void);

/* The first line of a small file (sysfs, procfs) without its newline: 0, or
 * -1 when it cannot be read. */
int qb_read_line(const char *path, char *buf, size_t len);

/* "zen3", "zen4", ... from the vendor, family and model; "unknown" otherwise. */
const char *qb_sysinfo_uarch(void);

/* Fill the machine object of a results document (calibrates the clock once). */
int qb_sysinfo_fill(cJSON *machine);

/* Set machine.core_ghz to the clock the records were counted at: a probe
 * that refreshed the calibration (qb_core_ghz_refresh) may have raised it. */
int qb_sysinfo_update_clock(cJSON *machine, double ghz);


#endif
