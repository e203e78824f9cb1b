/* AVX2 building blocks of the memory-bound kernels: exp and the activations
 * built on it, binary16 loads and stores, the float requantization of
 * eight int32 lanes to int8/uint8, and an 8x8 register transpose.
 *
 * exp: x clamped to [-86.5, 88], x = n ln2 + r with |r| <= ln2/2 (ln2 split
 * in two parts so n ln2 is exact), e^r by its degree-7 Taylor polynomial
 * (truncation below 6e-9 relative), 2^n added to the exponent field. About
 * 1 ulp; the clamp keeps 2^n normal, so exp(x < -86.5) returns 2.6e-38
 * instead of a smaller number (harmless for every use here). */
#ifndef QB_ELTWISE_SIMD_H
#define QB_ELTWISE_SIMD_H

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

static inline __m256 qb_v_exp(__m256 x)
{
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-86.5f)), _mm256_set1_ps(88.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x); /* ln2 high part: 8 bits */
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);     /* ln2 - high part */
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i e = _mm256_slli_epi32(_mm256_cvtps_epi32(n), 23);
    return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), e));
}

/* 1 / d by vrcpps (12 bits) and one Newton step, r (2 - d r): about 1 ulp
 * short of a division, at a fraction of vdivps's cost (the activations are
 * otherwise bound by it). A d whose reciprocal is denormal gives 0. */
static inline __m256 qb_v_recip(__m256 d)
{
    const __m256 r = _mm256_rcp_ps(d);
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(2.0f)));
}

