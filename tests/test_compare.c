/* qb_compare: direction per metric, the threshold and noise-floor logic,
 * significance, too few samples, added and removed records, mismatched
 * units and machines, --fail-on patterns, and the synthetic regression (a
 * file scaled by 1.2 is flagged, by 1.01 it is not). */
#include "check.h"
#include "compare.h"
#include "error.h"
#include "stats.h"

#include <math.h>
#include <string.h>

/* n samples around c with a relative spread of +-w, deterministic. */
static void spread_samples(double *x, int n, double c, double w)
{
    for (int i = 0; i < n; i++) x[i] = c * (1 + w * (2.0 * ((i * 7) % n) / (n - 1) - 1));
}

static qb_record *rec(qb_results *r, const char *group, const char *name)
{
    qb_record *x = qb_results_add(r, group, name);
    CHECK(x != NULL);
    return x;
}

static void metric_s(qb_record *r, const char *name, const char *unit, int better, double c,
                     double w, int n)
{
    double x[64];
    spread_samples(x, n, c, w);
    CHECK(qb_record_metric_samples(r, name, unit, better, x, (size_t)n) == QB_OK);
}

static void init_pair(qb_results *a, qb_results *b)
{
    CHECK(qb_results_init(a) == QB_OK);
    CHECK(qb_results_init(b) == QB_OK);
}

static const qb_cmp_metric *find(const qb_comparison *c, const char *id, const char *metric)
{
    for (size_t i = 0; i < c->nm; i++)
        if (strcmp(c->m[i].rec->id, id) == 0 && strcmp(c->m[i].base->name, metric) == 0)
            return &c->m[i];
    return NULL;
}

static qb_cmp_status status_of(const qb_comparison *c, const char *id, const char *metric)
{
    const qb_cmp_metric *x = find(c, id, metric);
    CHECK(x != NULL);
    return x ? x->status : (qb_cmp_status)-1;
}

static void test_direction(void)
{
    qb_results a, b;
    init_pair(&a, &b);
    qb_record *ra = rec(&a, "g", "x"), *rb = rec(&b, "g", "x");
    /* The same +20% move of the value means worse for time, better for a rate. */
    metric_s(ra, "time", "s", QB_BETTER_LOWER, 1.0, 0.01, 9);
    metric_s(rb, "time", "s", QB_BETTER_LOWER, 1.2, 0.01, 9);
    metric_s(ra, "rate", "GOP/s", QB_BETTER_HIGHER, 1.0, 0.01, 9);
    metric_s(rb, "rate", "GOP/s", QB_BETTER_HIGHER, 1.2, 0.01, 9);
    metric_s(ra, "slowrate", "GB/s", QB_BETTER_HIGHER, 1.0, 0.01, 9);
    metric_s(rb, "slowrate", "GB/s", QB_BETTER_HIGHER, 1 / 1.2, 0.01, 9);
    metric_s(ra, "fasttime", "ns", QB_BETTER_LOWER, 1.0, 0.01, 9);
    metric_s(rb, "fasttime", "ns", QB_BETTER_LOWER, 1 / 1.2, 0.01, 9);
    metric_s(ra, "bytes", "B", QB_BETTER_NONE, 1.0, 0.01, 9);
    metric_s(rb, "bytes", "B", QB_BETTER_NONE, 2.0, 0.01, 9);
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    qb_comparison c;
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(status_of(&c, "g/x", "time") == QB_CMP_REGRESSED);
    CHECK(status_of(&c, "g/x", "rate") == QB_CMP_IMPROVED);
    CHECK(status_of(&c, "g/x", "slowrate") == QB_CMP_REGRESSED);
    CHECK(status_of(&c, "g/x", "fasttime") == QB_CMP_IMPROVED);
    CHECK(status_of(&c, "g/x", "bytes") == QB_CMP_INFO);
    CHECK(!find(&c, "g/x", "bytes")->gating);
    CHECK(c.gating_regressions == 2);
    CHECK(c.count[QB_CMP_REGRESSED] == 2 && c.count[QB_CMP_IMPROVED] == 2 && c.count[QB_CMP_INFO] == 1);
    const qb_cmp_metric *t = find(&c, "g/x", "time");
    CHECK_NEAR(t->change, 0.2, 1e-12);
    CHECK(t->tested && t->mwu.exact && t->mwu.p < 1e-3);
    /* Geometric mean of the oriented ratios: 1/1.2, 1.2, 1/1.2, 1.2 -> 1. */
    CHECK(c.ngeomean == 4);
    CHECK_NEAR(c.geomean, 1.0, 1e-12);
    qb_comparison_free(&c);
    qb_results_free(&a);
    qb_results_free(&b);
}

