/* The int8 GEMM driver: u8 x s8 -> s32 microkernels (AVX2 vpmaddubsw +
 * vpmaddwd + vpaddd, or AVX512-VNNI vpdpbusd on ymm 4x16 and zmm 4x32) and the epilogues that
 * requantize a tile to int8/uint8, dequantize it to float, or keep int32. */
#include "gemm_pack.h"
#include "gemm_epi.h"
#include "gemm_ref.h"
#include "gemm_rq512.h"

#include "error.h"
#include "quant.h"

#include <immintrin.h>
#include <string.h>

enum { MR = QB_I8_MR, NR = QB_I8_NR };

static inline __m256i bcast4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

/* vpmaddubsw takes the unsigned bytes first: the A broadcast when A holds the
 * activations (gemm), the B vector when B does (conv). The int16 sum of each
 * pair saturates; vpmaddwd by ones widens the pairs to int32 exactly. */
static inline __attribute__((always_inline)) void
ukernel_avx2(long kc4, const uint8_t *restrict a, const uint8_t *restrict b, int32_t *restrict c,
             bool a_is_u8)
{
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00;
    __m256i c20 = c00, c21 = c00, c30 = c00, c31 = c00;
#define QB_MAC(acc, av, bv)                                                                        \
    acc = _mm256_add_epi32(                                                                        \
        acc, _mm256_madd_epi16(a_is_u8 ? _mm256_maddubs_epi16(av, bv) : _mm256_maddubs_epi16(bv, av), ones))
    for (long k = 0; k < kc4; k++) {
        const __m256i b0 = _mm256_load_si256((const __m256i *)b);
        const __m256i b1 = _mm256_load_si256((const __m256i *)(b + 32));
        __m256i av = bcast4(a);
        QB_MAC(c00, av, b0);
        QB_MAC(c01, av, b1);
        av = bcast4(a + 4);
        QB_MAC(c10, av, b0);
        QB_MAC(c11, av, b1);
        av = bcast4(a + 8);
        QB_MAC(c20, av, b0);
        QB_MAC(c21, av, b1);
        av = bcast4(a + 12);
        QB_MAC(c30, av, b0);
        QB_MAC(c31, av, b1);
        a += MR * 4;
        b += NR * 4;
    }
#undef QB_MAC
    _mm256_store_si256((__m256i *)(c + 0), c00);
    _mm256_store_si256((__m256i *)(c + 8), c01);
    _mm256_store_si256((__m256i *)(c + 16), c10);
    _mm256_store_si256((__m256i *)(c + 24), c11);
    _mm256_store_si256((__m256i *)(c + 32), c20);
    _mm256_store_si256((__m256i *)(c + 40), c21);
    _mm256_store_si256((__m256i *)(c + 48), c30);
    _mm256_store_si256((__m256i *)(c + 56), c31);
}

static void ukernel_avx2_bu8(long kc4, const uint8_t *a, const uint8_t *b, int32_t *c)
{
    ukernel_avx2(kc4, a, b, c, false);
}

static void ukernel_avx2_au8(long kc4, const uint8_t *a, const uint8_t *b, int32_t *c)
{
    ukernel_avx2(kc4, a, b, c, true);
}

/* vpdpbusd: unsigned bytes in the second operand, signed in the third; four
 * products summed straight into int32 (no int16 step, so no saturation). */
#define QB_VNNI __attribute__((target("avx512f,avx512vl,avx512vnni"), always_inline)) inline
static QB_VNNI void ukernel_vnni(long kc4, const uint8_t *restrict a, const uint8_t *restrict b,
                                 int32_t *restrict c, bool a_is_u8)
{
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00;
    __m256i c20 = c00, c21 = c00, c30 = c00, c31 = c00;
#define QB_DP(acc, av, bv) acc = a_is_u8 ? _mm256_dpbusd_epi32(acc, av, bv) : _mm256_dpbusd_epi32(acc, bv, av)
    for (long k = 0; k < kc4; k++) {
        const __m256i b0 = _mm256_load_si256((const __m256i *)b);
        const __m256i b1 = _mm256_load_si256((const __m256i *)(b + 32));
        __m256i av = bcast4(a);
        QB_DP(c00, av, b0);
        QB_DP(c01, av, b1);
        av = bcast4(a + 4);
        QB_DP(c10, av, b0);
        QB_DP(c11, av, b1);
        av = bcast4(a + 8);
        QB_DP(c20, av, b0);
        QB_DP(c21, av, b1);
        av = bcast4(a + 12);
        QB_DP(c30, av, b0);
        QB_DP(c31, av, b1);
        a += MR * 4;
        b += NR * 4;
    }
#undef QB_DP
    _mm256_store_si256((__m256i *)(c + 0), c00);
    _mm256_store_si256((__m256i *)(c + 8), c01);
    _mm256_store_si256((__m256i *)(c + 16), c10);
    _mm256_store_si256((__m256i *)(c + 24), c11);
    _mm256_store_si256((__m256i *)(c + 32), c20);
    _mm256_store_si256((__m256i *)(c + 40), c21);
    _mm256_store_si256((__m256i *)(c + 48), c30);
    _mm256_store_si256((__m256i *)(c + 56), c31);
}

