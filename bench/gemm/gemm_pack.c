/* Packing operand blocks into micro-panels. The hot cases are vector copies:
 * B rows of a row-major matrix, and the im2col view of a convolution, where
 * for one filter tap (r, s) the 16 output pixels of a panel usually read 16
 * consecutive input pixels of every channel, so the plan is made once per tap
 * and reused for all channels. */
#include "gemm_pack.h"

#include "error.h"
#include "gemm.h" /* qb_gemm_pack_a, qb_gemm_pack_b, qb_gemm_packed_free */
#include "gemm_f16.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

int qb_gemm_grow(void **p, size_t *cap, size_t n)
{
    if (n <= *cap) return QB_OK;
    n = (n + 63) & ~(size_t)63;
    void *q = aligned_alloc(64, n);
    if (!q) return qb_fail(QB_ENOMEM, "out of memory for %zu bytes of GEMM packing buffers", n);
    free(*p);
    *p = q;
    *cap = n;
    return QB_OK;
}

static inline float ldf(const qb_mat *m, size_t off)
{
    return m->type == QB_MAT_F32 ? ((const float *)m->p)[off]
                                 : qb_f16_to_f32(((const uint16_t *)m->p)[off]);
}

/* 16 values from src (f32 or f16) to dst as float. */
static inline void row16f(const qb_mat *m, size_t off, float *dst)
{
    if (m->type == QB_MAT_F32) {
        const float *s = (const float *)m->p + off;
        _mm256_store_ps(dst, _mm256_loadu_ps(s));
        _mm256_store_ps(dst + 8, _mm256_loadu_ps(s + 8));
    } else {
        const uint16_t *s = (const uint16_t *)m->p + off;
        _mm256_store_ps(dst, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)s)));
        _mm256_store_ps(dst + 8, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(s + 8))));
    }
}

void qb_pack_a_f32(const qb_mat *A, long i0, long mr, long k0, long kc, float *dst)
{
    enum { MR = QB_F32_MR };
    if (mr < MR) memset(dst, 0, (size_t)kc * MR * sizeof *dst);
    if (A->layout == QB_MAT_ROWS) {
        for (long ii = 0; ii < mr; ii++) {
            const size_t base = (size_t)((i0 + ii) * A->ld + k0);
            if (A->type == QB_MAT_F32) {
                const float *s = (const float *)A->p + base;
                for (long k = 0; k < kc; k++) dst[k * MR + ii] = s[k];
            } else {
                for (long k = 0; k < kc; k++) dst[k * MR + ii] = ldf(A, base + (size_t)k);
            }
        }
    } else { /* COLS: one k holds the mr values contiguously */
        for (long k = 0; k < kc; k++) {
            const size_t base = (size_t)((k0 + k) * A->ld + i0);
            for (long ii = 0; ii < mr; ii++) dst[k * MR + ii] = ldf(A, base + (size_t)ii);
        }
    }
}

/* Where a panel's 16 output pixels read for one filter tap: the offset of
 * the first (off0) when all 16 are valid and consecutive (contig), else the
 * per-lane offsets and valid-lane masks of two 8-lane gathers. */
typedef struct {
    __m256i idx[2], mask[2];
    /* when the valid lanes form at most two runs of consecutive pixels (a
     * panel straddling two output rows, or touching the padding): lane i of
     * run q reads base[q] + i, so two masked loads replace a gather */
    bool two_runs;
    /* when all 16 are valid and every other one (a stride-2 conv's row): lane
     * i reads off0 + 2 i, so two contiguous loads and an even-element shuffle
     * replace a gather (off0 + 31 lies inside the channel's plane) */
    bool even;
    long base[2];
    __m256i rmask[2][2]; /* [run][half] */
    __m128i brun1, bpad; /* bytes: lanes of the second run, lanes in the padding */
} gather16;

/* Per panel, tap-independent: ih - r and iw - s of every lane, and which
 * lanes are columns of C at all. */
typedef struct {
    __m256i ih[2], iw[2], live[2];
} panel16;

