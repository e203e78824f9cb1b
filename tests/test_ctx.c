/* The context-switch probe's arithmetic and mechanics: overhead subtraction
 * and its clamp, switches per hop, and rings and handoffs that really
 * switch once per hop on one CPU. */
#include "check.h"
#include "ctx_bench.h"
#include "ctx_cost.h"
#include "error.h"
#include "pin.h"

int main(void)
{
    bool clamped = true;
    CHECK_NEAR(qb_ctx_net(5.0, 2.0, &clamped), 3.0, 0);
    CHECK(!clamped);
    CHECK_NEAR(qb_ctx_net(3.0, 3.0, &clamped), 0.0, 0);
    CHECK(!clamped);
    CHECK_NEAR(qb_ctx_net(2.0, 5.0, &clamped), 0.0, 0);
    CHECK(clamped);
    CHECK_NEAR(qb_ctx_net(NAN, 1.0, &clamped), 0.0, 0);
    CHECK(clamped);
    const double raw[] = {10, 4, 6, 3.5};
    double out[4];
    CHECK(qb_ctx_net_samples(raw, 4, 5.0, out) == 2);
    CHECK_NEAR(out[0], 5, 0);
    CHECK_NEAR(out[1], 0, 0);
    CHECK_NEAR(out[2], 1, 0);
    CHECK_NEAR(out[3], 0, 0);

    const long long c2[] = {100, 102};
    CHECK_NEAR(qb_ctx_switches_per_op(c2, 2, 200), 1.01, 1e-12);
    const long long cm[] = {100, -1};
    CHECK(qb_ctx_switches_per_op(cm, 2, 200) < 0);
    CHECK(qb_ctx_switches_per_op(c2, 2, 0) < 0);

    CHECK(qb_pin_self(qb_cpu_nth(0), NULL) == QB_OK);
    /* A two-process ring on one CPU: each hop blocks its sender, so every
     * member switches out about once per hop it passes on. */
    qb_ring *r;
    CHECK(qb_ring_open(&r, 2, QB_PLACE_SAME_CPU, 16384, false) == QB_OK);
    CHECK(qb_ring_run(r, 500) == QB_OK);
    long long counts[2];
    const char *source = NULL;
    CHECK(qb_ring_close(r, counts, &source) == QB_OK);
    CHECK(source != NULL);
    const double per = qb_ctx_switches_per_op(counts, 2, 1000);
    CHECK(per >= 0.9 && per <= 1.5);

    /* A ring that cannot be: one process. */
    CHECK(qb_ring_open(&r, 1, QB_PLACE_SAME_CPU, 0, false) == QB_EUSAGE);

    qb_handoff *h;
    CHECK(qb_handoff_open(&h, QB_PLACE_SAME_CPU) == QB_OK);
    CHECK(qb_handoff_run(h, 500) == QB_OK);
    CHECK(qb_handoff_close(h, counts, &source) == QB_OK);
    const double hper = qb_ctx_switches_per_op(counts, 2, 1000);
    CHECK(hper >= 0.9 && hper <= 1.5);

    qb_pipe_self *p;
    CHECK(qb_pipe_self_open(&p, 4096) == QB_OK);
    CHECK(qb_pipe_self_run(p, 100) == QB_OK);
    qb_pipe_self_close(p);
    TEST_DONE();
}
