/* binary16 <-> binary32 with F16C (the whole build targets -mf16c): fp16 is a
 * storage format here, the arithmetic is fp32. Round to nearest even. */
#ifndef QB_GEMM_F16_H
#define QB_GEMM_F16_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

static inline float qb_f16_to_f32(uint16_t h)
{
    return _cvtsh_ss(h);
}

static inline uint16_t qb_f32_to_f16(float f)
{
    return (uint16_t)_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT);
}

void qb_f32_to_f16_n(const float *x, uint16_t *y, size_t n);
void qb_f16_to_f32_n(const uint16_t *x, float *y, size_t n);

#endif