static void panel_base(const qb_im2col *g, long j0, long nr, panel16 *pb)
{
    int32_t ih[16] __attribute__((aligned(32))), iw[16] __attribute__((aligned(32)));
    int32_t live[16] __attribute__((aligned(32)));
    long oh = j0 / g->OW, ow = j0 % g->OW;
    for (long jj = 0; jj < 16; jj++) {
        ih[jj] = (int32_t)(oh * g->sh - g->ph);
        iw[jj] = (int32_t)(ow * g->sw - g->pw);
        live[jj] = jj < nr ? -1 : 0;
        if (++ow == g->OW) {
            ow = 0;
            oh++;
        }
    }
    for (int h = 0; h < 2; h++) {
        pb->ih[h] = _mm256_load_si256((const __m256i *)(ih + 8 * h));
        pb->iw[h] = _mm256_load_si256((const __m256i *)(iw + 8 * h));
        pb->live[h] = _mm256_load_si256((const __m256i *)(live + 8 * h));
    }
}

/* The tap (r, s) of a panel, in vector arithmetic. */
static bool im2col_plan(const qb_im2col *g, const panel16 *pb, long r, long s, long *off0, gather16 *gx)
{
    const __m256i H = _mm256_set1_epi32((int)g->H), W = _mm256_set1_epi32((int)g->W);
    const __m256i vr = _mm256_set1_epi32((int)r), vs = _mm256_set1_epi32((int)s), m1 = _mm256_set1_epi32(-1);
    const __m256i iota0 = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int all = 1, even = 1;
    int32_t first = 0;
    for (int h = 0; h < 2; h++) {
        const __m256i ih = _mm256_add_epi32(pb->ih[h], vr), iw = _mm256_add_epi32(pb->iw[h], vs);
        /* 0 <= ih < H and 0 <= iw < W, as signed compares */
        __m256i ok = _mm256_and_si256(_mm256_cmpgt_epi32(ih, m1), _mm256_cmpgt_epi32(H, ih));
        ok = _mm256_and_si256(ok, _mm256_and_si256(_mm256_cmpgt_epi32(iw, m1), _mm256_cmpgt_epi32(W, iw)));
        ok = _mm256_and_si256(ok, pb->live[h]);
        const __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(ih, W), iw);
        gx->idx[h] = _mm256_and_si256(off, ok);
        gx->mask[h] = ok;
        if (h == 0) first = _mm256_extract_epi32(off, 0);
        /* consecutive: off == first + 8h + lane */
        const __m256i want = _mm256_add_epi32(_mm256_set1_epi32(first + 8 * h), iota0);
        const __m256i same = _mm256_and_si256(ok, _mm256_cmpeq_epi32(off, want));
        all &= _mm256_movemask_epi8(same) == -1;
        const __m256i want2 = _mm256_add_epi32(_mm256_set1_epi32(first + 16 * h), _mm256_add_epi32(iota0, iota0));
        even &= _mm256_movemask_epi8(_mm256_and_si256(ok, _mm256_cmpeq_epi32(off, want2))) == -1;
    }
    *off0 = first;
    if (all) return true;
    gx->even = even && (long)first + 31 < g->H * g->W;
    gx->two_runs = false;
    if (gx->even) return false; /* the runs below are not needed (and cost more than the copy) */
    int32_t o[16] __attribute__((aligned(32))), v[16] __attribute__((aligned(32)));
    int32_t rm[2][16] __attribute__((aligned(32))) = {{0}};
    _mm256_store_si256((__m256i *)o, gx->idx[0]);
    _mm256_store_si256((__m256i *)(o + 8), gx->idx[1]);
    _mm256_store_si256((__m256i *)v, gx->mask[0]);
    _mm256_store_si256((__m256i *)(v + 8), gx->mask[1]);
    int nruns = 0;
    gx->two_runs = true;
    for (int i = 0; i < 16 && gx->two_runs; i++) {
        if (!v[i]) continue;
        const long b = (long)o[i] - i;
        int q = 0;
        while (q < nruns && gx->base[q] != b) q++;
        if (q == nruns) {
            if (nruns == 2) {
                gx->two_runs = false;
                break;
            }
            gx->base[nruns++] = b;
        }
        rm[q][i] = -1;
    }
    if (nruns < 2) gx->base[1] = gx->base[0];
    if (nruns == 0) gx->base[0] = gx->base[1] = 0;
    for (int q = 0; q < 2; q++)
        for (int h = 0; h < 2; h++) gx->rmask[q][h] = _mm256_load_si256((const __m256i *)(rm[q] + 8 * h));
    uint8_t b1[16], bp[16];
    for (int i = 0; i < 16; i++) {
        b1[i] = rm[1][i] ? 0xFF : 0;
        bp[i] = v[i] ? 0 : 0xFF;
    }
    gx->brun1 = _mm_loadu_si128((const __m128i *)b1);
    gx->bpad = _mm_loadu_si128((const __m128i *)bp);
    return false;
}

