/* Sanity of the measurement itself: the calibrated clock is a plausible core
 * clock and a known latency reads right. Wide bounds: this is a check that
 * the method works, not a speed target. */
#include "check.h"
#include "clock.h"
#include "core_distance.h"
#include "core_share.h"
#include "defaults.h"
#include "cpu_features.h"
#include "inst_kernels.h"
#include "pin.h"
#include "timer.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static double latency_of(const char *name)
{
    for (int i = 0; i < qb_inst_count; i++) {
        const qb_inst_desc *d = &qb_inst_table[i];
        if (strcmp(d->name, name) != 0) continue;
        double best = 1e9;
        for (int k = 0; k < 15; k++) {
            qb_bracket b;
            qb_bracket_begin(&b);
            const uint64_t t0 = qb_now_ns();
            d->lat(20000, qb_inst_consts());
            const uint64_t t1 = qb_now_ns();
            qb_bracket_end(&b);
            const double cyc = (double)(t1 - t0) * b.ghz / (20000.0 * d->lat_per_turn);
            if (cyc < best) best = cyc;
        }
        return best;
    }
    return -1;
}

int main(void)
{
    const double ghz = qb_core_ghz();
    CHECK(ghz > 0.5 && ghz < 6.0);
    /* A refresh only ever raises the estimate, and the cached value follows it. */
    const double raised = qb_core_ghz_refresh();
    CHECK(raised >= ghz && raised < 6.0 && qb_core_ghz() == raised);
    CHECK(qb_tsc_ghz() > 0.1 && qb_tsc_ghz() < 10.0);
    /* The shared-core check: the slowest thread against the fastest block
     * ever seen, which only ever falls; half speed is a shared core. */
    uint64_t fastest = UINT64_MAX;
    const uint64_t halved[] = {1000, 2100}, close[] = {1050, 1000}, slow[] = {4000, 4000};
    CHECK_NEAR(qb_core_share_of(halved, 2, &fastest), 1000.0 / 2100, 1e-12);
    CHECK(fastest == 1000 && qb_core_shared(1000.0 / 2100));
    CHECK_NEAR(qb_core_share_of(close, 2, &fastest), 1000.0 / 1050, 1e-12);
    CHECK(!qb_core_shared(1000.0 / 1050) && !qb_core_shared(QB_CORE_SHARED_SPEED));
    CHECK_NEAR(qb_core_share_of(slow, 2, &fastest), 0.25, 1e-12); /* both slow: still measured against 1000 */
    CHECK(fastest == 1000);
    for (int t = 1; t <= 2; t++) {
        const double sp = qb_core_share_speed(t);
        CHECK(sp > 0 && sp <= 1);
    }
    /* The distance check: far is past QB_CORE_FAR_FACTOR times the fastest
     * round trip, never on a missing answer; one thread has nobody to answer. */
    CHECK(qb_core_far(350, 55) && !qb_core_far(100, 55) && !qb_core_far(QB_CORE_FAR_FACTOR * 55, 55));
    CHECK(!qb_core_far(NAN, 55) && !qb_core_far(350, NAN) && !qb_core_far(350, 0));
    CHECK(isnan(qb_core_round_trip_ns(1, NULL)));
    if (qb_cpu_count() >= 2) {
        /* A real round trip between two CPUs, on a team pinned as operator
         * trials pin theirs: tens to hundreds of ns. A thread that waits on
         * a busy CPU (ctest runs other tests beside this one) gives no
         * answer, so of up to 200 checks a millisecond apart 3 must answer. */
#pragma omp parallel num_threads(2)
        qb_omp_pin_thread();
        int answered = 0;
        for (int k = 0; k < 200 && answered < 3; k++) {
            double best = NAN;
            const double rt = qb_core_round_trip_ns(2, &best);
            if (isnan(rt)) {
                nanosleep(&(struct timespec){0, 1000000}, NULL);
                continue;
            }
            answered++;
            CHECK(rt > 5 && rt < 100000 && best <= rt);
        }
        CHECK(answered == 3);
    }
    const double imul = latency_of("imul-r64");
    CHECK(imul >= 2.0 && imul <= 5.0);
    /* The add chain is the clock itself: its latency reads one cycle. */
    const double add = latency_of("add-r64");
    CHECK(add > 0.8 && add < 1.25);
    /* Every table entry names a kernel and a positive unroll. */
    for (int i = 0; i < qb_inst_count; i++) {
        CHECK(qb_inst_table[i].lat && qb_inst_table[i].tput);
        CHECK(qb_inst_table[i].lat_per_turn > 0 && qb_inst_table[i].tput_per_turn > 0);
    }
    CHECK(qb_cpu_has("") && !qb_cpu_has("no-such-feature") && qb_cpu_has("sse4.2"));
    CHECK(qb_cpu_has("avx2+fma") == (qb_cpu_has("avx2") && qb_cpu_has("fma")));
    TEST_DONE();
}
