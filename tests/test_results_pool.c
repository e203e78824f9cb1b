/* Pooling passes of a run: samples concatenated, the best pass's value kept
 * in each metric's direction (a ratio keeps the samples' median), each pass
 * one round, records of any pass kept, a later pass's new kinds of note
 * named. */
#include "check.h"
#include "error.h"
#include "results_pool.h"

#include <string.h>

static void pass(qb_results *r, double lat_median, double tput, bool extra)
{
    qb_results_init(r);
    qb_record *rec = qb_results_add(r, "probe.inst", "add-r64");
    const double s[3] = {lat_median - 0.01, lat_median, lat_median + 0.01};
    qb_record_metric_samples(rec, "latency", "cycles", QB_BETTER_LOWER, s, 3);
    qb_record_metric(rec, "throughput", "per_cycle", QB_BETTER_HIGHER, tput);
    qb_record_note(rec, "said in every pass");
    qb_record_note(rec, "time: spread up to %.1f%% within a round", extra ? 6.3 : 4.1);
    if (extra) {
        qb_record_note(rec, "3 of 7 trials ran far apart");
        qb_record *x = qb_results_add(r, "probe.inst", "only-here");
        qb_record_metric(x, "latency", "cycles", QB_BETTER_LOWER, 7);
    }
}

/* A speedup whose unfused form the host slowed in one pass of three: the
 * best pass (2.86) would report the host's doing, the median does not. */
static void test_ratio(void)
{
    qb_results p[3], out;
    const double sp[3] = {1.03, 2.86, 1.05};
    for (int i = 0; i < 3; i++) {
        CHECK(qb_results_init(&p[i]) == QB_OK);
        qb_record *rec = qb_results_add(&p[i], "fuse", "chain/int8");
        CHECK(rec && qb_record_metric(rec, "speedup_fused", "x", QB_BETTER_HIGHER, sp[i]) == QB_OK);
        CHECK(qb_record_metric(rec, "time_fused", "s", QB_BETTER_LOWER, 0.001 * (i + 1)) == QB_OK);
    }
    CHECK(qb_results_init(&out) == QB_OK);
    CHECK(qb_results_pool(&out, p, 3) == QB_OK);
    const qb_record *r = qb_results_find(&out, "fuse/chain/int8");
    const qb_metric *m = r ? qb_record_find_metric(r, "speedup_fused") : NULL;
    CHECK(m && m->nsamples == 3 && m->value == 1.05 && m->nrounds == 3);
    const qb_metric *t = r ? qb_record_find_metric(r, "time_fused") : NULL;
    CHECK(t && t->value == 0.001); /* a time keeps its best pass */
    bool said = false;
    const cJSON *n;
    CHECK(r != NULL);
    cJSON_ArrayForEach(n, r->notes)
    {
        said |= strstr(n->valuestring, "speedup_fused: passes range 1.03..2.86 x; the median over the passes' "
                                       "samples is reported") != NULL;
    }
    CHECK(said);
    qb_results_free(&out);
    for (int i = 0; i < 3; i++) qb_results_free(&p[i]);
}

int main(void)
{
    test_ratio();
    qb_results p[2], out;
    pass(&p[0], 1.10, 3.0, false);
    pass(&p[1], 1.00, 3.9, true);
    CHECK(qb_results_init(&out) == QB_OK);
    CHECK(qb_results_pool(&out, p, 2) == QB_OK);
    CHECK(out.n == 2);
    const qb_record *r = qb_results_find(&out, "probe.inst/add-r64");
    const qb_metric *lat = r ? qb_record_find_metric(r, "latency") : NULL;
    CHECK(lat && lat->nsamples == 6 && lat->value == 1.00);
    const qb_metric *tp = r ? qb_record_find_metric(r, "throughput") : NULL;
    CHECK(tp && tp->nsamples == 2 && tp->value == 3.9);
    /* each pass is one timed group of samples, in pass order */
    CHECK(lat && lat->nrounds == 2 && lat->round_sizes[0] == 3 && lat->round_sizes[1] == 3);
    CHECK(lat && lat->nrounds == 2 && lat->round_medians[0] == 1.10 && lat->round_medians[1] == 1.00);
    CHECK(tp && tp->nrounds == 2 && tp->round_medians[0] == 3.0 && tp->round_sizes[1] == 1);
    CHECK(r && cJSON_GetArraySize(r->notes) >= 1); /* 3.0..3.9 disagree */
    /* the first pass's notes, then a later pass's own, naming it */
    int every = 0, later = 0, spread = 0;
    const cJSON *n;
    CHECK(r != NULL);
    cJSON_ArrayForEach(n, r->notes)
    {
        every += strcmp(n->valuestring, "said in every pass") == 0;
        later += strcmp(n->valuestring, "pass 2: 3 of 7 trials ran far apart") == 0;
        spread += strstr(n->valuestring, "spread up to") != NULL;
        CHECK(strcmp(n->valuestring, "pass 2: said in every pass") != 0);
    }
    /* the spread note differs only in its number: said once, by pass 1 */
    CHECK(every == 1 && later == 1 && spread == 1);
    const qb_record *x = qb_results_find(&out, "probe.inst/only-here");
    CHECK(x && qb_record_find_metric(x, "latency")->value == 7);
    qb_results_free(&out);
    qb_results_free(&p[0]);
    qb_results_free(&p[1]);
    TEST_DONE();
}
