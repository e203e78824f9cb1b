/* A convolution with groups on one NCHW image, through the blocked GEMM:
 * group g convolves input channels [g C/G, (g+1) C/G) into output channels
 * [g K/G, (g+1) K/G), one GEMM out[K/G][OH*OW] = W_g[K/G][C/G*R*S] x
 * im2col(x_g). The caller's buffers: the image, each group's weights (rows
 * or packed once with qb_gemm_pack_a), the output image; the epilogue's
 * per-channel vectors (bias, multipliers, shifts) run over all K output
 * channels and are offset per group here. */
#ifndef QB_CONV_GROUP_H
#define QB_CONV_GROUP_H

#include "gemm.h"

#include <stddef.h>

typedef struct {
    long group;
    qb_im2col geo;   /* one group's view: C is C/G */
    long Kg;         /* output channels per group */
    qb_mat_type xt;  /* the image's type: F32, F16 or U8 */
    const qb_mat *w; /* [group] weights, M = Kg rows of Cg*R*S */
} qb_conv_group;

/* The GEMMs of one image x (C*H*W elements) into y (K*OH*OW) with the
 * epilogue e (its c is ignored: y is used). */
int qb_conv_group_image(qb_gemm_ws *ws, const qb_conv_group *cg, const void *x, void *y,
                        const qb_epilogue *e, int threads);

#endif