/* Rows k in [k0, k0+kc) of the im2col view, tap-major so each plan serves
 * every channel: runs the body with kk = k - k0, the channel's offset cbase,
 * and the tap's plan (contig, off0, gx). */
#define IM2COL_ROWS(g, k0, kc, j0, nr, ...)                                                       \
    do {                                                                                           \
        const long rs_n = (g)->R * (g)->S, hw = (g)->H * (g)->W;                                   \
        long off0;                                                                                 \
        gather16 gx;                                                                               \
        panel16 pb;                                                                                \
        panel_base((g), (j0), (nr), &pb);                                                          \
        for (long rs = 0; rs < rs_n; rs++) {                                                       \
            const bool contig = im2col_plan((g), &pb, rs / (g)->S, rs % (g)->S, &off0, &gx);       \
            long c = (k0) <= rs ? 0 : ((k0) - rs + rs_n - 1) / rs_n;                               \
            for (long k = c * rs_n + rs; k < (k0) + (kc); k += rs_n, c++) {                        \
                const long kk = k - (k0);                                                          \
                const size_t cbase = (size_t)(c * hw);                                             \
                __VA_ARGS__                                                                        \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* 16 floats of a non-contiguous panel row: f32 gathered directly; binary16
 * gathered as 32-bit words at 2-byte steps (the high half is the next value,
 * dropped), which reads 2 bytes past an element (see qb_im2col). */
static inline void gather16f(const qb_mat *m, size_t cbase, const gather16 *gx, float *d)
{
    if (m->type == QB_MAT_F32 && gx->two_runs) {
        /* masked lanes are not read, so base + i may lie outside the image */
        const float *p = (const float *)m->p + cbase;
        for (int h = 0; h < 2; h++) {
            const __m256 a = _mm256_maskload_ps(p + gx->base[0] + 8 * h, gx->rmask[0][h]);
            const __m256 b = _mm256_maskload_ps(p + gx->base[1] + 8 * h, gx->rmask[1][h]);
            _mm256_store_ps(d + 8 * h, _mm256_or_ps(a, b));
        }
        return;
    }
    if (m->type == QB_MAT_F32) {
        const float *base = (const float *)m->p + cbase;
        for (int h = 0; h < 2; h++)
            _mm256_store_ps(d + 8 * h, _mm256_mask_i32gather_ps(_mm256_setzero_ps(), base, gx->idx[h],
                                                                _mm256_castsi256_ps(gx->mask[h]), 4));
        return;
    }
    const int *base = (const int *)((const uint16_t *)m->p + cbase);
    const __m256i lo16 = _mm256_set1_epi32(0xFFFF);
    __m256i v[2];
    for (int h = 0; h < 2; h++)
        v[h] = _mm256_and_si256(_mm256_mask_i32gather_epi32(_mm256_setzero_si256(), base, gx->idx[h], gx->mask[h], 2), lo16);
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packus_epi32(v[0], v[1]), 0xD8);
    _mm256_store_ps(d, _mm256_cvtph_ps(_mm256_castsi256_si128(w)));
    _mm256_store_ps(d + 8, _mm256_cvtph_ps(_mm256_extracti128_si256(w, 1)));
}

/* The even elements of src[0..32): a stride-2 row of 16 pixels. */
static inline void even16f(const float *src, float *d)
{
    for (int h = 0; h < 2; h++) {
        const __m256 a = _mm256_loadu_ps(src + 16 * h), b = _mm256_loadu_ps(src + 16 * h + 8);
        /* even lanes of each 128-bit half, then the 64-bit quarters in order */
        const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        _mm256_store_ps(d + 8 * h, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0))));
    }
}

