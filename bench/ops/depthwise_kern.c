/* Depthwise convolution kernels (see depthwise.h). */
#include "depthwise.h"

#include "depthwise_rq.h"
#include "eltwise_simd.h"

#include <immintrin.h>
#include <string.h>

#define SLACK 32

void qb_dw_geom_make(qb_dw_geom *g, size_t H, size_t W, int R, int S, int st, int pad)
{
    g->R = R, g->S = S, g->st = st, g->pad = pad;
    g->H = H, g->W = W;
    g->OH = (H + 2 * (size_t)pad - (size_t)R) / (size_t)st + 1;
    g->OW = (W + 2 * (size_t)pad - (size_t)S) / (size_t)st + 1;
    g->Hp = H + 2 * (size_t)pad;
    g->Wp = W + 2 * (size_t)pad + SLACK;
}

/* Border and slack of a padded plane, element size esz, filled with v
 * (a float or a byte); the interior is written by the caller. */
#define PAD_BORDER(T, xp, g, v)                                                                    \
    do {                                                                                           \
        const size_t p_ = (size_t)(g)->pad;                                                        \
        for (size_t r_ = 0; r_ < (g)->Hp; r_++) {                                                  \
            T *row_ = (xp) + r_ * (g)->Wp;                                                         \
            if (r_ < p_ || r_ >= p_ + (g)->H) {                                                    \
                for (size_t c_ = 0; c_ < (g)->Wp; c_++)                                            \
                    row_[c_] = (v);                                                                \
            } else {                                                                               \
                for (size_t c_ = 0; c_ < p_; c_++)                                                 \
                    row_[c_] = (v);                                                                \
                for (size_t c_ = p_ + (g)->W; c_ < (g)->Wp; c_++)                                  \
                    row_[c_] = (v);                                                                \
            }                                                                                      \
        }                                                                                          \
    } while (0)

void qb_dw_pad_f32(const qb_dw_geom *g, const float *x, float *xp, bool border)
{
    if (border) PAD_BORDER(float, xp, g, 0.0f);
    for (size_t h = 0; h < g->H; h++)
        memcpy(xp + (h + (size_t)g->pad) * g->Wp + g->pad, x + h * g->W, g->W * sizeof *x);
}

void qb_dw_pad_f16(const qb_dw_geom *g, const uint16_t *x, float *xp, bool border)
{
    if (border) PAD_BORDER(float, xp, g, 0.0f);
    for (size_t h = 0; h < g->H; h++) {
        float *o = xp + (h + (size_t)g->pad) * g->Wp + g->pad;
        const uint16_t *i = x + h * g->W;
        size_t w = 0;
        for (; w + 8 <= g->W; w += 8)
            _mm256_storeu_ps(o + w, qb_v_ld16(i + w));
        for (; w < g->W; w++)
            o[w] = _cvtsh_ss(i[w]);
    }
}

void qb_dw_pad_u8(const qb_dw_geom *g, const uint8_t *x, uint8_t za, uint8_t *xp, bool border)
{
    if (border) PAD_BORDER(uint8_t, xp, g, za);
    for (size_t h = 0; h < g->H; h++)
        memcpy(xp + (h + (size_t)g->pad) * g->Wp + g->pad, x + h * g->W, g->W);
}

/* ---- fp32 ---- */

static void plane_f32_s1(const qb_dw_geom *g, const float *xp, const float *w, float bias, float *y)
{
    const int R = g->R, S = g->S;
    const size_t OW = g->OW;
    for (size_t oh = 0; oh < g->OH; oh++) {
        float *yr = y + oh * OW;
        for (size_t ow = 0; ow < OW; ow += 32) {
            __m256 a0 = _mm256_set1_ps(bias), a1 = a0, a2 = a0, a3 = a0;
            for (int r = 0; r < R; r++) {
                const float *xr = xp + (oh + (size_t)r) * g->Wp + ow;
                for (int s = 0; s < S; s++) {
                    const __m256 wv = _mm256_broadcast_ss(w + r * S + s);
                    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(xr + s), wv, a0);
                    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(xr + s + 8), wv, a1);
                    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(xr + s + 16), wv, a2);
                    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(xr + s + 24), wv, a3);
                }
            }
            if (ow + 32 <= OW) {
                _mm256_storeu_ps(yr + ow, a0);
                _mm256_storeu_ps(yr + ow + 8, a1);
                _mm256_storeu_ps(yr + ow + 16, a2);
                _mm256_storeu_ps(yr + ow + 24, a3);
            } else {
                float t[32];
                _mm256_storeu_ps(t, a0);
                _mm256_storeu_ps(t + 8, a1);
                _mm256_storeu_ps(t + 16, a2);
                _mm256_storeu_ps(t + 24, a3);
                memcpy(yr + ow, t, (OW - ow) * sizeof *t);
            }
        }
    }
}

