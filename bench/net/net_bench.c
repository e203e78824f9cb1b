/* qbench net's measurements (net_bench.h): per configuration the executor
 * is created (weights prepared, int8 calibrated), warmed up, timed end to
 * end until the budget is spent, then timed layer by layer over a few runs;
 * fp16 and int8 also get their accuracy against fp32. */
#include "net_bench.h"

#include "defaults.h"
#include "error.h"
#include "gemm.h"
#include "interrupt.h"
#include "net_accuracy.h"
#include "ops_compute_util.h"
#include "pin.h"
#include "stats.h"
#include "suite.h"
#include "timer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *qb_net_variant_name(qb_dtype d, qb_qgran g)
{
    if (d != QB_INT8) return qb_dtype_name(d);
    return g == QB_PER_CHANNEL ? "int8-per-channel" : "int8-per-tensor";
}

typedef struct {
    const qb_net_graph *g;
    const qb_net_bench_opts *o;
    qb_dtype dtype;
    qb_qgran gran;
    long batch;
    int threads;
    bool accuracy;
} config;

static double median_of(double *x, size_t n)
{
    qb_sort_doubles(x, n);
    return qb_percentile_sorted(x, n, 50);
}

/* Profiled run r: each layer's time into runs[node * nprof + r] (s). */
static int profile_run(qb_net_exec *e, const float *in, double *ns, double *runs, int nnodes, int nprof, int r)
{
    const int rc = qb_net_exec_run(e, in, ns);
    for (int i = 0; i < nnodes && !rc; i++) runs[(size_t)i * (size_t)nprof + (size_t)r] = ns[i] * 1e-9;
    return rc;
}

/* End-to-end samples (seconds): warm-up, then runs until the budget is
 * spent with at least pol->min_reps kept. The nprof profiled runs (each
 * layer timed, into runs[node * nprof + r], seconds) are spread evenly over
 * the same budget, not run after it: on a shared host the pace moves within
 * seconds, and the layer sum is compared with the end-to-end median, so
 * both must see the same spells. */
static int time_e2e(qb_net_exec *e, const float *in, const qb_rep_policy *pol, double budget,
                    double *ns, double *runs, int nnodes, int nprof, double **out, size_t *n)
{
    for (int i = 0; i < (pol->warmup > 0 ? pol->warmup : 1); i++) {
        int rc = qb_net_exec_run(e, in, NULL);
        if (rc) return rc;
    }
    double *s = malloc(QB_NET_MAX_SAMPLES * sizeof *s);
    if (!s) return qb_fail(QB_ENOMEM, "out of memory");
    size_t k = 0;
    int prof = 0;
    int rc = QB_OK;
    const uint64_t start = qb_now_ns();
    while (k < QB_NET_MAX_SAMPLES && !rc) {
        /* profiled run r when a fraction r / nprof of the budget is spent */
        if (prof < nprof && (double)(qb_now_ns() - start) * 1e-9 >= budget * prof / nprof) {
            rc = profile_run(e, in, ns, runs, nnodes, nprof, prof++);
            continue;
        }
        const uint64_t t0 = qb_now_ns();
        rc = qb_net_exec_run(e, in, NULL);
        const uint64_t t1 = qb_now_ns();
        if (rc) break;
        s[k++] = (double)(t1 - t0) * 1e-9;
        if (k >= (size_t)pol->min_reps && (double)(t1 - start) * 1e-9 >= budget) break;
        if (qb_interrupted()) break;
    }
    /* the budget spent before every profiled run had its turn */
    for (; prof < nprof && !rc; prof++) rc = profile_run(e, in, ns, runs, nnodes, nprof, prof);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    *n = k;
    return QB_OK;
}

