/* The direct convolution's geometry and its tile kernels (gemm_conv.h has
 * the whole operation): what the driver in gemm_conv.c and the kernels in
 * gemm_conv_f32.c and gemm_conv_i8.c share. */
#ifndef QB_GEMM_CONV_TILE_H
#define QB_GEMM_CONV_TILE_H

#include "gemm_types.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    qb_mat_type type; /* QB_MAT_F32 or QB_MAT_U8 activations (s8 weights) */
    long C, Cp;       /* input channels; Cp = C for fp32, C rounded up to 4 for int8 */
    long H, W;        /* the unpadded input */
    long R, S, stride, pad;
    long OH, OW, K;   /* output pixels and channels */
    bool planar_in;   /* the input is C x H x W (NCHW), gathered into the padded copy */
} qb_conv_nhwc;

/* A tile: 8 output pixels by 32 output channels, two weight panels of 16. */
enum { QB_CONV_TP = 8, QB_CONV_TN = 32, QB_CONV_PANEL = 16 };

/* One tile (gemm_conv_f32.c, gemm_conv_i8.c): 8 output pixels whose
 * windows start at px[] in the padded image, by the 32 output channels from
 * column j whose weight panels are w0 and w1 (the same panel twice for a
 * group of 16 or fewer), through the epilogue into rows [p0, p0 + np) and
 * nj channels of C. The pointers are to elements of the tile's type. */
void qb_conv_nhwc_tile_f32(const qb_conv_nhwc *g, const void *const px[8], const void *w0, const void *w1,
                           const qb_epilogue *e, long p0, long np, long j, long nj);
void qb_conv_nhwc_tile_i8(const qb_conv_nhwc *g, const void *const px[8], const void *w0, const void *w1,
                          const qb_epilogue *e, long p0, long np, long j, long nj);

#endif