/* One lower-is-better metric moved by factor f, samples of relative spread w. */
static qb_cmp_status judge_one(double f, double w, int n, const qb_cmp_options *o, double *limit)
{
    qb_results a, b;
    init_pair(&a, &b);
    metric_s(rec(&a, "g", "x"), "time", "s", QB_BETTER_LOWER, 1.0, w, n);
    metric_s(rec(&b, "g", "x"), "time", "s", QB_BETTER_LOWER, f, w, n);
    qb_comparison c;
    qb_cmp_status s = (qb_cmp_status)-1;
    if (qb_compare(&a, &b, o, &c) == QB_OK && c.nm == 1) {
        s = c.m[0].status;
        if (limit) *limit = c.m[0].limit;
        qb_comparison_free(&c);
    }
    qb_results_free(&a);
    qb_results_free(&b);
    return s;
}

static void test_threshold_and_noise(void)
{
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    double limit;
    /* Tight samples (+-0.5%): 4% is under the 5% threshold, 6% is over it. */
    CHECK(judge_one(1.04, 0.005, 9, &o, &limit) == QB_CMP_UNCHANGED);
    CHECK_NEAR(limit, 0.05, 1e-12);
    CHECK(judge_one(1.06, 0.005, 9, &o, NULL) == QB_CMP_REGRESSED);
    CHECK(judge_one(0.94, 0.005, 9, &o, NULL) == QB_CMP_IMPROVED);
    /* A higher threshold lets the 6% pass. */
    o.threshold = 0.10;
    CHECK(judge_one(1.06, 0.005, 9, &o, NULL) == QB_CMP_UNCHANGED);
    CHECK(judge_one(1.12, 0.005, 9, &o, NULL) == QB_CMP_REGRESSED);
    qb_cmp_options_default(&o);
    /* Spread +-5% in both runs: p10..p90 is about 8% of the value in each,
     * so the floor is about 1.5 x hypot(8%, 8%) = 17%: a 12% move is within noise. */
    CHECK(judge_one(1.12, 0.05, 11, &o, &limit) == QB_CMP_UNCHANGED);
    CHECK(limit > 0.15 && limit < 0.19);
    CHECK(judge_one(1.25, 0.05, 11, &o, NULL) == QB_CMP_REGRESSED);
    /* Without the floor the same 8% is beyond the threshold; with samples
     * this wide the U test on 5 per side is not significant: "noise". */
    o.noise_k = 0;
    CHECK(judge_one(1.08, 0.05, 11, &o, &limit) == QB_CMP_REGRESSED);
    CHECK_NEAR(limit, 0.05, 1e-12);
    CHECK(judge_one(1.06, 0.30, 5, &o, NULL) == QB_CMP_NOISE);
    /* A stricter alpha turns a weakly significant change into noise. */
    qb_cmp_options_default(&o);
    o.noise_k = 0;
    o.alpha = 1e-6;
    CHECK(judge_one(1.2, 0.01, 5, &o, NULL) == QB_CMP_NOISE);
}

