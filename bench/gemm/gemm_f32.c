/* The float GEMM driver (fp32, and fp16 storage with fp32 math) and its
 * microkernels: AVX2 + FMA 6x16 (12 ymm accumulators, per k two B vectors and
 * six broadcasts of A feed 12 FMAs, enough independent chains to cover the
 * FMA latency on two pipes) and its AVX-512 forms, 6x32 on two micro-panels
 * (8x32 or 4x32 for the last rows of an A read in place, where a 6-row tile
 * would idle) and 12x16 on a lone one. */
#include "gemm_pack.h"

#include "error.h"
#include "gemm_f16.h"

#include <immintrin.h>
#include <string.h>

enum { MR = QB_F32_MR, NR = QB_F32_NR };
/* The most values a zmm tile holds: 8 x 32 (6 x 32 and 12 x 16 hold fewer). */
enum { TILE_MAX = 8 * 2 * NR };

/* C[6][16] (ldc) = (load ? C : 0) + sum_k a[k][0..6) x b[k][0..16), plus
 * brow[i] on row i and bcol[j] on column j when given (the bias, added on the
 * last K block while the tile is still in registers), then max(0, .) when relu
 * and min(cap, .) when cap > 0 (ReLU6; min keeps a NaN a NaN)
 * (maxps returns its second operand when either is NaN: a NaN stays NaN). */
static void ukernel_6x16(long kc, const float *restrict a, const float *restrict b,
                         float *restrict c, long ldc, bool load, const float *brow, const float *bcol,
                         bool relu, float cap)
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
        if (cap > 0) {                                                                             \
            lo = _mm256_min_ps(_mm256_set1_ps(cap), lo);                                           \
            hi = _mm256_min_ps(_mm256_set1_ps(cap), hi);                                           \
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

/* The AVX-512 tiles: C[R][16 P] from R rows of A (6 or 12) and P B
 * micro-panels (b0: columns 0..15, b1: 16..31), R x P zmm accumulators; per
 * k, P B vectors and R broadcasts feed R x P FMAs on 16 lanes each: 6 x 32
 * for two panels, 12 x 16 for a lone one (a 16-column C, or its last 16).
 * Row i of A is read at a + (i / 6) a2 + (i % 6) lda, advancing astep per k:
 * the packed panels (lda 1, astep 6, a2 the second panel), or A's own rows
 * (lda its stride, astep 1), so a row-major fp32 A needs no packing. Rows
 * past mv (a partial tile from A's rows) read row mv - 1 again and are not
 * kept. The epilogue is ukernel_6x16's. The packed B layout is the 16-wide
 * one, so every kernel reads the same panels. */
__attribute__((target("avx512f"), always_inline)) static inline void
kern512(long kc, const float *restrict a, long lda, long astep, long a2, long mv, const float *restrict b0p,
        const float *restrict b1p, float *restrict c, long ldc, bool load, const float *brow, const float *bcol,
        bool relu, float cap, const int R, const int P)
{
    __m512 acc[2 * MR][2];
    const float *ar[2 * MR];
    for (int i = 0; i < R; i++) {
        const long r = i < mv ? i : mv - 1;
        ar[i] = a + (r / MR) * a2 + (r % MR) * lda;
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    }
    for (long k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_loadu_ps(b0p + k * NR);
        const __m512 b1 = P == 2 ? _mm512_loadu_ps(b1p + k * NR) : b0;
        for (int i = 0; i < R; i++) {
            const __m512 av = _mm512_set1_ps(ar[i][k * astep]);
            acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
            if (P == 2) acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
        }
    }
    __m512 bc[2] = {bcol ? _mm512_loadu_ps(bcol) : _mm512_setzero_ps(), _mm512_setzero_ps()};
    if (P == 2 && bcol) bc[1] = _mm512_loadu_ps(bcol + NR);
    for (int i = 0; i < R; i++) {
        float *r = c + i * ldc;
        for (int h = 0; h < P; h++) {
            __m512 v = acc[i][h];
            if (load) v = _mm512_add_ps(v, _mm512_loadu_ps(r + NR * h));
            if (brow) v = _mm512_add_ps(v, _mm512_set1_ps(brow[i]));
            v = _mm512_add_ps(v, bc[h]);
            if (relu) v = _mm512_max_ps(_mm512_setzero_ps(), v);
            if (cap > 0) v = _mm512_min_ps(_mm512_set1_ps(cap), v);
            _mm512_storeu_ps(r + NR * h, v);
        }
    }
}

#define QB_KERN512(name, R, P, rows)                                                                        \
    __attribute__((target("avx512f"))) static void name(                                                   \
        long kc, const float *a, long lda, long a2, long mv, const float *b0, const float *b1, float *c,   \
        long ldc, bool load, const float *brow, const float *bcol, bool relu, float cap)                   \
    {                                                                                                      \
        if (rows) kern512(kc, a, lda, 1, MR * lda, mv, b0, b1, c, ldc, load, brow, bcol, relu, cap, R, P); \
        else kern512(kc, a, 1, MR, a2, 2 * MR, b0, b1, c, ldc, load, brow, bcol, relu, cap, R, P);        \
    }
QB_KERN512(ukernel_6x32, MR, 2, false)
QB_KERN512(ukernel_6x32_rows, MR, 2, true)
QB_KERN512(ukernel_12x16, 2 * MR, 1, false)
QB_KERN512(ukernel_12x16_rows, 2 * MR, 1, true)
QB_KERN512(ukernel_4x32_rows, 4, 2, true)
QB_KERN512(ukernel_8x32_rows, 8, 2, true)
#undef QB_KERN512

typedef void (*kern512_fn)(long kc, const float *a, long lda, long a2, long mv, const float *b0, const float *b1,
                           float *c, long ldc, bool load, const float *brow, const float *bcol, bool relu,
                           float cap);

/* After the last K block of an fp16 output: add the bias, apply the ReLU and
 * narrow the tile's float sums t into C. */
static void finish_tile(const qb_epilogue *e, const float *t, long ldt, long i0, long j0, long mr,
                        long nr)
{
    /* max(-inf, x) is x, NaN included (maxps returns its second operand when
     * either is NaN): one code path with and without the ReLU */
    const __m256 floor8 = _mm256_set1_ps(e->relu ? 0.0f : -__builtin_inff());
    const float floor1 = e->relu ? 0.0f : -__builtin_inff();
    /* min(+inf, x) is x, NaN included (minps returns its second operand) */
    const float ceil1 = e->cap > 0 ? e->cap : __builtin_inff();
    const __m256 ceil8 = _mm256_set1_ps(ceil1);
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
                             _mm256_cvtps_ph(_mm256_min_ps(ceil8, _mm256_max_ps(floor8, v)),
                                             _MM_FROUND_TO_NEAREST_INT));
        }
        for (; jj < nr; jj++) {
            float v = e->bias ? src[jj] + e->bias[rowb ? i0 + ii : j0 + jj] : src[jj];
            v = v < floor1 ? floor1 : v;
            d[jj] = qb_f32_to_f16(v > ceil1 ? ceil1 : v);
        }
    }
}

