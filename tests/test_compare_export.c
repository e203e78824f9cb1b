/* The comparison's writers (JSON, CSV, Markdown, text) and the results
 * exporters (Google Benchmark JSON, CSV), checked on the fixtures. */
#include "check.h"
#include "compare.h"
#include "compare_format.h"
#include "defaults.h"
#include "error.h"
#include "export.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *render(void (*fn)(FILE *, const qb_cmp_context *, const qb_comparison *),
                    const qb_cmp_context *ctx, const qb_comparison *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, ctx, c);
    fclose(f);
    return buf;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void test_compare_writers(void)
{
    qb_results base, slow;
    CHECK(qb_results_read("fixtures/compare-base.json", &base) == QB_OK);
    CHECK(qb_results_read("fixtures/compare-slow.json", &slow) == QB_OK);
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    qb_comparison c;
    CHECK(qb_compare(&base, &slow, &o, &c) == QB_OK);
    const qb_cmp_context ctx = {"base.json", "slow.json", &base, &slow, &o, 1, 1};

    cJSON *j = qb_compare_to_json(&ctx, &c);
    CHECK(j != NULL);
    CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, "schema")), "qbench.compare/1") == 0);
    const cJSON *sum = cJSON_GetObjectItem(j, "summary");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(sum, "regressed")) == 1);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(sum, "regression")));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "metrics")) == (int)c.nm);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "added")) == 1);
    const cJSON *m;
    int regressed = 0;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(j, "metrics"))
    {
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(m, "status"));
        if (strcmp(st, "regressed") == 0) {
            regressed++;
            CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "metric")), "time") == 0);
            CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "test")), "none") != 0);
            CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(m, "p")) < 0.05);
        }
        if (strcmp(st, "unreliable") == 0) CHECK(cJSON_IsNull(cJSON_GetObjectItem(m, "p")));
    }
    CHECK(regressed == 1);
    cJSON_Delete(j);

    char *csv = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&csv, &len);
    qb_compare_print_csv(f, &c);
    fclose(f);
    CHECK(strncmp(csv, "id,metric,unit,better,base,new,change,", 38) == 0);
    CHECK(count_lines(csv) == (int)c.nm + 1);
    CHECK(strstr(csv, "ops/gemm/fp32/none/none,time,s,lower,") != NULL);
    free(csv);

    char *md = render(qb_compare_print_markdown, &ctx, &c);
    CHECK(strstr(md, "### qbench compare: **regression** in 1 metric") != NULL);
    CHECK(strstr(md, "| ops/gemm/fp32/none/none | time |") != NULL);
    CHECK(strstr(md, "<details>") != NULL);
    free(md);

    char *txt = render(qb_compare_print_text, &ctx, &c);
    CHECK(strstr(txt, "REGRESSED") != NULL);
    CHECK(strstr(txt, "added (1): ops/conv/fp32/none/none") != NULL);
    CHECK(strstr(txt, "removed (1): ops/relu/fp32/none/none") != NULL);
    CHECK(strstr(txt, "result: REGRESSION in 1 gating metric (exit 1)") != NULL);
    free(txt);
    qb_comparison_free(&c);

    /* A CSV field with a comma or quote is quoted. */
    f = open_memstream(&csv, &len);
    qb_csv_field(f, "a,\"b\"");
    fclose(f);
    CHECK(strcmp(csv, "\"a,\"\"b\"\"\"") == 0);
    free(csv);
    qb_results_free(&base);
    qb_results_free(&slow);
}

/* n samples around c, +-1%, deterministic. */
static void add_time(qb_record *r, double c, int n)
{
    double x[16];
    for (int i = 0; i < n; i++) x[i] = c * (1 + 0.01 * (2.0 * i / (n - 1) - 1));
    CHECK(qb_record_metric_samples(r, "time", "s", QB_BETTER_LOWER, x, (size_t)n) == QB_OK);
}

/* The Markdown is a CI comment: worst rows first, at most QB_COMPARE_MD_ROWS,
 * and the whole within QB_COMPARE_MD_CHARS. */
