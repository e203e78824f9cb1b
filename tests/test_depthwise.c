/* The depthwise kernels' 8-channel-block route against a scalar reference
 * and against the plane kernels: fp32 and fp16 within rounding, int8
 * bit-exact (both requantization kinds, u8 and s8 outputs, a zero point in
 * the padding), over channel counts that are and are not multiples of 8,
 * plane widths below, at and above a vector, strides 1 to 3, pads 0 to 2,
 * and planes wide enough to be done in several strips of rows. */
#include "check.h"
#include "depthwise.h"
#include "depthwise_rq.h"
#include "gemm_f16.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

typedef struct {
    size_t C, H, W;
    int R, S, st, pad;
} geo;

static const geo cases[] = {
    {8, 7, 7, 3, 3, 1, 1},    {16, 14, 14, 3, 3, 1, 1}, {24, 14, 14, 3, 3, 2, 1},
    {20, 9, 11, 3, 3, 1, 1},  {3, 5, 5, 3, 3, 1, 0},    {13, 17, 16, 5, 5, 2, 2},
    {32, 28, 28, 3, 3, 2, 1}, {9, 8, 8, 1, 1, 1, 0},    {40, 12, 10, 3, 3, 3, 1},
    {8, 1, 1, 3, 3, 1, 1},
    /* wide planes: several strips of rows, the last one shorter */
    {8, 20, 120, 3, 3, 1, 1}, {16, 13, 150, 3, 3, 2, 1}, {9, 11, 130, 5, 5, 1, 2},
};

/* The input value of channel c at padded position (r, s), or the padding. */
static float at(const geo *q, const float *x, size_t c, long r, long s, float padv)
{
    r -= q->pad, s -= q->pad;
    if (r < 0 || s < 0 || r >= (long)q->H || s >= (long)q->W) return padv;
    return x[(c * q->H + (size_t)r) * q->W + (size_t)s];
}

static void float_case(const geo *q, qb_dw_type type)
{
    qb_dw_geom g;
    qb_dw_geom_make(&g, q->H, q->W, q->R, q->S, q->st, q->pad);
    qb_dw_c8 n;
    qb_dw_c8_make(&n, &g, q->C);
    const size_t taps = (size_t)(q->R * q->S), in = q->C * q->H * q->W, out = q->C * g.OH * g.OW;
    float *x = malloc(in * sizeof *x), *w = malloc(q->C * taps * sizeof *w);
    float *bias = malloc(q->C * sizeof *bias), *y = malloc(out * sizeof *y);
    float *wb = malloc(qb_dw_c8_weights_len(&n) * sizeof *wb);
    float *s = malloc(qb_dw_c8_scratch(&n));
    uint16_t *xh = malloc(in * sizeof *xh), *yh = malloc(out * sizeof *yh);
    for (size_t i = 0; i < in; i++) x[i] = (float)(next() % 2001) / 1000.0f - 1.0f;
    if (type == QB_DW_F16) {
        qb_f32_to_f16_n(x, xh, in);
        for (size_t i = 0; i < in; i++) x[i] = qb_f16_to_f32(xh[i]);
    }
    for (size_t i = 0; i < q->C * taps; i++) w[i] = (float)(next() % 2001) / 1000.0f - 1.0f;
    for (size_t c = 0; c < q->C; c++) bias[c] = (float)(next() % 201) / 100.0f - 1.0f;
    qb_dw_c8_weights_f32(&n, w, wb);
    const qb_dw_c8_io io = {.type = type, .bias = bias, .clamp = true, .lo = -0.5f, .hi = 6.0f};
    const size_t nb = (q->C + 7) / 8;
    /* two calls over disjoint blocks, as two threads would make them */
    qb_dw_c8_run(&n, &io, type == QB_DW_F16 ? (const void *)xh : x, wb, s,
                 type == QB_DW_F16 ? (void *)yh : y, 0, nb / 2);
    qb_dw_c8_run(&n, &io, type == QB_DW_F16 ? (const void *)xh : x, wb, s,
                 type == QB_DW_F16 ? (void *)yh : y, nb / 2, nb);
    double worst = 0;
    for (size_t c = 0; c < q->C; c++)
        for (size_t oh = 0; oh < g.OH; oh++)
            for (size_t ow = 0; ow < g.OW; ow++) {
                double acc = bias[c];
                for (int r = 0; r < q->R; r++)
                    for (int t = 0; t < q->S; t++)
                        acc += (double)at(q, x, c, (long)(oh * (size_t)q->st) + r,
                                          (long)(ow * (size_t)q->st) + t, 0.0f) *
                               w[c * taps + (size_t)(r * q->S + t)];
                acc = acc < -0.5 ? -0.5 : acc > 6.0 ? 6.0 : acc;
                const size_t i = (c * g.OH + oh) * g.OW + ow;
                const double got = type == QB_DW_F16 ? qb_f16_to_f32(yh[i]) : y[i];
                const double err = fabs(got - acc) / (1.0 + fabs(acc));
                if (err > worst) worst = err;
            }
    CHECK(worst < (type == QB_DW_F16 ? 1e-3 : 1e-5));
    if (worst >= (type == QB_DW_F16 ? 1e-3 : 1e-5))
        fprintf(stderr, "C %zu %zux%zu %dx%d st %d pad %d type %d: error %g\n", q->C, q->H, q->W,
                q->R, q->S, q->st, q->pad, (int)type, worst);
    free(x), free(w), free(bias), free(y), free(wb), free(s), free(xh), free(yh);
}

