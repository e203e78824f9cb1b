#include "timer.h"

#include <time.h>

uint64_t qb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void qb_spin_ns(uint64_t ns)
{
    const uint64_t end = qb_now_ns() + ns;
    while (qb_now_ns() < end) {
    }
}

double qb_tsc_ghz(void)
{
    static double cached;
    if (cached > 0) return cached;
    /* Best of a few 20 ms windows: the shortest-looking window is the one least
     * disturbed between the paired reads. */
    double best = 0;
    for (int i = 0; i < 3; i++) {
        const uint64_t t0 = qb_now_ns(), c0 = qb_rdtsc();
        while (qb_now_ns() - t0 < 20000000ull) {
        }
        const uint64_t c1 = qb_rdtsc(), t1 = qb_now_ns();
        const double g = (double)(c1 - c0) / (double)(t1 - t0);
        if (best == 0 || g > best) best = g;
    }
    cached = best;
    return cached;
}
