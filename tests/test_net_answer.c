/* The network answer line (reports/net_answer.h) on records built here:
 * int8 is chosen before a faster fp16, the fastest int8 of two; a
 * configuration without accuracy takes its variant's; a slower variant is
 * called slower; no fp32 means no answer; and qb_net_answers gives one line
 * per model and thread count at the model's first batch. Then the
 * committed qbench net file: the line the report shows, from its records. */
#include "check.h"
#include "error.h"
#include "net_answer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* One end-to-end record, as qbench net writes it (the fields the answer reads). */
static void config(qb_results *res, const char *model, const char *variant, int batch, int threads,
                   double latency, double nsr)
{
    char id[160];
    snprintf(id, sizeof id, "%s/%s/b%d/t%d", model, variant, batch, threads);
    qb_record *r = qb_results_add(res, "net", id);
    CHECK(r != NULL);
    if (!r) return;
    const char *dtype = strncmp(variant, "int8", 4) == 0 ? "int8" : variant;
    CHECK(qb_record_param_str(r, "model", model) == QB_OK);
    CHECK(qb_record_param_str(r, "variant", variant) == QB_OK);
    CHECK(qb_record_param_str(r, "dtype", dtype) == QB_OK);
    CHECK(qb_record_param_num(r, "batch", batch) == QB_OK);
    CHECK(qb_record_param_num(r, "threads", threads) == QB_OK);
    const double s[3] = {latency, latency * 0.99, latency * 1.01};
    CHECK(qb_record_metric_samples(r, "latency", "s", QB_BETTER_LOWER, s, 3) == QB_OK);
    if (nsr > 0) {
        CHECK(qb_record_metric(r, "nsr", "ratio", QB_BETTER_LOWER, nsr) == QB_OK);
        CHECK(qb_record_metric(r, "nsr_db", "dB", QB_BETTER_LOWER, 10 * log10(nsr)) == QB_OK);
    }
}

static void synthetic(void)
{
    qb_results res;
    CHECK(qb_results_init(&res) == QB_OK);
    /* batch 1 on 1 and 2 threads; accuracy only on 2 threads, as qbench net records it */
    config(&res, "tiny", "fp32", 1, 1, 0.030, 0);
    config(&res, "tiny", "fp16", 1, 1, 0.005, 0);
    config(&res, "tiny", "int8-per-tensor", 1, 1, 0.012, 0);
    config(&res, "tiny", "int8-per-channel", 1, 1, 0.010, 0);
    config(&res, "tiny", "fp32", 1, 2, 0.020, 0);
    config(&res, "tiny", "int8-per-channel", 1, 2, 0.040, 3e-4);
    config(&res, "tiny", "fp32", 8, 1, 0.200, 0);
    config(&res, "tiny", "int8-per-channel", 8, 1, 0.080, 0);
    config(&res, "fp32only", "fp32", 1, 1, 0.010, 0);

    qb_net_answer a;
    char line[256];
    CHECK(qb_net_answer_at(&res, "tiny", 1, 1, &a));
    CHECK(strcmp(qb_param_str(a.best, "variant"), "int8-per-channel") == 0);
    CHECK_NEAR(a.speedup, 3.0, 1e-9);
    CHECK_NEAR(a.nsr, 3e-4, 1e-12); /* from the 2-thread record of the same variant */
    qb_net_answer_format(&a, line, sizeof line);
    CHECK(strcmp(line, "INT8 per-channel: 3x faster end to end than FP32 on 1 thread (batch 1), "
                       "output NSR 0.0003 (-35 dB)") == 0);

    CHECK(qb_net_answer_at(&res, "tiny", 1, 2, &a));
    qb_net_answer_format(&a, line, sizeof line);
    CHECK(strcmp(line, "INT8 per-channel: 2x slower end to end than FP32 on 2 threads (batch 1), "
                       "output NSR 0.0003 (-35 dB)") == 0);

    CHECK(!qb_net_answer_at(&res, "fp32only", 1, 1, &a));
    CHECK(!qb_net_answer_at(&res, "tiny", 4, 1, &a));

    qb_net_answer all[8];
    CHECK(qb_net_answers(&res, all, 8) == 2); /* tiny at batch 1 on 1 and 2 threads */
    CHECK(qb_param_num(all[0].best, "threads") == 1 && qb_param_num(all[1].best, "threads") == 2);
    CHECK(qb_param_num(all[0].best, "batch") == 1);
    CHECK(qb_net_answers(&res, all, 1) == 1);

    /* no accuracy anywhere for the variant */
    qb_results r2;
    CHECK(qb_results_init(&r2) == QB_OK);
    config(&r2, "m", "fp32", 1, 1, 0.010, 0);
    config(&r2, "m", "fp16", 1, 1, 0.004, 0);
    CHECK(qb_net_answer_at(&r2, "m", 1, 1, &a));
    CHECK(isnan(a.nsr));
    qb_net_answer_format(&a, line, sizeof line);
    CHECK(strcmp(line, "FP16: 2.5x faster end to end than FP32 on 1 thread (batch 1), accuracy not measured") == 0);
    qb_results_free(&r2);
    qb_results_free(&res);
}

/* The committed qbench net file: its answer is its own fp32 latency over
 * its fastest int8 variant's, on each thread count. */
static void from_file(void)
{
    qb_results res;
    if (qb_results_read("fixtures/net-mobilenet-v2.json", &res) != QB_OK) {
        CHECK(!"fixtures/net-mobilenet-v2.json reads");
        return;
    }
    qb_net_answer a[4];
    const int n = qb_net_answers(&res, a, 4);
    CHECK(n == 2);
    for (int i = 0; i < n; i++) {
        const double t = qb_param_num(a[i].best, "threads");
        double f32 = NAN, best = INFINITY;
        for (size_t k = 0; k < res.n; k++) {
            const qb_record *r = &res.recs[k];
            if (!qb_net_is_config(r) || qb_param_num(r, "threads") != t) continue;
            if (strcmp(qb_param_str(r, "variant"), "fp32") == 0) f32 = qb_metric_value(r, "latency");
            if (strncmp(qb_param_str(r, "variant"), "int8", 4) == 0 && qb_metric_value(r, "latency") < best)
                best = qb_metric_value(r, "latency");
        }
        CHECK_NEAR(a[i].speedup, f32 / best, 1e-12);
        CHECK(isfinite(a[i].nsr) && a[i].nsr > 0);
    }
    qb_results_free(&res);
}

int main(void)
{
    synthetic();
    from_file();
    TEST_DONE();
}
