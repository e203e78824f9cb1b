/* conv: 2-D convolution, NCHW activations, weights [K][C][R][S], bias [K].
 * Each image is one GEMM: out[K][OH*OW] = W[K][C*R*S] x im2col(x)[C*R*S][OH*OW],
 * with the im2col view read straight into the packed B panels (no im2col
 * buffer) and bias / requantization in the GEMM epilogue. fp32 on AVX-512
 * and int8 on AVX512-VNNI run the direct channels-last kernel instead
 * (gemm_conv.h): their activations are kept NHWC, as a runtime keeps them
 * between layers, and so is their output. */
#include "ops_compute.h"

#include "error.h"
#include "gemm.h"
#include "gemm_conv.h"
#include "gemm_f16.h"
#include "layout_plan.h"
#include "ops_compute_util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

enum { KN, KC, KH, KW, KK, KR, KS, KSTRIDE, KPAD };

struct qb_op_instance {
    qb_variant v;
    qb_gemm_isa isa;
    long N, C, H, W, K, R, S, st, pad, OH, OW;
    qb_gemm_ws *ws;
    float *x, *w, *bias, *y;   /* fp32 (x, w, bias also kept for fp16/int8 reference) */
    uint16_t *xh, *wh, *yh;    /* fp16 */
    qb_cq_act act;             /* int8 activations */
    int8_t *wq;
    qb_qparams wp, op;
    float *mult;
    int32_t *shift, *bias_i32;
    uint8_t *yq;
    qb_im2col geo;
    qb_mat wpk; /* the weights packed once at creation (inference engines reorder them too) */
    /* fp32 / int8 direct: NHWC activations, the padded image of one call, output NHWC */
    bool direct;
    qb_conv_nhwc ng;
    void *xn, *xpad;
};

static void dims(const qb_shape *s, long *OH, long *OW)
{
    *OH = (s->v[KH] + 2 * s->v[KPAD] - s->v[KR]) / s->v[KSTRIDE] + 1;
    *OW = (s->v[KW] + 2 * s->v[KPAD] - s->v[KS]) / s->v[KSTRIDE] + 1;
}

static int check(const qb_shape *s)
{
    static const char *const key[] = {"N", "C", "H", "W", "K", "R", "S", "stride", "pad"};
    static const long hi[] = {4096, 1L << 16, 1L << 16, 1L << 16, 1L << 16, 64, 64, 64, 64};
    for (int i = 0; i < 9; i++) {
        int rc = qb_cq_key_range("conv", key[i], s->v[i], i == KPAD ? 0 : 1, hi[i]);
        if (rc) return rc;
    }
    if (s->v[KR] > s->v[KH] + 2 * s->v[KPAD] || s->v[KS] > s->v[KW] + 2 * s->v[KPAD])
        return qb_fail(QB_EINPUT, "conv: the %ldx%ld filter is larger than the padded %ldx%ld input",
                       s->v[KR], s->v[KS], s->v[KH], s->v[KW]);
    if (s->v[KPAD] >= s->v[KR] || s->v[KPAD] >= s->v[KS])
        return qb_fail(QB_EINPUT, "conv: pad %ld must be smaller than the filter", s->v[KPAD]);
    long OH, OW;
    dims(s, &OH, &OW);
    const double in = (double)s->v[KN] * s->v[KC] * s->v[KH] * s->v[KW];
    const double wt = (double)s->v[KK] * s->v[KC] * s->v[KR] * s->v[KS];
    const double out = (double)s->v[KN] * s->v[KK] * OH * OW;
    if (s->v[KC] * s->v[KR] * s->v[KS] > (1L << 24) || (double)OH * OW > 2e9)
        return qb_fail(QB_EINPUT, "conv: C*R*S or OH*OW is absurdly large");
    /* float copies of everything, plus the int8 or fp16 copies */
    return qb_cq_mem_check("conv", (in + wt + 2 * out) * 4 * 1.5 + 64e6);
}

