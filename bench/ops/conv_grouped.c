/* grouped-conv: 2-D convolution with G groups, NCHW activations, weights
 * [K][C/G][R][S], bias [K]; each group is one GEMM per image
 * (conv_group.h), with bias / requantization in the GEMM epilogue.
 *
 * Operation count: 2 N K OH OW (C/G) R S. Bytes: input, weights, output in
 * the dtype, the float (int32 for int8) bias and the int8 requantization
 * multipliers. int8 follows the compute ops' scheme (ops_compute_util.h):
 * u8 activations, s8 weights per tensor or per output channel. */
#include "ops_compute.h"

#include "conv_group.h"
#include "error.h"
#include "gemm.h"
#include "gemm_f16.h"
#include "ops_compute_util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

enum { KN, KC, KH, KW, KK, KR, KS, KSTRIDE, KPAD, KG };

struct qb_op_instance {
    qb_variant v;
    qb_gemm_isa isa;
    long N, C, H, W, K, R, S, st, pad, G, OH, OW;
    qb_gemm_ws *ws;
    float *x, *w, *bias, *y;
    uint16_t *xh, *wh, *yh;
    qb_cq_act act;
    int8_t *wq;
    qb_qparams wp, op;
    float *mult;
    int32_t *shift, *bias_i32;
    uint8_t *yq;
    qb_mat *wpk; /* [G] weights packed once per group */
    qb_conv_group cg;
};

static void dims(const qb_shape *s, long *OH, long *OW)
{
    *OH = (s->v[KH] + 2 * s->v[KPAD] - s->v[KR]) / s->v[KSTRIDE] + 1;
    *OW = (s->v[KW] + 2 * s->v[KPAD] - s->v[KS]) / s->v[KSTRIDE] + 1;
}

static int check(const qb_shape *s)
{
    static const char *const key[] = {"N", "C", "H", "W", "K", "R", "S", "stride", "pad", "group"};
    static const long hi[] = {4096, 1L << 16, 1L << 16, 1L << 16, 1L << 16, 64, 64, 64, 64, 1L << 16};
    for (int i = 0; i < 10; i++) {
        int rc = qb_cq_key_range("grouped-conv", key[i], s->v[i], i == KPAD ? 0 : 1, hi[i]);
        if (rc) return rc;
    }
    if (s->v[KC] % s->v[KG] || s->v[KK] % s->v[KG])
        return qb_fail(QB_EINPUT, "grouped-conv: group %ld does not divide C %ld and K %ld",
                       s->v[KG], s->v[KC], s->v[KK]);
    if (s->v[KR] > s->v[KH] + 2 * s->v[KPAD] || s->v[KS] > s->v[KW] + 2 * s->v[KPAD])
        return qb_fail(QB_EINPUT, "grouped-conv: the %ldx%ld filter is larger than the padded %ldx%ld input",
                       s->v[KR], s->v[KS], s->v[KH], s->v[KW]);
    if (s->v[KPAD] >= s->v[KR] || s->v[KPAD] >= s->v[KS])
        return qb_fail(QB_EINPUT, "grouped-conv: pad %ld must be smaller than the filter", s->v[KPAD]);
    long OH, OW;
    dims(s, &OH, &OW);
    const double in = (double)s->v[KN] * s->v[KC] * s->v[KH] * s->v[KW];
    const double wt = (double)s->v[KK] * (s->v[KC] / s->v[KG]) * s->v[KR] * s->v[KS];
    const double out = (double)s->v[KN] * s->v[KK] * OH * OW;
    if (s->v[KC] * s->v[KR] * s->v[KS] > (1L << 24) || (double)OH * OW > 2e9)
        return qb_fail(QB_EINPUT, "grouped-conv: C*R*S or OH*OW is absurdly large");
    return qb_cq_mem_check("grouped-conv", (in + wt + 2 * out) * 4 * 1.5 + 64e6);
}

static double ops(const qb_shape *s)
{
    long OH, OW;
    dims(s, &OH, &OW);
    return 2.0 * s->v[KN] * s->v[KK] * OH * OW * (s->v[KC] / s->v[KG]) * s->v[KR] * s->v[KS];
}

