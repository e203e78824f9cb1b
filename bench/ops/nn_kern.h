/* Kernels of the network operators (pooling, normalization, GELU, Clip) as
 * plain functions on caller-given buffers: the registry ops in nn_ops.c wrap
 * them, and the network executor calls them on its own activation buffers.
 *
 * Layouts: pooling and batch norm read NCHW planes (`planes` = N*C planes of
 * H x W); layer norm reads rows of D values; GELU and Clip are element-wise.
 * Every function splits its work over `threads` OpenMP threads.
 *
 * fp32 arithmetic throughout; fp16 callers widen into an fp32 buffer and
 * narrow the result (binary16 storage, fp32 arithmetic).
 * int8: per-tensor quantized activations (qb_qt: scale, zero point, int8 or
 * uint8 storage); a result is q = clip(round(v / so) + zo) in the output's
 * range, computed in integers wherever the op allows (max, sums) and
 * requantized with a float multiplier as qb_requant_float does. */
#ifndef QB_NN_KERN_H
#define QB_NN_KERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A quantized tensor's per-tensor params; data is int8 when s8, else uint8. */
typedef struct {
    float scale;
    int32_t zp;
    bool s8;
} qb_qt;

static inline int32_t qb_qt_get(const qb_qt *t, const uint8_t *p, size_t i)
{
    return t->s8 ? (int32_t)(int8_t)p[i] : (int32_t)p[i];
}
static inline int32_t qb_qt_min(const qb_qt *t)
{
    return t->s8 ? -128 : 0;
}
static inline int32_t qb_qt_max(const qb_qt *t)
{
    return t->s8 ? 127 : 255;
}

/* Pooling geometry: a R x S window, strides sh, sw, padding top/left (the
 * bottom/right padding only shows in OH, OW). count_pad: the average divides
 * by R*S even where the window overlaps the padding (ONNX count_include_pad);
 * otherwise by the taps inside the image. */
typedef struct {
    long planes, H, W, R, S, sh, sw, pt, pl, OH, OW;
    bool count_pad;
} qb_pool_geom;

/* OH, OW from the pads (top, left, bottom, right), floor or ceil mode. */
void qb_pool_geom_make(qb_pool_geom *g, long planes, long H, long W, long R, long S, long sh,
                       long sw, const long pads[4], bool ceil_mode, bool count_pad);

void qb_maxpool_f32(const qb_pool_geom *g, const float *x, float *y, int threads);
/* The max of the quantized values: the output has the input's params. */
void qb_maxpool_q8(const qb_pool_geom *g, const qb_qt *xt, const uint8_t *x, uint8_t *y,
                   int threads);
/* The same on N channels-last images of C channels (g->planes unused). */
void qb_maxpool_nhwc_f32(const qb_pool_geom *g, long N, long C, const float *x, float *y, int threads);
void qb_maxpool_nhwc_u8(const qb_pool_geom *g, long N, long C, const uint8_t *x, uint8_t *y, int threads);
void qb_avgpool_f32(const qb_pool_geom *g, const float *x, float *y, int threads);
/* Integer sum of (q - zi) over the window, requantized by si / (so * count). */
void qb_avgpool_q8(const qb_pool_geom *g, const qb_qt *xt, const uint8_t *x, const qb_qt *yt,
                   uint8_t *y, int threads);
/* Mean of each plane of HW values (global average pooling). */
void qb_gap_f32(long planes, long HW, const float *x, float *y, int threads);
void qb_gap_q8(long planes, long HW, const qb_qt *xt, const uint8_t *x, const qb_qt *yt,
               uint8_t *y, int threads);
/* The same on N channels-last images of P pixels of C channels. */
void qb_gap_nhwc_f32(long N, long P, long C, const float *x, float *y, int threads);
void qb_gap_nhwc_q8(long N, long P, long C, const qb_qt *xt, const uint8_t *x, const qb_qt *yt,
                    uint8_t *y, int threads);

/* Batch norm in inference form, per channel c of C: y = x * a[c] + b[c]
 * (a = gamma / sqrt(var + eps), b = beta - mean * a). */
void qb_bn_f32(long N, long C, long HW, const float *a, const float *b, const float *x, float *y,
               int threads);
/* int8: a[c] as int8 weights wq[c] with scale sw[c]; acc = q * wq[c] +
 * bias[c] with bias[c] = round(b[c] / (si sw[c])) - zi wq[c]; the output is
 * qb_requant_float(acc, mult[c] = si sw[c] / so, zo). */
void qb_bn_q8(long N, long C, long HW, const qb_qt *xt, const uint8_t *x, const int8_t *wq,
              const int32_t *bias, const float *mult, const qb_qt *yt, uint8_t *y, int threads);

/* Layer norm over each row of D: y = (x - mean) / sqrt(var + eps) * g + b. */
void qb_ln_f32(long rows, long D, float eps, const float *g, const float *b, const float *x,
               float *y, int threads);
/* int8: each row dequantized to fp32, normalized, quantized with the output's
 * params (qb_quant1); scratch holds 2 D floats per thread. */
void qb_ln_q8(long rows, long D, float eps, const float *g, const float *b, const qb_qt *xt,
              const uint8_t *x, const qb_qt *yt, uint8_t *y, float *scratch, int threads);

/* GELU, the erf form: 0.5 x (1 + erf(x / sqrt 2)), erf by a rational
 * polynomial times exp on eight lanes (absolute error about 3e-7). int8
 * runs through a 256-entry table (eltwise_lut.h). */
double qb_gelu_ref(double x);
void qb_gelu_f32(const float *x, float *y, size_t n, int threads);

/* Clip to [lo, hi]. int8 clamps the quantized values to [quant(lo),
 * quant(hi)] of the input's params, which the output keeps. */
void qb_clip_f32(const float *x, float *y, size_t n, float lo, float hi, int threads);
void qb_clip_q8(const qb_qt *xt, const uint8_t *x, uint8_t *y, size_t n, float lo, float hi,
                int threads);

#endif
