/* The direct int8 convolution's tiles (gemm_conv_tile.h): up to 8 output
 * pixels of one row by 32 output channels in 16 zmm accumulators of
 * vpdpbusd, or up to 6 pixels by 64 channels in 24. For each filter tap the
 * pixels' input windows are pointers into the NHWC image; every step
 * broadcasts 4 channels of each against two or four 16-channel weight
 * vectors (the wider tile loads a third fewer values per vpdpbusd). Taps that read only the border are skipped
 * and their products put back from the taps' weight sums: the border holds
 * the activations' zero point, whose products the epilogue's bias (minus the
 * zero point times all the weights) takes out again. */
#include "gemm_conv_tile.h"

#include "gemm_epi.h"
#include "gemm_ref.h"
#include "gemm_rq512.h"
#include "unroll.h"

#include <immintrin.h>
#include <string.h>

enum { TP = QB_CONV_TP, TN = QB_CONV_TN, PANEL = QB_CONV_PANEL };

#define QB_VNNI512 __attribute__((target("avx512f,avx512vnni")))
#define QB_VNNI512_INLINE __attribute__((target("avx512f,avx512vnni"), always_inline)) static inline

/* Pixel i's products in one step, when i is in [LO, HI) (constants): two
 * panels, or four when NPAN is 4. */
