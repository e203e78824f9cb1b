/* Wall-clock and TSC timers. CLOCK_MONOTONIC_RAW is not slewed by NTP, so an
 * interval means the same thing at both ends of a run. */
#ifndef QB_TIMER_H
#define QB_TIMER_H

#include <stdint.h>

uint64_t qb_now_ns(void);

static inline uint64_t qb_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* TSC ticks per nanosecond, measured once against CLOCK_MONOTONIC_RAW and cached. */
double qb_tsc_ghz(void);

/* Busy-wait for ns nanoseconds (keeps the core awake before a measurement). */
void qb_spin_ns(uint64_t ns);

#endif
