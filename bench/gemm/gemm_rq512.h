/* Requantization with a float multiplier on zmm (QB_EPI_RQ_FLOAT): the steps
 * of qb_requant_float on 16 accumulators at once, for the zmm kernels that
 * requantize their own tiles (gemm_i8.c, gemm_conv_i8.c). */
#ifndef QB_GEMM_RQ512_H
#define QB_GEMM_RQ512_H

#include "gemm_types.h"

#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#define QB_RQ512_INLINE __attribute__((target("avx512f"), always_inline)) static inline

typedef struct {
    __m512 lo, hi; /* the output range less the zero point */
    __m512i zo;
    bool sgn;      /* int8 output (else uint8) */
} qb_rq512;

/* For outputs in [qmin, qmax] with zero point zo (qmin < 0: int8, else uint8). */
QB_RQ512_INLINE qb_rq512 qb_rq512_range(int32_t qmin, int32_t qmax, int32_t zo)
{
    return (qb_rq512){.lo = _mm512_set1_ps((float)(qmin - zo)),
                      .hi = _mm512_set1_ps((float)(qmax - zo)),
                      .zo = _mm512_set1_epi32(zo),
                      .sgn = qmin < 0};
}

QB_RQ512_INLINE qb_rq512 qb_rq512_of(const qb_epilogue *e)
{
    return qb_rq512_range(e->qmin, e->qmax, e->zo);
}

/* acc (its bias added) times m, clamped, rounded to nearest even, plus the
 * zero point. Clamping to whole bounds before rounding gives what clamping
 * after it does, so the result is already in range. */
QB_RQ512_INLINE __m512i qb_rq512_apply(const qb_rq512 *k, __m512i acc, __m512 m)
{
    const __m512 f = _mm512_max_ps(_mm512_min_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc), m), k->hi), k->lo);
    return _mm512_add_epi32(_mm512_cvtps_epi32(f), k->zo);
}

/* The 16 results as bytes at d, the lanes of mask m (all 16: 0xffff). */
QB_RQ512_INLINE void qb_rq512_store(const qb_rq512 *k, void *d, __mmask16 m, __m512i q)
{
    if (m == 0xffff)
        _mm_storeu_si128((__m128i *)d, k->sgn ? _mm512_cvtsepi32_epi8(q) : _mm512_cvtusepi32_epi8(q));
    else if (k->sgn)
        _mm512_mask_cvtsepi32_storeu_epi8(d, m, q);
    else
        _mm512_mask_cvtusepi32_storeu_epi8(d, m, q);
}

#endif
