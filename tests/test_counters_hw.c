/* Hardware cycle and instruction counts: needs a PMU, so skipped (77) where
 * there is none (many virtual machines). */
#include "check.h"
#include "counters.h"
#include "error.h"
#include "timer.h"

int main(void)
{
    if (!qb_counters_hw_available()) {
        fprintf(stderr, "skipped: %s\n", qb_counters_summary());
        return 77;
    }
    qb_event_status st[2];
    qb_counters *c = NULL;
    CHECK(qb_counters_open(qb_hw_events, 2, &c, st) == QB_OK);
    long long v[2];
    CHECK(qb_counters_start(c) == QB_OK);
    qb_spin_ns(10000000ull);
    CHECK(qb_counters_stop(c, v) == QB_OK);
    CHECK(v[0] > 1000000 && v[1] > 1000000);
    qb_counters_close(c);
    TEST_DONE();
}
