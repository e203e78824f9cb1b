#include "clock.h"

#include "defaults.h"
#include "timer.h"

#include <math.h>

/* 100 dependent register adds per loop turn; dec/jnz run beside the chain on
 * other ports, so a turn costs 100 cycles. A register operand (not an
 * immediate) keeps cores that fold immediate adds at rename honest. */
static void add_chain(uint64_t turns)
{
    uint64_t acc = 0, one = 1;
    __asm__ volatile("1:\n\t"
                     ".rept 100\n\t"
                     "add %[one], %[acc]\n\t"
                     ".endr\n\t"
                     "dec %[n]\n\t"
                     "jnz 1b"
                     : [acc] "+r"(acc), [n] "+r"(turns)
                     : [one] "r"(one)
                     : "cc");
}

double qb_calib_once(uint64_t n_adds)
{
    uint64_t turns = (n_adds + 99) / 100;
    if (turns == 0) turns = 1;
    const uint64_t t0 = qb_now_ns();
    add_chain(turns);
    const uint64_t t1 = qb_now_ns();
    return (double)(turns * 100) / (double)(t1 - t0);
}

static double cached_ghz;

double qb_core_ghz(void)
{
    if (cached_ghz > 0) return cached_ghz;
    qb_spin_ns(20000000ull);
    cached_ghz = qb_calib_best(QB_CALIB_ADDS_DEFAULT, 7);
    return cached_ghz;
}

/* A spell on the host can slow every chain of the first calibration: one
 * quick run on a virtual machine started at 3.475 GHz while its L1 stores ran
 * at 32 bytes a cycle of 3.694, so every bytes/cycle of that run read 6% high. A fresh,
 * short calibration before each measurement raises the estimate when the
 * core is found faster; it never lowers it, since a slow chain is as likely
 * a stolen core as a slower clock. */
double qb_core_ghz_refresh(void)
{
    const double first = qb_core_ghz();
    const double now = qb_calib_best(QB_BRACKET_ADDS_DEFAULT, QB_BRACKET_RUNS_DEFAULT);
    if (now > first) cached_ghz = now;
    return cached_ghz;
}

/* Interruptions (preemption, the hypervisor stealing the core) only ever make
 * a chain look slower, so the fastest of a few short chains is the clock. */
double qb_calib_best(uint64_t n_adds, int runs)
{
    double best = 0;
    for (int i = 0; i < runs; i++) {
        const double g = qb_calib_once(n_adds);
        if (g > best) best = g;
    }
    return best;
}

void qb_bracket_begin(qb_bracket *b)
{
    b->ghz_before = qb_calib_best(QB_BRACKET_ADDS_DEFAULT, QB_BRACKET_RUNS_DEFAULT);
}

void qb_bracket_end(qb_bracket *b)
{
    b->ghz_after = qb_calib_best(QB_BRACKET_ADDS_DEFAULT, QB_BRACKET_RUNS_DEFAULT);
    b->ghz = 0.5 * (b->ghz_before + b->ghz_after);
    b->drift = b->ghz > 0 ? fabs(b->ghz_after - b->ghz_before) / b->ghz : 1.0;
    b->clock_changed = b->drift > QB_CALIB_DRIFT_MAX;
}