static double ops(const qb_shape *s)
{
    long OH, OW;
    dims(s, &OH, &OW);
    return 2.0 * s->v[KN] * s->v[KK] * OH * OW * s->v[KC] * s->v[KR] * s->v[KS];
}

/* Along one axis of n inputs, padded by pad, out positions of a filter of f
 * taps with this stride: how many (position, tap) pairs read an input inside
 * the image, not the padding. */
static double taps_inside(long n, long f, long stride, long pad, long out)
{
    double in = 0;
    for (long o = 0; o < out; o++) {
        const long first = o * stride - pad, lo = first < 0 ? -first : 0, hi = n - first < f ? n - first : f;
        if (hi > lo) in += (double)(hi - lo);
    }
    return in;
}

/* The multiply-adds of ops() on zero padding: every tap less those inside the
 * image, axis by axis (a tap is inside when both its row and column are). */
static double padding_ops(const qb_shape *s)
{
    long OH, OW;
    dims(s, &OH, &OW);
    const double rows = taps_inside(s->v[KH], s->v[KR], s->v[KSTRIDE], s->v[KPAD], OH);
    const double cols = taps_inside(s->v[KW], s->v[KS], s->v[KSTRIDE], s->v[KPAD], OW);
    return ops(s) - 2.0 * s->v[KN] * s->v[KK] * s->v[KC] * rows * cols;
}

static double bytes(const qb_shape *s, const qb_variant *v)
{
    long OH, OW;
    dims(s, &OH, &OW);
    const double e = (double)qb_dtype_bytes(v->dtype);
    const double in = (double)s->v[KN] * s->v[KC] * s->v[KH] * s->v[KW];
    const double wt = (double)s->v[KK] * s->v[KC] * s->v[KR] * s->v[KS];
    const double out = (double)s->v[KN] * s->v[KK] * OH * OW;
    const double bias = 4.0 * s->v[KK]; /* float, or int32 for int8 */
    const double scales = v->dtype != QB_INT8 ? 0 : v->gran == QB_PER_CHANNEL ? 4.0 * s->v[KK] : 4.0;
    return (in + wt + out) * e + bias + scales;
}

static size_t output_elems(const qb_shape *s)
{
    long OH, OW;
    dims(s, &OH, &OW);
    return (size_t)(s->v[KN] * s->v[KK] * OH * OW);
}

static void destroy(qb_op_instance *c)
{
    if (!c) return;
    qb_gemm_ws_destroy(c->ws);
    qb_gemm_packed_free(&c->wpk);
    free(c->x);
    free(c->w);
    free(c->bias);
    free(c->y);
    free(c->xh);
    free(c->wh);
    free(c->yh);
    qb_cq_act_free(&c->act);
    free(c->wq);
    qb_qparams_free(&c->wp);
    qb_qparams_free(&c->op);
    free(c->mult);
    free(c->shift);
    free(c->bias_i32);
    free(c->yq);
    free(c->xn);
    free(c->xpad);
    qb_conv_nhwc_free(&c->ng);
    free(c);
}

static qb_mat weights(const qb_op_instance *c)
{
    const qb_mat_type t = c->v.dtype == QB_FP32 ? QB_MAT_F32 : c->v.dtype == QB_FP16 ? QB_MAT_F16 : QB_MAT_S8;
    const void *p = c->v.dtype == QB_FP32 ? (const void *)c->w : c->v.dtype == QB_FP16 ? (const void *)c->wh : (const void *)c->wq;
    return (qb_mat){.p = p, .ld = c->C * c->R * c->S, .type = t, .layout = QB_MAT_ROWS};
}