/* Stride 2: eight outputs of a row per step, their inputs the even
 * columns of 16 loaded ones (shuffled, then the 64-bit lanes reordered);
 * the slack columns of the padded plane cover the last step's overread. */
static inline __m256 even8(const float *x)
{
    const __m256 a = _mm256_loadu_ps(x), b = _mm256_loadu_ps(x + 8);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))),
                                                  _MM_SHUFFLE(3, 1, 2, 0)));
}

static void plane_f32_s2(const qb_dw_geom *g, const float *xp, const float *w, float bias, float *y)
{
    const int R = g->R, S = g->S;
    const size_t OW = g->OW;
    for (size_t oh = 0; oh < g->OH; oh++) {
        float *yr = y + oh * OW;
        size_t ow = 0;
        /* 32 outputs a step in four independent sums (one sum's chain of
         * dependent FMAs left the FMA units idle most of the time), while
         * their 64 input columns stay inside the padded row */
        for (; ow + 32 <= OW && 2 * ow + 64 + (size_t)S <= g->Wp; ow += 32) {
            __m256 a0 = _mm256_set1_ps(bias), a1 = a0, a2 = a0, a3 = a0;
            for (int r = 0; r < R; r++) {
                const float *xr = xp + (oh * 2 + (size_t)r) * g->Wp + 2 * ow;
                for (int s = 0; s < S; s++) {
                    const __m256 wv = _mm256_broadcast_ss(w + r * S + s);
                    a0 = _mm256_fmadd_ps(even8(xr + s), wv, a0);
                    a1 = _mm256_fmadd_ps(even8(xr + s + 16), wv, a1);
                    a2 = _mm256_fmadd_ps(even8(xr + s + 32), wv, a2);
                    a3 = _mm256_fmadd_ps(even8(xr + s + 48), wv, a3);
                }
            }
            _mm256_storeu_ps(yr + ow, a0);
            _mm256_storeu_ps(yr + ow + 8, a1);
            _mm256_storeu_ps(yr + ow + 16, a2);
            _mm256_storeu_ps(yr + ow + 24, a3);
        }
        for (; ow < OW; ow += 8) {
            __m256 acc = _mm256_set1_ps(bias);
            for (int r = 0; r < R; r++) {
                const float *xr = xp + (oh * 2 + (size_t)r) * g->Wp + 2 * ow;
                for (int s = 0; s < S; s++)
                    acc = _mm256_fmadd_ps(even8(xr + s), _mm256_broadcast_ss(w + r * S + s), acc);
            }
            if (ow + 8 <= OW) {
                _mm256_storeu_ps(yr + ow, acc);
            } else {
                float t[8];
                _mm256_storeu_ps(t, acc);
                memcpy(yr + ow, t, (OW - ow) * sizeof *t);
            }
        }
    }
}

static void plane_f32_any(const qb_dw_geom *g, const float *xp, const float *w, float bias,
                          float *y)
{
    for (size_t oh = 0; oh < g->OH; oh++)
        for (size_t ow = 0; ow < g->OW; ow++) {
            float acc = bias;
            for (int r = 0; r < g->R; r++) {
                const float *xr =
                    xp + (oh * (size_t)g->st + (size_t)r) * g->Wp + ow * (size_t)g->st;
                for (int s = 0; s < g->S; s++)
                    acc = fmaf(xr[s], w[r * g->S + s], acc);
            }
            y[oh * g->OW + ow] = acc;
        }
}