#ifdef QB_TEST_SLOWDOWN
_Thread_local float qb_test_slowdown_sink[TILE_MAX] __attribute__((aligned(64)));
#endif

/* One block of C, one K block: what every tile of it shares. */
typedef struct {
    const qb_epilogue *e;
    const qb_mat *A, *B;
    const float *ap, *bp; /* the packed blocks (unused when A / B are prepacked fp32) */
    float *acc;           /* fp16 output over several K blocks: the float partial sums */
    long m0, n0, nb, pc, kc;
    bool f16, scratch, first, last, adirect, bdirect;
    bool arows; /* the zmm kernels read A's fp32 rows where they lie (no packing) */
} tile_ctx;

static const float *a_panel(const tile_ctx *x, long i, long ir)
{
    return x->adirect ? (const float *)x->A->p + qb_packed_a_offset(x->A, i, x->pc) : x->ap + ir * x->kc;
}

static const float *b_panel(const tile_ctx *x, long j, long jr)
{
    return x->bdirect ? (const float *)x->B->p + qb_packed_offset(x->B, j, x->pc) : x->bp + jr * x->kc;
}

/* Where the float sums of the tile at (i, j) live: C itself (fp32), the
 * fp16 scratch (several K blocks) or buf, w floats a row (one K block). */
static float *tile_sums(const tile_ctx *x, long i, long j, float *buf, long w, long *ldt, bool *load)
{
    if (!x->f16) {
        *ldt = x->e->ldc;
        *load = !x->first || x->e->accumulate;
        return (float *)x->e->c + i * x->e->ldc + j;
    }
    if (x->scratch) {
        *ldt = x->nb;
        *load = !x->first;
        return x->acc + (i - x->m0) * x->nb + (j - x->n0);
    }
    *ldt = w;
    *load = false;
    return buf;
}

/* fp32: the bias rides on the last K block's stores, per row or per column;
 * a tile shorter than mfull x nfull reads it from a zero-padded copy in pad. */
