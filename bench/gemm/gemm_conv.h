/* Direct convolution on channels-last activations: no im2col and no packing
 * of the activations. Each output pixel's window is read where it lies in a
 * padded NHWC image, a channel (fp32) or four (int8) at a time broadcast
 * against the packed weights, so the only per-call copy is the padding.
 * Tiles of up to 8 output pixels of a row by 32 output channels, 16 zmm
 * accumulators; the taps that fall on the border are skipped. */
#ifndef QB_GEMM_CONV_H
#define QB_GEMM_CONV_H

#include "gemm_conv_tile.h"
#include "gemm_types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The geometry of a conv; false when the CPU cannot run the direct kernel of
 * this type (AVX-512F for fp32, AVX512-VNNI for int8) or isa asks for ymm. */
bool qb_conv_nhwc_init(qb_conv_nhwc *g, qb_mat_type type, qb_gemm_isa isa, long C, long H, long W, long R,
                       long S, long stride, long pad, long K);

/* The padded image's size in bytes: (H + 2 pad) x (W + 2 pad) x Cp elements. */
size_t qb_conv_nhwc_padded_bytes(const qb_conv_nhwc *g);

/* Weights [K][C][R][S] (f32 or s8, as g->type) as the kernel streams them: a
 * B matrix of R*S*Cp rows (tap-major, then channel) by K columns, packed once
 * (qb_gemm_pack_b). int8 also keeps each tap's weight sums in g->tapsum, for
 * the border (qb_conv_nhwc_free releases them). */
int qb_conv_nhwc_pack_weights(qb_conv_nhwc *g, const void *w, qb_mat *out);
void qb_conv_nhwc_free(qb_conv_nhwc *g);

/* y = epilogue(conv(x, w)) for one NHWC image x (H x W x C; C x H x W when
 * g->planar_in, set after qb_conv_nhwc_init, for a network's input). Each
 * output pixel's window is read in x itself when the taps the tiles skip
 * cover the border (pad <= stride, NHWC, whole groups of 4 int8 channels);
 * otherwise x is first copied into xpad (qb_conv_nhwc_padded_bytes) with a
 * border and channels past C of pad_u8 (int8: the activations' zero point;
 * fp32: zero) and read there. C is laid out [OH*OW][K] (NHWC): rows
 * are pixels, columns output channels (the epilogue's channel_is_row false;
 * fp32: QB_EPI_F32 with bias and ReLU, int8: an int8 epilogue). */
int qb_conv_nhwc_run(const qb_conv_nhwc *g, const void *x, uint8_t pad_u8, void *xpad, const qb_mat *wpk,
                     const qb_epilogue *e, int threads);

#endif
