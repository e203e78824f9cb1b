/* Depthwise convolution by blocks of 8 channels (see depthwise.h): copy a
 * block's planes into a padded image of 8-lane pixels, convolve, transpose
 * the result back to planes through the epilogue. */
#include "depthwise.h"

#include "depthwise_rq.h"
#include "eltwise_simd.h"

#include <immintrin.h>
#include <string.h>

enum { L = 8 }; /* channels per block: one ymm of floats */

void qb_dw_c8_make(qb_dw_c8 *n, const qb_dw_geom *g, size_t C)
{
    n->g = *g;
    n->C = C;
    n->Wn = g->W + 2 * (size_t)g->pad;
    /* output rows per strip: as many as keep the strip's padded input rows
     * within QB_DW_C8_STRIP_BYTES (so it stays in L1 while it is read R
     * times over), at least one */
    const size_t row = n->Wn * L * sizeof(float), fit = QB_DW_C8_STRIP_BYTES / row;
    n->strip = fit > (size_t)g->R ? (fit - (size_t)g->R) / (size_t)g->st + 1 : 1;
    if (n->strip > g->OH) n->strip = g->OH;
}

/* Padded input rows behind `rows` output rows. */
static size_t in_rows(const qb_dw_c8 *n, size_t rows)
{
    return (rows - 1) * (size_t)n->g.st + (size_t)n->g.R;
}

size_t qb_dw_c8_scratch(const qb_dw_c8 *n)
{
    return in_rows(n, n->strip) * n->Wn * L * sizeof(float);
}

size_t qb_dw_c8_weights_len(const qb_dw_c8 *n)
{
    return (n->C + L - 1) / L * (size_t)(n->g.R * n->g.S) * L;
}

#define WEIGHTS(n, w, wb)                                                                          \
    do {                                                                                           \
        const size_t taps_ = (size_t)((n)->g.R * (n)->g.S);                                        \
        memset((wb), 0, qb_dw_c8_weights_len(n) * sizeof *(wb));                                   \
        for (size_t c_ = 0; c_ < (n)->C; c_++)                                                     \
            for (size_t t_ = 0; t_ < taps_; t_++)                                                  \
                (wb)[(c_ / L * taps_ + t_) * L + c_ % L] = (float)(w)[c_ * taps_ + t_];            \
    } while (0)

void qb_dw_c8_weights_f32(const qb_dw_c8 *n, const float *w, float *wb)
{
    WEIGHTS(n, w, wb);
}

void qb_dw_c8_weights_i8(const qb_dw_c8 *n, const int8_t *w, float *wb)
{
    WEIGHTS(n, w, wb);
}

static inline __m256 load8(const void *x, qb_dw_type t, size_t i)
{
    switch (t) {
    case QB_DW_F32:
        return _mm256_loadu_ps((const float *)x + i);
    case QB_DW_F16:
        return qb_v_ld16((const uint16_t *)x + i);
    default:
        return _mm256_cvtepi32_ps(qb_v_widen8((const uint8_t *)x + i, 1));
    }
}

static inline float load1(const void *x, qb_dw_type t, size_t i)
{
    switch (t) {
    case QB_DW_F32:
        return ((const float *)x)[i];
    case QB_DW_F16:
        return _cvtsh_ss(((const uint16_t *)x)[i]);
    default:
        return (float)((const uint8_t *)x)[i];
    }
}

/* Rows [r0, r1) of block b's padded image (padded coordinates: row pad is
 * the plane's first) into xs [r1 - r0][Wn][8]. The interior is walked by
 * flat pixel index, 8 pixels of the 8 planes at a time through a
 * transpose, so planes narrower than a vector are read whole vectors too.
 * Inlined with a constant type, so each type gets its own loop. */