static void tile_bias(const tile_ctx *x, long i, long j, long mr, long nr, long mfull, long nfull,
                      float *pad, const float **brow, const float **bcol)
{
    const qb_epilogue *e = x->e;
    *brow = *bcol = NULL;
    if (!x->last || x->f16 || !e->bias) return;
    const long n = e->channel_is_row ? mr : nr;
    const float *src = e->bias + (e->channel_is_row ? i : j);
    if (n < (e->channel_is_row ? mfull : nfull)) {
        memcpy(pad, src, (size_t)n * sizeof *pad);
        src = pad;
    }
    if (e->channel_is_row) *brow = src;
    else *bcol = src;
}

/* The epilogue's ReLU and cap on one value of a partial tile (as the
 * kernels do: a NaN stays a NaN). */
static inline float clamp1(float v, bool relu, float cap)
{
    if (relu && v < 0) v = 0.0f;
    return cap > 0 && v > cap ? cap : v;
}

/* A tile of up to 6 x 16 with the AVX2 kernel; partial tiles go through a
 * full-size buffer. */
static void tile16(const tile_ctx *x, long i, long ir, long j, long jr, long mr, long nr)
{
    float tile[MR * NR] __attribute__((aligned(32)));
    float bpad[NR] = {0};
    const float *a = a_panel(x, i, ir), *b = b_panel(x, j, jr), *brow, *bcol;
    long ldt;
    bool load;
    float *t = tile_sums(x, i, j, tile, NR, &ldt, &load);
    const bool relu = x->last && !x->f16 && x->e->relu;
    const float cap = x->last && !x->f16 ? x->e->cap : 0.0f;
    tile_bias(x, i, j, mr, nr, MR, NR, bpad, &brow, &bcol);
    if (mr == MR && nr == NR) {
        ukernel_6x16(x->kc, a, b, t, ldt, load, brow, bcol, relu, cap);
#ifdef QB_TEST_SLOWDOWN
        /* CMake QB_TEST_SLOWDOWN (test only): a quarter of the tile's K loop
         * again, into a sink the compiler must keep (with packing's share,
         * about 20% more time) */
        ukernel_6x16(x->kc / 4, a, b, qb_test_slowdown_sink, NR, false, NULL, NULL, false, 0.0f);
#endif
    } else {
        ukernel_6x16(x->kc, a, b, tile, NR, false, brow, bcol, false, 0.0f);
        for (long ii = 0; ii < mr; ii++)
            for (long jj = 0; jj < nr; jj++)
                t[ii * ldt + jj] = clamp1((load ? t[ii * ldt + jj] : 0.0f) + tile[ii * NR + jj], relu, cap);
    }
    if (x->last && x->f16) finish_tile(x->e, t, ldt, i, j, mr, nr);
}

/* A tile with an AVX-512 kernel: up to 6 x 32 over the micro-panels at
 * columns j and j + 16 (the second may be partial: 16 < nr <= 32, its
 * packed columns past N are zero), up to own x 32 there (own 8 or 4: A read
 * in its own rows only), or up to 12 x 16 over a lone panel (lone). Fewer rows or
 * columns (M not a multiple of the tile's rows, the last columns of N) still
 * take one zmm pass, into a buffer: the packed A panel is zero beyond mr,
 * and A's own rows past mr are not kept. */
static void tile512(const tile_ctx *x, long i, long ir, long j, long jr, long mr, long nr, bool lone, long own)
{
    const long rows = lone ? 2 * MR : own ? own : MR, cols = lone ? NR : 2 * NR;
    float tile[TILE_MAX] __attribute__((aligned(64)));
    float bpad[2 * NR] = {0};
    const float *b0 = b_panel(x, j, jr), *b1 = lone ? b0 : b_panel(x, j + NR, jr + NR);
    const float *a, *brow, *bcol;
    long lda = 0, a2 = 0;
    if (x->arows) {
        lda = x->A->ld;
        a = (const float *)x->A->p + i * lda + x->pc;
    } else {
        a = a_panel(x, i, ir);
        /* the second packed panel of a 12-row tile, when it has rows */
        if (lone && mr > MR) a2 = a_panel(x, i + MR, ir + MR) - a;
    }
    long ldt;
    bool load;
    float *t = tile_sums(x, i, j, tile, cols, &ldt, &load);
    const bool relu = x->last && !x->f16 && x->e->relu;
    const float cap = x->last && !x->f16 ? x->e->cap : 0.0f;
    tile_bias(x, i, j, mr, nr, rows, cols, bpad, &brow, &bcol);
    const kern512_fn k = lone   ? (x->arows ? ukernel_12x16_rows : ukernel_12x16)
                         : own  ? (own == 8 ? ukernel_8x32_rows : ukernel_4x32_rows)
                                : (x->arows ? ukernel_6x32_rows : ukernel_6x32);
    if (mr == rows && nr == cols) {
        k(x->kc, a, lda, a2, mr, b0, b1, t, ldt, load, brow, bcol, relu, cap);
#ifdef QB_TEST_SLOWDOWN
        k(x->kc / 4, a, lda, a2, mr, b0, b1, qb_test_slowdown_sink, cols, false, NULL, NULL, false, 0.0f);
#endif
    } else {
        k(x->kc, a, lda, a2, mr, b0, b1, tile, cols, false, brow, bcol, false, 0.0f);
        for (long ii = 0; ii < mr; ii++)
            for (long jj = 0; jj < nr; jj++)
                t[ii * ldt + jj] = clamp1((load ? t[ii * ldt + jj] : 0.0f) + tile[ii * cols + jj], relu, cap);
    }
    if (x->last && x->f16) finish_tile(x->e, t, ldt, i, j, mr, nr);
}