static int layer_record(qb_results *res, const char *base, const config *c, const qb_net_exec *e,
                        int i, double t, double sum, const qb_net_accuracy *acc)
{
    const qb_net_graph *g = c->g;
    const qb_net_node *nd = &g->nodes[i];
    const qb_net_layer *l = qb_net_exec_layer(e, i);
    char name[512];
    snprintf(name, sizeof name, "%s/L%03d", base, i);
    qb_record *r = qb_results_add(res, "net", name);
    if (!r) return QB_ENOMEM;
    const double ops = qb_net_node_ops(g, nd), bytes = qb_net_node_bytes(g, nd, (double)qb_dtype_bytes(c->dtype));
    int rc = qb_record_param_num(r, "index", i);
    if (!rc) rc = qb_record_param_str(r, "node", nd->name);
    if (!rc) rc = qb_record_param_str(r, "op", qb_net_op_name(nd->op));
    if (!rc) rc = qb_record_param_str(r, "kernel", l->kernel ? l->kernel : "");
    if (!rc) rc = qb_record_param_str(r, "fused", l->fused);
    if (!rc && l->weights) rc = qb_record_param_str(r, "weights", l->weights);
    if (!rc) rc = qb_record_param_str(r, "variant", qb_net_variant_name(c->dtype, c->gran));
    if (!rc && bytes > 0) rc = qb_record_param_num(r, "intensity", ops / bytes);
    if (!rc) rc = qb_record_metric(r, "time", "s", QB_BETTER_LOWER, t);
    if (!rc) rc = qb_record_metric(r, "share", "%", QB_BETTER_NONE, sum > 0 ? 100 * t / sum : 0);
    if (!rc) rc = qb_record_metric(r, "gops", "GOP/s", QB_BETTER_HIGHER, t > 0 ? ops / t * 1e-9 : 0);
    if (!rc) rc = qb_record_metric(r, "ops", "op", QB_BETTER_NONE, ops);
    if (!rc) rc = qb_record_metric(r, "bytes", "B", QB_BETTER_NONE, bytes);
    if (!rc && acc && acc->isolated[i].n)
        rc = qb_record_metric(r, "nsr_isolated", "ratio", QB_BETTER_LOWER, acc->isolated[i].nsr);
    if (!rc && acc && acc->accumulated[i].n)
        rc = qb_record_metric(r, "nsr_accumulated", "ratio", QB_BETTER_LOWER, acc->accumulated[i].nsr);
    if (!rc) rc = qb_record_no_gate(r, "one layer's share of a network run");
    return rc;
}