/* One pass over the batch: the GEMM of each image. */
static int conv_pass(qb_op_instance *c, qb_dtype dt, float *yf)
{
    const long KRS = c->C * c->R * c->S, P = c->OH * c->OW;
    const qb_mat A = dt == c->v.dtype && c->wpk.p ? c->wpk
                     : dt == QB_FP32 ? (qb_mat){.p = c->w, .ld = KRS, .type = QB_MAT_F32} : weights(c);
    qb_epilogue e = {.ldc = P, .channel_is_row = true};
    if (dt == QB_INT8) {
        qb_cq_epilogue(&c->op, c->v.policy, &e);
        e.bias_i32 = c->bias_i32;
        e.mult = c->mult;
        e.shift = c->shift;
    } else {
        e.kind = dt == QB_FP16 ? QB_EPI_F16 : QB_EPI_F32;
        e.bias = c->bias;
    }
    const size_t esz = dt == QB_FP32 ? 4 : dt == QB_FP16 ? 2 : 1;
    const size_t in_img = (size_t)(c->C * c->H * c->W);
    if (dt == c->v.dtype && c->direct) {
        e.ldc = c->K;
        e.channel_is_row = false;
        const size_t ies = dt == QB_FP32 ? 4 : 1;
        for (long n = 0; n < c->N; n++) {
            e.c = dt == QB_FP32 ? (void *)(yf + n * c->K * P) : (void *)(c->yq + (size_t)(n * c->K * P));
            int rc = qb_conv_nhwc_run(&c->ng, (const uint8_t *)c->xn + n * in_img * ies,
                                      dt == QB_INT8 ? (uint8_t)c->act.za : 0, c->xpad, &c->wpk, &e, c->v.threads);
            if (rc) return rc;
        }
        return QB_OK;
    }
    for (long n = 0; n < c->N; n++) {
        qb_mat B = {.ld = 0, .layout = QB_MAT_IM2COL, .conv = &c->geo};
        if (dt == QB_FP32) {
            B.p = c->x + n * in_img;
            B.type = QB_MAT_F32;
            e.c = yf + n * c->K * P;
        } else if (dt == QB_FP16) {
            B.p = c->xh + n * in_img;
            B.type = QB_MAT_F16;
            e.c = c->yh + n * c->K * P;
        } else {
            B.p = c->act.q + n * in_img;
            B.type = QB_MAT_U8;
            e.c = c->yq + (size_t)(n * c->K * P) * esz;
        }
        int rc = qb_gemm(c->ws, c->K, P, KRS, &A, &B, &e, c->v.threads);
        if (rc) return rc;
    }
    return QB_OK;
}

static int run(qb_op_instance *c)
{
    return conv_pass(c, c->v.dtype, c->y);
}