int qb_gemm_block_f32(qb_gemm_slot *s, bool zmm, long M, long N, long K, const qb_mat *A,
                      const qb_mat *B, const qb_epilogue *e, long m0, long m1, long n0, long n1)
{
    (void)M;
    (void)N;
    const bool f16 = e->kind == QB_EPI_F16;
    const long kcap = zmm ? QB_F32_KC_ZMM : QB_F32_KC;
    const long nblk = (K + kcap - 1) / kcap;
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
    float *ap = s->a, *bp = s->b;
    tile_ctx x = {.e = e, .A = A, .B = B, .ap = ap, .bp = bp, .acc = s->acc, .m0 = m0, .n0 = n0,
                  .nb = nb, .f16 = f16, .scratch = scratch,
                  /* a packed fp32 operand is streamed where it lies */
                  .adirect = A->layout == QB_MAT_PACKED_A && A->type == QB_MAT_F32,
                  .bdirect = B->layout == QB_MAT_PACKED && B->type == QB_MAT_F32,
                  .arows = zmm && A->layout == QB_MAT_ROWS && A->type == QB_MAT_F32};

    for (long jc = n0; jc < n1; jc += ncmax) {
        const long nc = n1 - jc < ncmax ? n1 - jc : ncmax;
        for (long pb = 0; pb < nblk; pb++) {
            const long pc = pb * kcb, kc = K - pc < kcb ? K - pc : kcb;
            x.pc = pc;
            x.kc = kc;
            x.first = pb == 0;
            x.last = pb == nblk - 1;
            for (long jr = 0; jr < nc && !x.bdirect; jr += NR) {
                if (B->layout == QB_MAT_PACKED) qb_packed_f16_rows(B, pc, kc, jc + jr, bp + jr * kc);
                else qb_pack_b_f32(B, pc, kc, jc + jr, nc - jr < NR ? nc - jr : NR, bp + jr * kc);
            }
            for (long ic = m0; ic < m1; ic += QB_F32_MC) {
                const long mc = m1 - ic < QB_F32_MC ? m1 - ic : QB_F32_MC;
                for (long ir = 0; ir < mc && !x.adirect && !x.arows; ir += MR) {
                    if (A->layout == QB_MAT_PACKED_A) qb_packed_a_f16_cols(A, ic + ir, pc, kc, ap + ir * kc);
                    else qb_pack_a_f32(A, ic + ir, mc - ir < MR ? mc - ir : MR, pc, kc, ap + ir * kc);
                }
                for (long jr = 0; jr < nc;) {
                    /* two micro-panels side by side go to the zmm 6 x 32
                     * kernel, the second possibly partial: 17 to 31 last
                     * columns take one zmm tile rather than two ymm ones;
                     * a lone panel the zmm 12 x 16 one */
                    const bool wide = zmm && nc - jr > NR;
                    for (long ir = 0; ir < mc;) {
                        /* a 6-row tile costs its six rows whatever it keeps:
                         * A read in its own rows ends where those would
                         * idle in an 8-row tile (8 rows left, B read once
                         * for them) or a 4-row one (1 to 4 left; its 8
                         * accumulators still cover the FMA latency on two
                         * pipes) */
                        const long rem = mc - ir;
                        const long own = !wide || !x.arows ? 0 : rem <= 4 ? 4 : rem == 8 ? 8 : 0;
                        const long step = own ? own : zmm && !wide ? 2 * MR : MR;
                        const long mr = rem < step ? rem : step, i = ic + ir, j = jc + jr;
                        if (zmm) {
                            tile512(&x, i, ir, j, jr, mr, nc - jr < (wide ? 2 * NR : NR) ? nc - jr : (wide ? 2 * NR : NR),
                                    !wide, own);
                        } else {
                            tile16(&x, i, ir, j, jr, mr, nc - jr < NR ? nc - jr : NR);
                        }
                        ir += step;
                    }
                    jr += wide ? 2 * NR : NR;
                }
            }
        }
    }
    return QB_OK;
}
