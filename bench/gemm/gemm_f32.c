/* The float GEMM driver (fp32, and fp16 storage with fp32 math) and its AVX2
 * + FMA 6x16 microkernel: 12 ymm accumulators, per k two B vectors and six
 * broadcasts of A feed 12 FMAs, enough independent chains to cover the FMA
 * latency on two pipes. */
#include "gemm_pack.h"

#include "error.h"
#include "gemm_f16.h"

#include <immintrin.h>
#include <string.h>

enum { MR = QB_F32_MR, NR = QB_F32_NR };

/* C[6][16] (ldc) = (load ? C : 0) + sum_k a[k][0..6) x b[k][0..16), plus
 * brow[i] on row i and bcol[j] on column j when given (the bias, added on the
 * last K block while the tile is still in registers), then max(0, .) when relu
 * (maxps returns its second operand when either is NaN: a NaN stays NaN). */
static void ukernel_6x16(long kc, const float *restrict a, const float *restrict b,
                         float *restrict c, long ldc, bool load, const float *brow, const float *bcol,
                         bool relu)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int i = 0; i < MR; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    for (long k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        __m256 av = _mm256_broadcast_ss(a);
        c00 = _mm256_fmadd_ps(av, b0, c00);
        c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(av, b0, c10);
        c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(av, b0, c20);
        c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(av, b0, c30);
        c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(a + 4);
        c40 = _mm256_fmadd_ps(av, b0, c40);
        c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(a + 5);
        c50 = _mm256_fmadd_ps(av, b0, c50);
        c51 = _mm256_fmadd_ps(av, b1, c51);
        a += MR;
        b += NR;
    }
    const __m256 bc0 = bcol ? _mm256_loadu_ps(bcol) : _mm256_setzero_ps();
    const __m256 bc1 = bcol ? _mm256_loadu_ps(bcol + 8) : _mm256_setzero_ps();
#define QB_STORE_ROW(i, lo, hi)                                                                    \
    do {                                                                                           \
        float *r = c + (i) * ldc;                                                                  \
        if (load) {                                                                                \
            lo = _mm256_add_ps(lo, _mm256_loadu_ps(r));                                            \
            hi = _mm256_add_ps(hi, _mm256_loadu_ps(r + 8));                                        \
        }                                                                                          \
        if (brow) {                                                                                \
            const __m256 bv = _mm256_broadcast_ss(brow + (i));                                     \
            lo = _mm256_add_ps(lo, bv);                                                            \
            hi = _mm256_add_ps(hi, bv);                                                            \
        }                                                                                          \
        if (bcol) {                                                                                \
            lo = _mm256_add_ps(lo, bc0);                                                           \
            hi = _mm256_add_ps(hi, bc1);                                                           \
        }                                                                                          \
        if (relu) {                                                                                \
            lo = _mm256_max_ps(_mm256_setzero_ps(), lo);                                           \
            hi = _mm256_max_ps(_mm256_setzero_ps(), hi);                                           \
        }                                                                                          \
        _mm256_storeu_ps(r, lo);                                                                   \
        _mm256_storeu_ps(r + 8, hi);                                                               \
    } while (0)
    QB_STORE_ROW(0, c00, c01);
    QB_STORE_ROW(1, c10, c11);
    QB_STORE_ROW(2, c20, c21);
    QB_STORE_ROW(3, c30, c31);
    QB_STORE_ROW(4, c40, c41);
    QB_STORE_ROW(5, c50, c51);
#undef QB_STORE_ROW
}

/* After the last K block of an fp16 output: add the bias, apply the ReLU and
 * narrow the tile's float sums t into C. */
static void finish_tile(const qb_epilogue *e, const float *t, long ldt, long i0, long j0, long mr,
                        long nr)
{
    /* max(-inf, x) is x, NaN included (maxps returns its second operand when
     * either is NaN): one code path with and without the ReLU */
    const __m256 floor8 = _mm256_set1_ps(e->relu ? 0.0f : -__builtin_inff());
    const float floor1 = e->relu ? 0.0f : -__builtin_inff();
    const bool rowb = e->bias && e->channel_is_row, colb = e->bias && !e->channel_is_row;
    for (long ii = 0; ii < mr; ii++) {
        const float *src = t + ii * ldt;
        uint16_t *d = (uint16_t *)e->c + (i0 + ii) * e->ldc + j0;
        const __m256 brow = _mm256_set1_ps(rowb ? e->bias[i0 + ii] : 0.0f);
        long jj = 0;
        for (; jj + 8 <= nr; jj += 8) {
            __m256 v = _mm256_loadu_ps(src + jj);
            if (rowb) v = _mm256_add_ps(v, brow);
            if (colb) v = _mm256_add_ps(v, _mm256_loadu_ps(e->bias + j0 + jj));
            _mm_storeu_si128((__m128i *)(d + jj),
                             _mm256_cvtps_ph(_mm256_max_ps(floor8, v), _MM_FROUND_TO_NEAREST_INT));
        }
        for (; jj < nr; jj++) {
            const float v = e->bias ? src[jj] + e->bias[rowb ? i0 + ii : j0 + jj] : src[jj];
            d[jj] = qb_f32_to_f16(v < floor1 ? floor1 : v);
        }
    }
}

#ifdef QB_TEST_SLOWDOWN
_Thread_local float qb_test_slowdown_sink[MR * NR] __attribute__((aligned(32)));
#endif

