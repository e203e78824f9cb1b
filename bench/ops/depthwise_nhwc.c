/* Depthwise convolution on channels-last images (depthwise_nhwc.h). */
#include "depthwise_nhwc.h"

#include "cpu_features.h"
#include "gemm_rq512.h"
#include "unroll.h"

#include <immintrin.h>
#include <string.h>

#define QB_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define QB_AVX512_INLINE                                                                           \
    __attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) static inline

enum { V = 16, PX = 8 }; /* channels per vector; output pixels summed at once */

bool qb_dw_nhwc_ok(void)
{
    return qb_cpu_has("avx512f") && qb_cpu_has("avx512bw") && qb_cpu_has("avx512vl");
}

size_t qb_dw_nhwc_cp(size_t C)
{
    return (C + V - 1) / V * V;
}

#define WEIGHTS(w, C, taps, wt)                                                                    \
    do {                                                                                           \
        const size_t cp_ = qb_dw_nhwc_cp(C);                                                       \
        const size_t n_ = cp_ * (taps);                                                            \
        memset((wt), 0, n_ * sizeof *(wt));                                                        \
        for (size_t c_ = 0; c_ < (C); c_++)                                                        \
            for (size_t t_ = 0; t_ < (taps); t_++)                                                 \
                (wt)[t_ * cp_ + c_] = (float)(w)[c_ * (taps) + t_];                                \
    } while (0)

void qb_dw_nhwc_weights_f32(const float *w, size_t C, size_t taps, float *wt)
{
    WEIGHTS(w, C, taps, wt);
}

void qb_dw_nhwc_weights_i8(const int8_t *w, size_t C, size_t taps, float *wt)
{
    WEIGHTS(w, C, taps, wt);
}

/* The lanes of the channel block from c that are channels. */
static inline __mmask16 lane_mask(size_t C, size_t c)
{
    return C - c >= V ? (__mmask16)0xffff : (__mmask16)((1u << (C - c)) - 1);
}

/* 16 channels of pixel element i as floats (u8 widened), lanes outside m 0. */
QB_AVX512_INLINE __m512 load16(const void *x, bool u8, size_t i, __mmask16 m)
{
    if (!u8) return _mm512_maskz_loadu_ps(m, (const float *)x + i);
    return _mm512_cvtepi32_ps(
        _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, (const uint8_t *)x + i)));
}

/* What one block of 16 channels needs from io, read once per block rather
 * than per pixel: the value of a tap outside the image (0, or the int8
 * input's zero point), the accumulator's start (the float bias, or 0: int8
 * adds its bias in int32), the fp32 clamp, the int8 bias, multiplier and
 * output range; m, the lanes that are channels. */
typedef struct {
    __m512 pad, start, lo, hi, mult;
    __m512i bias;
    qb_rq512 rq;
    bool clamp;
    __mmask16 m;
} dw_epi;

QB_AVX512_INLINE dw_epi epi_of(const qb_dw_nhwc_io *io, size_t C, size_t c, const bool u8)
{
    dw_epi e = {.m = lane_mask(C, c), .start = _mm512_setzero_ps(),
                .pad = _mm512_set1_ps(u8 ? (float)io->za : 0.0f)};
    if (!u8) {
        if (io->bias) e.start = _mm512_maskz_loadu_ps(e.m, io->bias + c);
        e.clamp = io->clamp;
        e.lo = _mm512_set1_ps(io->lo);
        e.hi = _mm512_set1_ps(io->hi);
        return e;
    }
    e.bias = _mm512_maskz_loadu_epi32(e.m, io->bias_i32 + c);
    e.mult = _mm512_maskz_loadu_ps(e.m, io->mult + c);
    e.rq = qb_rq512_range(io->qmin, io->qmax, io->zo);
    return e;
}

/* The epilogue of one block of 16 channels into y's elements from i. */
QB_AVX512_INLINE void store_px(const dw_epi *e, __m512 acc, void *y, size_t i, const bool u8)
{
    if (!u8) {
        if (e->clamp) acc = _mm512_min_ps(_mm512_max_ps(acc, e->lo), e->hi);
        if (e->m == 0xffff) _mm512_storeu_ps((float *)y + i, acc);
        else _mm512_mask_storeu_ps((float *)y + i, e->m, acc);
        return;
    }
    /* the sum is an exact integer in float: to int32, plus the bias; then
     * qb_requant_float's steps (gemm_rq512.h) */
    const __m512i a = _mm512_add_epi32(_mm512_cvtps_epi32(acc), e->bias);
    qb_rq512_store(&e->rq, (uint8_t *)y + i, e->m, qb_rq512_apply(&e->rq, a, e->mult));
}

