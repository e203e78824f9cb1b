/* The direct convolution's shared parts (gemm_conv.h): geometry, weights,
 * the padded copy and the split of pixel tiles among threads. */
#include "gemm_conv.h"

#include "cpu_features.h"
#include "error.h"
#include "gemm.h"
#include "gemm_pack.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum { TP = QB_CONV_TP, TN = QB_CONV_TN, PANEL = QB_CONV_PANEL };

/* Bytes of weights a block of output channels may hold: half an L2 of 512 KiB
 * or more, the other half for the padded image the tiles read. */
#define QB_CONV_WEIGHT_BLOCK (256u << 10)

bool qb_conv_nhwc_init(qb_conv_nhwc *g, qb_mat_type type, qb_gemm_isa isa, long C, long H, long W, long R,
                       long S, long stride, long pad, long K)
{
    const bool f32 = type == QB_MAT_F32;
    *g = (qb_conv_nhwc){.type = type, .C = C, .Cp = f32 ? C : (C + 3) / 4 * 4, .H = H, .W = W, .R = R, .S = S,
                        .stride = stride, .pad = pad, .OH = (H + 2 * pad - R) / stride + 1,
                        .OW = (W + 2 * pad - S) / stride + 1, .K = K};
    if (f32) return qb_gemm_f32_zmm(isa);
    return type == QB_MAT_U8 && qb_gemm_isa_resolve(isa) == QB_ISA_AVX512VNNI;
}

static size_t esize(const qb_conv_nhwc *g)
{
    return g->type == QB_MAT_F32 ? 4 : 1;
}

size_t qb_conv_nhwc_padded_bytes(const qb_conv_nhwc *g)
{
    return (size_t)((g->H + 2 * g->pad) * (g->W + 2 * g->pad) * g->Cp) * esize(g);
}

int qb_conv_nhwc_pack_weights(qb_conv_nhwc *g, const void *w, qb_mat *out)
{
    const size_t es = esize(g);
    const long rows = g->R * g->S * g->Cp, taps = g->R * g->S, Kp = (g->K + TN - 1) / TN * TN;
    uint8_t *t = calloc((size_t)(rows * g->K), es);
    if (!t) return qb_fail(QB_ENOMEM, "conv: out of memory for the weights");
    /* t[(r, s, c)][k] from w[k][c][r][s] */
    for (long k = 0; k < g->K; k++)
        for (long c = 0; c < g->C; c++)
            for (long r = 0; r < g->R; r++)
                for (long s = 0; s < g->S; s++)
                    memcpy(t + (size_t)(((r * g->S + s) * g->Cp + c) * g->K + k) * es,
                           (const uint8_t *)w + (size_t)(((k * g->C + c) * g->R + r) * g->S + s) * es, es);
    const qb_mat B = {.p = t, .ld = g->K, .type = g->type == QB_MAT_F32 ? QB_MAT_F32 : QB_MAT_S8,
                      .layout = QB_MAT_ROWS};
    int rc = qb_gemm_pack_b(&B, rows, g->K, out);
    free(g->tapsum);
    g->tapsum = NULL;
    if (!rc && g->type != QB_MAT_F32) {
        /* each tap's weights summed over the channels, for the border the
         * int8 tiles skip (gemm_conv_tile.h) */
        g->tapsum = calloc((size_t)(taps * Kp), sizeof *g->tapsum);
        if (!g->tapsum) rc = qb_fail(QB_ENOMEM, "conv: out of memory for the weight sums");
        for (long tap = 0; !rc && tap < taps; tap++)
            for (long c = 0; c < g->C; c++)
                for (long k = 0; k < g->K; k++)
                    g->tapsum[tap * Kp + k] += ((const int8_t *)t)[(tap * g->Cp + c) * g->K + k];
    }
    free(t);
    return rc;
}

void qb_conv_nhwc_free(qb_conv_nhwc *g)
{
    free(g->tapsum);
    g->tapsum = NULL;
}

/* Pixel w's C channels of row ih of a planar (C x H x W) image, gathered
 * into d. */
static void gather_pixels(const qb_conv_nhwc *g, const uint8_t *x, long ih, uint8_t *d, size_t cpb)
{
    const size_t plane = (size_t)(g->H * g->W);
    if (g->type == QB_MAT_F32) {
        const float *s = (const float *)x + (size_t)(ih * g->W);
        for (long w = 0; w < g->W; w++)
            for (long c = 0; c < g->C; c++) ((float *)(d + (size_t)w * cpb))[c] = s[(size_t)c * plane + (size_t)w];
        return;
    }
    const uint8_t *s = x + (size_t)(ih * g->W);
    for (long w = 0; w < g->W; w++)
        for (long c = 0; c < g->C; c++) d[(size_t)w * cpb + (size_t)c] = s[(size_t)c * plane + (size_t)w];
}

