/* The direct convolution's geometry and its tile kernels (gemm_conv.h has
 * the whole operation): what the driver in gemm_conv.c and the kernels in
 * gemm_conv_f32.c and gemm_conv_i8.c share. */
#ifndef QB_GEMM_CONV_TILE_H
#define QB_GEMM_CONV_TILE_H

#include "gemm_types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    qb_mat_type type; /* QB_MAT_F32 or QB_MAT_U8 activations (s8 weights) */
    long C, Cp;       /* input channels; Cp = C for fp32, C rounded up to 4 for int8 */
    long H, W;        /* the unpadded input */
    long R, S, stride, pad;
    long OH, OW, K;   /* output pixels and channels */
    bool planar_in;   /* the input is C x H x W (NCHW), gathered into the padded copy */
    int32_t *tapsum;  /* int8: each tap's weights summed over the input channels,
                         [R*S][K rounded up to 32] (qb_conv_nhwc_pack_weights) */
} qb_conv_nhwc;

/* A tile: up to 8 output pixels of one row by 32 output channels, two
 * weight panels of 16; int8 convs of 64 channels or more take tiles of up to
 * 6 pixels by 64 channels, four panels. */
enum { QB_CONV_TP = 8, QB_CONV_TN = 32, QB_CONV_PANEL = 16, QB_CONV_TP_WIDE = 6 };

/* The int8 tiles' border sums (zp times the weight sums of the taps a tile
 * skips) for the few kinds of tile a conv has, all / first / last pixel by
 * up to 4 panels of 16 channels, kept over one thread's walk: computed anew
 * for every border tile they cost 3-4% of a 64-channel 3x3 conv at 56x56. */
enum { QB_CONV_MEMO = 16 };
typedef struct {
    int32_t sums[3][4 * QB_CONV_PANEL] __attribute__((aligned(64)));
    long key[7];
} qb_conv_border_entry;
typedef struct {
    qb_conv_border_entry e[QB_CONV_MEMO];
    int n, next; /* entries filled; the one to replace once all are */
} qb_conv_border_memo;

/* The pixels of one tile and the filter taps that reach the image for them.
 * Taps outside [r0, r1) x [0, S) read only the border for every pixel of the
 * row; taps s < s_first read only the border for the first pixel, s >= s_last
 * for the last. The kernels skip those products: the fp32 border is zero, and
 * the int8 kernel adds back what the border (the zero point zp) would have
 * given, zp times the taps' weight sums, which the epilogue's bias takes out
 * again. */
typedef struct {
    const void *px[QB_CONV_TP]; /* where each pixel's window starts in the image read */
    long wp;                    /* that image's pixels per row (the padded copy's, or the input's) */
    long p0, np;                /* the first pixel (row of C) and how many, 1..8 (1..6 wide) */
    long r0, r1, s_first, s_last;
    int32_t zp;                 /* int8: the border's value */
    qb_conv_border_memo *memo;  /* int8: the walk's border sums so far */
} qb_conv_tile;

/* The tile's filter columns [0, *a) skip its first pixel and [*b, S) its
 * last (s_first and s_last kept within the row of S). */
static inline void qb_conv_tile_edges(const qb_conv_tile *t, long S, long *a, long *b)
{
    *a = t->s_first < 0 ? 0 : t->s_first > S ? S : t->s_first;
    *b = t->s_last < 0 ? 0 : t->s_last > S ? S : t->s_last;
}

/* A run of filter columns [s0, s1) over which the same pixels of a tile read
 * the image: all of them, or all but the first and/or the last. */
typedef struct {
    long s0, s1;
    bool skip_first, skip_last;
} qb_conv_run;

/* The tile's runs along a row of S filter columns, cut where the first or
 * the last pixel starts or stops reading the border: runs[] and how many
 * (1 to 3). */
static inline int qb_conv_tile_runs(const qb_conv_tile *t, long S, qb_conv_run runs[3])
{
    long a, b;
    qb_conv_tile_edges(t, S, &a, &b);
    const long cut[4] = {0, a < b ? a : b, a < b ? b : a, S};
    int n = 0;
    for (int k = 0; k < 3; k++)
        if (cut[k] < cut[k + 1])
            runs[n++] = (qb_conv_run){.s0 = cut[k], .s1 = cut[k + 1], .skip_first = cut[k] < a,
                                      .skip_last = cut[k] >= b};
    return n;
}

/* A kernel's RUN(LO, HI), its loop over the pixels [LO, HI) of its NP (both
 * constants in each copy), for the pixels run u reads. */
#define QB_CONV_RUN_PIXELS(u, NP, RUN)                                                             \
    do {                                                                                           \
        if (!(u)->skip_first && !(u)->skip_last) RUN(0, NP);                                       \
        else if (!(u)->skip_last) RUN(1, NP);                                                      \
        else if (!(u)->skip_first) RUN(0, NP - 1);                                                 \
        else RUN(1, NP - 1);                                                                       \
    } while (0)

/* One tile (gemm_conv_f32.c, gemm_conv_i8.c) by the nj output channels
 * from column j (32 or fewer; int8 also 64) whose weight panels of 16 are
 * w[] (a last group of 16 or fewer channels repeats the panel before it),
 * through the epilogue into rows [p0, p0 + np) and nj channels of C. The
 * pointers are to elements of the tile's type. */
void qb_conv_nhwc_tile_f32(const qb_conv_nhwc *g, const qb_conv_tile *t, const void *const w[4],
                           const qb_epilogue *e, long j, long nj);
void qb_conv_nhwc_tile_i8(const qb_conv_nhwc *g, const qb_conv_tile *t, const void *const w[4],
                          const qb_epilogue *e, long j, long nj);

#endif
