/* Depthwise convolution on channels-last images (H x W x C, channels
 * contiguous): the vectors run along the channels, 16 to a zmm, so every
 * lane is busy whatever the plane's width and nothing is copied or
 * transposed on the way in or out. Each tap's weights for a block of 16
 * channels stay in registers while eight output pixels of a row are summed
 * (eight independent FMA chains); pixels whose window crosses the border
 * take the padding value (0, or the int8 input's zero point) for the taps
 * outside.
 *
 * int8: u8 activations widened to float and multiplied by the s8 weights'
 * values in float, which is exact (|x w| <= 255 * 128 and at most 256 taps
 * keep every partial sum below 2^24), then rounded to int32, given the
 * channel's int32 bias (which folds in -za * sum w) and requantized as
 * qb_requant_float does (float multiply, clamp, round half to even, zero
 * point): bit-identical to the plane kernels of depthwise.h.
 *
 * Needs AVX-512 (F, BW, VL): qb_dw_nhwc_ok says whether the CPU has it. */
#ifndef QB_DEPTHWISE_NHWC_H
#define QB_DEPTHWISE_NHWC_H

#include "depthwise.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many taps (R * S). */
#define QB_DW_NHWC_MAX_TAPS 256

typedef struct {
    qb_dw_type type;   /* QB_DW_F32, or QB_DW_U8: u8 x, and y bytes of u8 or int8 */
    const float *bias; /* f32: [C] or NULL */
    bool clamp;        /* f32: min(max(., lo), hi) after the bias */
    float lo, hi;
    uint8_t za;              /* u8: the input's zero point, the padding value */
    const int32_t *bias_i32; /* u8: [C] */
    const float *mult;       /* u8: [C], sa sw[c] / so */
    int32_t zo, qmin, qmax;  /* u8: the output's zero point and range (qmin < 0: int8 output) */
} qb_dw_nhwc_io;

bool qb_dw_nhwc_ok(void);

/* Channels rounded up to whole vectors: the weights' row length. */
size_t qb_dw_nhwc_cp(size_t C);

/* Weights wt[R*S][qb_dw_nhwc_cp(C)] floats (lanes past C zero) from w[C][R*S]. */
void qb_dw_nhwc_weights_f32(const float *w, size_t C, size_t taps, float *wt);
void qb_dw_nhwc_weights_i8(const int8_t *w, size_t C, size_t taps, float *wt);

/* Output rows [oh0, oh1) of one image: x is H x W x C, y is OH x OW x C
 * (of io->type). */
void qb_dw_nhwc_rows(const qb_dw_geom *g, size_t C, const qb_dw_nhwc_io *io, const void *x,
                     const float *wt, void *y, size_t oh0, size_t oh1);

#endif