static void test_markdown_fits(void)
{
    qb_results a, b;
    CHECK(qb_results_init(&a) == QB_OK);
    CHECK(qb_results_init(&b) == QB_OK);
    char name[32];
    /* Unreliable rows come first in the files, regressions after them. */
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof name, "a%03d", i);
        CHECK(qb_record_metric(qb_results_add(&a, "g", name), "rate", "x", QB_BETTER_HIGHER, 2) == QB_OK);
        CHECK(qb_record_metric(qb_results_add(&b, "g", name), "rate", "x", QB_BETTER_HIGHER, 1) == QB_OK);
    }
    for (int i = 0; i < 120; i++) {
        snprintf(name, sizeof name, "r%03d", i);
        add_time(qb_results_add(&a, "g", name), 1.0, 9);
        add_time(qb_results_add(&b, "g", name), 1.3, 9);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "s%04d", i);
        add_time(qb_results_add(&a, "g", name), 1.0, 9);
        add_time(qb_results_add(&b, "g", name), 1.0, 9);
    }
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    qb_comparison c;
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    CHECK(c.count[QB_CMP_REGRESSED] == 120 && c.count[QB_CMP_UNRELIABLE] == 30);
    const qb_cmp_context ctx = {"a.json", "b.json", &a, &b, &o, 1, 1};
    char *md = render(qb_compare_print_markdown, &ctx, &c);
    CHECK(strlen(md) <= QB_COMPARE_MD_CHARS);
    const char *first = strstr(md, "| g/");
    CHECK(first && strncmp(first, "| g/r000 | time |", 17) == 0);
    CHECK(strstr(md, "| g/r099 |") != NULL && strstr(md, "| g/r100 |") == NULL);
    CHECK(strstr(md, "| g/a000 |") == NULL); /* past the 100 rows */
    CHECK(strstr(md, "50 more notable rows are not shown here") != NULL);
    CHECK(strstr(md, "<details>") == NULL);
    CHECK(strstr(md, "The table of all 1150 metrics would take this comment past") != NULL);
    CHECK(strstr(md, "120 regressed, 0 improved, 1000 unchanged, 0 noise, 30 unreliable") != NULL);
    free(md);
    qb_comparison_free(&c);

    /* Small enough: every row, ranked, and the full table folded below. */
    qb_results_free(&a);
    qb_results_free(&b);
    CHECK(qb_results_init(&a) == QB_OK);
    CHECK(qb_results_init(&b) == QB_OK);
    CHECK(qb_record_metric(qb_results_add(&a, "g", "a"), "rate", "x", QB_BETTER_HIGHER, 2) == QB_OK);
    CHECK(qb_record_metric(qb_results_add(&b, "g", "a"), "rate", "x", QB_BETTER_HIGHER, 1) == QB_OK);
    add_time(qb_results_add(&a, "g", "z"), 1.0, 9);
    add_time(qb_results_add(&b, "g", "z"), 1.3, 9);
    CHECK(qb_compare(&a, &b, &o, &c) == QB_OK);
    md = render(qb_compare_print_markdown, &ctx, &c);
    const char *z = strstr(md, "| g/z |"), *u = strstr(md, "| g/a |"), *d = strstr(md, "<details>");
    CHECK(z && u && d && z < u && u < d);
    CHECK(strstr(md, "more notable rows") == NULL && strstr(md, "would take this comment") == NULL);
    free(md);
    qb_comparison_free(&c);
    qb_results_free(&a);
    qb_results_free(&b);
}

static const cJSON *bench_named(const cJSON *benches, const char *name, const char *run_type, int nth)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, benches)
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(b, "name")), name) == 0 &&
            strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(b, "run_type")), run_type) == 0 &&
            nth-- == 0)
            return b;
    }
    return NULL;
}

