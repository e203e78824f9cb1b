/* The direct int8 convolution's tile (gemm_conv.h): 8 output pixels by 32
 * output channels in 16 zmm accumulators of vpdpbusd. For each filter tap
 * the 8 pixels' input windows are 8 pointers into the padded NHWC image;
 * every step broadcasts 4 channels of each against two 16-channel weight
 * vectors. */
#include "gemm_conv.h"

#include "gemm_epi.h"
#include "gemm_pack.h"
#include "gemm_ref.h"

#include <immintrin.h>
#include <string.h>

enum { TP = 8, TN = 32, PANEL = 16 };

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
    for (long r = 0; r < g->R; r++)
        for (long s = 0; s < g->S; s++) {
            const long off = (r * Wp + s) * Cp;
            const uint8_t *p0 = px[0] + off, *p1 = px[1] + off, *p2 = px[2] + off, *p3 = px[3] + off;
            const uint8_t *p4 = px[4] + off, *p5 = px[5] + off, *p6 = px[6] + off, *p7 = px[7] + off;
#pragma GCC unroll 4
            for (long c4 = 0; c4 < C4; c4++) {
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

/* Requantize the tile's np rows of nj channels from column j into C. The
 * common case (float multiplier, all 32 channels) on zmm, the same steps as
 * the GEMM's vector epilogue: (acc + bias) * mult clamped to one past the
 * output range, rounded to nearest even, clamped, + zero point, narrowed. */
static QB_VNNI512 void epi_tile(const qb_epilogue *e, const int32_t *acc, long p0, long np, long j, long nj)
{
    if (nj != TN || e->kind != QB_EPI_RQ_FLOAT) {
        for (long i = 0; i < np; i++) qb_epi_apply(e, acc + i * TN, p0 + i, j, nj);
        return;
    }
    __m512i bi[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
    __m512 m[2];
    for (int h = 0; h < 2; h++) {
        if (e->bias_i32) bi[h] = _mm512_loadu_si512(e->bias_i32 + j + PANEL * h);
        m[h] = _mm512_loadu_ps(e->mult + j + PANEL * h);
    }
    const __m512 hi = _mm512_set1_ps((float)(e->qmax - e->zo + 1)), lo = _mm512_set1_ps((float)(e->qmin - e->zo - 1));
    const __m512i rlo = _mm512_set1_epi32(e->qmin - e->zo), rhi = _mm512_set1_epi32(e->qmax - e->zo);
    const __m512i zo = _mm512_set1_epi32(e->zo);
    const bool sgn = qb_epi_signed(e);
    for (long i = 0; i < np; i++) {
        uint8_t *d = (uint8_t *)e->c + (size_t)((p0 + i) * e->ldc + j);
        for (int h = 0; h < 2; h++) {
            const __m512i v = _mm512_add_epi32(_mm512_load_si512(acc + i * TN + PANEL * h), bi[h]);
            __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(v), m[h]);
            f = _mm512_max_ps(_mm512_min_ps(f, hi), lo);
            const __m512i q = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(f), rlo), rhi), zo);
            _mm_storeu_si128((__m128i *)(d + PANEL * h), sgn ? _mm512_cvtsepi32_epi8(q) : _mm512_cvtusepi32_epi8(q));
        }
    }
}

void qb_conv_nhwc_tiles_i8(const qb_conv_nhwc *g, const uint8_t *xpad, const qb_mat *wpk, const qb_epilogue *e,
                           long t0, long t1, long j0, long j1)
{
    int32_t acc[TP * TN] __attribute__((aligned(64)));
    for (long t = t0; t < t1; t++) {
        size_t off[TP];
        const long np = qb_conv_nhwc_tile_pixels(g, t, off);
        const uint8_t *px[TP];
        for (int i = 0; i < TP; i++) px[i] = xpad + off[i];
        for (long j = j0; j < j1; j += TN) {
            const long nj = j1 - j < TN ? j1 - j : TN;
            const uint8_t *w0 = (const uint8_t *)wpk->p + qb_packed_offset(wpk, j, 0);
            /* a last group of 16 or fewer channels runs its panel twice */
            const uint8_t *w1 = nj > PANEL ? (const uint8_t *)wpk->p + qb_packed_offset(wpk, j + PANEL, 0) : w0;
            conv_tile(g, px, w0, w1, acc);
            epi_tile(e, acc, t * TP, np, j, nj);
        }
    }
}