static void test_too_few_samples(void)
{
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    /* 3 samples a side cannot reach p < 0.05 (the smallest two-sided p is 0.1). */
    CHECK(judge_one(1.3, 0.005, 3, &o, NULL) == QB_CMP_UNRELIABLE);
    CHECK(judge_one(1.01, 0.005, 3, &o, NULL) == QB_CMP_UNCHANGED);
    o.min_samples = 3;
    CHECK(judge_one(1.3, 0.005, 3, &o, NULL) == QB_CMP_NOISE);
    /* No samples at all: plain values. */
    qb_results a, b;
    init_pair(&a, &b);
    qb_record *ra = rec(&a, "g", "x"), *rb = rec(&b, "g", "x");
    CHECK(qb_record_metric(ra, "big", "x", QB_BETTER_HIGHER, 2.0) == QB_OK);
    CHECK(qb_record_metric(rb, "big", "x", QB_BETTER_HIGHER, 1.0) == QB_OK);
    CHECK(qb_record_metric(ra, "same", "x", QB_BETTER_HIGHER, 2.0) == QB_OK);
    CHECK(qb_record_metric(rb, "same", "x", QB_BETTER_HIGHER, 2.0) == QB_OK);
    CHECK(qb_record_metric(ra, "fromzero", "abs", QB_BETTER_LOWER, 0.0) == QB_OK);
    CHECK(qb_record_metric(rb, "fromzero", "abs", QB_BETTER_LOWER, 0.5) == QB_OK);
    qb_cmp_options_default(&o);
    qb_comparison c;
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(status_of(&c, "g/x", "big") == QB_CMP_UNRELIABLE);
    CHECK(status_of(&c, "g/x", "same") == QB_CMP_UNCHANGED);
    CHECK(status_of(&c, "g/x", "fromzero") == QB_CMP_UNRELIABLE);
    CHECK(isnan(find(&c, "g/x", "fromzero")->change));
    CHECK(!find(&c, "g/x", "big")->tested);
    CHECK(c.gating_regressions == 0); /* unreliable never gates */
    qb_comparison_free(&c);
    qb_results_free(&a);
    qb_results_free(&b);
}

static void test_samples_disagree(void)
{
    /* The reported value (best round) got 10% worse while the samples as a
     * whole got better: the evidence conflicts, so it is noise, not a verdict. */
    qb_results a, b;
    init_pair(&a, &b);
    qb_record *ra = rec(&a, "g", "x"), *rb = rec(&b, "g", "x");
    metric_s(ra, "time", "s", QB_BETTER_LOWER, 1.0, 0.005, 9);
    metric_s(rb, "time", "s", QB_BETTER_LOWER, 0.9, 0.005, 9);
    rb->metrics[0].value = 1.1;
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    qb_comparison c;
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(c.nm == 1 && c.m[0].status == QB_CMP_NOISE && c.m[0].mwu.p < 0.01);
    qb_comparison_free(&c);
    qb_results_free(&a);
    qb_results_free(&b);
}

static void test_added_removed(void)
{
    qb_results a, b;
    init_pair(&a, &b);
    qb_record *ra = rec(&a, "g", "both"), *rb = rec(&b, "g", "both");
    metric_s(ra, "time", "s", QB_BETTER_LOWER, 1, 0.01, 9);
    metric_s(rb, "time", "s", QB_BETTER_LOWER, 1, 0.01, 9);
    metric_s(ra, "old", "s", QB_BETTER_LOWER, 1, 0.01, 9);
    metric_s(rb, "fresh", "s", QB_BETTER_LOWER, 1, 0.01, 9);
    metric_s(rec(&a, "g", "gone"), "time", "s", QB_BETTER_LOWER, 1, 0.01, 9);
    metric_s(rec(&b, "h", "new"), "time", "s", QB_BETTER_LOWER, 1, 0.01, 9);
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    qb_comparison c;
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(c.nm == 1);
    CHECK(c.nremoved == 2 && c.nadded == 2);
    if (c.nremoved == 2) {
        CHECK(strcmp(c.removed[0], "g/both:old") == 0);
        CHECK(strcmp(c.removed[1], "g/gone") == 0);
    }
    if (c.nadded == 2) {
        CHECK(strcmp(c.added[0], "g/both:fresh") == 0);
        CHECK(strcmp(c.added[1], "h/new") == 0);
    }
    CHECK(c.gating_regressions == 0);
    qb_comparison_free(&c);
    /* --filter narrows the added and removed lists too. */
    o.filter = "g";
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(c.nadded == 1 && c.nremoved == 2);
    qb_comparison_free(&c);
    qb_results_free(&a);
    qb_results_free(&b);
}