/* NP output pixels of row oh from column ow, whose windows lie inside the
 * image, for the 16 channels from c. NP, u8, R and S are constants in each
 * copy (R and S are 3 in the 3x3 one), so the loops unroll and the NP
 * accumulators stay in registers. */
QB_AVX512_INLINE void inner(const qb_dw_geom *g, size_t C, size_t Cp, const dw_epi *e,
                            const void *x, const float *wt, void *y, size_t oh, size_t ow, size_t c,
                            const int NP, const bool u8, const int R, const int S)
{
    const size_t st = (size_t)g->st, ih0 = oh * st - (size_t)g->pad, iw0 = ow * st - (size_t)g->pad;
    __m512 acc[PX];
QB_UNROLL(8)
    for (int p = 0; p < NP; p++)
        acc[p] = e->start;
QB_UNROLL(4)
    for (int r = 0; r < R; r++) {
        const size_t row = ((ih0 + (size_t)r) * g->W + iw0) * C + c;
QB_UNROLL(4)
        for (int s = 0; s < S; s++) {
            const __m512 w = _mm512_loadu_ps(wt + (size_t)(r * S + s) * Cp + c);
QB_UNROLL(8)
            for (int p = 0; p < NP; p++)
                acc[p] = _mm512_fmadd_ps(load16(x, u8, row + ((size_t)p * st + (size_t)s) * C, e->m),
                                         w, acc[p]);
        }
    }
QB_UNROLL(8)
    for (int p = 0; p < NP; p++)
        store_px(e, acc[p], y, (oh * g->OW + ow + (size_t)p) * C + c, u8);
}

/* The 3x3 filter's NP output pixels of row oh from column ow, stride ST,
 * for the 16 channels from c with the taps' weights w[9] in registers (NP,
 * ST, u8 and EDGE constants in each copy). Per filter row the (NP - 1) ST
 * + 3 input pixels the windows cover are loaded once each and shared by the
 * windows that overlap, by pointer steps. With EDGE the windows may cross
 * the border: the pixels outside take the padding value (0, or the int8
 * input's zero point) and are never read. The NP sums are independent
 * chains, so a group costs about what one pixel's nine dependent FMAs do:
 * pixels taken one at a time, as the general kernel above takes the border
 * and a row's tail, made up half the time of a 56x56 image. */
QB_AVX512_INLINE void inner3(const qb_dw_geom *g, size_t C, const dw_epi *e, const void *x, const __m512 w[9],
                             void *y, size_t oh, size_t ow, size_t c, const int NP, const bool u8, const int ST,
                             const bool EDGE)
{
    enum { NV = (PX - 1) * 2 + 3 };
    const int nv = (NP - 1) * ST + 3; /* the input pixels NP windows cover */
    const size_t es = u8 ? 1 : sizeof(float), step = C * es;
    const long ih0 = (long)(oh * (size_t)ST) - g->pad, iw0 = (long)(ow * (size_t)ST) - g->pad;
    __m512 acc[PX];
QB_UNROLL(8)
    for (int p = 0; p < NP; p++)
        acc[p] = e->start;
QB_UNROLL(3)
    for (int r = 0; r < 3; r++) {
        const long ih = ih0 + r;
        const bool row_in = !EDGE || (ih >= 0 && ih < (long)g->H);
        __m512 v[NV];
        if (EDGE && !row_in) {
QB_UNROLL(16)
            for (int k = 0; k < nv; k++) v[k] = e->pad;
        } else if (EDGE) {
            /* a pixel's address is formed only when it lies in the image */
            const char *q = (const char *)x + ((size_t)ih * g->W * C + c) * es;
QB_UNROLL(16)
            for (int k = 0; k < nv; k++) {
                const long iw = iw0 + k;
                v[k] = iw >= 0 && iw < (long)g->W ? load16(q + (size_t)iw * step, u8, 0, e->m) : e->pad;
            }
        } else {
            const char *q = (const char *)x + (((size_t)ih * g->W + (size_t)iw0) * C + c) * es;
QB_UNROLL(16)
            for (int k = 0; k < nv; k++, q += step) v[k] = load16(q, u8, 0, e->m);
        }
QB_UNROLL(3)
        for (int s = 0; s < 3; s++)
QB_UNROLL(8)
            for (int p = 0; p < NP; p++)
                acc[p] = _mm512_fmadd_ps(v[p * ST + s], w[r * 3 + s], acc[p]);
    }
QB_UNROLL(8)
    for (int p = 0; p < NP; p++)
        store_px(e, acc[p], y, (oh * g->OW + ow + (size_t)p) * C + c, u8);
}