static double bytes(const qb_shape *s, const qb_variant *v)
{
    long OH, OW;
    dims(s, &OH, &OW);
    const double e = (double)qb_dtype_bytes(v->dtype);
    const double in = (double)s->v[KN] * s->v[KC] * s->v[KH] * s->v[KW];
    const double wt = (double)s->v[KK] * (s->v[KC] / s->v[KG]) * s->v[KR] * s->v[KS];
    const double out = (double)s->v[KN] * s->v[KK] * OH * OW;
    const double scales = v->dtype != QB_INT8 ? 0 : v->gran == QB_PER_CHANNEL ? 4.0 * s->v[KK] : 4.0;
    return (in + wt + out) * e + 4.0 * s->v[KK] + scales;
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
    if (c->wpk)
        for (long g = 0; g < c->G; g++) qb_gemm_packed_free(&c->wpk[g]);
    free(c->wpk);
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
    free(c);
}

/* The epilogue of the variant's dtype (the fp32 one with yf for calibration). */
static qb_epilogue epilogue(const qb_op_instance *c, qb_dtype dt)
{
    qb_epilogue e = {.channel_is_row = true};
    if (dt == QB_INT8) {
        qb_cq_epilogue(&c->op, c->v.policy, &e);
        e.bias_i32 = c->bias_i32;
        e.mult = c->mult;
        e.shift = c->shift;
    } else {
        e.kind = dt == QB_FP16 ? QB_EPI_F16 : QB_EPI_F32;
        e.bias = c->bias;
    }
    return e;
}

/* One pass over the batch in dtype dt (fp32 from the float data into yf,
 * with unpacked weights, for calibration). */
static int pass(qb_op_instance *c, qb_dtype dt, float *yf)
{
    const long Cg = c->C / c->G, KRS = Cg * c->R * c->S, P = c->OH * c->OW;
    qb_mat *wf = NULL;
    qb_conv_group cg = c->cg;
    if (dt == QB_FP32 && c->v.dtype != QB_FP32) {
        wf = malloc((size_t)c->G * sizeof *wf);
        if (!wf) return qb_fail(QB_ENOMEM, "grouped-conv: out of memory");
        for (long g = 0; g < c->G; g++)
            wf[g] = (qb_mat){.p = c->w + g * (c->K / c->G) * KRS, .ld = KRS, .type = QB_MAT_F32};
        cg.w = wf;
        cg.xt = QB_MAT_F32;
    }
    const qb_epilogue e = epilogue(c, dt);
    const size_t in_img = (size_t)(c->C * c->H * c->W), out_img = (size_t)(c->K * P);
    int rc = QB_OK;
    for (long n = 0; n < c->N && !rc; n++) {
        const void *x = dt == QB_FP32   ? (const void *)(c->x + n * in_img)
                        : dt == QB_FP16 ? (const void *)(c->xh + n * in_img)
                                        : (const void *)(c->act.q + n * in_img);
        void *y = dt == QB_FP32   ? (void *)(yf + n * out_img)
                  : dt == QB_FP16 ? (void *)(c->yh + n * out_img)
                                  : (void *)(c->yq + n * out_img);
        rc = qb_conv_group_image(c->ws, &cg, x, y, &e, c->v.threads);
    }
    free(wf);
    return rc;
}

static int run(qb_op_instance *c)
{
    return pass(c, c->v.dtype, c->y);
}

