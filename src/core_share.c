/* qb_core_share_speed: one short FMA-throughput block on every thread at
 * once, against the fastest the block ran in this process (core_share.h). */
#include "core_share.h"

#include "cpu_features.h"
#include "defaults.h"
#include "timer.h"

#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>

#define MAX_TEAM 256

/* Twelve independent chains of 256-bit FMAs, four per chain a turn: enough
 * in flight to fill both FMA ports, so a thread sharing its core gets part of
 * them. Each turn depends on the last through the accumulators, and every
 * accumulator passes through an empty asm statement before the clock is read,
 * so no step can be dropped or moved out of the timed interval. */
static uint64_t block_ns(void)
{
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a[12];
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
    const uint64_t t0 = qb_now_ns();
    for (int t = 0; t < 4 * QB_CORE_SHARE_TURNS; t++)
        for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], m, c);
    for (int i = 0; i < 12; i++) __asm__ volatile("" : "+x"(a[i])); /* done before the clock is read */
    const uint64_t ns = qb_now_ns() - t0;
    return ns;
}

double qb_core_share_speed(int threads)
{
    static uint64_t fastest = UINT64_MAX; /* one thread calls this, outside any team */
    if (threads < 1 || !qb_cpu_has("avx2+fma")) return 1;
    if (threads > MAX_TEAM) threads = MAX_TEAM;
    if (fastest == UINT64_MAX) /* the first call: the calling thread alone, best of a few */
        for (int i = 0; i < 5; i++) {
            const uint64_t t = block_ns();
            if (t < fastest) fastest = t;
        }
    uint64_t ns[MAX_TEAM];
    int team = 1;
#pragma omp parallel num_threads(threads)
    {
#pragma omp single
        team = omp_get_num_threads();
        /* the implicit barrier of single lines the threads up: the blocks overlap */
        ns[omp_get_thread_num()] = block_ns();
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