/* One output pixel whose window may cross the border: taps outside read the
 * padding value (0 for floats, where they are skipped; za for int8). R and
 * S are constants in the 3x3 copy, so the taps unroll. */
QB_AVX512_INLINE void edge(const qb_dw_geom *g, size_t C, size_t Cp, const dw_epi *e, const void *x,
                           const float *wt, void *y, size_t oh, size_t ow, size_t c, const bool u8, const int R,
                           const int S)
{
    const long ih0 = (long)(oh * (size_t)g->st) - g->pad, iw0 = (long)(ow * (size_t)g->st) - g->pad;
    __m512 acc = e->start;
QB_UNROLL(4)
    for (int r = 0; r < R; r++) {
        const long ih = ih0 + r;
        const bool row_in = ih >= 0 && ih < (long)g->H;
QB_UNROLL(4)
        for (int s = 0; s < S; s++) {
            const long iw = iw0 + s;
            const bool in = row_in && iw >= 0 && iw < (long)g->W;
            if (!in && !u8) continue;
            const __m512 v = in ? load16(x, u8, ((size_t)ih * g->W + (size_t)iw) * C + c, e->m) : e->pad;
            acc = _mm512_fmadd_ps(v, _mm512_loadu_ps(wt + (size_t)(r * S + s) * Cp + c), acc);
        }
    }
    store_px(e, acc, y, (oh * g->OW + ow) * C + c, u8);
}

/* The output columns [*a, *b) whose window of S columns at stride st lies
 * inside the image: iw0 = ow st - pad >= 0 and iw0 + S <= W. */
static inline void inside_columns(const qb_dw_geom *g, int S, size_t st, size_t *a, size_t *b)
{
    const size_t pad = (size_t)g->pad;
    *a = (pad + st - 1) / st;
    *b = g->W + pad >= (size_t)S ? (g->W + pad - (size_t)S) / st + 1 : 0;
    if (*b > g->OW) *b = g->OW;
    if (*a > *b) *a = *b;
}

/* Rows [oh0, oh1): per row, the border pixels one by one and the inside
 * ones eight at a time, then singly. */
QB_AVX512_INLINE void rows_of(const qb_dw_geom *g, size_t C, const qb_dw_nhwc_io *io, const void *x,
                              const float *wt, void *y, size_t oh0, size_t oh1, const bool u8,
                              const int R, const int S)
{
    const size_t Cp = qb_dw_nhwc_cp(C), st = (size_t)g->st, pad = (size_t)g->pad;
    size_t a, b;
    inside_columns(g, S, st, &a, &b);
    for (size_t oh = oh0; oh < oh1; oh++) {
        const long ih0 = (long)(oh * st) - (long)pad;
        const bool inside = ih0 >= 0 && ih0 + R <= (long)g->H;
        /* the edge pixels channel block by channel block; the inside ones
         * eight at a time through every channel block while their windows
         * are in L1 */
        for (size_t ow = 0; ow < g->OW; ow++) {
            if (inside && ow == a) ow = b;
            if (ow >= g->OW) break;
            for (size_t c = 0; c < C; c += V) {
                const dw_epi e = epi_of(io, C, c, u8);
                edge(g, C, Cp, &e, x, wt, y, oh, ow, c, u8, R, S);
            }
        }
        if (!inside) continue;
        size_t ow = a;
        for (; ow + PX <= b; ow += PX)
            for (size_t c = 0; c < C; c += V) {
                const dw_epi e = epi_of(io, C, c, u8);
                inner(g, C, Cp, &e, x, wt, y, oh, ow, c, PX, u8, R, S);
            }
        for (; ow < b; ow++)
            for (size_t c = 0; c < C; c += V) {
                const dw_epi e = epi_of(io, C, c, u8);
                inner(g, C, Cp, &e, x, wt, y, oh, ow, c, 1, u8, R, S);
            }
    }
}

/* Rows [oh0, oh1) of a 3x3 filter with stride ST (1 or 2): per row and
 * channel block the taps' weights into registers, then the row's pixels NP
 * at a time (8 for stride 1; 6 for stride 2, whose 15 input vectors, 9
 * weights and 6 sums fill the 32 registers) and its tail in one group; the
 * groups whose windows may cross the border take the EDGE copy. */
