/* The memory levels of this machine: sysfs's cache sizes, the capacity each
 * level really offers as measured from the sweeps, and the working-set point
 * at which a level's bandwidth and latency are read.
 *
 * A random chase over a cycle the cache cannot hold misses almost every time
 * (each line is evicted before the cycle comes back to it), so latency rises
 * in steps. A level's plateau is the lowest latency between QB_MEM_RANGE_START
 * times the level above and the level's sysfs size; its measured (usable) capacity is the
 * working set at which latency has risen halfway, on a log scale, from its
 * plateau to the next level's (a fifth to a third of the loads miss there,
 * depending on the two latencies). Bandwidth falls in similar steps, later,
 * as prefetchers help streams; the streaming capacity is read the same way
 * from the time per byte of the one-thread read sweep. */
#ifndef QB_MEM_LEVELS_H
#define QB_MEM_LEVELS_H

#include <stdbool.h>
#include <stddef.h>

#define QB_MEM_MAX_LEVELS 4 /* cache levels; DRAM comes after them */

typedef struct {
    double bytes, value;
} qb_mem_point;

/* Sort points by size. */
void qb_mem_points_sort(qb_mem_point *p, int n);

/* The lowest value among points with lo <= bytes <= hi; NAN when there is none. */
double qb_mem_plateau(const qb_mem_point *p, int n, double lo, double hi);

/* On a rising curve (points sorted), the first pair of neighbours at or
 * after `from` with value(a) < thr <= value(b). false when it never rises
 * to thr. */
bool qb_mem_bracket(const qb_mem_point *p, int n, double from, double thr, double *a, double *b);

/* The size where the curve crosses thr, interpolated linearly in value and
 * logarithmically in size between the bracketing points; NAN when it does not. */
double qb_mem_crossing(const qb_mem_point *p, int n, double from, double thr);

typedef struct {
    char name[8];           /* L1, L2, L3, DRAM */
    double sysfs_bytes;     /* 0 for DRAM */
    double measured_bytes;  /* from the latency sweep; 0 when not measured */
    double streaming_bytes; /* from the read bandwidth sweep; 0 when not measured */
    bool per_core;          /* one instance per CPU: the aggregate grows with threads */
} qb_mem_level;

/* Cache levels from sysfs (data and unified caches) plus DRAM. Returns the count. */
int qb_mem_levels_from_sysfs(qb_mem_level *out, int max);

/* The working set at which level `which` is read on `threads` threads:
 *  - the first level: half of it per thread;
 *  - a later per-core level: a quarter of it per thread (the level above
 *    holds at most an eighth; what else shares the level has room);
 *  - a shared level: the geometric middle between its range start (see
 *    qb_mem_level_floor) and its usable
 *    capacity: the streaming one for bandwidth (streaming true), the random
 *    loads' one for latency, sysfs's size when that was not measured (the
 *    range start itself when the capacity is no bigger; 0 past `largest`);
 *  - DRAM: `largest`. */
size_t qb_mem_level_point(const qb_mem_level *lv, int n, int which, int threads, size_t largest,
                          bool streaming);

/* Where a level starts being the one that serves a working set on
 * `threads` threads: 0 for the first level; QB_MEM_RANGE_START times what
 * the levels above hold (they miss almost entirely from there) for the
 * others; `largest` for DRAM.
 * A level's figure is the best over the points from here to its point. */
double qb_mem_level_floor(const qb_mem_level *lv, int n, int which, int threads, size_t largest);

/* On a level every CPU has its own of, N threads move N times what one
 * does; true when the N-thread figure tn reaches QB_MEM_SCALE_MIN of N times
 * the one-thread t1 (and whenever the rule does not apply: a shared level,
 * one thread, no one-thread figure). Falling short means two of the CPUs
 * shared a core while measuring (on a VM: the host put both vCPUs on one
 * physical core, or another guest used the sibling). The caller applies it
 * on VMs only: on bare metal N busy cores may run at a lower clock than one. */
#define QB_MEM_SCALE_MIN 0.95
bool qb_mem_level_scales(const qb_mem_level *l, double tn, double t1, int threads);

/* The range [lo, hi] in which level `which`'s plateau is looked for (one thread). */
void qb_mem_plateau_range(const qb_mem_level *lv, int n, int which, size_t largest, double *lo,
                          double *hi);

#endif