static void test_mismatches(void)
{
    qb_results a, b;
    init_pair(&a, &b);
    metric_s(rec(&a, "g", "x"), "time", "s", QB_BETTER_LOWER, 1, 0.01, 9);
    metric_s(rec(&b, "g", "x"), "time", "ms", QB_BETTER_LOWER, 1000, 0.01, 9);
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    qb_comparison c;
    CHECK(qb_compare(&a, &b, &o, &c) == QB_EINPUT);
    CHECK(strstr(qb_last_error(QB_EINPUT), "'ms'") && strstr(qb_last_error(QB_EINPUT), "g/x"));
    /* Filtered out, the mismatched metric no longer stops the comparison. */
    o.filter = "other";
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(c.nm == 0);
    qb_comparison_free(&c);
    qb_results_free(&a);
    qb_results_free(&b);

    init_pair(&a, &b);
    metric_s(rec(&a, "g", "x"), "rate", "GB/s", QB_BETTER_LOWER, 1, 0.01, 9);
    metric_s(rec(&b, "g", "x"), "rate", "GB/s", QB_BETTER_HIGHER, 1, 0.01, 9);
    qb_cmp_options_default(&o);
    CHECK(qb_compare(&a, &b, &o, &c) == QB_EINPUT);
    qb_results_free(&a);
    qb_results_free(&b);

    /* Another machine is a warning, not an error. */
    init_pair(&a, &b);
    metric_s(rec(&a, "g", "x"), "time", "s", QB_BETTER_LOWER, 1, 0.01, 9);
    metric_s(rec(&b, "g", "x"), "time", "s", QB_BETTER_LOWER, 1, 0.01, 9);
    cJSON_AddStringToObject(a.machine, "cpu", "AMD EPYC");
    cJSON_AddStringToObject(b.machine, "cpu", "Intel Xeon");
    cJSON_AddNumberToObject(a.machine, "cores", 2);
    cJSON_AddNumberToObject(b.machine, "cores", 2);
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(c.nwarnings == 1);
    CHECK(c.nwarnings == 1 && strstr(c.warnings[0], "different machines") &&
          strstr(c.warnings[0], "Intel Xeon") && !strstr(c.warnings[0], "cores"));
    CHECK(c.gating_regressions == 0);
    qb_comparison_free(&c);
    qb_results_free(&a);
    qb_results_free(&b);
}

static void test_patterns(void)
{
    const char *p = "ops/*:time,probe.*";
    CHECK(qb_cmp_selects(p, "ops/gemm/fp32", "time"));
    CHECK(!qb_cmp_selects(p, "ops/gemm/fp32", "gops"));
    CHECK(qb_cmp_selects(p, "probe.inst/add", "latency"));
    CHECK(!qb_cmp_selects(p, "quant/x", "nsr"));
    CHECK(qb_cmp_selects(NULL, "anything/x", "m"));
    /* A group or id prefix selects its records; not a longer group name. */
    CHECK(qb_cmp_selects("probe.peak", "probe.peak/fp32/t1", "gops"));
    CHECK(qb_cmp_selects("probe.peak/fp32", "probe.peak/fp32/t1", "gops"));
    CHECK(!qb_cmp_selects("probe.peak", "probe.peakx/fp32", "gops"));
    CHECK(!qb_cmp_selects("probe.peak/fp3", "probe.peak/fp32/t1", "gops"));
    /* ':METRIC' alone: that metric everywhere. */
    CHECK(qb_cmp_selects(":latency", "probe.inst/add", "latency"));
    CHECK(!qb_cmp_selects(":latency", "probe.inst/add", "throughput"));
    CHECK(qb_cmp_selects("*:time*", "ops/x", "time_int8"));
    /* Without a metric name (whole records), only the id part counts. */
    CHECK(qb_cmp_selects("ops/*:time", "ops/x", NULL));
    CHECK(qb_cmp_check_patterns("--x", "a,,b") == QB_EUSAGE);
    CHECK(qb_cmp_check_patterns("--x", ",a") == QB_EUSAGE);
    CHECK(qb_cmp_check_patterns("--x", "a,b:c") == QB_OK);

    /* --fail-on: a regression outside the pattern is shown but does not gate. */
    qb_results a, b;
    init_pair(&a, &b);
    metric_s(rec(&a, "ops", "gemm"), "time", "s", QB_BETTER_LOWER, 1, 0.01, 9);
    metric_s(rec(&b, "ops", "gemm"), "time", "s", QB_BETTER_LOWER, 1.3, 0.01, 9);
    metric_s(rec(&a, "quant", "q"), "time", "s", QB_BETTER_LOWER, 1, 0.01, 9);
    metric_s(rec(&b, "quant", "q"), "time", "s", QB_BETTER_LOWER, 1.3, 0.01, 9);
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    o.fail_on = "ops";
    qb_comparison c;
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(c.count[QB_CMP_REGRESSED] == 2 && c.gating_regressions == 1);
    CHECK(find(&c, "ops/gemm", "time")->gating && !find(&c, "quant/q", "time")->gating);
    qb_comparison_free(&c);
    o.fail_on = "nothing/*";
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(c.gating_regressions == 0);
    qb_comparison_free(&c);
    o.fail_on = "a,,b";
    CHECK(qb_compare(&a, &b, &o, &c) == QB_EUSAGE);
    qb_results_free(&a);
    qb_results_free(&b);
}

