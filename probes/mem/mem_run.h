/* The state of one qbench probe mem run, shared by the measuring phases
 * (mem_measure.c) and the records made from them (mem_records.c). */
#ifndef QB_MEM_RUN_H
#define QB_MEM_RUN_H

#include "mem_levels.h"
#include "mem_sizes.h"
#include "pooled.h"
#include "probes.h"

#include <stdint.h>

#define QB_MEM_RUN_MAX_T 32
#define QB_MEM_RUN_MAX_PTS (QB_MEM_MAX_SIZES + 2 * QB_MEM_RUN_MAX_T * (QB_MEM_MAX_LEVELS + 1))
#define QB_MEM_RUN_MAX_K 8

typedef struct {
    size_t bytes;
    bool in_sweep;  /* a sweep record; level-only points make level records only */
    uint32_t want;  /* bandwidth: thread indices to measure it on */
    uint32_t done;  /* ... and those already measured */
} qb_mem_run_point;

typedef struct {
    const qb_mem_opts *o;
    const qb_rep_policy *pol;
    double trial_us;
    bool sel[QB_MEM_RUN_MAX_K]; /* qb_mem_kernels[], then latency at [qb_mem_kernel_count] */
    bool want_lat, want_bw, sweep_mode;
    int threads[QB_MEM_RUN_MAX_T], nthreads;
    qb_mem_level lv[QB_MEM_MAX_LEVELS + 1];
    int nlv;
    size_t largest;
    qb_mem_run_point lat[QB_MEM_RUN_MAX_PTS];
    int nlat;
    const char *lat_pages[QB_MEM_RUN_MAX_PTS];
    qb_mem_run_point bw[QB_MEM_RUN_MAX_PTS];
    int nbw;
    const char *bw_pages[QB_MEM_RUN_MAX_T][QB_MEM_RUN_MAX_PTS];
    qb_pooled *lat_pool; /* [nlat] */
    qb_pooled *bw_pool;  /* [nthreads][nbw][kernels] */
    qb_pooled *cal_pool; /* [nbw]: read on one thread, for the streaming capacity when the sweep lacks it */
    int cal_ti;          /* the thread index whose read sweep gives it, or -1 for cal_pool */
    char cap_note[QB_MEM_MAX_LEVELS + 1][256];
} qb_mem_run;

/* The pool of kernel ki at bandwidth point si on thread index ti. */
static inline qb_pooled *qb_mem_bw_pool(const qb_mem_run *m, int ti, int si, int ki)
{
    return &m->bw_pool[((size_t)ti * QB_MEM_RUN_MAX_PTS + (size_t)si) * QB_MEM_RUN_MAX_K + (size_t)ki];
}

/* The bandwidth point whose figure is level l's for kernel k on thread
 * index ti (the best in the level's range), or -1 when none was measured. */
int qb_mem_level_bw_index(const qb_mem_run *m, int l, int ti, int k);

/* Whether level l's figure for kernel k on thread index ti goes through what
 * a VM's host shares with other guests on every vCPU (a shared level, or
 * non-temporal stores, which go to memory): qb_host_shared's figures. */
bool qb_mem_host_decides(const qb_mem_run *m, int l, int ti, int k);

/* The same for the figure at bandwidth point si (past the per-core caches,
 * or non-temporal stores). */
bool qb_mem_point_host_decides(const qb_mem_run *m, int si, int ti, int k);

/* The thread index measuring one thread, or -1. */
int qb_mem_one_thread_index(const qb_mem_run *m);

/* Whether level l's figure for kernel k on thread index ti is confirmed:
 * its best two rounds agree (when 2 or more rounds are planned), an L1 figure is within QB_MEM_PORT_SHORTFALL of
 * the port ceiling (when known), and on a VM a per-core level's N threads
 * reach N times the one-thread figure (qb_mem_level_scales). */
bool qb_mem_level_confirmed(const qb_mem_run *m, int l, int ti, int k);

/* Append the sweep and level records of a finished (or interrupted) run. */
int qb_mem_records(qb_results *res, qb_mem_run *m);

#endif
