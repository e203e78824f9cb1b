/* The direct fp32 convolution's tile (gemm_conv_tile.h): up to 8 output
 * pixels of one row by 32 output channels in 16 zmm accumulators of FMAs.
 * For each filter tap the pixels' input windows are pointers into the padded
 * NHWC image; every step broadcasts one channel of each against two
 * 16-channel weight vectors. Taps that read only the zero border are skipped:
 * whole filter rows for the tile, and the first or last pixel's products for
 * the filter columns past the image's edge (at 14x14 with a 3x3 filter the
 * border is a tenth of all products). The bias and the ReLU are applied as
 * the tile is stored. */
#include "gemm_conv_tile.h"

#include "unroll.h"

#include <immintrin.h>

enum { TP = QB_CONV_TP, TN = QB_CONV_TN, PANEL = QB_CONV_PANEL };

#define QB_AVX512 __attribute__((target("avx512f")))
#define QB_AVX512_INLINE __attribute__((target("avx512f"), always_inline)) static inline

/* Pixel i's products in one step, when i is in [LO, HI) (constants). */
#define QB_PX(i, LO, HI)                                                                           \
    if ((i) >= (LO) && (i) < (HI)) {                                                               \
        const __m512 av = _mm512_set1_ps(p##i[ci]);                                                \
        a##i##0 = _mm512_fmadd_ps(av, b0, a##i##0);                                                \
        a##i##1 = _mm512_fmadd_ps(av, b1, a##i##1);                                                \
    }

/* n steps of pixels [LO, HI): one channel of one tap each. */
#define QB_RUN(LO, HI)                                                                             \
    do {                                                                                           \
        QB_UNROLL(4)                                                                               \
        for (long ci = 0; ci < n; ci++) {                                                          \
            const __m512 b0 = _mm512_loadu_ps(q0 + ci * PANEL), b1 = _mm512_loadu_ps(q1 + ci * PANEL); \
            QB_PX(0, LO, HI) QB_PX(1, LO, HI) QB_PX(2, LO, HI) QB_PX(3, LO, HI)                    \
            QB_PX(4, LO, HI) QB_PX(5, LO, HI) QB_PX(6, LO, HI) QB_PX(7, LO, HI)                    \
        }                                                                                          \
    } while (0)

/* acc[NP][32] of the tile's NP pixels (a constant once inlined). */
QB_AVX512_INLINE void conv_tile(const qb_conv_nhwc *g, const qb_conv_tile *t, const float *w0, const float *w1,
                                float *acc, const int NP)
{
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
    __m512 a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00;
    __m512 a70 = a00, a71 = a00;
    const long Cp = g->Cp, S = g->S, Wp = t->wp;
    qb_conv_run run[3];
    const int nrun = qb_conv_tile_runs(t, S, run);
    const float *const *px = (const float *const *)t->px;
    for (long r = t->r0; r < t->r1; r++) {
        for (int k = 0; k < nrun; k++) {
            /* the taps (r, s0..s1) and their channels lie one after another
             * in the image, as in the weights: one run of steps */
            const long s0 = run[k].s0, off = (r * Wp + s0) * Cp, n = (run[k].s1 - s0) * Cp;
            const float *q0 = w0 + (r * S + s0) * Cp * PANEL, *q1 = w1 + (r * S + s0) * Cp * PANEL;
            const float *p0 = px[0] + off, *p1 = px[1] + off, *p2 = px[2] + off, *p3 = px[3] + off;
            const float *p4 = px[4] + off, *p5 = px[5] + off, *p6 = px[6] + off, *p7 = px[7] + off;
            QB_CONV_RUN_PIXELS(&run[k], NP, QB_RUN);
        }
    }
    const __m512 rows[TP][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31},
                                {a40, a41}, {a50, a51}, {a60, a61}, {a70, a71}};
    for (int i = 0; i < NP; i++) {
        _mm512_store_ps(acc + i * TN, rows[i][0]);
        _mm512_store_ps(acc + i * TN + PANEL, rows[i][1]);
    }
}

#undef QB_RUN
#undef QB_PX

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

QB_AVX512 void qb_conv_nhwc_tile_f32(const qb_conv_nhwc *g, const qb_conv_tile *t, const void *const w[4],
                                     const qb_epilogue *e, long j, long nj)
{
    float acc[TP * TN] __attribute__((aligned(64)));
    const float *f0 = w[0], *f1 = w[1];
    /* one copy of the kernel per pixel count, each with its constant loops */
    switch (t->np) {
    case 1: conv_tile(g, t, f0, f1, acc, 1); break;
    case 2: conv_tile(g, t, f0, f1, acc, 2); break;
    case 3: conv_tile(g, t, f0, f1, acc, 3); break;
    case 4: conv_tile(g, t, f0, f1, acc, 4); break;
    case 5: conv_tile(g, t, f0, f1, acc, 5); break;
    case 6: conv_tile(g, t, f0, f1, acc, 6); break;
    case 7: conv_tile(g, t, f0, f1, acc, 7); break;
    default: conv_tile(g, t, f0, f1, acc, 8); break;
    }
    store_tile(e, acc, t->p0, t->np, j, nj);
}