/* 1 / (1 + e^-x) */
static inline __m256 qb_v_sigmoid(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    return qb_v_recip(_mm256_add_ps(one, qb_v_exp(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/* x / (1 + e^-x) */
static inline __m256 qb_v_swish(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_mul_ps(
        x, qb_v_recip(_mm256_add_ps(one, qb_v_exp(_mm256_sub_ps(_mm256_setzero_ps(), x)))));
}

/* sign(x) (1 - e) / (1 + e) with e = e^-2|x|: no overflow for any x; near 0
 * the subtraction costs relative but not absolute accuracy (|error| ~ 1e-7). */
static inline __m256 qb_v_tanh(__m256 x)
{
    const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    const __m256 ax = _mm256_andnot_ps(sign, x);
    const __m256 e = qb_v_exp(_mm256_mul_ps(ax, _mm256_set1_ps(-2.0f)));
    const __m256 t = _mm256_mul_ps(_mm256_sub_ps(one, e), qb_v_recip(_mm256_add_ps(one, e)));
    return _mm256_or_ps(t, _mm256_and_ps(sign, x));
}

static inline __m256 qb_v_relu(__m256 x)
{
    return _mm256_max_ps(x, _mm256_setzero_ps());
}

static inline __m256 qb_v_relu6(__m256 x)
{
    return _mm256_min_ps(_mm256_max_ps(x, _mm256_setzero_ps()), _mm256_set1_ps(6.0f));
}

/* Eight binary16 values to float and back (round to nearest even). */
static inline __m256 qb_v_ld16(const uint16_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

static inline __m128i qb_v_cvt16(__m256 v)
{
    return _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
}

/* Sixteen binary16 values (two vectors) to 32 bytes, streamed or stored; p
 * must be 32-byte aligned when streaming. */
static inline void qb_v_st16x2(uint16_t *p, __m256 a, __m256 b, int nt)
{
    const __m256i v = _mm256_set_m128i(qb_v_cvt16(b), qb_v_cvt16(a));
    if (nt)
        _mm256_stream_si256((__m256i *)p, v);
    else
        _mm256_storeu_si256((__m256i *)p, v);
}

static inline void qb_v_st32(void *p, __m256i v, int nt)
{
    if (nt)
        _mm256_stream_si256((__m256i *)p, v);
    else
        _mm256_storeu_si256((__m256i *)p, v);
}

static inline void qb_v_stps(float *p, __m256 v, int nt)
{
    if (nt)
        _mm256_stream_ps(p, v);
    else
        _mm256_storeu_ps(p, v);
}

/* Float requantization of eight lanes: r clamped to [lo, hi] = [qmin - zo,
 * qmax - zo] (max then min, so NaN becomes lo), rounded half to even
 * (vcvtps2dq under the default MXCSR), plus zo. The scalar twin below is
 * what the references call: same operations in the same order. */
typedef struct {
    __m256 lo, hi;
    __m256i zo;
} qb_v_rq;

static inline qb_v_rq qb_v_rq_make(int32_t zo, int32_t qmin, int32_t qmax)
{
    return (qb_v_rq){_mm256_set1_ps((float)(qmin - zo)), _mm256_set1_ps((float)(qmax - zo)),
                     _mm256_set1_epi32(zo)};
}

static inline __m256i qb_v_rq_apply(const qb_v_rq *q, __m256 r)
{
    r = _mm256_min_ps(_mm256_max_ps(r, q->lo), q->hi);
    return _mm256_add_epi32(_mm256_cvtps_epi32(r), q->zo);
}

static inline int32_t qb_rq_scalar(float r, int32_t zo, int32_t qmin, int32_t qmax)
{
    const float lo = (float)(qmin - zo), hi = (float)(qmax - zo);
    r = r > lo ? r : lo; /* vmaxps(r, lo): lo when unordered */
    r = r < hi ? r : hi;
    return (int32_t)rintf(r) + zo;
}

/* qb_requant_shift (quant.h) on eight lanes with |acc| <= 2^30: the rounding
 * right shift by k > 0, or for k <= 0 a left shift that saturates. */
static inline __m256i qb_v_shift_rq(__m256i acc, int k, int32_t zo, int32_t qmin, int32_t qmax)
{
    if (k > 0) {
        if (k > 31) k = 31; /* |acc| < 2^30: k >= 31 rounds to 0 either way */
        const __m256i hi = _mm256_sra_epi32(acc, _mm_cvtsi32_si128(k));
        const __m256i half = _mm256_sra_epi32(acc, _mm_cvtsi32_si128(k - 1));
        acc = _mm256_add_epi32(hi, _mm256_and_si256(half, _mm256_set1_epi32(1)));
    } else if (k < 0) {
        /* a value beyond +-256 saturates whatever the shift, so clamp first
         * and the left shift cannot overflow */
        acc = _mm256_min_epi32(_mm256_max_epi32(acc, _mm256_set1_epi32(-256)),
                               _mm256_set1_epi32(256));
        acc = _mm256_sll_epi32(acc, _mm_cvtsi32_si128(-k > 22 ? 22 : -k));
    }
    acc = _mm256_add_epi32(acc, _mm256_set1_epi32(zo));
    return _mm256_min_epi32(_mm256_max_epi32(acc, _mm256_set1_epi32(qmin)),
                            _mm256_set1_epi32(qmax));
}

/* Four vectors of eight in-range int32 lanes (elements 0-7, 8-15, 16-23,
 * 24-31) to 32 bytes in element order; signed or unsigned saturation gives
 * the same bytes for values already within the output's range. */
static inline __m256i qb_v_pack4(__m256i a, __m256i b, __m256i c, __m256i d, int u8)
{
    const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    const __m256i v = u8 ? _mm256_packus_epi16(ab, cd) : _mm256_packs_epi16(ab, cd);
    /* the packs interleave 128-bit lanes: bytes come out as 4-byte groups
     * a0 b0 c0 d0 a1 b1 c1 d1 */
    return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* Eight in-range int32 lanes to 8 bytes. */
static inline uint64_t qb_v_pack1(__m256i a, int u8)
{
    const __m128i lo = _mm256_castsi256_si128(a), hi = _mm256_extracti128_si256(a, 1);
    const __m128i w = _mm_packs_epi32(lo, hi);
    const __m128i b = u8 ? _mm_packus_epi16(w, w) : _mm_packs_epi16(w, w);
    return (uint64_t)_mm_cvtsi128_si64(b);
}

/* An 8x8 float transpose in registers, in place: lane k of v[j] becomes
 * lane j of v[k] (unpacks, then shuffles, then 128-bit swaps). */
static inline __attribute__((always_inline)) void qb_v_tr8(__m256 v[8])
{
    __m256 t[8], u[8];
#pragma GCC unroll 4
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
    }
#pragma GCC unroll 2
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        v[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        v[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/* Eight bytes widened to int32 lanes (signed or unsigned). */
static inline __m256i qb_v_widen8(const void *p, int u8)
{
    const __m128i b = _mm_loadl_epi64((const __m128i *)p);
    return u8 ? _mm256_cvtepu8_epi32(b) : _mm256_cvtepi8_epi32(b);
}

#endif
