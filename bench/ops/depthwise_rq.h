/* The int8 depthwise epilogue of one channel (qb_dw_rq, depthwise.h) on one
 * int32 sum and on eight: the rounding shift for pow2 scales, otherwise the
 * float multiply and the clamp-round-offset of eltwise_simd.h. Shared by the
 * plane kernels and the channels-last ones, so both requantize alike. */
#ifndef QB_DEPTHWISE_RQ_H
#define QB_DEPTHWISE_RQ_H

#include "depthwise.h"
#include "eltwise_simd.h"
#include "quant.h"

#include <immintrin.h>

static inline int32_t qb_dw_rq1(const qb_dw_rq *q, int32_t acc)
{
    return q->use_shift ? qb_requant_shift(acc, q->shift, q->zo, q->qmin, q->qmax)
                        : qb_requant_float(acc, q->mult, q->zo, q->qmin, q->qmax);
}

static inline __m256i qb_dw_rq8(const qb_dw_rq *q, const qb_v_rq *vq, __m256i acc)
{
    return q->use_shift
               ? qb_v_shift_rq(acc, q->shift, q->zo, q->qmin, q->qmax)
               : qb_v_rq_apply(vq, _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_set1_ps(q->mult)));
}

#endif
