/* qb_core_round_trip_ns: one cache line passed back and forth between two
 * threads of a team (core_distance.h). */
#include "core_distance.h"

#include "defaults.h"
#include "timer.h"

#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdint.h>

/* The line carries the trip count: thread 0 writes odd values, thread 1
 * answers with the next even one. A line of its own, so nothing else
 * shares it. */
static _Alignas(64) atomic_uint line;
static _Alignas(64) atomic_bool gave_up;

/* Spin until the line holds `want`; false if the other side gave up or the
 * wait passed the timeout (this side then gives up). */
static bool await(unsigned want)
{
    uint64_t start = 0;
    for (unsigned spins = 1;; spins++) {
        if (atomic_load_explicit(&line, memory_order_acquire) == want) return true;
        if (atomic_load_explicit(&gave_up, memory_order_relaxed)) return false;
        if (spins % 1024 == 0) {
            const uint64_t now = qb_now_ns();
            if (start == 0) start = now;
            else if (now - start > QB_CORE_DISTANCE_TIMEOUT_NS) {
                atomic_store_explicit(&gave_up, true, memory_order_relaxed);
                return false;
            }
        }
    }
}

double qb_core_round_trip_ns(int threads, double *fastest)
{
    static double best = NAN; /* one thread calls this, outside any team */
    enum { WARM = 4, BLOCKS = 8, PER_BLOCK = QB_CORE_DISTANCE_TRIPS / BLOCKS };
    double rt = NAN;
    if (threads >= 2) {
        atomic_store(&line, 0);
        atomic_store(&gave_up, false);
        uint64_t mark[BLOCKS + 1] = {0};
        bool ok = true;
#pragma omp parallel num_threads(2) reduction(&& : ok)
        {
            const int t = omp_get_thread_num();
            /* a team of one (no second thread given): nobody answers */
            if (omp_get_num_threads() < 2) ok = false;
            /* both threads in place first: a new team's second thread can
             * take longer to start than the timeout */
#pragma omp barrier
            for (unsigned i = 0; ok && i < WARM + BLOCKS * PER_BLOCK; i++) {
                if (t == 0 && i >= WARM && (i - WARM) % PER_BLOCK == 0) mark[(i - WARM) / PER_BLOCK] = qb_now_ns();
                if (t == 0) {
                    atomic_store_explicit(&line, 2 * i + 1, memory_order_release);
                    ok = await(2 * i + 2);
                } else if (t == 1) {
                    ok = await(2 * i + 1);
                    if (ok) atomic_store_explicit(&line, 2 * i + 2, memory_order_release);
                }
            }
            if (t == 0) mark[BLOCKS] = qb_now_ns();
        }
        /* the fastest block: a vCPU preempted for part of the check slows
         * one block, while vCPUs far apart slow every one */
        for (int b = 0; ok && b < BLOCKS; b++) {
            const double x = (double)(mark[b + 1] - mark[b]) / PER_BLOCK;
            if (!(x >= rt)) rt = x;
        }
        if (isfinite(rt) && !(rt >= best)) best = rt;
    }
    if (fastest) *fastest = best;
    return rt;
}

bool qb_core_far(double rt, double fastest)
{
    return isfinite(rt) && isfinite(fastest) && fastest > 0 && rt > QB_CORE_FAR_FACTOR * fastest;
}
