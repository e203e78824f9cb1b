/* Copy and transpose kernels (see layout_kern.h). */
#include "layout_kern.h"

#include "eltwise_simd.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

void qb_lay_copy(void *dst, const void *src, size_t bytes, bool nt)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (!nt || bytes < 64) {
        memcpy(d, s, bytes);
        return;
    }
    const size_t head = (32 - ((uintptr_t)d & 31)) & 31;
    memcpy(d, s, head);
    size_t i = head;
    for (; i + 128 <= bytes; i += 128) {
        const __m256i a = _mm256_loadu_si256((const __m256i *)(s + i));
        const __m256i b = _mm256_loadu_si256((const __m256i *)(s + i + 32));
        const __m256i c = _mm256_loadu_si256((const __m256i *)(s + i + 64));
        const __m256i e = _mm256_loadu_si256((const __m256i *)(s + i + 96));
        _mm256_stream_si256((__m256i *)(d + i), a);
        _mm256_stream_si256((__m256i *)(d + i + 32), b);
        _mm256_stream_si256((__m256i *)(d + i + 64), c);
        _mm256_stream_si256((__m256i *)(d + i + 96), e);
    }
    memcpy(d + i, s + i, bytes - i);
}

/* ---- register transposes of one tile (strides in elements) ----
 * Every loop below is unrolled (GCC does not unroll them at -O2 by itself,
 * and the arrays then live on the stack instead of in registers). */

static inline __attribute__((always_inline)) void tr8x8_f32(const float *s, size_t ss, float *d,
                                                            size_t ds)
{
    __m256 r[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++)
        r[i] = _mm256_loadu_ps(s + i * ss);
    qb_v_tr8(r);
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++)
        _mm256_storeu_ps(d + i * ds, r[i]);
}

/* n x n with n = 8 (16-bit) or 16 (bytes): log2(n) identical stages, each
 * pairing register i with i + n/2; every stage moves one bit of the row
 * index into the element position and one bit of the column index out. */
static inline __attribute__((always_inline)) void stage16(const __m128i *a, __m128i *b)
{
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        b[2 * i] = _mm_unpacklo_epi16(a[i], a[i + 4]);
        b[2 * i + 1] = _mm_unpackhi_epi16(a[i], a[i + 4]);
    }
}

static inline __attribute__((always_inline)) void stage8(const __m128i *a, __m128i *b)
{
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        b[2 * i] = _mm_unpacklo_epi8(a[i], a[i + 8]);
        b[2 * i + 1] = _mm_unpackhi_epi8(a[i], a[i + 8]);
    }
}

static inline __attribute__((always_inline)) void tr8x8_u16(const uint16_t *s, size_t ss,
                                                            uint16_t *d, size_t ds)
{
    __m128i a[8], b[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++)
        a[i] = _mm_loadu_si128((const __m128i *)(s + i * ss));
    stage16(a, b);
    stage16(b, a);
    stage16(a, b);
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++)
        _mm_storeu_si128((__m128i *)(d + i * ds), b[i]);
}

static inline __attribute__((always_inline)) void tr16x16_u8(const uint8_t *s, size_t ss,
                                                             uint8_t *d, size_t ds)
{
    __m128i a[16], b[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        a[i] = _mm_loadu_si128((const __m128i *)(s + i * ss));
    stage8(a, b);
    stage8(b, a);
    stage8(a, b);
    stage8(b, a);
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        _mm_storeu_si128((__m128i *)(d + i * ds), a[i]);
}

/* The same networks on 256-bit rows: each 128-bit lane is an independent
 * square tile, so 8 rows of 16 halves (16 rows of 32 bytes) come out as 16
 * (32) destination rows, the low lanes first. Half the instructions of the
 * 128-bit tiles per element. */
static inline __attribute__((always_inline)) void stage16y(const __m256i *a, __m256i *b)
{
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        b[2 * i] = _mm256_unpacklo_epi16(a[i], a[i + 4]);
        b[2 * i + 1] = _mm256_unpackhi_epi16(a[i], a[i + 4]);
    }
}

static inline __attribute__((always_inline)) void stage8y(const __m256i *a, __m256i *b)
{
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        b[2 * i] = _mm256_unpacklo_epi8(a[i], a[i + 8]);
        b[2 * i + 1] = _mm256_unpackhi_epi8(a[i], a[i + 8]);
    }
}

static inline __attribute__((always_inline)) void tr8x16_u16(const uint16_t *s, size_t ss,
                                                             uint16_t *d, size_t ds)
{
    __m256i a[8], b[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++)
        a[i] = _mm256_loadu_si256((const __m256i *)(s + i * ss));
    stage16y(a, b);
    stage16y(b, a);
    stage16y(a, b);
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        _mm_storeu_si128((__m128i *)(d + i * ds), _mm256_castsi256_si128(b[i]));
        _mm_storeu_si128((__m128i *)(d + (i + 8) * ds), _mm256_extracti128_si256(b[i], 1));
    }
}

static inline __attribute__((always_inline)) void tr16x32_u8(const uint8_t *s, size_t ss,
                                                             uint8_t *d, size_t ds)
{
    __m256i a[16], b[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        a[i] = _mm256_loadu_si256((const __m256i *)(s + i * ss));
    stage8y(a, b);
    stage8y(b, a);
    stage8y(a, b);
    stage8y(b, a);
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        _mm_storeu_si128((__m128i *)(d + i * ds), _mm256_castsi256_si128(a[i]));
        _mm_storeu_si128((__m128i *)(d + (i + 16) * ds), _mm256_extracti128_si256(a[i], 1));
    }
}

/* The tiles of rows x cols in strips of t source rows, left to right: with
 * power-of-two row strides all rows map to the same few L1 sets, so each
 * strip's lines must be used up before the next strip evicts them. One loop
 * per element size, so each tile kernel is inlined. */
#define TILE_LOOP(T, tr, tc, j0, j1, KERNEL)                                                       \
    for (size_t i = 0; i < rt; i += (tr))                                                          \
        for (size_t j = (j0); j + (tc) <= (j1); j += (tc))                                         \
            KERNEL((const T *)s + i * ss + j, ss, (T *)d + j * ds + i, ds);

void qb_lay_tr(const void *src, size_t ss, void *dst, size_t ds, size_t rows, size_t cols,
               size_t esz)
{
    const unsigned char *s = src;
    unsigned char *d = dst;
    /* square tiles of t; 16-bit and byte rows take the 256-bit tiles (twice
     * as wide) first and the square ones for a remaining column strip */
    const size_t t = esz == 1 ? 16 : 8, wide = esz == 4 ? t : 2 * t;
    const size_t rt = rows / t * t, cw = cols / wide * wide, ct = cols / t * t;
    if (esz == 4) {
        TILE_LOOP(float, 8, 8, 0, ct, tr8x8_f32)
    } else if (esz == 2) {
        TILE_LOOP(uint16_t, 8, 16, 0, cw, tr8x16_u16)
        TILE_LOOP(uint16_t, 8, 8, cw, ct, tr8x8_u16)
    } else {
        TILE_LOOP(uint8_t, 16, 32, 0, cw, tr16x32_u8)
        TILE_LOOP(uint8_t, 16, 16, cw, ct, tr16x16_u8)
    }
    for (size_t i = 0; i < rows; i++)
        for (size_t j = i < rt ? ct : 0; j < cols; j++)
            memcpy(d + (j * ds + i) * esz, s + (i * ss + j) * esz, esz);
}