static void test_gbench(void)
{
    qb_results r;
    CHECK(qb_results_read("fixtures/compare-base.json", &r) == QB_OK);
    cJSON *doc = qb_export_gbench(&r, NULL);
    CHECK(doc != NULL);
    const cJSON *ctx = cJSON_GetObjectItem(doc, "context");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(ctx, "num_cpus")) == 2);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(ctx, "mhz_per_cpu")) == 3200);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(ctx, "caches")) == 2);
    const cJSON *benches = cJSON_GetObjectItem(doc, "benchmarks");
    /* One benchmark per record with a time: ops/gemm's 9 samples of about
     * 2.1 ms -> 9 iterations in ms + 3 aggregates. */
    const char *name = "ops/gemm/fp32/none/none";
    int iters = 0;
    for (int i = 0; bench_named(benches, name, "iteration", i); i++) iters++;
    CHECK(iters == 9);
    const cJSON *it = bench_named(benches, name, "iteration", 3);
    CHECK(it && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(it, "time_unit")), "ms") == 0);
    CHECK(it && cJSON_GetNumberValue(cJSON_GetObjectItem(it, "repetitions")) == 9);
    CHECK(it && cJSON_GetNumberValue(cJSON_GetObjectItem(it, "repetition_index")) == 3);
    const qb_metric *t = qb_record_find_metric(qb_results_find(&r, "ops/gemm/fp32/none/none"), "time");
    CHECK(it && t && fabs(cJSON_GetNumberValue(cJSON_GetObjectItem(it, "real_time")) - 1e3 * t->samples[3]) < 1e-9);
    /* its rate is a counter (without samples of its own: its value in every repetition) */
    const qb_metric *gops = qb_record_find_metric(qb_results_find(&r, "ops/gemm/fp32/none/none"), "gops");
    CHECK(it && gops && cJSON_GetNumberValue(cJSON_GetObjectItem(it, "gops")) == gops->value);
    CHECK(it && !cJSON_GetObjectItem(it, "bytes")); /* better: none */
    const cJSON *med = bench_named(benches, "ops/gemm/fp32/none/none_median", "aggregate", 0);
    CHECK(med && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(med, "aggregate_name")), "median") == 0);
    CHECK(med && t && fabs(cJSON_GetNumberValue(cJSON_GetObjectItem(med, "real_time")) - 1e3 * t->st.median) < 1e-9);
    CHECK(med && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(med, "run_name")), name) == 0);
    CHECK(bench_named(benches, "ops/gemm/fp32/none/none_cv", "aggregate", 0) == NULL);
    /* A latency in ns is a time; records without a time are left out. */
    CHECK(bench_named(benches, "probe.ctx/syscall", "iteration", 2) != NULL);
    CHECK(bench_named(benches, "probe.peak/fp32/t1", "iteration", 0) == NULL);
    CHECK(bench_named(benches, "probe.inst/add-r64", "iteration", 0) == NULL);
    cJSON_Delete(doc);
    /* A filter narrows the export: only records whose time it selects. */
    doc = qb_export_gbench(&r, "*:latency");
    const cJSON *b;
    int n = 0;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(doc, "benchmarks"))
    {
        n++;
        CHECK(strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(b, "name")), "probe.ctx/syscall", 17) == 0);
    }
    CHECK(n == 3 + 3); /* syscall: 3 samples + 3 aggregates */
    cJSON_Delete(doc);
    qb_results_free(&r);
}

static void test_csv_export(void)
{
    qb_results r;
    CHECK(qb_results_read("fixtures/compare-base.json", &r) == QB_OK);
    char *csv = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&csv, &len);
    qb_export_csv(f, &r, NULL);
    fclose(f);
    size_t metrics = 0;
    for (size_t i = 0; i < r.n; i++) metrics += r.recs[i].nmetrics;
    CHECK(count_lines(csv) == (int)metrics + 1);
    CHECK(strncmp(csv, "id,group,metric,unit,better,value,n,median,", 43) == 0);
    /* params hold commas, so the JSON is quoted. */
    CHECK(strstr(csv, "\"{\"\"threads\"\":1,\"\"dtype\"\":\"\"fp32\"\"}\"") != NULL);
    CHECK(strstr(csv, "quant/gaussian/int8-symmetric-per-tensor,quant,nsr,ratio,lower,0.00012,0,,,") != NULL);
    free(csv);
    qb_results_free(&r);
}

int main(void)
{
    test_compare_writers();
    test_markdown_fits();
    test_gbench();
    test_csv_export();
    TEST_DONE();
}