__attribute__((target("avx512f,avx512vl,avx512vnni"))) static void
ukernel_vnni_bu8(long kc4, const uint8_t *a, const uint8_t *b, int32_t *c)
{
    ukernel_vnni(kc4, a, b, c, false);
}

__attribute__((target("avx512f,avx512vl,avx512vnni"))) static void
ukernel_vnni_au8(long kc4, const uint8_t *a, const uint8_t *b, int32_t *c)
{
    ukernel_vnni(kc4, a, b, c, true);
}

/* Where the zmm kernels read A: row r (of 8 or 16) at a[r / 4] + (r % 4)
 * lda, four k at a time, advancing astep bytes per step of four k. The
 * packed panels (a[q] the q-th panel, lda 4, astep 16), or A's own u8 rows
 * (a[q] = row 4q, lda its stride, astep 4: no packing). */
typedef struct {
    const uint8_t *a[4];
    long lda, astep;
} qb_arows;

/* The zmm form, two B micro-panels at once: C[8][32] (rows of 32 int32)
 * from rows 0-7 of A (a->a[0], a->a[1]) and the B panels b0 (columns
 * 0..15) and b1 (16..31). 16 zmm accumulators, per K step of 4 two B
 * vectors and eight broadcasts: enough independent vpdpbusd chains to
 * cover its latency on two pipes. Named accumulators, not an array: the
 * compiler then keeps them in place. */