#define QB_PX(i, LO, HI)                                                                           \
    if ((i) >= (LO) && (i) < (HI)) {                                                               \
        int32_t v;                                                                                 \
        memcpy(&v, p##i + 4 * c4, 4);                                                              \
        const __m512i av = _mm512_set1_epi32(v);                                                   \
        a##i##0 = _mm512_dpbusd_epi32(a##i##0, av, b0);                                            \
        a##i##1 = _mm512_dpbusd_epi32(a##i##1, av, b1);                                            \
        if (NPAN == 4) {                                                                           \
            a##i##2 = _mm512_dpbusd_epi32(a##i##2, av, b2);                                        \
            a##i##3 = _mm512_dpbusd_epi32(a##i##3, av, b3);                                        \
        }                                                                                          \
    }

/* n steps of pixels [LO, HI): four channels of one tap each. */
#define QB_RUN(LO, HI)                                                                             \
    do {                                                                                           \
        const uint8_t *u0 = q[0], *u1 = q[1], *u2 = q[2], *u3 = q[3];                              \
        QB_UNROLL(4)                                                                               \
        for (long c4 = 0; c4 < n; c4++) {                                                          \
            const __m512i b0 = _mm512_loadu_si512(u0), b1 = _mm512_loadu_si512(u1);                \
            const __m512i b2 = NPAN == 4 ? _mm512_loadu_si512(u2) : b0;                            \
            const __m512i b3 = NPAN == 4 ? _mm512_loadu_si512(u3) : b0;                            \
            u0 += 4 * PANEL;                                                                       \
            u1 += 4 * PANEL;                                                                       \
            u2 += 4 * PANEL;                                                                       \
            u3 += 4 * PANEL;                                                                       \
            QB_PX(0, LO, HI) QB_PX(1, LO, HI) QB_PX(2, LO, HI) QB_PX(3, LO, HI)                    \
            QB_PX(4, LO, HI) QB_PX(5, LO, HI) QB_PX(6, LO, HI) QB_PX(7, LO, HI)                    \
        }                                                                                          \
    } while (0)

/* What the taps a tile skips would have added on the border, zp times
 * their weight sums, for the npan panels of 16 output channels from j: for
 * every pixel (the filter rows out of reach), and besides for the first and
 * for the last pixel (the edge columns). Rows of int32 as
 * qb_conv_border_entry holds them. */
enum { BS_ALL = 0, BS_FIRST = 1, BS_LAST = 2 };

static QB_VNNI512 void border_sums_of(const qb_conv_nhwc *g, const qb_conv_tile *t, long j, int npan,
                                      int32_t out[3][4 * PANEL])
{
    const long S = g->S, Kp = (g->K + TN - 1) / TN * TN;
    long a, b;
    qb_conv_tile_edges(t, S, &a, &b);
    __m512i bs[3][4];
    for (int k = 0; k < 3; k++)
        for (int h = 0; h < 4; h++) bs[k][h] = _mm512_setzero_si512();
    /* a lone pixel is both first and last, and skipped each tap once */
    const bool lone = t->np == 1;
    for (long r = 0; r < g->R; r++)
        for (long s = 0; s < S; s++) {
            const bool out_r = r < t->r0 || r >= t->r1;
            const bool f = !out_r && (s < a || (lone && s >= b)), l = !out_r && !lone && s >= b;
            const int k = out_r ? BS_ALL : f ? BS_FIRST : l ? BS_LAST : -1;
            if (k < 0) continue;
            const int32_t *ts = g->tapsum + (r * S + s) * Kp + j;
            for (int h = 0; h < npan; h++) bs[k][h] = _mm512_add_epi32(bs[k][h], _mm512_loadu_si512(ts + h * PANEL));
            if (f && l) /* a filter wider than the row: both ends skip the tap */
                for (int h = 0; h < npan; h++)
                    bs[BS_LAST][h] = _mm512_add_epi32(bs[BS_LAST][h], _mm512_loadu_si512(ts + h * PANEL));
        }
    const __m512i zp = _mm512_set1_epi32(t->zp);
    for (int k = 0; k < 3; k++)
        for (int h = 0; h < 4; h++) _mm512_store_si512(out[k] + h * PANEL, _mm512_mullo_epi32(bs[k][h], zp));
}

/* The tile's border sums from the walk's memo, computed there first if its
 * kind of tile (reach of rows and columns, lone pixel, channels) is new;
 * NULL when the tile skips no tap whose border products are not zero. */
static QB_VNNI512 const int32_t (*border_sums(const qb_conv_nhwc *g, const qb_conv_tile *t, long j,
                                              int npan))[4 * PANEL]
{
    long a, b;
    qb_conv_tile_edges(t, g->S, &a, &b);
    if (t->zp == 0 || (t->r0 == 0 && t->r1 == g->R && a == 0 && b == g->S)) return NULL;
    qb_conv_border_memo *m = t->memo;
    const long key[7] = {t->r0, t->r1, a, b, t->np == 1, j, npan};
    for (int i = 0; i < m->n; i++)
        if (memcmp(m->e[i].key, key, sizeof key) == 0) return m->e[i].sums;
    qb_conv_border_entry *e = &m->e[m->n < QB_CONV_MEMO ? m->n++ : m->next++ % QB_CONV_MEMO];
    memcpy(e->key, key, sizeof key);
    border_sums_of(g, t, j, npan, e->sums);
    return e->sums;
}

/* The tile's NP pixels by NPAN panels (constants once inlined) over the taps
 * that reach the image, plus the border sums bs if any; w[] are the weight
 * panels. Into acc (NPAN / 2 blocks of TP rows of 32 int32), or with acc
 * NULL (a full tile of a RQ_FLOAT epilogue along the columns) started from
 * the bias and requantized from the registers into C. */
QB_VNNI512_INLINE void conv_tile(const qb_conv_nhwc *g, const qb_conv_tile *t, const void *const w[4],
                                 const int32_t (*bs)[4 * PANEL], const qb_epilogue *e, long j, int32_t *acc, const int NP,
                                 const int NPAN)
{
    __m512i z[4];
    for (int h = 0; h < 4; h++)
        z[h] = !acc && e->bias_i32 && h < NPAN ? _mm512_loadu_si512(e->bias_i32 + j + h * PANEL)
                                               : _mm512_setzero_si512();
    __m512i a00 = z[0], a01 = z[1], a02 = z[2], a03 = z[3], a10 = z[0], a11 = z[1], a12 = z[2], a13 = z[3];
    __m512i a20 = z[0], a21 = z[1], a22 = z[2], a23 = z[3], a30 = z[0], a31 = z[1], a32 = z[2], a33 = z[3];
    __m512i a40 = z[0], a41 = z[1], a42 = z[2], a43 = z[3], a50 = z[0], a51 = z[1], a52 = z[2], a53 = z[3];
    __m512i a60 = z[0], a61 = z[1], a62 = z[2], a63 = z[3], a70 = z[0], a71 = z[1], a72 = z[2], a73 = z[3];
    const long Cp = g->Cp, S = g->S, Wp = t->wp;
    qb_conv_run run[3];
    const int nrun = qb_conv_tile_runs(t, S, run);
    const uint8_t *const *px = (const uint8_t *const *)t->px;
    for (long r = t->r0; r < t->r1; r++) {
        for (int k = 0; k < nrun; k++) {
            /* the taps (r, s0..s1) and their channels lie one after another
             * in the image, as in the weights: one run of steps */
            const long s0 = run[k].s0, off = (r * Wp + s0) * Cp, n = (run[k].s1 - s0) * Cp / 4;
            const long woff = (r * S + s0) * Cp * PANEL;
            const uint8_t *q[4];
            for (int h = 0; h < 4; h++) q[h] = (const uint8_t *)w[h < NPAN ? h : 0] + woff;
            const uint8_t *p0 = px[0] + off, *p1 = px[1] + off, *p2 = px[2] + off, *p3 = px[3] + off;
            const uint8_t *p4 = px[4] + off, *p5 = px[5] + off, *p6 = px[6] + off, *p7 = px[7] + off;
            QB_CONV_RUN_PIXELS(&run[k], NP, QB_RUN);
        }
    }
    __m512i rows[TP][4] = {{a00, a01, a02, a03}, {a10, a11, a12, a13}, {a20, a21, a22, a23},
                           {a30, a31, a32, a33}, {a40, a41, a42, a43}, {a50, a51, a52, a53},
                           {a60, a61, a62, a63}, {a70, a71, a72, a73}};
    /* The loops over the pixels and panels below are unrolled whole, or
     * rows[] would live on the stack and every tile requantize from there. */
    if (bs)
        QB_UNROLL(8)
        for (int i = 0; i < NP; i++)
            QB_UNROLL(4)
            for (int h = 0; h < NPAN; h++) {
                __m512i v = _mm512_add_epi32(rows[i][h], _mm512_load_si512(bs[BS_ALL] + h * PANEL));
                if (i == 0) v = _mm512_add_epi32(v, _mm512_load_si512(bs[BS_FIRST] + h * PANEL));
                if (i == NP - 1) /* zero for a lone pixel */
                    v = _mm512_add_epi32(v, _mm512_load_si512(bs[BS_LAST] + h * PANEL));
                rows[i][h] = v;
            }
    if (acc) {
        QB_UNROLL(8)
        for (int i = 0; i < NP; i++)
            QB_UNROLL(4)
            for (int h = 0; h < NPAN; h++) _mm512_store_si512(acc + (h / 2) * TP * TN + i * TN + (h % 2) * PANEL, rows[i][h]);
        return;
    }
    const qb_rq512 rq = qb_rq512_of(e);
    __m512 m[4];
    for (int h = 0; h < NPAN; h++) m[h] = _mm512_loadu_ps(e->mult + j + h * PANEL);
    QB_UNROLL(8)
    for (int i = 0; i < NP; i++) {
        uint8_t *d = (uint8_t *)e->c + (size_t)((t->p0 + i) * e->ldc + j);
        QB_UNROLL(4)
        for (int h = 0; h < NPAN; h++) qb_rq512_store(&rq, d + h * PANEL, 0xffff, qb_rq512_apply(&rq, rows[i][h], m[h]));
    }
}

#undef QB_RUN
#undef QB_PX

QB_VNNI512 void qb_conv_nhwc_tile_i8(const qb_conv_nhwc *g, const qb_conv_tile *t, const void *const w[4],
                                     const qb_epilogue *e, long j, long nj)
{
    if (nj > TN && t->np < 4) {
        /* a 64-channel tile of 1-3 pixels (rows of 7 or fewer) as two of 32:
         * three fewer copies of the wide kernel, which took most of this
         * file's compile time */
        const void *const hi[4] = {w[2], w[3], w[3], w[3]};
        qb_conv_nhwc_tile_i8(g, t, w, e, j, TN);
        qb_conv_nhwc_tile_i8(g, t, hi, e, j + TN, nj - TN);
        return;
    }
    int32_t buf[2 * TP * TN] __attribute__((aligned(64)));
    const int npan = nj > TN ? 4 : 2;
    const int32_t(*bs)[4 * PANEL] = border_sums(g, t, j, npan);
    /* requantized in registers where it can be: the tile's trip through
     * memory was a few percent of the conv */
    int32_t *acc = (nj == TN || nj == 2 * TN) && e->kind == QB_EPI_RQ_FLOAT && !e->channel_is_row ? NULL : buf;
    /* one copy of the kernel per pixel count and width, each with its
     * constant loops */
    if (npan == 4) {
        switch (t->np) {
        case 4: conv_tile(g, t, w, bs, e, j, acc, 4, 4); break;
        case 5: conv_tile(g, t, w, bs, e, j, acc, 5, 4); break;
        default: conv_tile(g, t, w, bs, e, j, acc, 6, 4); break;
        }
    } else {
        switch (t->np) {
        case 1: conv_tile(g, t, w, bs, e, j, acc, 1, 2); break;
        case 2: conv_tile(g, t, w, bs, e, j, acc, 2, 2); break;
        case 3: conv_tile(g, t, w, bs, e, j, acc, 3, 2); break;
        case 4: conv_tile(g, t, w, bs, e, j, acc, 4, 2); break;
        case 5: conv_tile(g, t, w, bs, e, j, acc, 5, 2); break;
        case 6: conv_tile(g, t, w, bs, e, j, acc, 6, 2); break;
        case 7: conv_tile(g, t, w, bs, e, j, acc, 7, 2); break;
        default: conv_tile(g, t, w, bs, e, j, acc, 8, 2); break;
        }
    }
    if (!acc) return;
    qb_epi_tile32(e, acc, t->p0, t->np, j, nj < TN ? nj : TN);
    if (nj > TN) qb_epi_tile32(e, acc + TP * TN, t->p0, t->np, j + TN, nj - TN);
}