static int create(const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    *out = NULL;
    qb_op_instance *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    c->v = *v;
    int rc = qb_cq_isa(v, &c->isa);
    if (rc) goto fail;
    c->N = s->v[KN], c->C = s->v[KC], c->H = s->v[KH], c->W = s->v[KW], c->K = s->v[KK];
    c->R = s->v[KR], c->S = s->v[KS], c->st = s->v[KSTRIDE], c->pad = s->v[KPAD];
    dims(s, &c->OH, &c->OW);
    c->geo = (qb_im2col){.C = c->C, .H = c->H, .W = c->W, .R = c->R, .S = c->S, .sh = c->st,
                         .sw = c->st, .ph = c->pad, .pw = c->pad, .OH = c->OH, .OW = c->OW};
    const size_t nx = (size_t)(c->N * c->C * c->H * c->W), nw = (size_t)(c->K * c->C * c->R * c->S);
    const size_t ny = output_elems(s);
    c->x = malloc(nx * sizeof *c->x);
    c->w = malloc(nw * sizeof *c->w);
    c->bias = malloc((size_t)c->K * sizeof *c->bias);
    if (!c->x || !c->w || !c->bias) goto nomem;
    qb_cq_fill(c->x, nx, QB_CQ_SEED_CONV_X, -1.0f, 1.0f);
    qb_cq_fill(c->w, nw, QB_CQ_SEED_CONV_W, -1.0f, 1.0f);
    qb_cq_channel_spread(c->w, 1, (size_t)c->K, nw / (size_t)c->K); /* w[K][C][R][S] */
    qb_cq_fill(c->bias, (size_t)c->K, QB_CQ_SEED_CONV_B, -0.5f, 0.5f);
    rc = qb_gemm_ws_create(v->threads, c->isa, &c->ws);
    if (rc) goto fail;
    if (v->dtype == QB_FP32 || v->dtype == QB_INT8) {
        c->y = malloc(ny * sizeof *c->y);
        if (!c->y) goto nomem;
    }
    if (v->dtype == QB_FP16) {
        c->xh = malloc(nx * 2 + 16); /* + the gathers' overread (gemm.h, qb_im2col) */
        c->wh = malloc(nw * 2);
        c->yh = malloc(ny * 2);
        if (!c->xh || !c->wh || !c->yh) goto nomem;
        qb_f32_to_f16_n(c->x, c->xh, nx);
        qb_f32_to_f16_n(c->w, c->wh, nw);
    } else if (v->dtype == QB_INT8) {
        /* the fp32 output of the same inputs calibrates the output scale */
        rc = conv_pass(c, QB_FP32, c->y);
        if (!rc) rc = qb_cq_act_quant(c->x, nx, v->policy, &c->act);
        if (rc) goto fail;
        c->geo.pad_u8 = (uint8_t)c->act.za;
        c->wq = malloc(nw);
        c->mult = malloc((size_t)c->K * sizeof *c->mult);
        c->shift = malloc((size_t)c->K * sizeof *c->shift);
        c->bias_i32 = malloc((size_t)c->K * sizeof *c->bias_i32);
        c->yq = malloc(ny);
        int32_t *wsum = malloc((size_t)c->K * sizeof *wsum);
        if (!c->wq || !c->mult || !c->shift || !c->bias_i32 || !c->yq || !wsum) {
            free(wsum);
            goto nomem;
        }
        const size_t wd[4] = {(size_t)c->K, (size_t)c->C, (size_t)c->R, (size_t)c->S};
        rc = qb_cq_weights(c->w, wd, 4, 0, v->gran, v->policy, c->isa, &c->wp, c->wq);
        if (!rc) rc = qb_cq_out_params(c->y, ny, v->policy, &c->op);
        if (!rc) {
            qb_cq_wsum(c->wq, wd, 4, 0, wsum);
            qb_cq_requant(&c->act, &c->wp, &c->op, (int)c->K, c->bias, wsum, c->mult, c->shift,
                          c->bias_i32);
        }
        free(wsum);
        if (rc) goto fail;
        free(c->y);
        c->y = NULL;
    }
    c->direct = v->dtype != QB_FP16 &&
                qb_conv_nhwc_init(&c->ng, v->dtype == QB_FP32 ? QB_MAT_F32 : QB_MAT_U8, c->isa, c->C, c->H, c->W,
                                  c->R, c->S, c->st, c->pad, c->K);
    if (c->direct) {
        const size_t es = v->dtype == QB_FP32 ? 4 : 1;
        c->xn = malloc(nx * es);
        c->xpad = malloc(qb_conv_nhwc_padded_bytes(&c->ng));
        if (!c->xn || !c->xpad) goto nomem;
        /* NCHW to NHWC once, outside the timing (a runtime's layout choice) */
        const void *src = v->dtype == QB_FP32 ? (const void *)c->x : (const void *)c->act.q;
        rc = qb_lay_permute(src, c->xn, (const size_t[4]){(size_t)c->N, (size_t)c->C, (size_t)c->H, (size_t)c->W},
                            (const int[4]){0, 2, 3, 1}, es);
        if (!rc)
            rc = qb_conv_nhwc_pack_weights(&c->ng, v->dtype == QB_FP32 ? (const void *)c->w : (const void *)c->wq,
                                           &c->wpk);
    } else {
        const qb_mat w = weights(c);
        rc = qb_gemm_pack_a(&w, c->K, c->C * c->R * c->S, &c->wpk);
    }
    if (rc) goto fail;
    *out = c;
    return QB_OK;
nomem:
    rc = qb_fail(QB_ENOMEM, "conv: out of memory for the buffers");
fail:
    destroy(c);
    return rc;
}