static int int8_setup(qb_op_instance *c, size_t nx, size_t nw, size_t ny)
{
    int rc = pass(c, QB_FP32, c->y);
    if (!rc) rc = qb_cq_act_quant(c->x, nx, c->v.policy, &c->act);
    if (rc) return rc;
    c->cg.geo.pad_u8 = (uint8_t)c->act.za;
    c->wq = malloc(nw);
    c->mult = malloc((size_t)c->K * sizeof *c->mult);
    c->shift = malloc((size_t)c->K * sizeof *c->shift);
    c->bias_i32 = malloc((size_t)c->K * sizeof *c->bias_i32);
    c->yq = malloc(ny);
    int32_t *wsum = malloc((size_t)c->K * sizeof *wsum);
    if (!c->wq || !c->mult || !c->shift || !c->bias_i32 || !c->yq || !wsum) {
        free(wsum);
        return qb_fail(QB_ENOMEM, "grouped-conv: out of memory for the buffers");
    }
    const size_t wd[4] = {(size_t)c->K, (size_t)(c->C / c->G), (size_t)c->R, (size_t)c->S};
    rc = qb_cq_weights(c->w, wd, 4, 0, c->v.gran, c->v.policy, c->isa, &c->wp, c->wq);
    if (!rc) rc = qb_cq_out_params(c->y, ny, c->v.policy, &c->op);
    if (!rc) {
        qb_cq_wsum(c->wq, wd, 4, 0, wsum);
        qb_cq_requant(&c->act, &c->wp, &c->op, (int)c->K, c->bias, wsum, c->mult, c->shift,
                      c->bias_i32);
    }
    free(wsum);
    free(c->y);
    c->y = NULL;
    return rc;
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
    c->R = s->v[KR], c->S = s->v[KS], c->st = s->v[KSTRIDE], c->pad = s->v[KPAD], c->G = s->v[KG];
    dims(s, &c->OH, &c->OW);
    const long Cg = c->C / c->G, Kg = c->K / c->G, KRS = Cg * c->R * c->S;
    c->cg = (qb_conv_group){
        .group = c->G,
        .geo = {.C = Cg, .H = c->H, .W = c->W, .R = c->R, .S = c->S, .sh = c->st, .sw = c->st,
                .ph = c->pad, .pw = c->pad, .OH = c->OH, .OW = c->OW},
        .Kg = Kg,
        .xt = v->dtype == QB_FP32 ? QB_MAT_F32 : v->dtype == QB_FP16 ? QB_MAT_F16 : QB_MAT_U8};
    const size_t nx = (size_t)(c->N * c->C * c->H * c->W), nw = (size_t)(c->K * KRS);
    const size_t ny = output_elems(s);
    c->x = malloc(nx * sizeof *c->x + 16);
    c->w = malloc(nw * sizeof *c->w);
    c->bias = malloc((size_t)c->K * sizeof *c->bias);
    c->y = malloc(ny * sizeof *c->y);
    c->wpk = calloc((size_t)c->G, sizeof *c->wpk);
    if (!c->x || !c->w || !c->bias || !c->y || !c->wpk) goto nomem;
    qb_cq_fill(c->x, nx, QB_CQ_SEED_CONV_X, -1.0f, 1.0f);
    qb_cq_fill(c->w, nw, QB_CQ_SEED_CONV_W, -1.0f, 1.0f);
    qb_cq_channel_spread(c->w, 1, (size_t)c->K, (size_t)KRS);
    qb_cq_fill(c->bias, (size_t)c->K, QB_CQ_SEED_CONV_B, -0.5f, 0.5f);
    rc = qb_gemm_ws_create(v->threads, c->isa, &c->ws);
    if (rc) goto fail;
    if (v->dtype == QB_FP16) {
        c->xh = malloc(nx * 2 + 16);
        c->wh = malloc(nw * 2);
        c->yh = malloc(ny * 2);
        if (!c->xh || !c->wh || !c->yh) goto nomem;
        qb_f32_to_f16_n(c->x, c->xh, nx);
        qb_f32_to_f16_n(c->w, c->wh, nw);
    } else if (v->dtype == QB_INT8) {
        rc = int8_setup(c, nx, nw, ny);
        if (rc) goto fail;
    }
    for (long g = 0; g < c->G; g++) {
        const size_t off = (size_t)(g * Kg * KRS);
        const qb_mat w = {.p = v->dtype == QB_FP32   ? (const void *)(c->w + off)
                               : v->dtype == QB_FP16 ? (const void *)(c->wh + off)
                                                     : (const void *)(c->wq + off),
                          .ld = KRS,
                          .type = v->dtype == QB_FP32   ? QB_MAT_F32
                                  : v->dtype == QB_FP16 ? QB_MAT_F16
                                                        : QB_MAT_S8};
        rc = qb_gemm_pack_a(&w, Kg, KRS, &c->wpk[g]);
        if (rc) goto fail;
    }
    c->cg.w = c->wpk;
    *out = c;
    return QB_OK;
nomem:
    rc = qb_fail(QB_ENOMEM, "grouped-conv: out of memory for the buffers");
fail:
    destroy(c);
    return rc;
}

/* Output o = (n, k, oh, ow) by plain loops over its group's (c, r, s):
 * double for float dtypes; for int8 the int32 accumulator (a padded pixel is
 * the u8 zero point) with the AVX2 kernel's int16 pair saturation. */
