/* qbench net's tables (net_print.h), from the records alone. */
#include "net_print.h"

#include "ceilings.h"
#include "defaults.h"
#include "error.h"
#include "fmt.h"
#include "net_answer.h"
#include "output.h"
#include "profile.h"
#include "roofline.h"
#include "roofline_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Layer records of configuration c, in record order. */
static int layers_of(const qb_results *res, const qb_record *c, const qb_record **out, int max)
{
    const size_t n = strlen(c->id);
    int k = 0;
    for (size_t i = 0; i < res->n && k < max; i++) {
        const qb_record *r = &res->recs[i];
        if (strncmp(r->id, c->id, n) == 0 && strncmp(r->id + n, "/L", 2) == 0) out[k++] = r;
    }
    return k;
}

static int by_time(const void *a, const void *b)
{
    const double x = qb_metric_value(*(const qb_record *const *)a, "time");
    const double y = qb_metric_value(*(const qb_record *const *)b, "time");
    return x < y ? 1 : x > y ? -1 : 0;
}

static void e2e_table(const qb_results *res)
{
    static const char *const head[] = {"variant", "batch", "threads", "p50 ms", "p90 ms", "p99 ms",
                                       "images/s", "layer sum ms", "sum/e2e", "peak act", "NSR", "dB", "cosine"};
    qb_table t;
    qb_table_init(&t, 13, head);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (!qb_net_is_config(r)) continue;
        const double p50 = qb_metric_value(r, "latency"), sum = qb_metric_value(r, "layer_sum");
        char peak[32], nsr[24] = "-", db[24] = "-", cs[24] = "-";
        qb_fmt_bytes(peak, sizeof peak, qb_metric_value(r, "peak_activation_bytes"));
        if (qb_record_find_metric(r, "nsr")) {
            snprintf(nsr, sizeof nsr, "%.2g", qb_metric_value(r, "nsr"));
            snprintf(db, sizeof db, "%.1f", qb_metric_value(r, "nsr_db"));
            snprintf(cs, sizeof cs, "%.5f", qb_metric_value(r, "cosine"));
        }
        qb_table_rowf(&t, "%s\t%.0f\t%.0f\t%.3f\t%.3f\t%.3f\t%.1f\t%.3f\t%.2f\t%s\t%s\t%s\t%s",
                      qb_param_str(r, "variant"), qb_param_num(r, "batch"), qb_param_num(r, "threads"),
                      1e3 * p50, 1e3 * qb_metric_value(r, "latency_p90"),
                      1e3 * qb_metric_value(r, "latency_p99"), qb_metric_value(r, "throughput"),
                      1e3 * sum, p50 > 0 ? sum / p50 : 0, peak, nsr, db, cs);
    }
    printf("End to end: the whole graph back to back (latency percentiles over the runs), and the sum\n"
           "of the layers' median times beside it\n\n");
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (!qb_net_is_config(r) || !(qb_param_num(r, "skipped") > 0)) continue;
        printf("\nLeft out (unsupported): %.0f layer(s), %.1f%% of the operations: %s\n",
               qb_param_num(r, "skipped"), 100 * qb_param_num(r, "skipped_ops_share"),
               qb_param_str(r, "skipped_layers"));
        break;
    }
}

/* The profiled configuration: the first batch and the last thread count
 * of the run (where the accuracy is measured too). */
static bool profiled(const qb_results *res, const qb_record *r)
{
    double b0 = -1, tl = -1;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *c = &res->recs[i];
        if (!qb_net_is_config(c)) continue;
        if (b0 < 0) b0 = qb_param_num(c, "batch");
        tl = qb_param_num(c, "threads");
    }
    return qb_param_num(r, "batch") == b0 && qb_param_num(r, "threads") == tl;
}

/* The ceilings of the stored machine profile for `threads`, never measured
 * here (qbench roofline stores them): false when there is none. */
static bool stored_ceilings(int threads, qb_ceilings *c)
{
    qb_results prof;
    bool stale = false;
    int rc = qb_profile_load(&prof, &stale);
    if (!rc) {
        rc = qb_ceilings_from_results(&prof, threads, c);
        qb_results_free(&prof);
    }
    if (rc) qb_clear_error();
    return rc == QB_OK;
}

/* Where a layer sits on the roofline: "compute 40%" or "L2 63%" (the level
 * its footprint lives in bounds it; the share is of that roof). */
static void placement(const qb_ceilings *c, const qb_record *cfg, const qb_record *l, char *buf, size_t len)
{
    snprintf(buf, len, "-");
    if (!c) return;
    const char *cdt = qb_roofline_roof_dtype(c, cfg);
    const qb_rl_point p = {.ops = qb_metric_value(l, "ops"), .bytes = qb_metric_value(l, "bytes"),
                           .seconds = qb_metric_value(l, "time")};
    qb_rl_result a;
    if (!cdt || !(p.seconds > 0 && p.bytes > 0) || qb_roofline_analyse(c, cdt, &p, true, &a) != QB_OK) {
        qb_clear_error();
        return;
    }
    snprintf(buf, len, "%s %.0f%%", a.verdict == QB_RL_COMPUTE_BOUND ? "compute" : c->memory[a.bound_level].level,
             100 * a.efficiency);
}