/* A record whose params say gate: false (a figure the host decides) is
 * judged and shown but does not gate, unless --fail-on names it. */
static void test_gate_param(void)
{
    qb_results a, b;
    init_pair(&a, &b);
    qb_record *ra = rec(&a, "probe.ctx", "process/cross-cpu"), *rb = rec(&b, "probe.ctx", "process/cross-cpu");
    metric_s(ra, "latency", "ns", QB_BETTER_LOWER, 1, 0.01, 9);
    metric_s(rb, "latency", "ns", QB_BETTER_LOWER, 3, 0.01, 9);
    cJSON_AddBoolToObject(rb->params, "gate", false); /* the new file's word counts too */
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    qb_comparison c;
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(c.count[QB_CMP_REGRESSED] == 1 && c.gating_regressions == 0);
    CHECK(!find(&c, "probe.ctx/process/cross-cpu", "latency")->gating);
    qb_comparison_free(&c);
    o.fail_on = "probe.ctx";
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(c.gating_regressions == 1);
    qb_comparison_free(&c);
    qb_results_free(&a);
    qb_results_free(&b);
}

/* The noise floor is measured on the scale of the change: the samples'
 * p10..p90 width relative to each file's reported value (the best round),
 * not to the median of all samples. */
static void test_noise_scale(void)
{
    qb_results a, b;
    init_pair(&a, &b);
    qb_record *ra = rec(&a, "g", "x"), *rb = rec(&b, "g", "x");
    metric_s(ra, "time", "s", QB_BETTER_LOWER, 1.0, 0.2, 11);
    metric_s(rb, "time", "s", QB_BETTER_LOWER, 1.0, 0.2, 11);
    ra->metrics[0].value = 0.5; /* a best round far below the rest */
    double x[11];
    spread_samples(x, 11, 1.0, 0.2);
    qb_sort_doubles(x, 11);
    const double w = qb_percentile_sorted(x, 11, 90) - qb_percentile_sorted(x, 11, 10);
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    qb_comparison c;
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(c.nm == 1);
    if (c.nm == 1) CHECK_NEAR(c.m[0].noise, hypot(w / 0.5, w / 1.0), 1e-12);
    qb_comparison_free(&c);
    qb_results_free(&a);
    qb_results_free(&b);
}

/* Scale every metric with samples by f in its bad direction (slower). */
static void slow_down(qb_results *r, double f, bool bad_direction)
{
    for (size_t i = 0; i < r->n; i++)
        for (size_t k = 0; k < r->recs[i].nmetrics; k++) {
            qb_metric *m = &r->recs[i].metrics[k];
            const double g = bad_direction && m->better == QB_BETTER_HIGHER ? 1 / f : f;
            m->value *= g;
            for (size_t s = 0; s < m->nsamples; s++) m->samples[s] *= g;
        }
}

