/* The direct convolution's geometry and its tile kernels (gemm_conv.h has
 * the whole operation): what the driver in gemm_conv.c and the kernels in
 * gemm_conv_f32.c and gemm_conv_i8.c share. */
#ifndef QB_GEMM_CONV_TILE_H
#define QB_GEMM_CONV_TILE_H

#include "gemm_types.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    qb_mat_type type; /* QB_MAT_F32 or QB_MAT_U8 activations (s8 weights) */
    long C, Cp;       /* input channels; Cp = C for fp32, C rounded up to 4 for int8 */
    long H, W;        /* the unpadded input */
    long R, S, stride, pad;
    long OH, OW, K;   /* output pixels and channels */
} qb_conv_nhwc;

/* The tile kernels (gemm_conv_f32.c, gemm_conv_i8.c): output pixel tiles
 * [t0, t1) of 8 pixels by output channels [j0, j1) (j0 a multiple of 32) in
 * groups of 32, epilogue included. */
void qb_conv_nhwc_tiles_f32(const qb_conv_nhwc *g, const float *xpad, const qb_mat *wpk, const qb_epilogue *e,
                            long t0, long t1, long j0, long j1);
void qb_conv_nhwc_tiles_i8(const qb_conv_nhwc *g, const uint8_t *xpad, const qb_mat *wpk, const qb_epilogue *e,
                           long t0, long t1, long j0, long j1);

/* Where the 8 pixels of tile t start in the padded image, in elements (the
 * tail tile repeats its last pixel); returns how many are real. Inline, so
 * the kernels need nothing from the driver's file. */
static inline long qb_conv_nhwc_tile_pixels(const qb_conv_nhwc *g, long t, size_t off[8])
{
    const long P = g->OH * g->OW, p0 = t * 8, np = P - p0 < 8 ? P - p0 : 8;
    const long Wp = g->W + 2 * g->pad;
    for (long i = 0; i < 8; i++) {
        const long p = p0 + (i < np ? i : np - 1), oh = p / g->OW, ow = p % g->OW;
        off[i] = (size_t)((oh * g->stride * Wp + ow * g->stride) * g->Cp);
    }
    return np;
}

#endif
