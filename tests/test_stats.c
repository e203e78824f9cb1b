/* Statistics, the repetition policy and the pooled rounds against hand-computed values. */
#include "check.h"
#include "error.h"
#include "pooled.h"
#include "repeat.h"
#include "stats.h"

#include <stdlib.h>
#include <sys/resource.h>

typedef struct {
    const double *values;
    const int *verdicts;
    int i;
} script;

static int scripted_trial(void *vctx, double v[2])
{
    script *s = vctx;
    v[0] = s->values[s->i];
    v[1] = 10 * s->values[s->i];
    return s->verdicts[s->i++];
}

/* Times the scheduler took this thread off its CPU. */
static long involuntary_switches(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nivcsw : 0;
}

int main(void)
{
    /* x = 2 4 4 4 5 5 7 9: mean 5, sample variance 32/7. */
    const double x[] = {9, 2, 5, 4, 4, 7, 4, 5};
    qb_stats st;
    CHECK(qb_stats_compute(x, 8, &st) == QB_OK);
    CHECK(st.n == 8);
    CHECK_NEAR(st.min, 2, 0);
    CHECK_NEAR(st.max, 9, 0);
    CHECK_NEAR(st.mean, 5, 1e-12);
    CHECK_NEAR(st.median, 4.5, 1e-12);
    CHECK_NEAR(st.stddev, sqrt(32.0 / 7.0), 1e-12);
    CHECK_NEAR(st.cv, sqrt(32.0 / 7.0) / 5.0, 1e-12);
    /* Type-7 quartiles of 2 4 4 4 5 5 7 9: h = 1.75 -> 4, h = 5.25 -> 5 + 0.25 * 2 = 5.5. */
    CHECK_NEAR(st.p25, 4, 1e-12);
    CHECK_NEAR(st.p75, 5.5, 1e-12);
    /* |x - 4.5| = 0.5 0.5 0.5 0.5 0.5 2.5 2.5 4.5 -> median 0.5. */
    CHECK_NEAR(st.mad, 0.5, 1e-12);

    const double sorted[] = {1, 2, 3, 4};
    CHECK_NEAR(qb_percentile_sorted(sorted, 4, 0), 1, 0);
    CHECK_NEAR(qb_percentile_sorted(sorted, 4, 100), 4, 0);
    CHECK_NEAR(qb_percentile_sorted(sorted, 4, 50), 2.5, 1e-12);
    CHECK_NEAR(qb_percentile_sorted(sorted, 4, 90), 3.7, 1e-12);

    const double one = 3.5;
    CHECK(qb_stats_compute(&one, 1, &st) == QB_OK);
    CHECK(st.stddev == 0 && st.median == 3.5 && st.cv == 0);
    CHECK(qb_stats_compute(x, 0, &st) == QB_EINPUT);
    const double bad[] = {1, NAN};
    CHECK(qb_stats_compute(bad, 2, &st) == QB_EINPUT);

    /* Repetition: warm-up trials are discarded, QB_TRIAL_DROP trials are not
     * kept, and a zero-spread sample meets the target at min_reps. */
    /* A trial the scheduler preempts is dropped too: spare values after the
     * script's own, and the drop count checked exactly only when this thread
     * was not preempted meanwhile (tests run side by side in CI). */
    const double vals[] = {100, 100, 1, 1, 50, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                           1,   1,   1, 1, 1,  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    const int verdicts[sizeof vals / sizeof vals[0]] = {0, 0, 0, 0, QB_TRIAL_DROP};
    script s = {vals, verdicts, 0};
    qb_rep_policy p = qb_rep_policy_default(false);
    p.warmup = 2;
    p.min_reps = 5;
    p.max_reps = 8;
    p.target_cv = 0.001;
    p.budget_s = 10;
    qb_rep_result r;
    const long sw0 = involuntary_switches();
    CHECK(qb_repeat(&p, scripted_trial, &s, &r) == QB_OK);
    const bool preempted = involuntary_switches() != sw0;
    CHECK(r.n == 5);
    CHECK(preempted ? r.dropped >= 1 : r.dropped == 1);
    CHECK(r.target_met);
    CHECK_NEAR(r.st.median, 1, 0);
    CHECK_NEAR(r.aux[0], 10, 0);

    /* Pooled rounds: the best round's median in each direction. */
    qb_pooled pool = {0};
    CHECK(qb_pooled_add(&pool, &r) == QB_OK);
    r.st.median = 2;
    CHECK(qb_pooled_add(&pool, &r) == QB_OK);
    CHECK(pool.n == 10 && pool.rounds == 2);
    CHECK_NEAR(qb_pooled_best(&pool, QB_BETTER_HIGHER), 2, 0);
    CHECK_NEAR(qb_pooled_best(&pool, QB_BETTER_LOWER), 1, 0);
    /* Confirmed when the best two rounds agree within the tolerance: 2 and 1 do not. */
    CHECK(!qb_pooled_confirmed(&pool, QB_BETTER_HIGHER, 0.03));
    CHECK(!qb_pooled_confirmed(&pool, QB_BETTER_LOWER, 0.03));
    CHECK(qb_pooled_confirmed(&pool, QB_BETTER_HIGHER, 0.5)); /* |2 - 1| <= 0.5 * 2 */
    CHECK(!qb_pooled_confirmed(&pool, QB_BETTER_LOWER, 0.5)); /* |1 - 2| > 0.5 * 1 */
    r.st.median = 2.05;
    CHECK(qb_pooled_add(&pool, &r) == QB_OK);
    CHECK(qb_pooled_confirmed(&pool, QB_BETTER_HIGHER, 0.03));  /* 2.05 and 2: 2.4% apart */
    CHECK(!qb_pooled_confirmed(&pool, QB_BETTER_HIGHER, 0.02));
    CHECK(!qb_pooled_confirmed(&pool, QB_BETTER_LOWER, 0.03)); /* 1 and 2 */
    /* A metric derived from a pooled one: every sample and the best round's
     * median times the factor. */
    qb_results doc;
    CHECK(qb_results_init(&doc) == QB_OK);
    qb_record *rec = qb_results_add(&doc, "t", "scaled");
    CHECK(rec && qb_pooled_record(rec, "bw", "GB/s", QB_BETTER_HIGHER, &pool, 0.01) == QB_OK);
    CHECK(qb_record_derive_metric(rec, "per_cycle", "B/cycle", QB_BETTER_HIGHER, "bw", 0.25) == QB_OK);
    const qb_metric *sm = &rec->metrics[rec->nmetrics - 1];
    CHECK(sm->nsamples == (size_t)pool.n && sm->nrounds == 3);
    CHECK_NEAR(sm->value, 2.05 * 0.25, 1e-12);
    for (int i = 0; i < pool.n; i++) CHECK_NEAR(sm->samples[i], pool.all[i] * 0.25, 1e-12);
    CHECK(qb_pooled_record(rec, "lat", "ns", QB_BETTER_LOWER, &pool, 0.01) == QB_OK);
    CHECK(qb_record_derive_metric(rec, "low", "B/cycle", QB_BETTER_HIGHER, "lat", 2) == QB_OK);
    CHECK_NEAR(rec->metrics[rec->nmetrics - 1].value, 2, 1e-12); /* the lowest round, 1, doubled */
    qb_results_free(&doc);
    qb_pooled_free(&pool);
    qb_pooled single = {0};
    CHECK(qb_pooled_add(&single, &r) == QB_OK);
    CHECK(!qb_pooled_confirmed(&single, QB_BETTER_HIGHER, 1)); /* one round has nothing to agree with */
    qb_pooled_free(&single);
    qb_rep_result_free(&r);

    /* Bad policies are usage errors. */
    p.min_reps = 0;
    CHECK(qb_rep_policy_check(&p) == QB_EUSAGE);
    p.min_reps = 9;
    p.max_reps = 3;
    CHECK(qb_rep_policy_check(&p) == QB_EUSAGE);
    TEST_DONE();
}