static void test_synthetic_and_self(void)
{
    qb_results base, same, slow, tiny, scaled;
    if (qb_results_read("fixtures/compare-base.json", &base) != QB_OK) {
        fprintf(stderr, "%s\n", qb_last_error(QB_EINPUT));
        CHECK(0);
        return;
    }
    CHECK(qb_results_read("fixtures/compare-base.json", &same) == QB_OK);
    CHECK(qb_results_read("fixtures/compare-base.json", &slow) == QB_OK);
    CHECK(qb_results_read("fixtures/compare-base.json", &tiny) == QB_OK);
    CHECK(qb_results_read("fixtures/compare-base.json", &scaled) == QB_OK);
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    qb_comparison c;

    /* A file against itself: no change anywhere, nothing gates, geomean 1. */
    CHECK(qb_compare(&base, &same, &o, &c) == QB_OK);
    CHECK(c.nm > 5 && c.nadded == 0 && c.nremoved == 0 && c.nwarnings == 0);
    CHECK(c.count[QB_CMP_UNCHANGED] + c.count[QB_CMP_INFO] == c.nm);
    CHECK(c.gating_regressions == 0);
    CHECK_NEAR(c.geomean, 1, 1e-15);
    for (size_t i = 0; i < c.nm; i++) CHECK(c.m[i].change == 0);
    qb_comparison_free(&c);

    /* 20% slower everywhere: every metric with enough samples regresses. */
    slow_down(&slow, 1.2, true);
    CHECK(qb_compare(&base, &slow, &o, &c) == QB_OK);
    size_t tested = 0;
    for (size_t i = 0; i < c.nm; i++) {
        const qb_cmp_metric *x = &c.m[i];
        if (x->base->better == QB_BETTER_NONE) {
            CHECK(x->status == QB_CMP_INFO);
        } else if (x->base->nsamples >= 5) {
            tested++;
            CHECK(x->status == QB_CMP_REGRESSED);
        } else {
            CHECK(x->status == QB_CMP_UNRELIABLE);
        }
    }
    CHECK(tested >= 5 && c.gating_regressions == tested);
    CHECK_NEAR(c.geomean, 1 / 1.2, 1e-9);
    qb_comparison_free(&c);

    /* Samples scaled by 1.2 as they are: times regress, rates improve. */
    slow_down(&scaled, 1.2, false);
    CHECK(qb_compare(&base, &scaled, &o, &c) == QB_OK);
    CHECK(status_of(&c, "ops/gemm/fp32/none/none", "time") == QB_CMP_REGRESSED);
    CHECK(status_of(&c, "probe.peak/fp32/t1", "gops") == QB_CMP_IMPROVED);
    CHECK(c.gating_regressions > 0);
    qb_comparison_free(&c);

    /* 1% slower: below the threshold, nothing is flagged. */
    slow_down(&tiny, 1.01, true);
    CHECK(qb_compare(&base, &tiny, &o, &c) == QB_OK);
    CHECK(c.count[QB_CMP_REGRESSED] == 0 && c.count[QB_CMP_IMPROVED] == 0 &&
          c.count[QB_CMP_UNRELIABLE] == 0 && c.count[QB_CMP_NOISE] == 0);
    CHECK(c.gating_regressions == 0);
    qb_comparison_free(&c);

    qb_results_free(&base);
    qb_results_free(&same);
    qb_results_free(&slow);
    qb_results_free(&tiny);
    qb_results_free(&scaled);
}

static void test_fixture_pairs(void)
{
    /* A rerun of the same build (samples drawn again) is not a regression;
     * the slow fixture (ops/gemm 20% slower, relu removed, conv added) is. */
    qb_results base, rerun, slow;
    CHECK(qb_results_read("fixtures/compare-base.json", &base) == QB_OK);
    CHECK(qb_results_read("fixtures/compare-rerun.json", &rerun) == QB_OK);
    CHECK(qb_results_read("fixtures/compare-slow.json", &slow) == QB_OK);
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    qb_comparison c;
    CHECK(qb_compare(&base, &rerun, &o, &c) == QB_OK);
    CHECK(c.gating_regressions == 0 && c.count[QB_CMP_IMPROVED] == 0);
    qb_comparison_free(&c);
    CHECK(qb_compare(&base, &slow, &o, &c) == QB_OK);
    CHECK(c.gating_regressions == 1);
    CHECK(status_of(&c, "ops/gemm/fp32/none/none", "time") == QB_CMP_REGRESSED);
    CHECK(status_of(&c, "ops/gemm/fp32/none/none", "gops") == QB_CMP_UNRELIABLE);
    CHECK(c.nadded == 1 && c.nremoved == 1);
    qb_comparison_free(&c);
    qb_results_free(&base);
    qb_results_free(&rerun);
    qb_results_free(&slow);
}