void qb_pack_b_f32(const qb_mat *B, long k0, long kc, long j0, long nr, float *dst)
{
    enum { NR = QB_F32_NR };
    if (B->layout == QB_MAT_IM2COL) {
        const qb_im2col *g = B->conv;
        IM2COL_ROWS(g, k0, kc, j0, nr, {
            float *d = dst + kk * NR;
            if (contig) row16f(B, cbase + (size_t)off0, d);
            else if (gx.even && B->type == QB_MAT_F32) even16f((const float *)B->p + cbase + off0, d);
            else gather16f(B, cbase, &gx, d);
        });
        return;
    }
    if (B->layout == QB_MAT_ROWS) {
        for (long k = 0; k < kc; k++) {
            const size_t base = (size_t)((k0 + k) * B->ld + j0);
            if (nr == NR) {
                row16f(B, base, dst + k * NR);
            } else {
                for (long jj = 0; jj < NR; jj++)
                    dst[k * NR + jj] = jj < nr ? ldf(B, base + (size_t)jj) : 0.0f;
            }
        }
        return;
    }
    /* COLS (B stored [N][K], e.g. gemm weights): column jj is contiguous in k. */
    if (nr < NR) memset(dst, 0, (size_t)kc * NR * sizeof *dst);
    for (long jj = 0; jj < nr; jj++) {
        const size_t base = (size_t)((j0 + jj) * B->ld + k0);
        if (B->type == QB_MAT_F32) {
            const float *s = (const float *)B->p + base;
            for (long k = 0; k < kc; k++) dst[k * NR + jj] = s[k];
        } else {
            for (long k = 0; k < kc; k++) dst[k * NR + jj] = ldf(B, base + (size_t)k);
        }
    }
}

/* ---- int8 ---------------------------------------------------------------- */

/* Interleave four 16-byte rows (k .. k+3) into 16 lanes of 4 bytes. */
static inline void interleave4x16(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2,
                                  const uint8_t *r3, uint8_t *dst)
{
    const __m128i a = _mm_loadu_si128((const __m128i *)r0), b = _mm_loadu_si128((const __m128i *)r1);
    const __m128i c = _mm_loadu_si128((const __m128i *)r2), d = _mm_loadu_si128((const __m128i *)r3);
    const __m128i ablo = _mm_unpacklo_epi8(a, b), abhi = _mm_unpackhi_epi8(a, b);
    const __m128i cdlo = _mm_unpacklo_epi8(c, d), cdhi = _mm_unpackhi_epi8(c, d);
    _mm_storeu_si128((__m128i *)dst, _mm_unpacklo_epi16(ablo, cdlo));
    _mm_storeu_si128((__m128i *)(dst + 16), _mm_unpackhi_epi16(ablo, cdlo));
    _mm_storeu_si128((__m128i *)(dst + 32), _mm_unpacklo_epi16(abhi, cdhi));
    _mm_storeu_si128((__m128i *)(dst + 48), _mm_unpackhi_epi16(abhi, cdhi));
}

static const uint8_t zero16[16];

void qb_pack_a_i8(const qb_mat *A, long i0, long mr, long k0, long kc, uint8_t *dst)
{
    enum { MR = QB_I8_MR };
    const long kc4 = (kc + 3) / 4;
    memset(dst, 0, (size_t)kc4 * MR * 4);
    const uint8_t *p = A->p;
    for (long ii = 0; ii < mr; ii++) {
        if (A->layout == QB_MAT_ROWS) {
            const uint8_t *s = p + (i0 + ii) * A->ld + k0;
            long k = 0;
            for (; k + 4 <= kc; k += 4) memcpy(dst + (k / 4) * MR * 4 + ii * 4, s + k, 4);
            for (; k < kc; k++) dst[(k / 4) * MR * 4 + ii * 4 + k % 4] = s[k];
        } else {
            for (long k = 0; k < kc; k++)
                dst[(k / 4) * MR * 4 + ii * 4 + k % 4] = p[(k0 + k) * A->ld + i0 + ii];
        }
    }
}

