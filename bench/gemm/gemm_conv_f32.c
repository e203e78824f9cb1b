/* The direct fp32 convolution's tile (gemm_conv_tile.h): 8 output pixels by 32
 * output channels in 16 zmm accumulators of FMAs. For each filter tap the 8
 * pixels' input windows are 8 pointers into the padded NHWC image; every
 * step broadcasts one channel of each against two 16-channel weight
 * vectors. The bias and the ReLU are applied as the tile is stored. */
#include "gemm_conv_tile.h"


#include <immintrin.h>

enum { TP = QB_CONV_TP, TN = QB_CONV_TN, PANEL = QB_CONV_PANEL };

#define QB_AVX512 __attribute__((target("avx512f")))

static QB_AVX512 void conv_tile(const qb_conv_nhwc *g, const float *const px[TP], const float *w0,
                                const float *w1, float *c)
{
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00;
    __m512 c70 = c00, c71 = c00;
    const long Cp = g->Cp, Wp = g->W + 2 * g->pad;
#define QB_ROW(lo, hi, p)                                                                          \
    do {                                                                                           \
        const __m512 av = _mm512_set1_ps((p)[ci]);                                                 \
        lo = _mm512_fmadd_ps(av, b0, lo);                                                          \
        hi = _mm512_fmadd_ps(av, b1, hi);                                                          \
    } while (0)
    /* the taps of one filter row and their channels lie one after another in
     * the padded image, as in the weights: one run of S * Cp steps */
    const long run = g->S * Cp;
    for (long r = 0; r < g->R; r++) {
        const long off = r * Wp * Cp;
        const float *p0 = px[0] + off, *p1 = px[1] + off, *p2 = px[2] + off, *p3 = px[3] + off;
        const float *p4 = px[4] + off, *p5 = px[5] + off, *p6 = px[6] + off, *p7 = px[7] + off;
#pragma GCC unroll 4
        for (long ci = 0; ci < run; ci++) {
            const __m512 b0 = _mm512_loadu_ps(w0), b1 = _mm512_loadu_ps(w1);
            w0 += PANEL;
            w1 += PANEL;
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
    const __m512 rows[TP][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                                {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    for (int i = 0; i < TP; i++) {
        _mm512_store_ps(c + i * TN, rows[i][0]);
        _mm512_store_ps(c + i * TN + PANEL, rows[i][1]);
    }
}

/* The tile's np rows of nj channels from column j into C, + bias, ReLU, cap. */
static QB_AVX512 void store_tile(const qb_epilogue *e, const float *acc, long p0, long np, long j, long nj)
{
    const __mmask16 m0 = nj >= PANEL ? 0xFFFF : (__mmask16)((1u << nj) - 1);
    const __mmask16 m1 = nj >= TN ? 0xFFFF : nj <= PANEL ? 0 : (__mmask16)((1u << (nj - PANEL)) - 1);
    const __m512 b0 = e->bias ? _mm512_maskz_loadu_ps(m0, e->bias + j) : _mm512_setzero_ps();
    const __m512 b1 = e->bias ? _mm512_maskz_loadu_ps(m1, e->bias + j + PANEL) : _mm512_setzero_ps();
    /* max(-inf, x) is x, NaN included: one path with and without the ReLU */
    const __m512 floor = _mm512_set1_ps(e->relu ? 0.0f : -__builtin_inff());
    /* min(+inf, x) is x, NaN included: one path with and without a cap */
    const __m512 ceil = _mm512_set1_ps(e->cap > 0 ? e->cap : __builtin_inff());
    for (long i = 0; i < np; i++) {
        float *d = (float *)e->c + (size_t)((p0 + i) * e->ldc + j);
        const __m512 lo = _mm512_add_ps(_mm512_load_ps(acc + i * TN), b0);
        const __m512 hi = _mm512_add_ps(_mm512_load_ps(acc + i * TN + PANEL), b1);
        _mm512_mask_storeu_ps(d, m0, _mm512_min_ps(ceil, _mm512_max_ps(floor, lo)));
        _mm512_mask_storeu_ps(d + PANEL, m1, _mm512_min_ps(ceil, _mm512_max_ps(floor, hi)));
    }
}

void qb_conv_nhwc_tile_f32(const qb_conv_nhwc *g, const void *const px[TP], const void *w0, const void *w1,
                           const qb_epilogue *e, long p0, long np, long j, long nj)
{
    float acc[TP * TN] __attribute__((aligned(64)));
    conv_tile(g, (const float *const *)px, w0, w1, acc);
    store_tile(e, acc, p0, np, j, nj);
}