static int measure_config(qb_results *res, const config *c, const qb_rep_policy *pol)
{
    const qb_net_graph *g = c->g;
    const qb_net_bench_opts *o = c->o;
    const qb_net_exec_opts eo = {
        .dtype = c->dtype,
        .gran = c->gran,
        .threads = c->threads,
        .calib = o->calib,
        .percentile = o->percentile,
        .calib_batches = o->quick ? QB_NET_QUICK_CALIB_BATCHES : QB_NET_CALIB_BATCHES,
        .seed = o->seed,
        .skip_unsupported = o->load.skip_unsupported,
        .planar = o->planar,
    };
    qb_net_exec *e = NULL;
    int rc = qb_net_exec_create(g, &eo, &e);
    if (rc) return rc;
    const size_t nin = (size_t)qb_net_numel(&g->tensors[g->input]);
    float *in = malloc(nin * sizeof *in);
    double *ns = calloc((size_t)g->nnodes, sizeof *ns), *runs = NULL, *samples = NULL;
    const int nprof = o->quick ? QB_NET_QUICK_PROFILE_RUNS : QB_NET_PROFILE_RUNS;
    runs = calloc((size_t)g->nnodes * (size_t)nprof, sizeof *runs);
    qb_net_accuracy acc = {0};
    bool have_acc = false;
    size_t nsamp = 0;
    if (!in || !ns || !runs) {
        rc = qb_fail(QB_ENOMEM, "out of memory");
        goto done;
    }
    qb_cq_fill(in, nin, o->seed + 500, -1.0f, 1.0f);
    rc = time_e2e(e, in, pol, o->budget_s, ns, runs, g->nnodes, nprof, &samples, &nsamp);
    if (rc) goto done;
    if (c->accuracy) {
        /* at batch 1: the analysis keeps every tensor of two runs */
        qb_net_graph g1;
        qb_net_load_opts lo = o->load;
        lo.batch = 1;
        rc = c->batch == 1 ? QB_OK : qb_net_load(o->model, &lo, &g1);
        if (rc) goto done;
        const qb_net_graph *ga = c->batch == 1 ? g : &g1;
        rc = ga->nnodes == g->nnodes
                 ? qb_net_accuracy_run(ga, &eo, o->quick ? QB_NET_QUICK_ACCURACY_BATCHES : QB_NET_ACCURACY_BATCHES, &acc)
                 : qb_fail(QB_EINTERNAL, "network %s: batch 1 has other layers", g->name);
        if (c->batch != 1) qb_net_free(&g1);
        if (rc) goto done;
        have_acc = true;
    }
    char base[320];
    snprintf(base, sizeof base, "%s/%s/b%ld/t%d", g->name, qb_net_variant_name(c->dtype, c->gran),
             c->batch, c->threads);
    double sum = 0, total_ops = 0, skipped_ops = 0;
    int layers = 0, fused = 0, skipped = 0;
    for (int i = 0; i < g->nnodes; i++) {
        ns[i] = median_of(runs + (size_t)i * (size_t)nprof, (size_t)nprof);
        sum += ns[i];
        const qb_net_layer *l = qb_net_exec_layer(e, i);
        const double ops = qb_net_node_ops(g, &g->nodes[i]);
        total_ops += ops;
        if (l->skipped) skipped++, skipped_ops += ops;
        if (l->active) layers++;
        if (l->fused[0]) fused++;
    }
    /* nodes the importer dropped (--skip-unsupported) count as skipped too */
    for (int k = 0; k < g->nskipped; k++) {
        skipped++;
        skipped_ops += g->skipped[k].ops;
        total_ops += g->skipped[k].ops;
    }
    qb_record *r = qb_results_add(res, "net", base);
    if (!r) {
        rc = QB_ENOMEM;
        goto done;
    }
    double *sorted = malloc(nsamp * sizeof *sorted);
    if (!sorted) {
        rc = qb_fail(QB_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(sorted, samples, nsamp * sizeof *sorted);
    qb_sort_doubles(sorted, nsamp);
    const double p50 = qb_percentile_sorted(sorted, nsamp, 50);
    const double p90 = qb_percentile_sorted(sorted, nsamp, 90), p99 = qb_percentile_sorted(sorted, nsamp, 99);
    free(sorted);
    rc = qb_record_param_str(r, "model", g->name);
    if (!rc) rc = qb_record_param_str(r, "variant", qb_net_variant_name(c->dtype, c->gran));
    if (!rc) rc = qb_record_param_str(r, "dtype", qb_dtype_name(c->dtype));
    if (!rc) rc = qb_record_param_str(r, "quant", qb_qgran_name(c->dtype == QB_INT8 ? c->gran : QB_QNONE));
    if (!rc) rc = qb_record_param_num(r, "batch", (double)c->batch);
    if (!rc) rc = qb_record_param_num(r, "threads", c->threads);
    if (!rc) rc = qb_record_param_str(r, "layout", qb_net_exec_channels_last(e) ? "nhwc" : "nchw");
    if (!rc && c->dtype == QB_INT8)
        rc = qb_record_param_str(r, "calib", o->calib == QB_CALIB_ABSMAX ? "absmax" : "percentile");
    if (!rc && c->dtype == QB_INT8)
        rc = qb_record_param_num(r, "file_scales", qb_net_exec_file_scales(e));
    if (!rc && c->dtype == QB_INT8 && o->calib == QB_CALIB_PERCENTILE)
        rc = qb_record_param_num(r, "percentile", o->percentile);
    if (!rc)
        rc = qb_record_param_str(r, "isa", c->dtype == QB_INT8 ? qb_gemm_isa_name(QB_ISA_AUTO)
                                                              : qb_gemm_float_isa_name(QB_ISA_AUTO, c->dtype == QB_FP16));
    if (!rc) rc = qb_record_param_num(r, "layers", layers);
    if (!rc) rc = qb_record_param_num(r, "fused", fused);
    if (!rc) rc = qb_record_param_num(r, "skipped", skipped);
    if (!rc && skipped) rc = qb_record_param_num(r, "skipped_ops_share", total_ops > 0 ? skipped_ops / total_ops : 0);
    if (!rc && skipped) {
        char list[512] = "";
        size_t len = 0;
        for (int i = 0; i < g->nnodes && len < sizeof list - 1; i++)
            if (qb_net_exec_layer(e, i)->skipped)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s (%s)", len ? ", " : "",
                                        g->nodes[i].name, qb_net_op_name(g->nodes[i].op));
        for (int k = 0; k < g->nskipped && len < sizeof list - 1; k++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s (%s)", len ? ", " : "",
                                    g->skipped[k].name, g->skipped[k].op_type);
        rc = qb_record_param_str(r, "skipped_layers", list);
    }
    if (!rc) rc = qb_record_param_num(r, "profiled_runs", nprof);
    if (!rc) rc = qb_record_metric_samples(r, "latency", "s", QB_BETTER_LOWER, samples, nsamp);
    if (!rc) rc = qb_record_metric(r, "latency_p90", "s", QB_BETTER_LOWER, p90);
    if (!rc) rc = qb_record_metric(r, "latency_p99", "s", QB_BETTER_LOWER, p99);
    if (!rc) rc = qb_record_metric(r, "throughput", "images/s", QB_BETTER_HIGHER, p50 > 0 ? (double)c->batch / p50 : 0);
    if (!rc) rc = qb_record_metric(r, "layer_sum", "s", QB_BETTER_LOWER, sum);
    if (!rc) rc = qb_record_metric(r, "gops", "GOP/s", QB_BETTER_HIGHER, p50 > 0 ? total_ops / p50 * 1e-9 : 0);
    if (!rc) rc = qb_record_metric(r, "ops", "op", QB_BETTER_NONE, total_ops);
    if (!rc) rc = qb_record_metric(r, "peak_activation_bytes", "B", QB_BETTER_LOWER, (double)qb_net_exec_peak_bytes(e));
    if (!rc) rc = qb_record_metric(r, "activation_bytes", "B", QB_BETTER_NONE, (double)qb_net_exec_total_bytes(e));
    if (!rc && have_acc) {
        rc = qb_record_metric(r, "nsr", "ratio", QB_BETTER_LOWER, acc.output.nsr);
        if (!rc) rc = qb_record_metric(r, "nsr_db", "dB", QB_BETTER_LOWER, acc.output.nsr_db);
        if (!rc) rc = qb_record_metric(r, "cosine", "ratio", QB_BETTER_HIGHER, acc.output.cosine);
    }
    if (!rc) rc = qb_record_host_shared(r, c->threads, "a network run");
    for (int i = 0; i < g->nnodes && !rc; i++)
        if (qb_net_exec_layer(e, i)->active)
            rc = layer_record(res, base, c, e, i, ns[i], sum, have_acc ? &acc : NULL);
done:
    qb_net_exec_destroy(e);
    if (have_acc) qb_net_accuracy_free(&acc);
    free(in);
    free(ns);
    free(runs);
    free(samples);
    return rc;
}

int qb_net_bench_measure(qb_results *res, const qb_net_bench_opts *o, const qb_rep_policy *pol)
{
    int rc = QB_OK;
    /* as qbench ops does: the calling thread on the first allowed CPU and
     * each thread of the largest team on its own, so a run does not move
     * between CPUs mid-measurement (on a virtual machine two vCPUs can
     * differ in speed for minutes, and a layer timed on one and the whole
     * graph on the other would not add up); where pinning is refused, the
     * runs go on unpinned */
    int maxt = 1;
    for (int t = 0; t < o->nthreads; t++) maxt = o->threads[t] > maxt ? o->threads[t] : maxt;
    cpu_set_t saved;
    const bool pinned = qb_pin_team(maxt, &saved) == QB_OK;
    for (int b = 0; b < o->nbatches && !rc; b++) {
        qb_net_load_opts lo = o->load;
        lo.batch = o->batches[b];
        qb_net_graph g;
        rc = qb_net_load(o->model, &lo, &g);
        if (rc) return rc;
        for (int t = 0; t < o->nthreads && !rc; t++)
            for (int d = 0; d < o->ndtypes && !rc; d++) {
                const int ng = o->dtypes[d] == QB_INT8 ? o->ngrans : 1;
                for (int k = 0; k < ng && !rc; k++) {
                    const config c = {.g = &g, .o = o, .dtype = o->dtypes[d],
                                      .gran = o->dtypes[d] == QB_INT8 ? o->grans[k] : QB_QNONE,
                                      .batch = o->batches[b], .threads = o->threads[t],
                                      .accuracy = o->dtypes[d] != QB_FP32 && b == 0 && t == o->nthreads - 1};
                    rc = measure_config(res, &c, pol);
                    if (!rc && qb_interrupted()) rc = QB_EINTR;
                }
            }
        qb_net_free(&g);
    }
    if (pinned) qb_unpin_self(&saved);
    return rc;
}