/* Rows [h0, h1) of the padded image from the image x (H x W x C, or
 * C x H x W when planar_in): the border and the channels past C are pad_u8
 * bytes. */
static void pad_rows(const qb_conv_nhwc *g, const uint8_t *x, uint8_t pad_u8, uint8_t *xpad, long h0, long h1)
{
    const size_t es = esize(g), cb = (size_t)g->C * es, cpb = (size_t)g->Cp * es;
    const size_t row = (size_t)(g->W + 2 * g->pad) * cpb, border = (size_t)g->pad * cpb;
    for (long h = h0; h < h1; h++) {
        uint8_t *d = xpad + (size_t)h * row;
        const long ih = h - g->pad;
        if (ih < 0 || ih >= g->H || cpb != cb) {
            memset(d, pad_u8, row);
            if (ih < 0 || ih >= g->H) continue;
        } else {
            memset(d, pad_u8, border);
            memset(d + row - border, pad_u8, border);
        }
        const uint8_t *s = x + (size_t)(ih * g->W) * cb;
        if (g->planar_in) {
            gather_pixels(g, x, ih, d + border, cpb);
        } else if (cpb == cb) {
            memcpy(d + border, s, (size_t)g->W * cb);
        } else {
            for (long w = 0; w < g->W; w++) memcpy(d + border + (size_t)w * cpb, s + (size_t)w * cb, cb);
        }
    }
}

/* Whether the conv takes the int8 tiles of 64 channels. */
static bool wide(const qb_conv_nhwc *g)
{
    return g->type != QB_MAT_F32 && g->K >= 2 * TN;
}

/* Output rows are cut into tiles of at most 8 pixels (6 wide), of even
 * widths (14 is 7 + 7, not 8 + 6; they differ by one at most): a tile's
 * pixels share their filter rows' reach. */
static long tiles_per_row(const qb_conv_nhwc *g)
{
    const long tp = wide(g) ? QB_CONV_TP_WIDE : TP;
    return (g->OW + tp - 1) / tp;
}

/* Whether the tiles can read the input where it lies, with no padded copy:
 * every tap they would read on the border is one they skip. That holds when
 * only a row's first and last pixels reach past its ends, pad <= stride: the
 * second pixel starts at stride - pad >= 0, and the last but one ends a
 * stride before the last, which ends at most pad - 1 past the row. The rows
 * must be NHWC and an int8 pixel's channels fill whole groups of 4. The copy
 * was a few percent of a 64-channel 3x3 conv at 56x56. */
static bool in_place(const qb_conv_nhwc *g)
{
    return !g->planar_in && g->Cp == g->C && g->pad <= g->stride;
}

/* The image the tiles read: the input itself (in_place) or its padded copy. */
typedef struct {
    const char *p;
    long wp, org; /* pixels per row; where the padded origin lies in it (-pad in place) */
    size_t es;
} tile_img;

/* Where the tiles are: row oh's tile k, of the tpr in a row, whose first q_r
 * tiles are q + 1 pixels wide and the rest q (q, q_r: OW / tpr and its
 * remainder). Walked tile by tile with no division. */
typedef struct {
    long tpr, q, q_r;
    long oh, k;
} tile_walk;

static void walk_start(const qb_conv_nhwc *g, long t, tile_walk *w)
{
    w->tpr = tiles_per_row(g);
    w->q = g->OW / w->tpr;
    w->q_r = g->OW % w->tpr;
    w->oh = t / w->tpr;
    w->k = t % w->tpr;
}

static void walk_next(tile_walk *w)
{
    if (++w->k == w->tpr) w->k = 0, w->oh++;
}

/* The walk's tile: its pixels' windows in the image (past the last pixel,
 * the last pixel again) and the taps that reach the image
 * (gemm_conv_tile.h). In place, a window may start before the first row or
 * column: those taps are skipped, never read. */