static void top_layers(const qb_results *res, const qb_record *c)
{
    qb_ceilings ceil;
    const bool have_ceil = stored_ceilings((int)qb_param_num(c, "threads"), &ceil);
    const qb_record **l = malloc(res->n * sizeof *l);
    if (!l) return;
    const int n = layers_of(res, c, l, (int)res->n);
    qsort(l, (size_t)n, sizeof *l, by_time);
    static const char *const head[] = {"layer", "op", "kernel", "fused", "ms", "share %", "cum %",
                                       "GOP/s", "roofline", "NSR isolated", "NSR accum."};
    qb_table t;
    qb_table_init(&t, 11, head);
    double cum = 0;
    for (int i = 0; i < n && i < QB_NET_TOP_LAYERS; i++) {
        const qb_record *r = l[i];
        cum += qb_metric_value(r, "share");
        char iso[24] = "-", acc[24] = "-";
        if (qb_record_find_metric(r, "nsr_isolated")) snprintf(iso, sizeof iso, "%.2g", qb_metric_value(r, "nsr_isolated"));
        if (qb_record_find_metric(r, "nsr_accumulated")) snprintf(acc, sizeof acc, "%.2g", qb_metric_value(r, "nsr_accumulated"));
        char roof[32];
        placement(have_ceil ? &ceil : NULL, c, r, roof, sizeof roof);
        qb_table_rowf(&t, "%s\t%s\t%s\t%s\t%.3f\t%.1f\t%.1f\t%.1f\t%s\t%s\t%s", qb_param_str(r, "node"),
                      qb_param_str(r, "op"), qb_param_str(r, "kernel"),
                      *qb_param_str(r, "fused") ? qb_param_str(r, "fused") : "-",
                      1e3 * qb_metric_value(r, "time"), qb_metric_value(r, "share"), cum,
                      qb_metric_value(r, "gops"), roof, iso, acc);
    }
    printf("\nTop layers by time: %s %s, batch %.0f, %.0f thread(s) (median of %.0f profiled runs; %d layers run)%s\n\n",
           qb_param_str(c, "model"), qb_param_str(c, "variant"), qb_param_num(c, "batch"),
           qb_param_num(c, "threads"), qb_param_num(c, "profiled_runs"), n,
           have_ceil ? "" : "\n(roofline: no stored machine profile; qbench roofline stores one)");
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    /* totals per operator class */
    const char *ops[32];
    double ms[32] = {0};
    int cnt[32] = {0}, nops = 0;
    for (int i = 0; i < n; i++) {
        const char *op = qb_param_str(l[i], "op");
        int k = 0;
        while (k < nops && strcmp(ops[k], op) != 0) k++;
        if (k == nops) {
            if (nops == 32) continue;
            ops[nops++] = op;
        }
        ms[k] += 1e3 * qb_metric_value(l[i], "time");
        cnt[k]++;
    }
    static const char *const h2[] = {"op class", "layers", "ms", "share %"};
    qb_table_init(&t, 4, h2);
    const double sum = 1e3 * qb_metric_value(c, "layer_sum");
    for (int done = 0; done < nops; done++) {
        int b = -1;
        for (int k = 0; k < nops; k++)
            if (cnt[k] >= 0 && (b < 0 || ms[k] > ms[b])) b = k;
        qb_table_rowf(&t, "%s\t%d\t%.3f\t%.1f", ops[b], cnt[b], ms[b], sum > 0 ? 100 * ms[b] / sum : 0);
        cnt[b] = -1;
    }
    qb_table_rowf(&t, "total (layer sum)\t%d\t%.3f\t100.0", n, sum);
    qb_table_rowf(&t, "end to end (p50)\t-\t%.3f\t-", 1e3 * qb_metric_value(c, "latency"));
    printf("\n");
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    free(l);
}

/* The answer lines (reports/net_answer.h): one per model and thread count. */
static void answers(const qb_results *res)
{
    enum { MAX_ANSWERS = 64 }; /* models x thread counts of one run */
    qb_net_answer a[MAX_ANSWERS];
    const int n = qb_net_answers(res, a, MAX_ANSWERS);
    if (n > 0) printf("\n");
    for (int i = 0; i < n; i++) {
        char line[256];
        qb_net_answer_format(&a[i], line, sizeof line);
        printf("%s\n", line);
    }
}

void qb_net_print(const qb_results *res)
{
    e2e_table(res);
    for (size_t i = 0; i < res->n; i++)
        if (qb_net_is_config(&res->recs[i]) && profiled(res, &res->recs[i])) top_layers(res, &res->recs[i]);
    answers(res);
    qb_print_notes(res);
}
