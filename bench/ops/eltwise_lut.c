/* Byte lookup-table kernels (see eltwise_lut.h). */
#include "eltwise_lut.h"

#include <immintrin.h>

void qb_lut8_build(uint8_t lut[256], const qb_qparams *in, const qb_qparams *out,
                   double (*f)(double))
{
    const bool u8 = in->range == QB_RANGE_UINT8;
    for (int b = 0; b < 256; b++) {
        const int32_t q = u8 ? b : (int8_t)(uint8_t)b;
        const float x = qb_dequant1(q, in->scale[0], in->zero_point[0]);
        const int32_t r =
            qb_quant1((float)f(x), out->scale[0], out->zero_point[0], out->qmin, out->qmax);
        lut[b] = (uint8_t)r;
    }
}

static void lut_avx2(const uint8_t *x, uint8_t *y, size_t n, const uint8_t lut[256], bool nt)
{
    __m256i row[16];
    for (int h = 0; h < 16; h++)
        row[h] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(lut + 16 * h)));
    const __m256i low = _mm256_set1_epi8(0x0f);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(x + i));
        const __m256i lo = _mm256_and_si256(v, low);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
        __m256i r = _mm256_shuffle_epi8(row[0], lo);
        for (int h = 1; h < 16; h++) {
            const __m256i m = _mm256_cmpeq_epi8(hi, _mm256_set1_epi8((char)h));
            r = _mm256_blendv_epi8(r, _mm256_shuffle_epi8(row[h], lo), m);
        }
        if (nt)
            _mm256_stream_si256((__m256i *)(y + i), r);
        else
            _mm256_storeu_si256((__m256i *)(y + i), r);
    }
    for (; i < n; i++)
        y[i] = lut[x[i]];
}

__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static void
lut_vbmi(const uint8_t *x, uint8_t *y, size_t n, const uint8_t lut[256], bool nt)
{
    const __m512i t0 = _mm512_loadu_si512(lut), t1 = _mm512_loadu_si512(lut + 64);
    const __m512i t2 = _mm512_loadu_si512(lut + 128), t3 = _mm512_loadu_si512(lut + 192);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m512i v = _mm512_loadu_si512(x + i);
        const __m512i a = _mm512_permutex2var_epi8(t0, v, t1); /* bits 0-6 of the index */
        const __m512i b = _mm512_permutex2var_epi8(t2, v, t3);
        const __m512i r = _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), a, b); /* bit 7 */
        if (nt)
            _mm512_stream_si512((__m512i *)(y + i), r);
        else
            _mm512_storeu_si512(y + i, r);
    }
    for (; i < n; i++)
        y[i] = lut[x[i]];
}

void qb_lut8_apply(const uint8_t *x, uint8_t *y, size_t n, const uint8_t lut[256], bool vbmi,
                   bool nt)
{
    if (vbmi)
        lut_vbmi(x, y, n, lut, nt);
    else
        lut_avx2(x, y, n, lut, nt);
}
