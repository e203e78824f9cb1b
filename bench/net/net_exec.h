/* The network executor: runs a loaded graph (net_graph.h) layer after layer
 * in one dtype, on T threads, with its activations in one planned arena
 * (net_plan.h), as an inference runtime does.
 *
 *  fp32: every kernel in fp32.
 *  fp16: binary16 activations and weights; the GEMM and depthwise kernels
 *        widen them as they stream (fp32 arithmetic); other layers widen
 *        their inputs into fp32, run the fp32 kernel and narrow the result.
 *  int8: u8 activations with a per-tensor scale and zero point calibrated on
 *        seeded fp32 runs (or read from a QDQ model); conv, Gemm and MatMul with a constant operand run
 *        the int8 GEMM (s8 weights per tensor or per output channel, int32
 *        bias, requantization in the epilogue straight into the next layer's
 *        u8 params); depthwise conv its int8 kernel; pooling, ReLU/Clip and
 *        Add work on the quantized values; every other layer dequantizes its
 *        inputs, runs the fp32 kernel and quantizes its output ("via fp32").
 *
 * Layout: where every layer can run on channels-last activations (fp32 and
 * int8 with AVX-512: convs, depthwise convs, Add, ReLU/Clip, global average
 * pooling, max pooling, Flatten and a Gemm after it), every 4-D activation is stored
 * N x H x W x C: 1x1 convs are one GEMM over all pixels, other convs the
 * direct kernel of gemm_conv.h, depthwise convs run 16 channels to a
 * vector. The input is permuted on entry and tensors read back as NCHW, so
 * the layout is invisible outside. Otherwise (or with `planar`) NCHW.
 *
 * Fusions: a Relu or Clip whose only input is a conv's, Gemm's or Add's
 * output (read by nothing else) runs inside that layer (the GEMM epilogue's
 * ReLU; in int8 the requantization's clamp); Flatten and Reshape, and the
 * fused activations, alias their input's buffer and cost nothing. */
#ifndef QB_NET_EXEC_H
#define QB_NET_EXEC_H

#include "net_graph.h"
#include "op.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { QB_CALIB_ABSMAX = 0, QB_CALIB_PERCENTILE = 1 } qb_net_calib;

typedef struct {
    qb_dtype dtype;
    qb_qgran gran;         /* int8 weights: QB_PER_TENSOR or QB_PER_CHANNEL */
    int threads;           /* >= 1 */
    qb_net_calib calib;    /* int8 activation ranges: extremes, or percentiles of |x| */
    double percentile;     /* QB_CALIB_PERCENTILE: e.g. 99.99 */
    int calib_batches;     /* seeded fp32 runs the ranges come from (>= 1) */
    uint64_t seed;         /* the calibration inputs */
    bool keep_all;         /* no buffer reuse: every tensor stays readable after a run */
    bool skip_unsupported; /* a layer the executor cannot run is skipped (its output is 0) */
    bool planar;           /* keep NCHW even where every layer could run channels-last */
} qb_net_exec_opts;

/* What one layer runs as, for the records. */
typedef struct {
    const char *kernel; /* "gemm (implicit im2col)", "depthwise", "via fp32", "alias", ... */
    char fused[64];     /* "bias+relu", "bias+clip, requantized into the next layer", "" */
    const char *weights; /* int8: where the weights come from ("the file's int8", or
                            "quantized from the floats"); NULL otherwise */
    bool active;        /* false: fused into its producer or an alias; costs nothing */
    bool skipped;       /* unsupported and skipped */
} qb_net_layer;

typedef struct qb_net_exec qb_net_exec;

/* Prepare g (which must outlive the executor) for o: weights converted,
 * quantized and packed, int8 calibration run, the arena planned. An
 * unsupported layer is QB_EINPUT naming the node and its op type, unless
 * o->skip_unsupported. */
int qb_net_exec_create(const qb_net_graph *g, const qb_net_exec_opts *o, qb_net_exec **out);
void qb_net_exec_destroy(qb_net_exec *e);

/* One run of the whole graph from a float input (the graph input's numel
 * values; quantized or narrowed on entry). node_ns: NULL, or per node the
 * nanoseconds it took (0 for inactive layers). */
int qb_net_exec_run(qb_net_exec *e, const float *input, double *node_ns);
/* Load the input only, then run layers one at a time (accuracy analysis). */
int qb_net_exec_set_tensor(qb_net_exec *e, int tensor, const float *x);
int qb_net_exec_run_node(qb_net_exec *e, int node);
/* A tensor as float (dequantized, widened): the output always, others only
 * with keep_all (QB_EINPUT otherwise). */
int qb_net_exec_tensor(const qb_net_exec *e, int tensor, float *out);

/* Bytes of the activation arena (the planned peak) and what the same
 * activations would take with no reuse. */
size_t qb_net_exec_peak_bytes(const qb_net_exec *e);
size_t qb_net_exec_total_bytes(const qb_net_exec *e);
const qb_net_layer *qb_net_exec_layer(const qb_net_exec *e, int node);
/* Whether the activations are stored channels-last (N x H x W x C). */
bool qb_net_exec_channels_last(const qb_net_exec *e);
/* The int8 params an activation tensor got from calibration (false for
 * other dtypes and for constants). */
bool qb_net_exec_qparams(const qb_net_exec *e, int tensor, float *scale, int32_t *zp);
/* How many activation tensors took their int8 params from the model file
 * (a QDQ model's QuantizeLinear scales) instead of calibration. */
int qb_net_exec_file_scales(const qb_net_exec *e);

#endif