#define QB_VNNI512 __attribute__((target("avx512f,avx512vnni"), always_inline)) inline
static QB_VNNI512 void ukernel_vnni_zmm(long kc4, const qb_arows *ar, const uint8_t *restrict b0p,
                                        const uint8_t *restrict b1p, int32_t *restrict c, bool a_is_u8,
                                        const bool RQ, const qb_epilogue *e, long i0, long j)
{
    __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00;
    __m512i c70 = c00, c71 = c00;
    const long l = ar->lda, step = ar->astep;
    const uint8_t *a0 = ar->a[0], *a1 = ar->a[1];
#define QB_DP(acc, av, bv) acc = a_is_u8 ? _mm512_dpbusd_epi32(acc, av, bv) : _mm512_dpbusd_epi32(acc, bv, av)
#define QB_ROW(lo, hi, p)                                                                          \
    do {                                                                                           \
        int32_t v;                                                                                 \
        memcpy(&v, p, 4);                                                                          \
        const __m512i av = _mm512_set1_epi32(v);                                                   \
        QB_DP(lo, av, b0);                                                                         \
        QB_DP(hi, av, b1);                                                                         \
    } while (0)
    for (long k = 0; k < kc4; k++) {
        const __m512i b0 = _mm512_loadu_si512(b0p), b1 = _mm512_loadu_si512(b1p);
        QB_ROW(c00, c01, a0);
        QB_ROW(c10, c11, a0 + l);
        QB_ROW(c20, c21, a0 + 2 * l);
        QB_ROW(c30, c31, a0 + 3 * l);
        QB_ROW(c40, c41, a1);
        QB_ROW(c50, c51, a1 + l);
        QB_ROW(c60, c61, a1 + 2 * l);
        QB_ROW(c70, c71, a1 + 3 * l);
        a0 += step;
        a1 += step;
        b0p += NR * 4;
        b1p += NR * 4;
    }
#undef QB_ROW
#undef QB_DP
    if (RQ) {
        /* the sums where the loop left them, for GCC: without this it
         * kept a second copy of all 16 and moved them on every K step */
        __asm__("" : "+v"(c00), "+v"(c01), "+v"(c10), "+v"(c11), "+v"(c20), "+v"(c21), "+v"(c30), "+v"(c31));
        __asm__("" : "+v"(c40), "+v"(c41), "+v"(c50), "+v"(c51), "+v"(c60), "+v"(c61), "+v"(c70), "+v"(c71));
        const qb_rq512 rq = qb_rq512_of(e);
        const __m512 m0 = _mm512_loadu_ps(e->mult + j), m1 = _mm512_loadu_ps(e->mult + j + NR);
        const __m512i bi0 = e->bias_i32 ? _mm512_loadu_si512(e->bias_i32 + j) : _mm512_setzero_si512();
        const __m512i bi1 = e->bias_i32 ? _mm512_loadu_si512(e->bias_i32 + j + NR) : _mm512_setzero_si512();
        uint8_t *d = (uint8_t *)e->c + (size_t)(i0 * e->ldc + j);
#define QB_RQ_ROW(lo, hi)                                                                          \
    do {                                                                                           \
        qb_rq512_store(&rq, d, 0xffff, qb_rq512_apply(&rq, _mm512_add_epi32(lo, bi0), m0));        \
        qb_rq512_store(&rq, d + NR, 0xffff, qb_rq512_apply(&rq, _mm512_add_epi32(hi, bi1), m1));   \
        d += e->ldc;                                                                               \
    } while (0)
        QB_RQ_ROW(c00, c01);
        QB_RQ_ROW(c10, c11);
        QB_RQ_ROW(c20, c21);
        QB_RQ_ROW(c30, c31);
        QB_RQ_ROW(c40, c41);
        QB_RQ_ROW(c50, c51);
        QB_RQ_ROW(c60, c61);
        QB_RQ_ROW(c70, c71);
#undef QB_RQ_ROW
        return;
    }
    const __m512i rows[8][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                                {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    for (int i = 0; i < 8; i++) {
        _mm512_storeu_si512(c + i * 2 * NR, rows[i][0]);
        _mm512_storeu_si512(c + i * 2 * NR + NR, rows[i][1]);
    }
}

/* The zmm form for a lone B micro-panel (16 columns, the last of a narrow
 * C): C[16][16] from rows 0-15 of A (a->a[0..3]) and the panel b. 16 zmm
 * accumulators, per K step of 4 one B vector and 16 broadcasts: a
 * 16-column C no longer runs the ymm kernel four rows at a time. */
static QB_VNNI512 void ukernel_vnni_zmm16(long kc4, const qb_arows *ar, const uint8_t *restrict bp,
                                          int32_t *restrict c, bool a_is_u8)
{
    __m512i acc[16];
#pragma GCC unroll 16
    for (int r = 0; r < 16; r++) acc[r] = _mm512_setzero_si512();
    const long l = ar->lda, step = ar->astep;
    const uint8_t *a0 = ar->a[0], *a1 = ar->a[1], *a2 = ar->a[2], *a3 = ar->a[3];
    for (long k = 0; k < kc4; k++) {
        const __m512i b = _mm512_loadu_si512(bp);
        const uint8_t *const ap[4] = {a0, a1, a2, a3};
#pragma GCC unroll 16
        for (int r = 0; r < 16; r++) {
            int32_t v;
            memcpy(&v, ap[r / 4] + (r % 4) * l, 4);
            const __m512i av = _mm512_set1_epi32(v);
            acc[r] = a_is_u8 ? _mm512_dpbusd_epi32(acc[r], av, b) : _mm512_dpbusd_epi32(acc[r], b, av);
        }
        a0 += step;
        a1 += step;
        a2 += step;
        a3 += step;
        bp += NR * 4;
    }
#pragma GCC unroll 16
    for (int r = 0; r < 16; r++) _mm512_storeu_si512(c + r * NR, acc[r]);
}

__attribute__((target("avx512f,avx512vnni"))) static void
ukernel16_bu8(long kc4, const qb_arows *a, const uint8_t *b, int32_t *c)
{
    ukernel_vnni_zmm16(kc4, a, b, c, false);
}

__attribute__((target("avx512f,avx512vnni"))) static void
ukernel16_au8(long kc4, const qb_arows *a, const uint8_t *b, int32_t *c)
{
    ukernel_vnni_zmm16(kc4, a, b, c, true);
}

__attribute__((target("avx512f,avx512vnni"))) static void
ukernel_zmm_bu8(long kc4, const qb_arows *a, const uint8_t *b0, const uint8_t *b1, int32_t *c)
{
    ukernel_vnni_zmm(kc4, a, b0, b1, c, false, false, NULL, 0, 0);
}

__attribute__((target("avx512f,avx512vnni"))) static void
ukernel_zmm_au8(long kc4, const qb_arows *a, const uint8_t *b0, const uint8_t *b1, int32_t *c)
{
    ukernel_vnni_zmm(kc4, a, b0, b1, c, true, false, NULL, 0, 0);
}

/* The same tiles requantized into C from the registers (ukernel_vnni_zmm's RQ). */
__attribute__((target("avx512f,avx512vnni"))) static void
ukernel_zmm_rq_bu8(long kc4, const qb_arows *a, const uint8_t *b0, const uint8_t *b1, const qb_epilogue *e,
                   long i0, long j)
{
    ukernel_vnni_zmm(kc4, a, b0, b1, NULL, false, true, e, i0, j);
}

__attribute__((target("avx512f,avx512vnni"))) static void
ukernel_zmm_rq_au8(long kc4, const qb_arows *a, const uint8_t *b0, const uint8_t *b1, const qb_epilogue *e,
                   long i0, long j)
{
    ukernel_vnni_zmm(kc4, a, b0, b1, NULL, true, true, e, i0, j);
}

typedef void (*ukernel_fn)(long kc4, const uint8_t *a, const uint8_t *b, int32_t *c);
typedef void (*ukernel2_fn)(long kc4, const qb_arows *a, const uint8_t *b0, const uint8_t *b1, int32_t *c);
typedef void (*ukernel16_fn)(long kc4, const qb_arows *a, const uint8_t *b, int32_t *c);
typedef void (*ukernel2_rq_fn)(long kc4, const qb_arows *a, const uint8_t *b0, const uint8_t *b1,
                               const qb_epilogue *e, long i0, long j);

/* ---- epilogues of one tile row (nr <= 16 values of channel(s) ch) -------- */

/* 16 int32 (already clamped to the output range) to 16 bytes. */
static inline void store16_i8(__m256i v0, __m256i v1, void *dst, bool is_signed)
{
    const __m256i w = _mm256_packs_epi32(v0, v1); /* a0-3 b0-3 | a4-7 b4-7 */
    const __m256i by = is_signed ? _mm256_packs_epi16(w, w) : _mm256_packus_epi16(w, w);
    const __m256i ord = _mm256_permutevar8x32_epi32(by, _mm256_setr_epi32(0, 4, 1, 5, 0, 4, 1, 5));
    _mm_storeu_si128((__m128i *)dst, _mm256_castsi256_si128(ord));
}

typedef struct {
    bool shifts_positive; /* RQ_SHIFT: every k >= 1 (the vector form); else scalar */
} epi_info;

static void epi_row(const qb_epilogue *e, const epi_info *inf, const int32_t *acc, long i, long j,
                    long nr)
{
    const bool row = e->channel_is_row;
    const size_t off = (size_t)(i * e->ldc + j);
    __m256i bi0 = _mm256_setzero_si256(), bi1 = bi0;
    if (e->bias_i32) {
        if (row) {
            bi0 = bi1 = _mm256_set1_epi32(e->bias_i32[i]);
        } else if (nr == NR) {
            bi0 = _mm256_loadu_si256((const __m256i *)(e->bias_i32 + j));
            bi1 = _mm256_loadu_si256((const __m256i *)(e->bias_i32 + j + 8));
        }
    }
    const bool vec = nr == NR && (e->kind != QB_EPI_RQ_SHIFT || inf->shifts_positive);
    if (!vec) {
        for (long jj = 0; jj < nr; jj++) {
            const long ch = row ? i : j + jj;
            const int32_t a = acc[jj];
            switch (e->kind) {
            case QB_EPI_S32: ((int32_t *)e->c)[off + jj] = a + (e->bias_i32 ? e->bias_i32[ch] : 0); break;
            case QB_EPI_DQ_F32:
                ((float *)e->c)[off + jj] = fmaf((float)(a + (e->bias_i32 ? e->bias_i32[ch] : 0)),
                                                 e->mult[ch], e->bias ? e->bias[ch] : 0.0f);
                break;
            default: {
                const int32_t q = qb_epi_requant(e, ch, a);
                if (qb_epi_signed(e))
                    ((int8_t *)e->c)[off + jj] = (int8_t)q;
                else
                    ((uint8_t *)e->c)[off + jj] = (uint8_t)q;
            }
            }
        }
        return;
    }
    __m256i v0 = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)acc), bi0);
    __m256i v1 = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(acc + 8)), bi1);
    if (e->kind == QB_EPI_S32) {
        _mm256_storeu_si256((__m256i *)((int32_t *)e->c + off), v0);
        _mm256_storeu_si256((__m256i *)((int32_t *)e->c + off + 8), v1);
        return;
    }
    if (e->kind == QB_EPI_DQ_F32) {
        const __m256 m0 = row ? _mm256_set1_ps(e->mult[i]) : _mm256_loadu_ps(e->mult + j);
        const __m256 m1 = row ? m0 : _mm256_loadu_ps(e->mult + j + 8);
        __m256 fb0 = _mm256_setzero_ps(), fb1 = fb0;
        if (e->bias) {
            fb0 = row ? _mm256_set1_ps(e->bias[i]) : _mm256_loadu_ps(e->bias + j);
            fb1 = row ? fb0 : _mm256_loadu_ps(e->bias + j + 8);
        }
        float *d = (float *)e->c + off;
        _mm256_storeu_ps(d, _mm256_fmadd_ps(_mm256_cvtepi32_ps(v0), m0, fb0));
        _mm256_storeu_ps(d + 8, _mm256_fmadd_ps(_mm256_cvtepi32_ps(v1), m1, fb1));
        return;
    }
    const __m256i zo = _mm256_set1_epi32(e->zo);
    if (e->kind == QB_EPI_RQ_FLOAT) {
        /* rintf((float)acc * m): clamping the product to one past the output
         * range first gives the same result and keeps vcvtps2dq in range. */
        const __m256 hi = _mm256_set1_ps((float)(e->qmax - e->zo + 1));
        const __m256 lo = _mm256_set1_ps((float)(e->qmin - e->zo - 1));
        const __m256 m0 = row ? _mm256_set1_ps(e->mult[i]) : _mm256_loadu_ps(e->mult + j);
        const __m256 m1 = row ? m0 : _mm256_loadu_ps(e->mult + j + 8);
        __m256 f0 = _mm256_mul_ps(_mm256_cvtepi32_ps(v0), m0);
        __m256 f1 = _mm256_mul_ps(_mm256_cvtepi32_ps(v1), m1);
        f0 = _mm256_max_ps(_mm256_min_ps(f0, hi), lo);
        f1 = _mm256_max_ps(_mm256_min_ps(f1, hi), lo);
        v0 = _mm256_cvtps_epi32(f0);
        v1 = _mm256_cvtps_epi32(f1);
    } else { /* RQ_SHIFT, k >= 1: (acc >> k) + ((acc >> (k-1)) & 1) */
        const __m256i one = _mm256_set1_epi32(1);
        const __m256i k0 = row ? _mm256_set1_epi32(e->shift[i]) : _mm256_loadu_si256((const __m256i *)(e->shift + j));
        const __m256i k1 = row ? k0 : _mm256_loadu_si256((const __m256i *)(e->shift + j + 8));
        v0 = _mm256_add_epi32(_mm256_srav_epi32(v0, k0),
                              _mm256_and_si256(_mm256_srav_epi32(v0, _mm256_sub_epi32(k0, one)), one));
        v1 = _mm256_add_epi32(_mm256_srav_epi32(v1, k1),
                              _mm256_and_si256(_mm256_srav_epi32(v1, _mm256_sub_epi32(k1, one)), one));
    }
    /* + zo may only overflow where the value is far outside the range anyway:
     * clamp before adding so the sum stays exact */
    const __m256i qlo = _mm256_set1_epi32(e->qmin), qhi = _mm256_set1_epi32(e->qmax);
    const __m256i rlo = _mm256_sub_epi32(qlo, zo), rhi = _mm256_sub_epi32(qhi, zo);
    v0 = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(v0, rlo), rhi), zo);
    v1 = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(v1, rlo), rhi), zo);
    store16_i8(v0, v1, (uint8_t *)e->c + off, qb_epi_signed(e));
}

