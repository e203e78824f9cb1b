/* qb_core_share_speed: one short FMA-throughput block on every thread at
 * once, against the fastest the block ever ran here (core_share.h). */
#include "core_share.h"

#include "cpu_features.h"
#include "defaults.h"
#include "peak_kernels.h"
#include "timer.h"

#include <omp.h>
#include <stdint.h>
#include <string.h>

#define MAX_TEAM 256

/* The fp32 peak kernel: FMAs on independent accumulators fill both FMA
 * ports, so a thread sharing its core gets part of them. */
static const qb_peak_desc *fma_block(void)
{
    static const qb_peak_desc *found;
    static bool looked;
    if (!looked) {
        for (int i = 0; i < qb_peak_count && !found; i++)
            if (strcmp(qb_peak_table[i].dtype, "fp32") == 0 && qb_cpu_has(qb_peak_table[i].requires))
                found = &qb_peak_table[i];
        looked = true;
    }
    return found;
}

static uint64_t block_ns(const qb_peak_desc *d)
{
    const uint64_t t0 = qb_now_ns();
    d->kernel(QB_CORE_SHARE_TURNS, qb_inst_consts());
    return qb_now_ns() - t0;
}

double qb_core_share_speed(int threads)
{
    static uint64_t fastest = UINT64_MAX; /* one thread calls this, outside any team */
    const qb_peak_desc *d = fma_block();
    if (!d || threads < 1) return 1;
    if (threads > MAX_TEAM) threads = MAX_TEAM;
    if (fastest == UINT64_MAX) /* the first call: the calling thread alone, best of a few */
        for (int i = 0; i < 5; i++) {
            const uint64_t t = block_ns(d);
            if (t < fastest) fastest = t;
        }
    uint64_t ns[MAX_TEAM];
    int team = 1;
#pragma omp parallel num_threads(threads)
    {
#pragma omp single
        team = omp_get_num_threads();
        /* the implicit barrier of single lines the threads up: the blocks overlap */
        ns[omp_get_thread_num()] = block_ns(d);
    }
    return qb_core_share_of(ns, team, &fastest);
}

double qb_core_share_of(const uint64_t *ns, int n, uint64_t *fastest)
{
    uint64_t slowest = 0;
    for (int i = 0; i < n; i++) {
        if (ns[i] < *fastest) *fastest = ns[i];
        if (ns[i] > slowest) slowest = ns[i];
    }
    return slowest > 0 ? (double)*fastest / (double)slowest : 1;
}

bool qb_core_shared(double speed)
{
    return speed < QB_CORE_SHARED_SPEED;
}