static void ref(const qb_op_instance *c, size_t o, double *f, int32_t *q)
{
    const long P = c->OH * c->OW, n = (long)o / (c->K * P), k = (long)o / P % c->K;
    const long oh = (long)o % P / c->OW, ow = (long)o % c->OW;
    const long Cg = c->C / c->G, c0 = k / (c->K / c->G) * Cg;
    const bool h = c->v.dtype == QB_FP16, sat = c->isa == QB_ISA_AVX2;
    double acc = c->bias[k];
    int32_t iacc = 0, pair = 0;
    long idx = 0;
    for (long ci = 0; ci < Cg; ci++)
        for (long r = 0; r < c->R; r++)
            for (long s = 0; s < c->S; s++, idx++) {
                const long ih = oh * c->st - c->pad + r, iw = ow * c->st - c->pad + s;
                const bool in = ih >= 0 && ih < c->H && iw >= 0 && iw < c->W;
                const size_t xi = (size_t)(((n * c->C + c0 + ci) * c->H + ih) * c->W + iw);
                const size_t wi = (size_t)(((k * Cg + ci) * c->R + r) * c->S + s);
                if (c->v.dtype == QB_INT8) {
                    pair += (in ? c->act.q[xi] : c->act.za) * c->wq[wi];
                    if (idx % 2 == 1) {
                        iacc += sat ? (pair > 32767 ? 32767 : pair < -32768 ? -32768 : pair) : pair;
                        pair = 0;
                    }
                } else if (in) {
                    acc += (h ? qb_f16_to_f32(c->xh[xi]) : c->x[xi]) *
                           (double)(h ? qb_f16_to_f32(c->wh[wi]) : c->w[wi]);
                }
            }
    *f = acc;
    *q = iacc + pair;
}

static int verify(qb_op_instance *c, double *max_err, bool *ok)
{
    const long P = c->OH * c->OW;
    const size_t ny = (size_t)(c->N * c->K * P);
    const size_t ns = qb_cq_nsample(ny, (double)(c->C / c->G * c->R * c->S));
    float *got = malloc(ns * sizeof *got), *want = malloc(ns * sizeof *want);
    if (!got || !want) {
        free(got);
        free(want);
        return qb_fail(QB_ENOMEM, "grouped-conv verify: out of memory");
    }
    const qb_epilogue e = epilogue(c, c->v.dtype);
    double err = 0;
    for (size_t j = 0; j < ns; j++) {
        const size_t o = qb_cq_sample(ny, ns, j);
        double f;
        int32_t acc;
        ref(c, o, &f, &acc);
        if (c->v.dtype == QB_INT8) {
            const int32_t q = qb_epi_requant(&e, (long)o / P % c->K, acc);
            const int32_t g = qb_epi_signed(&e) ? ((int8_t *)c->yq)[o] : c->yq[o];
            if (abs(g - q) > err) err = abs(g - q);
        } else {
            want[j] = (float)f;
            got[j] = c->v.dtype == QB_FP16 ? qb_f16_to_f32(c->yh[o]) : c->y[o];
        }
    }
    if (c->v.dtype != QB_INT8) err = qb_cq_rel_err(got, want, ns);
    free(got);
    free(want);
    *max_err = err;
    *ok = c->v.dtype == QB_INT8 ? err == 0
                                : err <= (c->v.dtype == QB_FP16 ? QB_CQ_TOL_FP16 : QB_CQ_TOL_FP32);
    return QB_OK;
}

static int output(qb_op_instance *c, float *out)
{
    const size_t ny = (size_t)(c->N * c->K * c->OH * c->OW);
    if (c->v.dtype == QB_FP32) memcpy(out, c->y, ny * sizeof *out);
    else if (c->v.dtype == QB_FP16) qb_f16_to_f32_n(c->yh, out, ny);
    else qb_cq_dequant_out(c->yq, ny, &c->op, out);
    return QB_OK;
}

static int describe(qb_op_instance *c, cJSON *params)
{
    int rc = qb_cq_describe(params, &c->v, c->isa);
    if (!rc && !cJSON_AddStringToObject(params, "algorithm",
                                        "one implicit-im2col GEMM per group and image, each group's weights packed once"))
        rc = QB_ENOMEM;
    return rc;
}

const qb_op_desc qb_op_grouped_conv = {
    .name = "grouped-conv",
    .klass = "compute",
    .summary = "2-D convolution with groups, NCHW, weights [K,C/G,R,S], bias",
    .shape_keys = "N,C,H,W,K,R,S,stride,pad,group",
    .default_shape = "1,128,56,56,128,3,3,1,1,32",
    .shape_source = "ResNeXt-50 (32x4d) conv2: 3x3 128->128 in 32 groups at 56x56",
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
    .zero_keys = "pad",
};