static void int8_case(const geo *q, bool shift, bool u8)
{
    qb_dw_geom g;
    qb_dw_geom_make(&g, q->H, q->W, q->R, q->S, q->st, q->pad);
    qb_dw_c8 n;
    qb_dw_c8_make(&n, &g, q->C);
    const size_t taps = (size_t)(q->R * q->S), in = q->C * q->H * q->W, out = q->C * g.OH * g.OW;
    const uint8_t za = 37;
    uint8_t *x = malloc(in), *y = malloc(out), *yp = malloc(out);
    int8_t *w = malloc(q->C * taps);
    qb_dw_rq *rq = calloc(q->C, sizeof *rq);
    float *wb = malloc(qb_dw_c8_weights_len(&n) * sizeof *wb), *xf = malloc(in * sizeof *xf);
    float *s = malloc(qb_dw_c8_scratch(&n));
    uint8_t *pp = malloc(g.Hp * g.Wp + 64);
    for (size_t i = 0; i < in; i++) x[i] = (uint8_t)(next() & 255), xf[i] = x[i];
    for (size_t i = 0; i < q->C * taps; i++) w[i] = (int8_t)((int)(next() % 255) - 127);
    for (size_t c = 0; c < q->C; c++) {
        int32_t sw = 0;
        for (size_t t = 0; t < taps; t++) sw += w[c * taps + t];
        rq[c] = (qb_dw_rq){.bias = (int32_t)(next() % 20001) - 10000 - za * sw,
                           .use_shift = shift,
                           .mult = 1.0f / (float)(200 + next() % 3000),
                           .shift = 8 + (int)(next() % 4),
                           .zo = u8 ? 128 : 3,
                           .qmin = u8 ? 0 : -128,
                           .qmax = u8 ? 255 : 127,
                           .u8 = u8};
    }
    qb_dw_c8_weights_i8(&n, w, wb);
    const qb_dw_c8_io io = {.type = QB_DW_U8, .za = za, .rq = rq};
    qb_dw_c8_run(&n, &io, x, wb, s, y, 0, (q->C + 7) / 8);
    size_t bad = 0, bad_plane = 0;
    for (size_t c = 0; c < q->C; c++) {
        qb_dw_pad_u8(&g, x + c * q->H * q->W, za, pp, true);
        qb_dw_plane_i8(&g, pp, w + c * taps, &rq[c], false, yp + c * g.OH * g.OW);
        for (size_t oh = 0; oh < g.OH; oh++)
            for (size_t ow = 0; ow < g.OW; ow++) {
                int32_t acc = rq[c].bias;
                for (int r = 0; r < q->R; r++)
                    for (int t = 0; t < q->S; t++)
                        acc += (int32_t)at(q, xf, c, (long)(oh * (size_t)q->st) + r,
                                           (long)(ow * (size_t)q->st) + t, (float)za) *
                               w[c * taps + (size_t)(r * q->S + t)];
                const size_t i = (c * g.OH + oh) * g.OW + ow;
                bad += y[i] != (uint8_t)qb_dw_rq1(&rq[c], acc);
                bad_plane += y[i] != yp[i];
            }
    }
    CHECK(bad == 0);
    CHECK(bad_plane == 0);
    if (bad || bad_plane)
        fprintf(stderr, "C %zu %zux%zu %dx%d st %d pad %d shift %d u8 %d: %zu wrong, %zu differ\n",
                q->C, q->H, q->W, q->R, q->S, q->st, q->pad, shift, u8, bad, bad_plane);
    free(x), free(y), free(yp), free(w), free(rq), free(wb), free(xf), free(s), free(pp);
}

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        float_case(&cases[i], QB_DW_F32);
        float_case(&cases[i], QB_DW_F16);
        for (int k = 0; k < 4; k++) int8_case(&cases[i], k & 1, k & 2);
    }
    TEST_DONE();
}