QB_AVX512_INLINE void rows3_of(const qb_dw_geom *g, size_t C, const qb_dw_nhwc_io *io, const void *x,
                               const float *wt, void *y, size_t oh0, size_t oh1, const bool u8,
                               const int ST, const int NP)
{
    const size_t Cp = qb_dw_nhwc_cp(C), pad = (size_t)g->pad;
    size_t a, b;
    inside_columns(g, 3, (size_t)ST, &a, &b);
    for (size_t oh = oh0; oh < oh1; oh++) {
        const long ih0 = (long)(oh * (size_t)ST) - (long)pad;
        const bool inside = ih0 >= 0 && ih0 + 3 <= (long)g->H;
        for (size_t c = 0; c < C; c += V) {
            const dw_epi e = epi_of(io, C, c, u8);
            __m512 w[9];
QB_UNROLL(9)
            for (int k = 0; k < 9; k++) w[k] = _mm512_loadu_ps(wt + (size_t)k * Cp + c);
            for (size_t ow = 0; ow < g->OW;) {
                const size_t np = g->OW - ow < (size_t)NP ? g->OW - ow : (size_t)NP;
                if (np == (size_t)NP && inside && ow >= a && ow + np <= b)
                    inner3(g, C, &e, x, w, y, oh, ow, c, NP, u8, ST, false);
                else
                    switch (np) {
                    case 1: inner3(g, C, &e, x, w, y, oh, ow, c, 1, u8, ST, true); break;
                    case 2: inner3(g, C, &e, x, w, y, oh, ow, c, 2, u8, ST, true); break;
                    case 3: inner3(g, C, &e, x, w, y, oh, ow, c, 3, u8, ST, true); break;
                    case 4: inner3(g, C, &e, x, w, y, oh, ow, c, 4, u8, ST, true); break;
                    case 5: inner3(g, C, &e, x, w, y, oh, ow, c, 5, u8, ST, true); break;
                    case 6: inner3(g, C, &e, x, w, y, oh, ow, c, 6, u8, ST, true); break;
                    /* 7 only where NP is 8: the stride-2 walker (NP 6) gets no copy of it */
                    case 7: inner3(g, C, &e, x, w, y, oh, ow, c, NP > 7 ? 7 : NP, u8, ST, true); break;
                    default: inner3(g, C, &e, x, w, y, oh, ow, c, NP, u8, ST, true); break;
                    }
                ow += np;
            }
        }
    }
}

/* One copy of a row walker with its constants: CALL runs it on the
 * function's arguments. */
#define ROWS(name, CALL)                                                                           \
    QB_AVX512 static void name(const qb_dw_geom *g, size_t C, const qb_dw_nhwc_io *io,             \
                               const void *x, const float *wt, void *y, size_t oh0, size_t oh1)    \
    {                                                                                              \
        CALL;                                                                                      \
    }
ROWS(rows_f32_3x3_s1, rows3_of(g, C, io, x, wt, y, oh0, oh1, false, 1, 8))
ROWS(rows_u8_3x3_s1, rows3_of(g, C, io, x, wt, y, oh0, oh1, true, 1, 8))
ROWS(rows_f32_3x3_s2, rows3_of(g, C, io, x, wt, y, oh0, oh1, false, 2, 6))
ROWS(rows_u8_3x3_s2, rows3_of(g, C, io, x, wt, y, oh0, oh1, true, 2, 6))
ROWS(rows_f32_3x3, rows_of(g, C, io, x, wt, y, oh0, oh1, false, 3, 3))
ROWS(rows_u8_3x3, rows_of(g, C, io, x, wt, y, oh0, oh1, true, 3, 3))
ROWS(rows_f32, rows_of(g, C, io, x, wt, y, oh0, oh1, false, g->R, g->S))
ROWS(rows_u8, rows_of(g, C, io, x, wt, y, oh0, oh1, true, g->R, g->S))
#undef ROWS

void qb_dw_nhwc_rows(const qb_dw_geom *g, size_t C, const qb_dw_nhwc_io *io, const void *x,
                     const float *wt, void *y, size_t oh0, size_t oh1)
{
    const bool u8 = io->type == QB_DW_U8;
    if (g->R == 3 && g->S == 3 && g->st == 1)
        (u8 ? rows_u8_3x3_s1 : rows_f32_3x3_s1)(g, C, io, x, wt, y, oh0, oh1);
    else if (g->R == 3 && g->S == 3 && g->st == 2)
        (u8 ? rows_u8_3x3_s2 : rows_f32_3x3_s2)(g, C, io, x, wt, y, oh0, oh1);
    else if (g->R == 3 && g->S == 3)
        (u8 ? rows_u8_3x3 : rows_f32_3x3)(g, C, io, x, wt, y, oh0, oh1);
    else
        (u8 ? rows_u8 : rows_f32)(g, C, io, x, wt, y, oh0, oh1);
}