int qb_gemm_block_f32(qb_gemm_slot *s, long M, long N, long K, const qb_mat *A, const qb_mat *B,
                      const qb_epilogue *e, long m0, long m1, long n0, long n1)
{
    (void)M;
    (void)N;
    const bool f16 = e->kind == QB_EPI_F16;
    const long nblk = (K + QB_F32_KC - 1) / QB_F32_KC;
    const long kcb = (K + nblk - 1) / nblk; /* balanced K blocks */
    const long mb = m1 - m0, nb = n1 - n0;
    /* balanced column blocks of at most QB_F32_NC, whole micro-panels; when
     * one pass over the rows covers all of M (conv: 64 output channels) the
     * packed B block is used once, so a small one that stays in L2 is best */
    const long ncap = mb <= QB_F32_MC ? QB_F32_NC_SMALL_M : QB_F32_NC;
    const long njb = (nb + ncap - 1) / ncap;
    const long ncmax = ((nb + njb - 1) / njb + NR - 1) / NR * NR;
    int rc = qb_gemm_grow(&s->a, &s->a_cap, (size_t)QB_F32_MC * kcb * sizeof(float));
    if (!rc) rc = qb_gemm_grow(&s->b, &s->b_cap, (size_t)((ncmax + NR - 1) / NR) * NR * kcb * sizeof(float));
    /* fp16 output keeps fp32 partial sums of the block when K spans several blocks */
    const bool scratch = f16 && nblk > 1;
    if (!rc && scratch) rc = qb_gemm_grow(&s->acc, &s->acc_cap, (size_t)mb * nb * sizeof(float));
    if (rc) return rc;
    float *ap = s->a, *bp = s->b, *acc = s->acc;
    /* a packed fp32 B is streamed where it lies */
    const bool bdirect = B->layout == QB_MAT_PACKED && B->type == QB_MAT_F32;
    const bool adirect = A->layout == QB_MAT_PACKED_A && A->type == QB_MAT_F32;
    float tile[MR * NR] __attribute__((aligned(32)));

    for (long jc = n0; jc < n1; jc += ncmax) {
        const long nc = n1 - jc < ncmax ? n1 - jc : ncmax;
        for (long pb = 0; pb < nblk; pb++) {
            const long pc = pb * kcb, kc = K - pc < kcb ? K - pc : kcb;
            const bool first = pb == 0, last = pb == nblk - 1;
            for (long jr = 0; jr < nc && !bdirect; jr += NR) {
                if (B->layout == QB_MAT_PACKED) qb_packed_f16_rows(B, pc, kc, jc + jr, bp + jr * kc);
                else qb_pack_b_f32(B, pc, kc, jc + jr, nc - jr < NR ? nc - jr : NR, bp + jr * kc);
            }
            for (long ic = m0; ic < m1; ic += QB_F32_MC) {
                const long mc = m1 - ic < QB_F32_MC ? m1 - ic : QB_F32_MC;
                for (long ir = 0; ir < mc && !adirect; ir += MR) {
                    if (A->layout == QB_MAT_PACKED_A) qb_packed_a_f16_cols(A, ic + ir, pc, kc, ap + ir * kc);
                    else qb_pack_a_f32(A, ic + ir, mc - ir < MR ? mc - ir : MR, pc, kc, ap + ir * kc);
                }
                for (long jr = 0; jr < nc; jr += NR) {
                    const long nr = nc - jr < NR ? nc - jr : NR, j = jc + jr;
                    for (long ir = 0; ir < mc; ir += MR) {
                        const long mr = mc - ir < MR ? mc - ir : MR, i = ic + ir;
                        const float *a = adirect ? (const float *)A->p + qb_packed_a_offset(A, i, pc)
                                                 : ap + ir * kc;
                        const float *b = bdirect ? (const float *)B->p + qb_packed_offset(B, j, pc)
                                                 : bp + jr * kc;
                        /* where this tile's float sums live */
                        float *t;
                        long ldt;
                        bool load;
                        if (!f16) {
                            t = (float *)e->c + i * e->ldc + j;
                            ldt = e->ldc;
                            load = !first || e->accumulate;
                        } else if (scratch) {
                            t = acc + (i - m0) * nb + (j - n0);
                            ldt = nb;
                            load = !first;
                        } else {
                            t = tile;
                            ldt = NR;
                            load = false;
                        }
                        /* fp32: the bias and the ReLU ride on the last block's stores */
                        const bool relu = last && !f16 && e->relu;
                        const float *brow = NULL, *bcol = NULL;
                        float bpad[NR] = {0};
                        if (last && !f16 && e->bias) {
                            const long n = e->channel_is_row ? mr : nr;
                            const float *src = e->bias + (e->channel_is_row ? i : j);
                            if (n < (e->channel_is_row ? MR : NR)) {
                                memcpy(bpad, src, (size_t)n * sizeof *bpad);
                                src = bpad;
                            }
                            if (e->channel_is_row) brow = src;
                            else bcol = src;
                        }
                        if (mr == MR && nr == NR) {
                            ukernel_6x16(kc, a, b, t, ldt, load, brow, bcol, relu);
#ifdef QB_TEST_SLOWDOWN
                            /* CMake QB_TEST_SLOWDOWN (test only): a quarter of the
                             * tile's K loop again, into a sink the compiler must keep
                             * (with packing's share, about 20% more time) */
                            ukernel_6x16(kc / 4, a, b, qb_test_slowdown_sink, NR, false, NULL, NULL, false);
#endif
                        } else {
                            ukernel_6x16(kc, a, b, tile, NR, false, brow, bcol, false);
                            for (long ii = 0; ii < mr; ii++)
                                for (long jj = 0; jj < nr; jj++) {
                                    const float v = (load ? t[ii * ldt + jj] : 0.0f) + tile[ii * NR + jj];
                                    t[ii * ldt + jj] = relu && v < 0 ? 0.0f : v;
                                }
                        }
                        if (last && f16) finish_tile(e, t, ldt, i, j, mr, nr);
                    }
                }
            }
        }
    }
    return QB_OK;
}