/* Output element o = (n, k, oh, ow) by plain loops over (c, r, s). */
static double ref_float(const qb_op_instance *c, size_t o)
{
    const long P = c->OH * c->OW, n = (long)o / (c->K * P), k = (long)o / P % c->K;
    const long oh = (long)o % P / c->OW, ow = (long)o % c->OW;
    const bool h = c->v.dtype == QB_FP16;
    double acc = c->bias[k];
    for (long ci = 0; ci < c->C; ci++)
        for (long r = 0; r < c->R; r++)
            for (long s = 0; s < c->S; s++) {
                const long ih = oh * c->st - c->pad + r, iw = ow * c->st - c->pad + s;
                if (ih < 0 || ih >= c->H || iw < 0 || iw >= c->W) continue;
                const size_t xi = (size_t)(((n * c->C + ci) * c->H + ih) * c->W + iw);
                const size_t wi = (size_t)(((k * c->C + ci) * c->R + r) * c->S + s);
                const double xv = h ? qb_f16_to_f32(c->xh[xi]) : c->x[xi];
                const double wv = h ? qb_f16_to_f32(c->wh[wi]) : c->w[wi];
                acc += xv * wv;
            }
    return acc;
}

/* The int8 accumulator the way the AVX2 kernel forms it: products in (c, r, s)
 * order, consecutive pairs summed into int16 with saturation (not on VNNI),
 * a padded pixel being the u8 zero point. */
static int32_t ref_acc(const qb_op_instance *c, size_t o)
{
    const long P = c->OH * c->OW, n = (long)o / (c->K * P), k = (long)o / P % c->K;
    const long oh = (long)o % P / c->OW, ow = (long)o % c->OW;
    const bool sat = c->isa == QB_ISA_AVX2;
    int32_t acc = 0, pair = 0;
    long idx = 0;
    for (long ci = 0; ci < c->C; ci++)
        for (long r = 0; r < c->R; r++)
            for (long s = 0; s < c->S; s++, idx++) {
                const long ih = oh * c->st - c->pad + r, iw = ow * c->st - c->pad + s;
                const bool in = ih >= 0 && ih < c->H && iw >= 0 && iw < c->W;
                const int32_t xv = in ? c->act.q[((n * c->C + ci) * c->H + ih) * c->W + iw] : c->act.za;
                pair += xv * c->wq[((k * c->C + ci) * c->R + r) * c->S + s];
                if (idx % 2 == 1) {
                    acc += sat ? (pair > 32767 ? 32767 : pair < -32768 ? -32768 : pair) : pair;
                    pair = 0;
                }
            }
    return acc + pair; /* an odd count leaves one product, paired with a zero */
}

static int verify(qb_op_instance *c, double *max_err, bool *ok)
{
    const long P = c->OH * c->OW;
    const size_t ny = (size_t)(c->N * c->K * P);
    const size_t ns = qb_cq_nsample(ny, (double)(c->C * c->R * c->S));
    float *got = malloc(ns * sizeof *got), *want = malloc(ns * sizeof *want);
    if (!got || !want) {
        free(got);
        free(want);
        return qb_fail(QB_ENOMEM, "conv verify: out of memory");
    }
    double err = 0;
    for (size_t j = 0; j < ns; j++) {
        const size_t o = qb_cq_sample(ny, ns, j);
        const long k = (long)o / P % c->K;
        /* the direct kernels write NHWC */
        const size_t at = c->direct ? (size_t)(((long)o / (c->K * P) * P + (long)o % P) * c->K + k) : o;
        if (c->v.dtype == QB_INT8) {
            qb_epilogue e = {0};
            qb_cq_epilogue(&c->op, c->v.policy, &e);
            e.bias_i32 = c->bias_i32;
            e.mult = c->mult;
            e.shift = c->shift;
            const int32_t q = qb_epi_requant(&e, k, ref_acc(c, o));
            const int32_t g = qb_epi_signed(&e) ? ((int8_t *)c->yq)[at] : c->yq[at];
            if (abs(g - q) > err) err = abs(g - q);
        } else {
            want[j] = (float)ref_float(c, o);
            got[j] = c->v.dtype == QB_FP16 ? qb_f16_to_f32(c->yh[o]) : c->y[at];
        }
    }
    if (c->v.dtype != QB_INT8) err = qb_cq_rel_err(got, want, ns);
    free(got);
    free(want);
    *max_err = err;
    *ok = c->v.dtype == QB_INT8 ? err == 0 : err <= (c->v.dtype == QB_FP16 ? QB_CQ_TOL_FP16 : QB_CQ_TOL_FP32);
    return QB_OK;
}