static epi_info epi_info_of(const qb_epilogue *e, long M, long N)
{
    epi_info inf = {.shifts_positive = true};
    if (e->kind == QB_EPI_RQ_SHIFT) {
        const long nch = e->channel_is_row ? M : N;
        for (long c = 0; c < nch; c++)
            if (e->shift[c] < 1) inf.shifts_positive = false;
    }
    return inf;
}

void qb_epi_apply(const qb_epilogue *e, const int32_t *acc, long i, long j, long n)
{
    epi_info inf = {.shifts_positive = true};
    if (e->kind == QB_EPI_RQ_SHIFT && e->channel_is_row) inf.shifts_positive = e->shift[i] >= 1;
    if (e->kind == QB_EPI_RQ_SHIFT && !e->channel_is_row)
        for (long c = j; c < j + n; c++)
            if (e->shift[c] < 1) inf.shifts_positive = false;
    for (long k = 0; k < n; k += NR) epi_row(e, &inf, acc + k, i, j + k, n - k < NR ? n - k : NR);
}

/* Requantize with a float multiplier on zmm (gemm_rq512.h): acc + bias
 * through qb_requant_float's steps. A tile of mr rows of w int32 (16 or 32),
 * the first nr columns kept (masked past them). */
__attribute__((target("avx512f"), always_inline)) static inline void
rq_float_tile_of(const qb_epilogue *e, const int32_t *acc, long w, long i0, long mr, long j, long nr,
                 const int halves, const bool full)
{
    const bool row = e->channel_is_row;
    __mmask16 k[2] = {0xffff, 0xffff};
    if (!full)
        for (int h = 0; h < 2; h++) {
            const long left = nr - NR * h;
            k[h] = left >= NR ? (__mmask16)0xffff : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
        }
    __m512i bi[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
    __m512 m[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
    if (!row)
        for (int h = 0; h < halves; h++) {
            if (e->bias_i32) bi[h] = _mm512_maskz_loadu_epi32(k[h], e->bias_i32 + j + NR * h);
            m[h] = _mm512_maskz_loadu_ps(k[h], e->mult + j + NR * h);
        }
    const qb_rq512 rq = qb_rq512_of(e);
    for (long ii = 0; ii < mr; ii++) {
        const long i = i0 + ii;
        if (row) {
            bi[0] = bi[1] = _mm512_set1_epi32(e->bias_i32 ? e->bias_i32[i] : 0);
            m[0] = m[1] = _mm512_set1_ps(e->mult[i]);
        }
        uint8_t *d = (uint8_t *)e->c + (size_t)(i * e->ldc + j);
        for (int h = 0; h < halves; h++) {
            const __m512i v = _mm512_add_epi32(_mm512_loadu_si512(acc + ii * w + NR * h), bi[h]);
            qb_rq512_store(&rq, d + NR * h, full ? (__mmask16)0xffff : k[h], qb_rq512_apply(&rq, v, m[h]));
        }
    }
}

/* Full 32- and 16-column tiles unmasked (a generic body cost the direct
 * conv 8% of its int8 speed), the rest masked. */
__attribute__((target("avx512f"))) static void rq_float_tile(const qb_epilogue *e, const int32_t *acc, long w,
                                                             long i0, long mr, long j, long nr)
{
    if (nr == 2 * NR) rq_float_tile_of(e, acc, w, i0, mr, j, nr, 2, true);
    else if (nr == NR) rq_float_tile_of(e, acc, w, i0, mr, j, nr, 1, true);
    else rq_float_tile_of(e, acc, w, i0, mr, j, nr, nr > NR ? 2 : 1, false);
}

void qb_epi_tile32(const qb_epilogue *e, const int32_t *acc, long i, long mr, long j, long n)
{
    if (n == 2 * NR && e->kind == QB_EPI_RQ_FLOAT) {
        rq_float_tile(e, acc, 2 * NR, i, mr, j, n);
        return;
    }
    for (long ii = 0; ii < mr; ii++) qb_epi_apply(e, acc + ii * 2 * NR, i + ii, j, n);
}

/* Fold a tile (w int32 a row, mr x nr used) into C: add and keep the
 * partial sums of the earlier / for the later K blocks, then run the
 * epilogue on the last one. */
static void finish_tile_i8(const qb_epilogue *e, const epi_info *inf, int32_t *tile, long w, int32_t *acc,
                           long nb, long m0, long n0, long i, long j, long mr, long nr, bool scratch,
                           bool first, bool last, bool zmm)
{
    if (scratch) {
        for (long ii = 0; ii < mr; ii++) {
            int32_t *sr = acc + (i + ii - m0) * nb + (j - n0);
            int32_t *tr = tile + ii * w;
            for (long jj = 0; jj < nr; jj++) {
                if (!first) tr[jj] += sr[jj];
                if (!last) sr[jj] = tr[jj];
            }
        }
    }
    if (!last) return;
    /* the zmm tiles (on CPUs with AVX-512) requantize on zmm */
    if (zmm && e->kind == QB_EPI_RQ_FLOAT) {
        rq_float_tile(e, tile, w, i, mr, j, nr);
        return;
    }
    for (long ii = 0; ii < mr; ii++)
        for (long jj = 0; jj < nr; jj += NR)
            epi_row(e, inf, tile + ii * w + jj, i + ii, j + jj, nr - jj < NR ? nr - jj : NR);
}

int qb_gemm_block_i8(qb_gemm_slot *s, qb_gemm_isa isa, long M, long N, long K, const qb_mat *A,
                     const qb_mat *B, const qb_epilogue *e, long m0, long m1, long n0, long n1)
{
    const bool a_u8 = A->type == QB_MAT_U8;
    const bool vnni = isa == QB_ISA_AVX512VNNI || isa == QB_ISA_AVX512VNNI_YMM;
    const ukernel_fn uk = vnni ? (a_u8 ? ukernel_vnni_au8 : ukernel_vnni_bu8)
                               : (a_u8 ? ukernel_avx2_au8 : ukernel_avx2_bu8);
    /* two whole micro-panels side by side go to the zmm kernel */
    const ukernel2_fn uk2 = isa != QB_ISA_AVX512VNNI ? NULL : a_u8 ? ukernel_zmm_au8 : ukernel_zmm_bu8;
    const ukernel16_fn uk16 = isa != QB_ISA_AVX512VNNI ? NULL : a_u8 ? ukernel16_au8 : ukernel16_bu8;
    const ukernel2_rq_fn uk2rq = a_u8 ? ukernel_zmm_rq_au8 : ukernel_zmm_rq_bu8;
    const epi_info inf = epi_info_of(e, M, N);
    /* K blocks of a multiple of 4 (the pair structure of vpmaddubsw must not
     * straddle a block), balanced */
    const long nblk = (K + QB_I8_KC - 1) / QB_I8_KC;
    const long kcb = ((K + nblk - 1) / nblk + 3) & ~3L;
    const long mb = m1 - m0, nb = n1 - n0;
    const long ncap = mb <= QB_I8_MC ? QB_I8_NC_SMALL_M : QB_I8_NC; /* as in the float driver */
    const long njb = (nb + ncap - 1) / ncap;
    const long ncmax = ((nb + njb - 1) / njb + NR - 1) / NR * NR;
    int rc = qb_gemm_grow(&s->a, &s->a_cap, (size_t)QB_I8_MC * kcb);
    if (!rc) rc = qb_gemm_grow(&s->b, &s->b_cap, (size_t)((ncmax + NR - 1) / NR) * NR * kcb);
    const bool scratch = nblk > 1;
    if (!rc && scratch) rc = qb_gemm_grow(&s->acc, &s->acc_cap, (size_t)mb * nb * sizeof(int32_t));
    if (rc) return rc;
    uint8_t *ap = s->a, *bp = s->b;
    const bool bdirect = B->layout == QB_MAT_PACKED;
    const bool adirect = A->layout == QB_MAT_PACKED_A;
    /* the zmm kernels read a row-major u8 A where it lies when every K
     * block is whole groups of four */
    const bool arows = uk2 && A->layout == QB_MAT_ROWS && K % 4 == 0;
    int32_t *acc = s->acc;
    int32_t tile[2 * MR * 2 * NR] __attribute__((aligned(64)));

    for (long jc = n0; jc < n1; jc += ncmax) {
        const long nc = n1 - jc < ncmax ? n1 - jc : ncmax;
        for (long pb = 0; pb < nblk; pb++) {
            const long pc = pb * kcb;
            if (pc >= K) break;
            const long kc = K - pc < kcb ? K - pc : kcb, kc4 = (kc + 3) / 4;
            const bool first = pb == 0, last = pc + kc >= K;
            for (long jr = 0; jr < nc && !bdirect; jr += NR)
                qb_pack_b_i8(B, pc, kc, jc + jr, nc - jr < NR ? nc - jr : NR, bp + jr * kc4 * 4);
            for (long ic = m0; ic < m1; ic += QB_I8_MC) {
                const long mc = m1 - ic < QB_I8_MC ? m1 - ic : QB_I8_MC;
                /* with A's own rows, only the rows of a partial last tile
                 * (past the last whole 16, which covers the 8-row tiles'
                 * tail too) are packed, once for the whole block */
                for (long ir = arows ? mc / (4 * MR) * (4 * MR) : 0; ir < mc && !adirect; ir += MR)
                    qb_pack_a_i8(A, ic + ir, mc - ir < MR ? mc - ir : MR, pc, kc, ap + ir * kc4 * 4);
#define QB_A_PANEL(ir) \
    (adirect ? (const uint8_t *)A->p + qb_packed_a_offset(A, ic + (ir), pc) : ap + (ir) * kc4 * 4)
                for (long jr = 0; jr < nc;) {
                    /* two B micro-panels side by side go to the zmm
                     * kernel, with two A panels (8 rows) at a time; the
                     * second may be partial (17 to 31 last columns take
                     * one zmm tile rather than two ymm ones) */
                    const bool wide = uk2 && nc - jr > NR;
                    const long j = jc + jr,
                               nr = nc - jr < (wide ? 2 * NR : NR) ? nc - jr : (wide ? 2 * NR : NR);
                    const uint8_t *b0 = bdirect ? (const uint8_t *)B->p + qb_packed_offset(B, j, pc)
                                                : bp + jr * kc4 * 4;
                    const uint8_t *b1 = bdirect ? (const uint8_t *)B->p + qb_packed_offset(B, j + NR, pc)
                                                : bp + (jr + NR) * kc4 * 4;
                    for (long ir = 0; ir < mc;) {
                        const long i = ic + ir;
                        if (wide || uk16) {
                            /* 8 rows (two A panels) by 32 columns, or 16 rows
                             * (four) by a lone panel; a missing panel repeats
                             * the first, its rows not kept */
                            const long rows = wide ? 2 * MR : 4 * MR, mr = mc - ir < rows ? mc - ir : rows;
                            /* A's own rows, unless the tile is partial: its
                             * rows past M are then packed (zero) panels */
                            const bool own = arows && mr == rows;
                            qb_arows ar = {.lda = own ? A->ld : 4, .astep = own ? 4 : MR * 4};
                            for (int q = 0; q < rows / MR; q++) {
                                if (q * MR >= mr) ar.a[q] = ar.a[0];
                                else if (own) ar.a[q] = (const uint8_t *)A->p + (i + q * MR) * A->ld + pc;
                                else ar.a[q] = QB_A_PANEL(ir + q * MR);
                            }
                            /* a whole tile with the whole K: requantized
                             * in the kernel's registers */
                            if (wide && mr == rows && nr == 2 * NR && first && last &&
                                e->kind == QB_EPI_RQ_FLOAT && !e->channel_is_row) {
                                uk2rq(kc4, &ar, b0, b1, e, i, j);
                                ir += rows;
                                continue;
                            }
                            if (wide) uk2(kc4, &ar, b0, b1, tile);
                            else uk16(kc4, &ar, b0, tile);
                            finish_tile_i8(e, &inf, tile, wide ? 2 * NR : NR, acc, nb, m0, n0, i, j, mr, nr,
                                           scratch, first, last, true);
                            ir += rows;
                        } else {
                            const long mr = mc - ir < MR ? mc - ir : MR;
                            uk(kc4, QB_A_PANEL(ir), b0, tile);
                            finish_tile_i8(e, &inf, tile, NR, acc, nb, m0, n0, i, j, mr, nr, scratch, first,
                                           last, false);
                            ir += MR;
                        }
                    }
                    jr += wide ? 2 * NR : NR;
                }
#undef QB_A_PANEL
            }
        }
    }
    return QB_OK;
}