static inline void pack_in_t(const qb_dw_c8 *n, const qb_dw_c8_io *io, const void *x, float *xs,
                             size_t b, size_t r0, size_t r1, qb_dw_type type)
{
    const qb_dw_geom *g = &n->g;
    const size_t pad = (size_t)g->pad, HW = g->H * g->W, c = b * L, W = g->W;
    const size_t nch = n->C - c < L ? n->C - c : L;
    const __m256 border = _mm256_set1_ps(type == QB_DW_U8 ? (float)io->za : 0.0f);
    for (size_t r = r0; r < r1; r++) {
        float *row = xs + (r - r0) * n->Wn * L;
        const bool full = r < pad || r >= pad + g->H;
        for (size_t w = 0; w < n->Wn; w++)
            if (full || w < pad || w >= pad + W) _mm256_storeu_ps(row + w * L, border);
    }
    /* the plane rows [h0, h1) inside the strip */
    const size_t h0 = (r0 > pad ? r0 : pad) - pad, h1 = (r1 < pad + g->H ? r1 : pad + g->H) - pad;
    if (h1 <= h0) return;
    const size_t src = c * HW, skip = 2 * pad * L, pend = h1 * W; /* skip: a row's end to the next's start */
    float *o = xs + ((h0 + pad - r0) * n->Wn + pad) * L; /* where pixel p goes */
    size_t p = h0 * W, w = 0;                              /* w: pixel p's column */
    if (nch == L)
        for (; p + L <= pend; p += L) {
            __m256 v[L];
            for (size_t j = 0; j < L; j++) v[j] = load8(x, type, src + j * HW + p);
            qb_v_tr8(v);
            for (size_t k = 0; k < L; k++) {
                _mm256_storeu_ps(o, v[k]);
                o += L;
                if (++w == W) w = 0, o += skip;
            }
        }
    for (; p < pend; p++) {
        for (size_t j = 0; j < L; j++) o[j] = j < nch ? load1(x, type, src + j * HW + p) : 0.0f;
        o += L;
        if (++w == W) w = 0, o += skip;
    }
}

static void pack_in(const qb_dw_c8 *n, const qb_dw_c8_io *io, const void *x, float *xs, size_t b,
                    size_t r0, size_t r1)
{
    switch (io->type) {
    case QB_DW_F32:
        pack_in_t(n, io, x, xs, b, r0, r1, QB_DW_F32);
        break;
    case QB_DW_F16:
        pack_in_t(n, io, x, xs, b, r0, r1, QB_DW_F16);
        break;
    default:
        pack_in_t(n, io, x, xs, b, r0, r1, QB_DW_U8);
    }
}

/* The window corners of output pixels p .. p + 7 (flat index in the
 * output plane) in the strip's padded rows xs (its row 0 is the window row
 * of output row oh0); past pixel pend - 1, that one's. The first pixel's
 * row and column come from the caller's running count, which saves a
 * division per pixel. */
static inline void corners(const qb_dw_c8 *n, const float *xs, size_t oh0, size_t p, size_t pend,
                           size_t oh, size_t ow, const float *cr[L])
{
    const size_t st = (size_t)n->g.st;
    for (size_t k = 0; k < L; k++) {
        cr[k] = xs + ((oh - oh0) * st * n->Wn + ow * st) * L;
        if (p + k + 1 < pend && ++ow == n->g.OW) ow = 0, oh++;
    }
}

/* m (<= 8) outputs of channel ch, pixels i.. of its plane, through the epilogue. */
static inline void store_row(const qb_dw_c8_io *io, __m256 v, void *y, size_t i, size_t m, size_t ch,
                             qb_dw_type type)
{
    unsigned char t[32];
    void *o = m == L ? NULL : t; /* whole rows are stored in place */
    size_t esz;
    if (type == QB_DW_U8) {
        const qb_dw_rq *q = &io->rq[ch];
        const qb_v_rq vq = qb_v_rq_make(q->zo, q->qmin, q->qmax);
        /* the sums are whole numbers below 2^24: the conversion is exact */
        const __m256i acc = _mm256_add_epi32(_mm256_cvtps_epi32(v), _mm256_set1_epi32(q->bias));
        const uint64_t bytes = qb_v_pack1(qb_dw_rq8(q, &vq, acc), q->u8);
        esz = 1;
        memcpy(o ? o : (uint8_t *)y + i, &bytes, sizeof bytes);
    } else {
        if (io->clamp)
            v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(io->lo)), _mm256_set1_ps(io->hi));
        if (type == QB_DW_F16) {
            esz = 2;
            _mm_storeu_si128(o ? o : (uint16_t *)y + i, qb_v_cvt16(v));
        } else {
            esz = 4;
            _mm256_storeu_ps(o ? o : (float *)y + i, v);
        }
    }
    if (o) memcpy((char *)y + i * esz, t, m * esz);
}