static void tile_at(const qb_conv_nhwc *g, const tile_walk *w, const tile_img *im, uint8_t pad_u8, qb_conv_tile *out)
{
    const long oh = w->oh, k = w->k;
    const long ow0 = k * w->q + (k < w->q_r ? k : w->q_r), np = w->q + (k < w->q_r);
    const long ih0 = oh * g->stride;
    *out = (qb_conv_tile){.wp = im->wp, .p0 = oh * g->OW + ow0, .np = np, .r0 = g->pad - ih0,
                          .r1 = g->H + g->pad - ih0, .s_first = g->pad - ow0 * g->stride,
                          .s_last = g->W + g->pad - (ow0 + np - 1) * g->stride, .zp = pad_u8};
    if (out->r0 < 0) out->r0 = 0;
    if (out->r1 > g->R) out->r1 = g->R;
    /* one multiplication for the first window, a step of stride pixels for
     * the next: computed per pixel, the offsets were a few percent of a
     * 64-channel int8 tile */
    const ptrdiff_t step = (ptrdiff_t)(g->stride * g->Cp) * (ptrdiff_t)im->es;
    const char *at = im->p + (ptrdiff_t)(((ih0 + im->org) * im->wp + ow0 * g->stride + im->org) * g->Cp) *
                                 (ptrdiff_t)im->es;
    for (long i = 0; i < TP; i++) {
        out->px[i] = at;
        if (i + 1 < np) at += step;
    }
}

/* Pixel tiles [t0, t1) under every output channel, in blocks of channels
 * whose weights stay in L2 while the tiles stream past them (a deep layer's
 * weights outgrow L2, and re-reading them for every tile from L3 halved the
 * speed of a 3x3 256 -> 256 conv). */
static void tiles(const qb_conv_nhwc *g, const tile_img *im, uint8_t pad_u8, const qb_mat *wpk, const qb_epilogue *e,
                  long t0, long t1)
{
    const size_t es = esize(g), per32 = (size_t)(g->R * g->S * g->Cp) * TN * es;
    void (*const tile)(const qb_conv_nhwc *, const qb_conv_tile *, const void *const *, const qb_epilogue *,
                       long, long) = g->type == QB_MAT_F32 ? qb_conv_nhwc_tile_f32 : qb_conv_nhwc_tile_i8;
    const bool w64 = wide(g);
    qb_conv_border_memo memo;
    memo.n = memo.next = 0;
    long jb = (long)(QB_CONV_WEIGHT_BLOCK / per32) * TN;
    if (w64) jb = jb / (2 * TN) * (2 * TN);
    if (jb < (w64 ? 2 * TN : TN)) jb = w64 ? 2 * TN : TN;
    for (long j0 = 0; j0 < g->K; j0 += jb) {
        const long j1 = g->K - j0 < jb ? g->K : j0 + jb;
        tile_walk walk;
        walk_start(g, t0, &walk);
        for (long t = t0; t < t1; t++, walk_next(&walk)) {
            qb_conv_tile tl;
            tile_at(g, &walk, im, pad_u8, &tl);
            tl.memo = &memo;
            for (long j = j0, nj; j < j1; j += nj) {
                nj = w64 && j1 - j >= 2 * TN ? 2 * TN : j1 - j < TN ? j1 - j : TN;
                const void *w[4];
                for (int h = 0; h < 4; h++)
                    w[h] = h * PANEL < nj ? (const char *)wpk->p + qb_packed_offset(wpk, j + h * PANEL, 0) * es
                                          : w[h > 0 ? h - 1 : 0];
                tile(g, &tl, w, e, j, nj);
            }
        }
    }
}

int qb_conv_nhwc_run(const qb_conv_nhwc *g, const void *x, uint8_t pad_u8, void *xpad, const qb_mat *wpk,
                     const qb_epilogue *e, int threads)
{
    const bool f32 = g->type == QB_MAT_F32;
    if (e->channel_is_row || (f32 ? e->kind != QB_EPI_F32 : e->kind < QB_EPI_RQ_FLOAT))
        return qb_fail(QB_EINTERNAL, "conv nhwc: the epilogue does not match (%s, channels along the columns)",
                       f32 ? "fp32" : "int8");
    const long ntiles = g->OH * tiles_per_row(g), Hp = g->H + 2 * g->pad;
    const bool direct = in_place(g);
    const tile_img im = direct ? (tile_img){.p = x, .wp = g->W, .org = -g->pad, .es = esize(g)}
                               : (tile_img){.p = xpad, .wp = g->W + 2 * g->pad, .org = 0, .es = esize(g)};
    if (threads <= 1) {
        if (!direct) pad_rows(g, x, pad_u8, xpad, 0, Hp);
        tiles(g, &im, pad_u8, wpk, e, 0, ntiles);
        return QB_OK;
    }
    /* the padding is shared out too: alone it was a tenth of the call on 2 threads */
#pragma omp parallel num_threads(threads)
    {
        const long t = omp_get_thread_num(), nt = omp_get_num_threads();
        if (!direct) {
            pad_rows(g, x, pad_u8, xpad, Hp * t / nt, Hp * (t + 1) / nt);
#pragma omp barrier
        }
        tiles(g, &im, pad_u8, wpk, e, ntiles * t / nt, ntiles * (t + 1) / nt);
    }
    return QB_OK;
}