/* Five pairs vote: slower in every pair regresses, in one pair (a busy
 * moment) does not; the quorum decides, pair 1 alone does not. */
static void test_vote(void)
{
    enum { P = 5 };
    /* factor of new over base per pair, for each record (time, lower is better) */
    static const struct {
        const char *name;
        double f[P];
    } recs[] = {
        {"real", {1.2, 1.2, 1.2, 1.2, 1.2}},  /* every pair */
        {"flaky", {1.2, 1, 1, 1, 1}},         /* pair 1 only */
        {"two", {1, 1.3, 1.3, 1, 1}},         /* 2 of 5 */
        {"late", {1, 1.25, 1.25, 1.25, 1}},   /* not pair 1, but 3 of 5 */
        {"better", {0.8, 0.8, 0.8, 1, 1}},    /* improved in 3 */
    };
    const int nr = (int)(sizeof recs / sizeof recs[0]);
    qb_results base[P], cur[P];
    qb_comparison c[P];
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    for (int p = 0; p < P; p++) {
        init_pair(&base[p], &cur[p]);
        for (int i = 0; i < nr; i++) {
            metric_s(rec(&base[p], "ops", recs[i].name), "time", "s", QB_BETTER_LOWER, 1.0, 0.01, 9);
            metric_s(rec(&cur[p], "ops", recs[i].name), "time", "s", QB_BETTER_LOWER, recs[i].f[p], 0.01, 9);
        }
        CHECK(qb_compare(&base[p], &cur[p], &o, &c[p]) == QB_OK);
    }
    CHECK(status_of(&c[0], "ops/flaky", "time") == QB_CMP_REGRESSED);
    CHECK(qb_compare_vote(&c[0], c + 1, P - 1, 0) == QB_EUSAGE);
    CHECK(qb_compare_vote(&c[0], c + 1, P - 1, P + 1) == QB_EUSAGE);
    CHECK(qb_compare_vote(&c[0], c + 1, P - 1, 3) == QB_OK);
    const qb_cmp_metric *x = find(&c[0], "ops/real", "time");
    CHECK(x && x->status == QB_CMP_REGRESSED && x->votes == 5 && x->pairs == 5);
    CHECK(x && fabs(x->change - 0.2) < 1e-9);
    x = find(&c[0], "ops/flaky", "time");
    CHECK(x && x->status == QB_CMP_NOISE && x->votes == 0 && fabs(x->change) < 1e-9);
    CHECK(status_of(&c[0], "ops/two", "time") == QB_CMP_UNCHANGED);
    x = find(&c[0], "ops/late", "time");
    CHECK(x && x->status == QB_CMP_REGRESSED && x->votes == 3 && fabs(x->change - 0.25) < 1e-9);
    CHECK(x && fabs(x->cur_value / x->base_value - 1.25) < 1e-9); /* medians over the pairs */
    x = find(&c[0], "ops/better", "time");
    CHECK(x && x->status == QB_CMP_IMPROVED && x->votes == 3);
    CHECK(c[0].gating_regressions == 2 && c[0].count[QB_CMP_REGRESSED] == 2);
    CHECK(c[0].count[QB_CMP_IMPROVED] == 1 && c[0].count[QB_CMP_NOISE] == 1 && c[0].count[QB_CMP_UNCHANGED] == 1);
    for (int p = 0; p < P; p++) {
        qb_comparison_free(&c[p]);
        qb_results_free(&base[p]);
        qb_results_free(&cur[p]);
    }
}

int main(void)
{
    test_direction();
    test_threshold_and_noise();
    test_too_few_samples();
    test_samples_disagree();
    test_added_removed();
    test_mismatches();
    test_patterns();
    test_gate_param();
    test_noise_scale();
    test_synthetic_and_self();
    test_fixture_pairs();
    test_vote();
    TEST_DONE();
}