void qb_pack_b_i8(const qb_mat *B, long k0, long kc, long j0, long nr, uint8_t *dst)
{
    enum { NR = QB_I8_NR };
    const long kc4 = (kc + 3) / 4;
    const uint8_t *p = B->p;
    if (B->layout == QB_MAT_COLS) { /* weights [N][K]: 4 consecutive k are 4 bytes */
        if (nr < NR || kc % 4) memset(dst, 0, (size_t)kc4 * NR * 4);
        for (long jj = 0; jj < nr; jj++) {
            const uint8_t *s = p + (j0 + jj) * B->ld + k0;
            long k = 0;
            for (; k + 4 <= kc; k += 4) memcpy(dst + (k / 4) * NR * 4 + jj * 4, s + k, 4);
            for (; k < kc; k++) dst[(k / 4) * NR * 4 + jj * 4 + k % 4] = s[k];
        }
        return;
    }
    /* ROWS and IM2COL: gather plain 16-byte rows, then interleave by 4. */
    uint8_t rows[QB_I8_KC][NR] __attribute__((aligned(16)));
    const uint8_t *rp[QB_I8_KC];
    if (B->layout == QB_MAT_IM2COL) {
        const qb_im2col *g = B->conv;
        IM2COL_ROWS(g, k0, kc, j0, nr, {
            if (contig) {
                rp[kk] = p + cbase + off0;
            } else if (gx.even) {
                /* the even bytes of 32: each 16-bit word's low byte, packed */
                const __m256i v = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(p + cbase + off0)),
                                                   _mm256_set1_epi16(0xFF));
                _mm_store_si128((__m128i *)rows[kk],
                                _mm_packus_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
                rp[kk] = rows[kk];
            } else if (gx.two_runs) {
                /* two 16-byte loads blended, the padding set to the zero point;
                 * reads up to 15 bytes either side of the valid pixels (gemm.h) */
                const __m128i a = _mm_loadu_si128((const __m128i *)(p + cbase + gx.base[0]));
                const __m128i b = _mm_loadu_si128((const __m128i *)(p + cbase + gx.base[1]));
                const __m128i v = _mm_blendv_epi8(_mm_blendv_epi8(a, b, gx.brun1), _mm_set1_epi8((char)g->pad_u8), gx.bpad);
                _mm_store_si128((__m128i *)rows[kk], v);
                rp[kk] = rows[kk];
            } else {
                /* bytes gathered as 32-bit words (3 bytes past an element are
                 * read, see qb_im2col); padded lanes get the zero point */
                const int *base = (const int *)(p + cbase);
                const __m256i padv = _mm256_set1_epi32(g->pad_u8), lo8 = _mm256_set1_epi32(0xFF);
                const __m256i v0 = _mm256_and_si256(_mm256_mask_i32gather_epi32(padv, base, gx.idx[0], gx.mask[0], 1), lo8);
                const __m256i v1 = _mm256_and_si256(_mm256_mask_i32gather_epi32(padv, base, gx.idx[1], gx.mask[1], 1), lo8);
                const __m256i w = _mm256_packus_epi32(v0, v1);
                const __m256i by = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(w, w), _mm256_setr_epi32(0, 4, 1, 5, 0, 4, 1, 5));
                _mm_store_si128((__m128i *)rows[kk], _mm256_castsi256_si128(by));
                rp[kk] = rows[kk];
            }
        });
    } else {
        for (long k = 0; k < kc; k++) {
            const uint8_t *s = p + (k0 + k) * B->ld + j0;
            if (nr == NR) {
                rp[k] = s;
            } else {
                memset(rows[k], 0, NR);
                memcpy(rows[k], s, (size_t)nr);
                rp[k] = rows[k];
            }
        }
    }
    for (long k4 = 0; k4 < kc4; k4++) {
        const long k = 4 * k4;
        interleave4x16(rp[k], k + 1 < kc ? rp[k + 1] : zero16, k + 2 < kc ? rp[k + 2] : zero16,
                       k + 3 < kc ? rp[k + 3] : zero16, dst + k4 * NR * 4);
    }
}

/* ---- constant B packed once ----------------------------------------------- */