/* Output rows [oh0, oh1) of block b's planes from the strip's padded rows
 * xs and the block's weights wb [R*S][8]: 8 output pixels at a time (8
 * independent FMA chains, one per pixel, 8 channels each), transposed in
 * registers into 8 channels' runs of 8 pixels and stored through the
 * epilogue. Pixels are taken by flat index, so a group may span rows; the
 * strip's last group ends at its last pixel, overlapping the one before (it
 * stores the same values again). Inlined with a constant type, as
 * pack_in_t. */
static inline void conv_out_t(const qb_dw_c8 *n, const qb_dw_c8_io *io, const float *xs,
                              const float *wb, void *y, size_t b, size_t oh0, size_t oh1,
                              qb_dw_type type)
{
    const qb_dw_geom *g = &n->g;
    const size_t S = (size_t)g->S, taps = (size_t)g->R * S, P = g->OH * g->OW, c = b * L;
    const size_t nch = n->C - c < L ? n->C - c : L, p0 = oh0 * g->OW, p1 = oh1 * g->OW;
    size_t off[16 * 16]; /* each tap's offset from its window's corner */
    for (size_t r = 0; r < (size_t)g->R; r++)
        for (size_t t = 0; t < S; t++) off[r * S + t] = (r * n->Wn + t) * L;
    float b8[L] = {0};
    if (type != QB_DW_U8 && io->bias)
        for (size_t j = 0; j < nch; j++) b8[j] = io->bias[c + j];
    const __m256 init = _mm256_loadu_ps(b8);
    size_t oh = oh0, ow = 0; /* pixel p's row and column, counted (a division per pixel group
                                cost as much as the group's FMAs on 7-wide planes) */
    for (size_t p = p0; p < p1; p += L) {
        if (p + L > p1 && p1 - p0 >= L) p = p1 - L, oh = p / g->OW, ow = p % g->OW;
        const float *cr[L];
        corners(n, xs, oh0, p, p1, oh, ow, cr);
        for (ow += L; ow >= g->OW && oh < oh1; ow -= g->OW) oh++;
        __m256 v[L];
        for (size_t k = 0; k < L; k++) v[k] = init;
        for (size_t t = 0; t < taps; t++) {
            const __m256 w = _mm256_loadu_ps(wb + t * L);
            const size_t o = off[t];
            for (size_t k = 0; k < L; k++) v[k] = _mm256_fmadd_ps(_mm256_loadu_ps(cr[k] + o), w, v[k]);
        }
        qb_v_tr8(v);
        const size_t m = p1 - p < L ? p1 - p : L;
        for (size_t j = 0; j < nch; j++) store_row(io, v[j], y, (c + j) * P + p, m, c + j, type);
    }
}

static void conv_out(const qb_dw_c8 *n, const qb_dw_c8_io *io, const float *xs, const float *wb,
                     void *y, size_t b, size_t oh0, size_t oh1)
{
    switch (io->type) {
    case QB_DW_F32:
        conv_out_t(n, io, xs, wb, y, b, oh0, oh1, QB_DW_F32);
        break;
    case QB_DW_F16:
        conv_out_t(n, io, xs, wb, y, b, oh0, oh1, QB_DW_F16);
        break;
    default:
        conv_out_t(n, io, xs, wb, y, b, oh0, oh1, QB_DW_U8);
    }
}

void qb_dw_c8_run(const qb_dw_c8 *n, const qb_dw_c8_io *io, const void *x, const float *wb,
                  float *scratch, void *y, size_t b0, size_t b1)
{
    const size_t taps = (size_t)(n->g.R * n->g.S);
    for (size_t b = b0; b < b1; b++)
        for (size_t oh0 = 0; oh0 < n->g.OH; oh0 += n->strip) {
            const size_t oh1 = oh0 + n->strip < n->g.OH ? oh0 + n->strip : n->g.OH;
            const size_t r0 = oh0 * (size_t)n->g.st;
            pack_in(n, io, x, scratch, b, r0, r0 + in_rows(n, oh1 - oh0));
            conv_out(n, io, scratch, wb + b * taps * L, y, b, oh0, oh1);
        }
}
