/* The measurements behind `qbench net`: a model loaded at each batch size,
 * run by the executor in each dtype (int8 per granularity) on each thread
 * count.
 *
 * Records (group "net"):
 *  net/<model>/<variant>/b<batch>/t<threads>: one configuration; variant is
 *   fp32, fp16, int8-per-tensor or int8-per-channel. Metrics: latency (s,
 *   samples of end-to-end runs, the whole graph back to back), latency_p90,
 *   latency_p99 (s), throughput (images/s from the median), layer_sum (s:
 *   the sum of the layers' median times), gops (GOP/s end to end), ops (op),
 *   peak_activation_bytes (B: the planned arena) and activation_bytes (B:
 *   the same tensors without reuse); for fp16/int8 at the first batch and the
 *   last thread count, nsr, nsr_db and cosine of the output against fp32
 *   (measured on the model at batch 1: the analysis keeps every tensor).
 *   Params: model, variant, dtype, quant, batch, threads, layout (nhwc
 *   or nchw: how the executor stored the activations), calib and
 *   file_scales (int8: activations whose params a QDQ model gave), layers,
 *   fused, skipped (with the skipped share of the operations and names).
 *  <that id>/L<index>: one layer. Metrics: time (s, median of the profiled
 *   runs), share (% of the layer sum), gops, ops, bytes; with accuracy,
 *   nsr_isolated and nsr_accumulated. Params: index, node, op, kernel, fused,
 *   intensity (op/B at the dtype's element size). */
#ifndef QB_NET_BENCH_H
#define QB_NET_BENCH_H

#include "net_exec.h"
#include "net_load.h"
#include "repeat.h"
#include "results.h"

#define QB_NET_MAX_LIST 8

typedef struct {
    const char *model;
    qb_net_load_opts load; /* input shape, skip_unsupported, seed; batch set per run */
    qb_dtype dtypes[3];
    int ndtypes;
    qb_qgran grans[2];     /* int8 variants */
    int ngrans;
    long batches[QB_NET_MAX_LIST];
    int nbatches;
    int threads[QB_NET_MAX_LIST];
    int nthreads;
    qb_net_calib calib;
    double percentile;
    uint64_t seed;
    bool quick;
    bool planar;           /* NCHW even where the channels-last layout could run */
    double budget_s;       /* end-to-end runs per configuration */
} qb_net_bench_opts;

/* Every configuration into res. Load errors (unknown model, bad file,
 * unsupported node) fail before anything is measured. */
int qb_net_bench_measure(qb_results *res, const qb_net_bench_opts *o, const qb_rep_policy *pol);

/* "fp32", "fp16", "int8-per-tensor", "int8-per-channel". */
const char *qb_net_variant_name(qb_dtype d, qb_qgran g);

#endif