int qb_gemm_pack_b(const qb_mat *B, long K, long N, qb_mat *out)
{
    memset(out, 0, sizeof *out);
    if (B->layout == QB_MAT_IM2COL || B->layout == QB_MAT_PACKED)
        return qb_fail(QB_EINTERNAL, "gemm: only a plain B can be packed");
    const long panels = (N + 15) / 16;
    const size_t esz = B->type == QB_MAT_F32 ? 4 : B->type == QB_MAT_F16 ? 2 : 1;
    const size_t per = B->type >= QB_MAT_U8 ? (size_t)((K + 3) / 4) * 64 : (size_t)K * 16 * esz;
    void *p = NULL;
    size_t cap = 0;
    int rc = qb_gemm_grow(&p, &cap, per * (size_t)panels);
    if (rc) return rc;
    *out = (qb_mat){.p = p, .ld = K, .type = B->type, .layout = QB_MAT_PACKED};
    for (long j = 0; j < N; j += 16) {
        const long nr = N - j < 16 ? N - j : 16;
        uint8_t *dst = (uint8_t *)p + qb_packed_offset(out, j, 0) * esz; /* elements, so bytes x esz */
        if (B->type == QB_MAT_F32) {
            qb_pack_b_f32(B, 0, K, j, nr, (float *)dst);
        } else if (B->type >= QB_MAT_U8) {
            for (long k0 = 0; k0 < K; k0 += QB_I8_KC) /* the packer's row buffer holds QB_I8_KC */
                qb_pack_b_i8(B, k0, K - k0 < QB_I8_KC ? K - k0 : QB_I8_KC, j, nr,
                             dst + (size_t)(k0 / 4) * 64);
        } else { /* binary16 kept as is */
            uint16_t *d = (uint16_t *)dst;
            const uint16_t *src = B->p;
            for (long k = 0; k < K; k++)
                for (long jj = 0; jj < 16; jj++)
                    d[k * 16 + jj] = jj >= nr ? 0
                                     : B->layout == QB_MAT_ROWS ? src[k * B->ld + j + jj]
                                                                : src[(j + jj) * B->ld + k];
        }
    }
    return QB_OK;
}

int qb_gemm_pack_a(const qb_mat *A, long M, long K, qb_mat *out)
{
    memset(out, 0, sizeof *out);
    if (A->layout != QB_MAT_ROWS && A->layout != QB_MAT_COLS)
        return qb_fail(QB_EINTERNAL, "gemm: only a plain A can be packed");
    const bool i8 = A->type >= QB_MAT_U8;
    const long mr = i8 ? QB_I8_MR : QB_F32_MR, panels = (M + mr - 1) / mr;
    const size_t esz = A->type == QB_MAT_F32 ? 4 : A->type == QB_MAT_F16 ? 2 : 1;
    const size_t per = i8 ? (size_t)((K + 3) / 4) * 16 : (size_t)K * QB_F32_MR * esz;
    void *p = NULL;
    size_t cap = 0;
    int rc = qb_gemm_grow(&p, &cap, per * (size_t)panels);
    if (rc) return rc;
    *out = (qb_mat){.p = p, .ld = K, .type = A->type, .layout = QB_MAT_PACKED_A};
    for (long i = 0; i < M; i += mr) {
        const long n = M - i < mr ? M - i : mr;
        uint8_t *dst = (uint8_t *)p + qb_packed_a_offset(out, i, 0) * (i8 ? 1 : esz);
        if (A->type == QB_MAT_F32) {
            qb_pack_a_f32(A, i, n, 0, K, (float *)dst);
        } else if (i8) {
            qb_pack_a_i8(A, i, n, 0, K, dst);
        } else { /* binary16 kept as is */
            uint16_t *d = (uint16_t *)dst;
            const uint16_t *src = A->p;
            for (long k = 0; k < K; k++)
                for (long ii = 0; ii < QB_F32_MR; ii++)
                    d[k * QB_F32_MR + ii] = ii >= n ? 0
                                            : A->layout == QB_MAT_ROWS ? src[(i + ii) * A->ld + k]
                                                                       : src[k * A->ld + i + ii];
        }
    }
    return QB_OK;
}

void qb_gemm_packed_free(qb_mat *m)
{
    if (m->layout == QB_MAT_PACKED || m->layout == QB_MAT_PACKED_A) free((void *)m->p);
    m->p = NULL;
}

void qb_packed_a_f16_cols(const qb_mat *A, long i0, long k0, long kc, float *dst)
{
    const uint16_t *s = (const uint16_t *)A->p + qb_packed_a_offset(A, i0, k0);
    long i = 0;
    for (; i + 8 <= kc * QB_F32_MR; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(s + i))));
    for (; i < kc * QB_F32_MR; i++) dst[i] = qb_f16_to_f32(s[i]);
}

void qb_packed_f16_rows(const qb_mat *B, long k0, long kc, long j0, float *dst)
{
    const uint16_t *s = (const uint16_t *)B->p + qb_packed_offset(B, j0, k0);
    for (long i = 0; i < kc * 16; i += 8)
        _mm256_store_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(s + i))));
}
