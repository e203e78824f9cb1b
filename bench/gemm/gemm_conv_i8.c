/* The direct int8 convolution's tile (gemm_conv_tile.h): 8 output pixels by 32
 * output channels in 16 zmm accumulators of vpdpbusd. For each filter tap
 * the 8 pixels' input windows are 8 pointers into the padded NHWC image;
 * every step broadcasts 4 channels of each against two 16-channel weight
 * vectors. */
#include "gemm_conv_tile.h"

#include "gemm_epi.h"
#include "gemm_ref.h"

#include <immintrin.h>
#include <string.h>

enum { TP = QB_CONV_TP, TN = QB_CONV_TN, PANEL = QB_CONV_PANEL };

#define QB_VNNI512 __attribute__((target("avx512f,avx512vnni")))

/* acc[8][32] (rows of 32 int32) of the pixels whose windows start at px[],
 * over every tap and channel group; w0 and w1 are the weight panels of the
 * tile's two groups of 16 output channels. */
static QB_VNNI512 void conv_tile(const qb_conv_nhwc *g, const uint8_t *const px[TP], const uint8_t *w0,
                                 const uint8_t *w1, int32_t *c)
{
    __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00;
    __m512i c70 = c00, c71 = c00;
    const long Cp = g->Cp, C4 = g->Cp / 4, Wp = g->W + 2 * g->pad;
#define QB_ROW(lo, hi, p)                                                                          \
    do {                                                                                           \
        int32_t v;                                                                                 \
        memcpy(&v, (p) + 4 * c4, 4);                                                               \
        const __m512i av = _mm512_set1_epi32(v);                                                   \
        lo = _mm512_dpbusd_epi32(lo, av, b0);                                                      \
        hi = _mm512_dpbusd_epi32(hi, av, b1);                                                      \
    } while (0)
    /* the taps of one filter row and their channels lie one after another in
     * the padded image, as in the weights: one run of S * Cp / 4 steps */
    const long run = g->S * C4;
    for (long r = 0; r < g->R; r++) {
        const long off = r * Wp * Cp;
        const uint8_t *p0 = px[0] + off, *p1 = px[1] + off, *p2 = px[2] + off, *p3 = px[3] + off;
        const uint8_t *p4 = px[4] + off, *p5 = px[5] + off, *p6 = px[6] + off, *p7 = px[7] + off;
#pragma GCC unroll 4
        for (long c4 = 0; c4 < run; c4++) {
            const __m512i b0 = _mm512_loadu_si512(w0), b1 = _mm512_loadu_si512(w1);
            w0 += 4 * PANEL;
            w1 += 4 * PANEL;
            QB_ROW(c00, c01, p0);
            QB_ROW(c10, c11, p1);
            QB_ROW(c20, c21, p2);
            QB_ROW(c30, c31, p3);
            QB_ROW(c40, c41, p4);
            QB_ROW(c50, c51, p5);
            QB_ROW(c60, c61, p6);
            QB_ROW(c70, c71, p7);
        }
    }
#undef QB_ROW
    const __m512i rows[TP][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                                 {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    for (int i = 0; i < TP; i++) {
        _mm512_storeu_si512(c + i * TN, rows[i][0]);
        _mm512_storeu_si512(c + i * TN + PANEL, rows[i][1]);
    }
}

void qb_conv_nhwc_tile_i8(const qb_conv_nhwc *g, const void *const px[TP], const void *w0, const void *w1,
                          const qb_epilogue *e, long p0, long np, long j, long nj)
{
    int32_t acc[TP * TN] __attribute__((aligned(64)));
    conv_tile(g, (const uint8_t *const *)px, w0, w1, acc);
    qb_epi_tile32(e, acc, p0, np, j, nj);
}
