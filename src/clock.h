/* Core-clock calibration without hardware counters: a chain of dependent
 * one-cycle adds retires one add per core cycle, so adds / seconds is the
 * core clock while the chain ran. */
#ifndef QB_CLOCK_H
#define QB_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Core cycles per nanosecond from one chain of n dependent adds (rounded up to 100). */
double qb_calib_once(uint64_t n_adds);

/* The fastest of `runs` chains: interruptions only make a chain look slower. */
double qb_calib_best(uint64_t n_adds, int runs);

/* A stable estimate: the highest of a few short chains after a warm-up spin
 * (a shorter time means fewer interruptions). Cached after the first call. */
double qb_core_ghz(void);

/* qb_core_ghz, raised to a fresh short calibration when that one is faster
 * (the fastest clock seen so far in this process). Call it before a
 * measurement whose cycles come from the cached clock. */
double qb_core_ghz_refresh(void);

/* A measurement bracketed by calibrations: call begin, run the test, call end. */
typedef struct {
    double ghz_before, ghz_after, ghz; /* ghz: the mean of the two */
    double drift;                      /* |after - before| / mean */
    bool clock_changed;                /* drift above QB_CALIB_DRIFT_MAX */
} qb_bracket;

void qb_bracket_begin(qb_bracket *b);
void qb_bracket_end(qb_bracket *b);

#endif