void qb_dw_plane_f32(const qb_dw_geom *g, const float *xp, const float *w, float bias, float *y)
{
    if (g->st == 1)
        plane_f32_s1(g, xp, w, bias, y);
    else if (g->st == 2 && 2 * (g->OW + 7) + (size_t)g->S + 8 <= g->Wp)
        plane_f32_s2(g, xp, w, bias, y);
    else
        plane_f32_any(g, xp, w, bias, y);
}

/* ---- int8 ---- */

/* The taps in pairs for vpmaddwd: tap t at offset off[t] in the padded
 * plane (row, column), and each pair's weights as int16 (w0, w1) in one
 * int32; an odd last tap pairs with weight 0. Returns the pair count. */
static int tap_pairs(const qb_dw_geom *g, const int8_t *w, size_t off[64], __m256i wp[32])
{
    const int S = g->S, taps = g->R * S, pairs = (taps + 1) / 2;
    for (int t = 0; t < 2 * pairs; t++)
        off[t] = t < taps ? (size_t)(t / S) * g->Wp + (size_t)(t % S) : off[t - 1];
    for (int p = 0; p < pairs; p++) {
        const int32_t w0 = w[2 * p], w1 = 2 * p + 1 < taps ? w[2 * p + 1] : 0;
        wp[p] = _mm256_set1_epi32((int32_t)((uint32_t)(uint16_t)w0 | ((uint32_t)(uint16_t)w1 << 16)));
    }
    return pairs;
}

/* Requantize the 16 sums of a row step (lo: outputs 0-3, 8-11; hi: 4-7,
 * 12-15, as the unpacks left them) and store the first n (<= 16) bytes. */
static inline void store16(const qb_dw_rq *q, const qb_v_rq *vq, __m256i lo, __m256i hi, uint8_t *y, size_t n)
{
    /* packs undoes the unpack's interleave: outputs 0-15 in order */
    const __m256i w16 = _mm256_packs_epi32(qb_dw_rq8(q, vq, lo), qb_dw_rq8(q, vq, hi));
    const __m256i b = q->u8 ? _mm256_packus_epi16(w16, w16) : _mm256_packs_epi16(w16, w16);
    const __m128i r = _mm256_castsi256_si128(_mm256_permute4x64_epi64(b, 0x08));
    if (n >= 16) {
        _mm_storeu_si128((__m128i *)y, r);
    } else {
        uint8_t t[16];
        _mm_storeu_si128((__m128i *)t, r);
        memcpy(y, t, n);
    }
}

static void plane_i8_s1(const qb_dw_geom *g, const uint8_t *xp, const int8_t *w, const qb_dw_rq *qp,
                        uint8_t *y)
{
    const qb_dw_rq qv = *qp, *q = &qv; /* a local copy: the byte stores cannot alias it */
    size_t off[64];
    __m256i wp[32];
    const int pairs = tap_pairs(g, w, off, wp);
    const size_t OW = g->OW;
    const qb_v_rq vq = qb_v_rq_make(q->zo, q->qmin, q->qmax);
    const __m256i bias = _mm256_set1_epi32(q->bias);
    for (size_t oh = 0; oh < g->OH; oh++) {
        const uint8_t *xr = xp + oh * g->Wp;
        uint8_t *yr = y + oh * OW;
        for (size_t ow = 0; ow < OW; ow += 16) {
            __m256i lo = bias, hi = bias; /* outputs 0-3, 8-11 and 4-7, 12-15 */
            for (int p = 0; p < pairs; p++) {
                const __m256i x0 =
                    _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(xr + off[2 * p] + ow)));
                const __m256i x1 = _mm256_cvtepu8_epi16(
                    _mm_loadu_si128((const __m128i *)(xr + off[2 * p + 1] + ow)));
                lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), wp[p]));
                hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), wp[p]));
            }
            store16(q, &vq, lo, hi, yr + ow, OW - ow);
        }
    }
}

/* The rows of plane_i8_s2 below, for `pairs` tap pairs: inlined with pairs
 * a constant where it is one (3x3: five pairs), so the offsets and weights
 * stay in registers and the pair loop unrolls. */