static int output(qb_op_instance *c, float *out)
{
    const size_t ny = (size_t)(c->N * c->K * c->OH * c->OW);
    if (c->v.dtype == QB_FP32) memcpy(out, c->y, ny * sizeof *out);
    else if (c->v.dtype == QB_FP16) qb_f16_to_f32_n(c->yh, out, ny);
    else qb_cq_dequant_out(c->yq, ny, &c->op, out);
    if (!c->direct) return QB_OK;
    /* NHWC to NCHW */
    float *t = malloc(ny * sizeof *t);
    if (!t) return qb_fail(QB_ENOMEM, "conv: out of memory for the output");
    memcpy(t, out, ny * sizeof *t);
    const int rc = qb_lay_permute(t, out, (const size_t[4]){(size_t)c->N, (size_t)c->OH, (size_t)c->OW, (size_t)c->K},
                                  (const int[4]){0, 3, 1, 2}, sizeof *t);
    free(t);
    return rc;
}

static int describe(qb_op_instance *c, cJSON *params)
{
    int rc = qb_cq_describe(params, &c->v, c->isa);
    if (!rc && !cJSON_AddStringToObject(params, "algorithm",
                                        c->direct ? (c->v.dtype == QB_INT8
                                                         ? "direct on NHWC activations (converted once at creation, as a runtime keeps them; "
                                                           "read in place, or a zero-point border copied in each call), up to 6 pixels of a row x 64 channels (8 x 32 below 64) "
                                                           "per vpdpbusd zmm tile, border taps skipped and their sums added back, requantized in registers, "
                                                           "weights packed once at creation, output NHWC"
                                                         : "direct on NHWC activations (converted once at creation, as a runtime keeps them; "
                                                           "read in place, or a zero border copied in each call), up to 8 pixels of a row x 32 channels "
                                                           "per FMA zmm tile, border taps skipped, weights packed once at creation, output NHWC")
                                                  : "implicit im2col (packed from NCHW) + blocked GEMM per image, weights packed once at creation"))
        rc = QB_ENOMEM;
    if (!rc && !cJSON_AddStringToObject(params, "padding_taps",
                                        !c->direct               ? "computed (zeros packed in the panels)"
                                        : c->pad <= c->st ? "skipped"
                                                          : "partly skipped (the rows outside the image; "
                                                            "columns only for a tile's first and last pixels)"))
        rc = QB_ENOMEM;
    return rc;
}

const qb_op_desc qb_op_conv = {
    .name = "conv",
    .klass = "compute",
    .summary = "2-D convolution, NCHW, weights KCRS, bias",
    .shape_keys = "N,C,H,W,K,R,S,stride,pad",
    .default_shape = "1,64,56,56,64,3,3,1,1",
    .shape_source = "ResNet-50 conv2_x: 3x3 64->64 at 56x56, batch 1",
    .per_channel = true,
    .check = check,
    .ops = ops,
    .bytes = bytes,
    .create = create,
    .run = run,
    .verify = verify,
    .destroy = destroy,
    .output_elems = output_elems,
    .output = output,
    .describe = describe,
    .padding_ops = padding_ops,
    .zero_keys = "pad",
};
