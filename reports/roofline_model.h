/* The roofline model: ceilings (peak compute per data type, bandwidth per
 * memory level) and the analysis of one operator point under them. Pure
 * arithmetic, no I/O: the roofline command and the report both use it. */
#ifndef QB_ROOFLINE_MODEL_H
#define QB_ROOFLINE_MODEL_H

#include <stdbool.h>

#define QB_RL_MAX_DTYPES 16
#define QB_RL_MAX_LEVELS 4

typedef struct {
    char dtype[24];
    double gops; /* GOP/s */
} qb_rl_compute;

typedef struct {
    char level[8];   /* "L1", "L2", "L3", "DRAM" */
    double gbs;      /* GB/s */
    char kernel[16];
    double gbs_nt;   /* GB/s of the same level written with non-temporal stores
                        (copy-nt, triad-nt: counted bytes are moved bytes), 0 if
                        not measured */
    char kernel_nt[16];
    double capacity; /* bytes the level holds for the ceilings' thread count (a
                        per-core level: every thread's share added up), as the
                        memory probe measured it; 0 for DRAM or when unknown */
} qb_rl_memory;

typedef struct {
    int threads;
    qb_rl_compute compute[QB_RL_MAX_DTYPES];
    int ncompute;
    qb_rl_memory memory[QB_RL_MAX_LEVELS]; /* fastest (L1) first, DRAM last */
    int nmemory;
} qb_ceilings;

/* Add or replace a ceiling. Levels are kept in L1, L2, L3, DRAM order. */
int qb_ceilings_set_compute(qb_ceilings *c, const char *dtype, double gops);
int qb_ceilings_set_memory(qb_ceilings *c, const char *level, double gbs, const char *kernel);
const qb_rl_compute *qb_ceilings_compute(const qb_ceilings *c, const char *dtype);
const qb_rl_memory *qb_ceilings_level(const qb_ceilings *c, const char *level);
/* Set the non-temporal-store ceiling of a level already added. */
int qb_ceilings_set_memory_nt(qb_ceilings *c, const char *level, double gbs, const char *kernel);
/* The bandwidth a point of this store kind is held to at level i: the
 * non-temporal ceiling for a non-temporal point where it was measured, the
 * ordinary one otherwise. */
double qb_ceilings_bw(const qb_ceilings *c, int i, bool nt_stores);

/* Set the usable capacity of a level already added (QB_EINPUT if absent). */
int qb_ceilings_set_capacity(qb_ceilings *c, const char *level, double bytes);

/* The level a footprint of `bytes` lives in: the first cache level whose
 * capacity holds it, else DRAM (the last level). Levels of unknown capacity
 * are never chosen. */
int qb_ceilings_footprint_level(const qb_ceilings *c, double bytes);

typedef enum { QB_RL_COMPUTE_BOUND, QB_RL_MEMORY_BOUND } qb_rl_verdict;

typedef struct {
    double ops, bytes, seconds; /* the point: counts from the registry formulas */
    bool nt_stores;             /* it writes its output with non-temporal stores */
} qb_rl_point;

typedef struct {
    double ai;                              /* ops per byte */
    double peak;                            /* GOP/s of the point's data type */
    double measured;                        /* GOP/s (ops > 0) */
    double measured_gbs;                    /* GB/s from the byte formula */
    double attainable[QB_RL_MAX_LEVELS];    /* min(peak, ai * bw) per level, GOP/s */
    double ridge[QB_RL_MAX_LEVELS];         /* peak / bw per level, ops per byte */
    double dram_attainable;                 /* the classic roofline's roof */
    qb_rl_verdict verdict;
    int level;                              /* the level its footprint lives in (DRAM when classic) */
    int bound_level;                        /* the level whose roof bounds it, -1 for compute */
    double roof;                            /* the bounding roof, GOP/s (GB/s when ops == 0) */
    double efficiency;                      /* measured / roof */
    bool far_below;                         /* efficiency below QB_RL_FAR_BELOW */
    bool above_roof;                        /* measured above its roof (efficiency > 1) */
} qb_rl_result;

/* Points below this fraction of their roof are flagged: overhead, latency or
 * an implementation gap, not the roof, limits them. */
#define QB_RL_FAR_BELOW 0.5

/* Points below this fraction of their roof get a note on what limits them
 * (only those under QB_RL_FAR_BELOW are called far below). */
#define QB_RL_NEAR 0.8

/* A compute-bound operator at least this much further below its peak than
 * the gemm measured beside it on the same instructions is said to be held
 * back by its shape (its note names the gemm's efficiency). */
#define QB_RL_GEMM_GAP 0.15

/* A cache level's measured capacity is believed up to this multiple of the
 * size the CPU describes (a guest may see a little more than its share, never
 * much more): beyond it the measurement was disturbed. */
#define QB_RL_CAPACITY_SLACK 1.25

/* A call shorter than this (microseconds) can be ruled by its fixed cost. */
#define QB_RL_SHORT_CALL_US 20.0

/* An empty call costing this share of a call or more rules the call. */
#define QB_RL_OVERHEAD_SHARE 0.25

/* Analyse a point. Its footprint is its byte count (the registry formula's
 * bytes of one call). cache_aware: the roof is that of the level its
 * footprint lives in (qb_ceilings_footprint_level), never chosen by the
 * point's speed; otherwise the DRAM roof (the classic roofline). Under the
 * level's bandwidth line or the peak, whichever is lower at the point's
 * intensity: the peak means compute-bound. A point with no operations (pure
 * data movement) is memory-bound by definition and its efficiency is in
 * bytes. A point above its roof is flagged, not moved to another level. */
int qb_roofline_analyse(const qb_ceilings *c, const char *dtype, const qb_rl_point *p,
                        bool cache_aware, qb_rl_result *out);

#endif