__attribute__((always_inline)) static inline void rows_i8_s2(const qb_dw_geom *g, const uint8_t *xp,
                                                            const qb_dw_rq *q, const size_t *off,
                                                            const __m256i *wp, const int pairs, uint8_t *y)
{
    const size_t OW = g->OW;
    const qb_v_rq vq = qb_v_rq_make(q->zo, q->qmin, q->qmax);
    const __m256i even = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1, 0, 2, 4, 6, 8,
                                          10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m256i bias = _mm256_set1_epi32(q->bias);
    for (size_t oh = 0; oh < g->OH; oh++) {
        const uint8_t *xr = xp + oh * 2 * g->Wp;
        uint8_t *yr = y + oh * OW;
        for (size_t ow = 0; ow < OW; ow += 16) {
            __m256i lo = bias, hi = bias; /* outputs 0-3, 8-11 and 4-7, 12-15 */
            for (int p = 0; p < pairs; p++) {
                const __m256i v0 = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(xr + off[2 * p] + 2 * ow)), even);
                const __m256i v1 =
                    _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(xr + off[2 * p + 1] + 2 * ow)), even);
                const __m256i x0 = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(_mm256_permute4x64_epi64(v0, 0x08)));
                const __m256i x1 = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(_mm256_permute4x64_epi64(v1, 0x08)));
                lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), wp[p]));
                hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), wp[p]));
            }
            store16(q, &vq, lo, hi, yr + ow, OW - ow);
        }
    }
}

/* Stride 2: sixteen outputs of a row per step. Each tap's inputs are the
 * even bytes of 32 loaded ones (vpshufb per 128-bit lane, then the two
 * lanes' halves joined), widened to int16; taps go in pairs through
 * vpmaddwd against (w0, w1) as the stride-1 kernel does (exact: |x w| sums
 * of two stay far inside int32). The padded row's slack covers the
 * overread of the last step. */
static void plane_i8_s2(const qb_dw_geom *g, const uint8_t *xp, const int8_t *w, const qb_dw_rq *qp,
                        uint8_t *y)
{
    const qb_dw_rq qv = *qp, *q = &qv;
    size_t off[64];
    __m256i wp[32];
    const int pairs = tap_pairs(g, w, off, wp);
    if (pairs == 5) rows_i8_s2(g, xp, q, off, wp, 5, y);
    else rows_i8_s2(g, xp, q, off, wp, pairs, y);
}

static void plane_i8_any(const qb_dw_geom *g, const uint8_t *xp, const int8_t *w, const qb_dw_rq *q,
                         uint8_t *y)
{
    for (size_t oh = 0; oh < g->OH; oh++)
        for (size_t ow = 0; ow < g->OW; ow++) {
            int32_t acc = q->bias;
            for (int r = 0; r < g->R; r++) {
                const uint8_t *xr =
                    xp + (oh * (size_t)g->st + (size_t)r) * g->Wp + ow * (size_t)g->st;
                for (int s = 0; s < g->S; s++)
                    acc += xr[s] * w[r * g->S + s];
            }
            y[oh * g->OW + ow] = (uint8_t)qb_dw_rq1(q, acc);
        }
}

/* The rows of plane_i8_s1_vnni below, for `groups` groups of four taps:
 * inlined with groups a constant where it is one (3x3: three groups), so the
 * taps' offsets and weights stay in registers and the group loop unrolls. */
__attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni"), always_inline)) static inline void
rows_i8_s1_vnni(const qb_dw_geom *g, const uint8_t *xp, const qb_dw_rq *q, const size_t *off,
                const __m256i *wg, const int groups, uint8_t *y)
{
    const size_t OW = g->OW;
    const qb_v_rq vq = qb_v_rq_make(q->zo, q->qmin, q->qmax);
    const __m256i bias = _mm256_set1_epi32(q->bias);
    for (size_t oh = 0; oh < g->OH; oh++) {
        const uint8_t *xr = xp + oh * g->Wp;
        uint8_t *yr = y + oh * OW;
        for (size_t ow = 0; ow < OW; ow += 32) {
            __m256i acc0 = bias, acc1 = bias, acc2 = bias, acc3 = bias;
            for (int k = 0; k < groups; k++) {
                const __m256i v0 = _mm256_loadu_si256((const __m256i *)(xr + off[4 * k] + ow));
                const __m256i v1 = _mm256_loadu_si256((const __m256i *)(xr + off[4 * k + 1] + ow));
                const __m256i v2 = _mm256_loadu_si256((const __m256i *)(xr + off[4 * k + 2] + ow));
                const __m256i v3 = _mm256_loadu_si256((const __m256i *)(xr + off[4 * k + 3] + ow));
                const __m256i a = _mm256_unpacklo_epi8(v0, v1), b = _mm256_unpackhi_epi8(v0, v1);
                const __m256i c = _mm256_unpacklo_epi8(v2, v3), d = _mm256_unpackhi_epi8(v2, v3);
                acc0 = _mm256_dpbusd_epi32(acc0, _mm256_unpacklo_epi16(a, c), wg[k]);
                acc1 = _mm256_dpbusd_epi32(acc1, _mm256_unpackhi_epi16(a, c), wg[k]);
                acc2 = _mm256_dpbusd_epi32(acc2, _mm256_unpacklo_epi16(b, d), wg[k]);
                acc3 = _mm256_dpbusd_epi32(acc3, _mm256_unpackhi_epi16(b, d), wg[k]);
            }
            const __m256i lo = _mm256_packs_epi32(qb_dw_rq8(q, &vq, acc0), qb_dw_rq8(q, &vq, acc1)),
                          hi = _mm256_packs_epi32(qb_dw_rq8(q, &vq, acc2), qb_dw_rq8(q, &vq, acc3));
            const __m256i r = q->u8 ? _mm256_packus_epi16(lo, hi) : _mm256_packs_epi16(lo, hi);
            if (ow + 32 <= OW) {
                _mm256_storeu_si256((__m256i *)(yr + ow), r);
            } else {
                uint8_t t[32];
                _mm256_storeu_si256((__m256i *)t, r);
                memcpy(yr + ow, t, OW - ow);
            }
        }
    }
}

/* Stride 1 with AVX512-VNNI on 256-bit vectors: four taps per vpdpbusd.
 * The four taps' 32 inputs are interleaved into dwords [x0 x1 x2 x3] per
 * output (two byte unpacks, two 16-bit unpacks: outputs 0-3|16-19, 4-7|20-23,
 * 8-11|24-27, 12-15|28-31), multiplied by the dword of the four weights and
 * summed into int32 without saturation; the packs restore the order. A
 * group short of four taps repeats its first tap with weight 0. */
__attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni"))) static void
plane_i8_s1_vnni(const qb_dw_geom *g, const uint8_t *xp, const int8_t *w, const qb_dw_rq *qp,
                 uint8_t *y)
{
    const qb_dw_rq qv = *qp, *q = &qv;
    const int taps = g->R * g->S, groups = (taps + 3) / 4;
    size_t off[64];
    __m256i wg[16];
    for (int t = 0; t < 4 * groups; t++)
        off[t] = t < taps ? (size_t)(t / g->S) * g->Wp + (size_t)(t % g->S) : off[4 * (t / 4)];
    for (int k = 0; k < groups; k++) {
        uint32_t b = 0;
        for (int j = 0; j < 4; j++)
            if (4 * k + j < taps) b |= (uint32_t)(uint8_t)w[4 * k + j] << (8 * j);
        wg[k] = _mm256_set1_epi32((int32_t)b);
    }
    if (groups == 3) rows_i8_s1_vnni(g, xp, q, off, wg, 3, y);
    else rows_i8_s1_vnni(g, xp, q, off, wg, groups, y);
}

void qb_dw_plane_i8(const qb_dw_geom *g, const uint8_t *xp, const int8_t *w, const qb_dw_rq *q,
                    bool vnni, uint8_t *y)
{
    /* the stride-1 kernels keep at most 64 taps' offsets */
    if (g->st == 1 && g->R * g->S <= 64 && vnni)
        plane_i8_s1_vnni(g, xp, w, q, y);
    else if (g->st == 1 && g->R * g->S <= 64)
        plane_i8_s1(g, xp, w, q, y);
    else if (g->st == 2 && g->R * g->S <= 64 && 2 * ((g->OW - 1) / 16 * 16) + (size_t)g->S + 31 <= g->Wp)
        plane_i8_s2(g, xp, w, q, y);
    else
        plane_i8_any(g, xp, w, q, y);
}
