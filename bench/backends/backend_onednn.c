/* oneDNN (C API, v2.x) for conv, depthwise-conv, matmul, batched-matmul and
 * gemm, in f32 and int8 (s8 or u8 activations x s8 weights, output scales per
 * tensor or per output channel, zero points for asymmetric). Inputs are the
 * built-in ops' (same seeds, same quantization), weights are reordered into
 * oneDNN's preferred layout at creation and conv activations use its blocked
 * layout (as a framework built on oneDNN keeps them), so the timing is the
 * library at its best. verify() compares with the built-in kernel on the same
 * inputs (depthwise: with a scalar reference). */
#include "backend.h"

#include "error.h"

#ifdef QB_HAVE_ONEDNN

#include "gemm_f16.h"
#include "ops_compute.h"
#include "ops_compute_util.h"
#include "quant.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { DK_CONV, DK_DW, DK_MATMUL, DK_BMM, DK_GEMM } dkind;

struct qb_op_instance {
    dkind kind;
    const qb_op_desc *op;
    qb_shape s;
    qb_variant v;
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    dnnl_primitive_t prim;
    dnnl_memory_t src, wei, bias, dst;
    dnnl_memory_desc_t dst_user_md; /* plain layout of the output */
    long N, C, H, W, K, R, S, st, pad, OH, OW; /* conv, depthwise (K = C) */
    long batch, M, Nn, Kk;                     /* matmul family */
    size_t ny;
    /* int8 */
    qb_cq_act act;
    qb_qparams wp, oq; /* weights, output */
    float *mult;
    int32_t *shift, *bias_q;
    /* depthwise keeps its float data for its reference */
    float *x, *w, *b;
    char impl[96];
};

#define DNNL_TRY(call)                                                                             \
    do {                                                                                           \
        const dnnl_status_t st_ = (call);                                                          \
        if (st_ != dnnl_success) {                                                                 \
            rc = qb_fail(QB_EUNSUPPORTED, "oneDNN: %s failed (status %d)", #call, (int)st_);       \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

static dkind kind_of(const char *name)
{
    if (strcmp(name, "conv") == 0) return DK_CONV;
    if (strcmp(name, "depthwise-conv") == 0) return DK_DW;
    if (strcmp(name, "matmul") == 0) return DK_MATMUL;
    if (strcmp(name, "batched-matmul") == 0) return DK_BMM;
    return DK_GEMM;
}

static bool supports(const qb_variant *v)
{
    /* fp32 and int8 only: oneDNN 2.6 has no f16 kernels for AVX2 or AVX-512
     * without FP16, and f16 is not set up for the CPUs that have it */
    return v->dtype == QB_FP32 || v->dtype == QB_INT8;
}

/* The value of a named shape key, or -1. */
static long key(const qb_op_desc *op, const qb_shape *s, const char *name)
{
    const char *k = op->shape_keys;
    for (int i = 0; i < s->n && k; i++) {
        const size_t len = strcspn(k, ",");
        if (strlen(name) == len && strncmp(k, name, len) == 0) return s->v[i];
        k = k[len] ? k + len + 1 : NULL;
    }
    return -1;
}

static void destroy(qb_op_instance *c)
{
    if (!c) return;
    if (c->prim) dnnl_primitive_destroy(c->prim);
    dnnl_memory_t mems[] = {c->src, c->wei, c->bias, c->dst};
    for (int i = 0; i < 4; i++)
        if (mems[i]) dnnl_memory_destroy(mems[i]);
    if (c->strm) dnnl_stream_destroy(c->strm);
    if (c->eng) dnnl_engine_destroy(c->eng);
    qb_cq_act_free(&c->act);
    qb_qparams_free(&c->wp);
    qb_qparams_free(&c->oq);
    free(c->mult);
    free(c->shift);
    free(c->bias_q);
    free(c->x);
    free(c->w);
    free(c->b);
    free(c);
}

/* A memory in the primitive's layout `want`, filled from user data laid out
 * as `user` (a reorder when the layouts differ). */
static int mem_from(qb_op_instance *c, const dnnl_memory_desc_t *user, const void *data,
                    const dnnl_memory_desc_t *want, dnnl_memory_t *out)
{
    int rc = QB_OK;
    dnnl_memory_t um = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    DNNL_TRY(dnnl_memory_create(out, want, c->eng, DNNL_MEMORY_ALLOCATE));
    DNNL_TRY(dnnl_memory_create(&um, user, c->eng, (void *)data));
    DNNL_TRY(dnnl_reorder_primitive_desc_create(&rpd, user, c->eng, want, c->eng, NULL));
    DNNL_TRY(dnnl_primitive_create(&r, rpd));
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, um}, {DNNL_ARG_TO, *out}};
    DNNL_TRY(dnnl_primitive_execute(r, c->strm, 2, args));
    DNNL_TRY(dnnl_stream_wait(c->strm));
out:
    if (r) dnnl_primitive_destroy(r);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (um) dnnl_memory_destroy(um);
    return rc;
}

/* The output in its plain layout (host buffer of ny elements of its type). */
static int read_dst(qb_op_instance *c, void *host)
{
    int rc = QB_OK;
    dnnl_memory_t um = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    const dnnl_memory_desc_t *dmd;
    DNNL_TRY(dnnl_memory_get_memory_desc(c->dst, &dmd));
    DNNL_TRY(dnnl_memory_create(&um, &c->dst_user_md, c->eng, host));
    DNNL_TRY(dnnl_reorder_primitive_desc_create(&rpd, dmd, c->eng, &c->dst_user_md, c->eng, NULL));
    DNNL_TRY(dnnl_primitive_create(&r, rpd));
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, c->dst}, {DNNL_ARG_TO, um}};
    DNNL_TRY(dnnl_primitive_execute(r, c->strm, 2, args));
    DNNL_TRY(dnnl_stream_wait(c->strm));
out:
    if (r) dnnl_primitive_destroy(r);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (um) dnnl_memory_destroy(um);
    return rc;
}

/* ---- the same inputs as the built-in ops --------------------------------- */

/* The float output of the built-in fp32 op (calibrates the int8 output). */
static int builtin_fp32(qb_op_instance *c, float *y)
{
    qb_variant v = c->v;
    v.dtype = QB_FP32, v.gran = QB_QNONE, v.policy = QB_PNONE;
    qb_op_instance *b = NULL;
    int rc = c->op->create(&c->s, &v, &b);
    if (!rc) rc = c->op->run(b);
    if (!rc) rc = c->op->output(b, y);
    if (b) c->op->destroy(b);
    return rc;
}

/* Depthwise reference in double: y[n][c][oh][ow] = b[c] + sum_rs x * w. */
static double dw_ref(const qb_op_instance *c, const float *x, const float *w, size_t o)
{
    const long P = c->OH * c->OW, n = (long)o / (c->C * P), ch = (long)o / P % c->C;
    const long oh = (long)o % P / c->OW, ow = (long)o % c->OW;
    double acc = c->b[ch];
    for (long r = 0; r < c->R; r++)
        for (long s = 0; s < c->S; s++) {
            const long ih = oh * c->st - c->pad + r, iw = ow * c->st - c->pad + s;
            if (ih < 0 || ih >= c->H || iw < 0 || iw >= c->W) continue;
            acc += (double)x[((n * c->C + ch) * c->H + ih) * c->W + iw] * w[(ch * c->R + r) * c->S + s];
        }
    return acc;
}

/* Quantize inputs and weights as the built-in op does and compute the output
 * scales (sa*sw/so per channel) and the int32 bias. */
static int quantize(qb_op_instance *c, const float *x, size_t nx, const float *w, const size_t *wd,
                    int wnd, int axis, const float *bias, const float *yf, int nch, int8_t *wq)
{
    int rc = qb_cq_act_quant(x, nx, c->v.policy, &c->act);
    if (!rc) rc = qb_cq_weights(w, wd, wnd, axis, c->v.gran, c->v.policy, QB_ISA_AUTO, &c->wp, wq);
    if (!rc) rc = qb_cq_out_params(yf, c->ny, c->v.policy, &c->oq);
    if (rc) return rc;
    c->mult = malloc((size_t)nch * 4);
    c->shift = malloc((size_t)nch * 4);
    c->bias_q = malloc((size_t)nch * 4);
    if (!c->mult || !c->shift || !c->bias_q) return qb_fail(QB_ENOMEM, "out of memory");
    qb_cq_requant(&c->act, &c->wp, &c->oq, nch, bias, NULL, c->mult, c->shift, c->bias_q);
    if (c->act.p.range != QB_RANGE_UINT8) /* symmetric: oneDNN takes the int8 values themselves */
        for (size_t i = 0; i < nx; i++) c->act.q[i] ^= 0x80;
    return QB_OK;
}

static int create(const qb_op_desc *op, const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    *out = NULL;
    qb_op_instance *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    c->kind = kind_of(op->name);
    c->op = op;
    c->s = *s;
    c->v = *v;
    const int saved_threads = omp_get_max_threads();
    omp_set_num_threads(v->threads);
    int rc = QB_OK;
    float *x = NULL, *w = NULL, *bias = NULL, *yf = NULL;
    int8_t *wq = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    const bool i8 = v->dtype == QB_INT8;
    const bool conv = c->kind == DK_CONV || c->kind == DK_DW;
    DNNL_TRY(dnnl_engine_create(&c->eng, dnnl_cpu, 0));
    DNNL_TRY(dnnl_stream_create(&c->strm, c->eng, dnnl_stream_default_flags));
    DNNL_TRY(dnnl_primitive_attr_create(&attr));

    dnnl_memory_desc_t src_u, wei_u, bias_u, dst_u, src_p, wei_p, bias_p, dst_p;
    size_t nx, nw;
    long nch;
    if (conv) {
        c->N = key(op, s, "N"), c->C = key(op, s, "C"), c->H = key(op, s, "H"), c->W = key(op, s, "W");
        c->R = key(op, s, "R"), c->S = key(op, s, "S"), c->st = key(op, s, "stride"), c->pad = key(op, s, "pad");
        c->K = c->kind == DK_DW ? c->C : key(op, s, "K");
        if (c->N < 1 || c->C < 1 || c->H < 1 || c->W < 1 || c->K < 1 || c->R < 1 || c->S < 1 || c->st < 1 || c->pad < 0) {
            rc = qb_fail(QB_EUNSUPPORTED, "oneDNN %s: shape keys %s not understood", op->name, op->shape_keys);
            goto out;
        }
        c->OH = (c->H + 2 * c->pad - c->R) / c->st + 1, c->OW = (c->W + 2 * c->pad - c->S) / c->st + 1;
        c->ny = (size_t)(c->N * c->K * c->OH * c->OW);
        nx = (size_t)(c->N * c->C * c->H * c->W);
        nw = c->kind == DK_DW ? (size_t)(c->C * c->R * c->S) : (size_t)(c->K * c->C * c->R * c->S);
        nch = c->K;
    } else {
        const int o = c->kind == DK_BMM;
        c->batch = o ? s->v[0] : 1;
        c->M = s->v[o], c->Nn = s->v[o + 1], c->Kk = s->v[o + 2];
        c->ny = (size_t)(c->batch * c->M * c->Nn);
        nx = (size_t)(c->batch * c->M * c->Kk);
        nw = (size_t)(c->batch * c->Kk * c->Nn);
        nch = c->Nn;
    }
    x = malloc(nx * 4), w = malloc(nw * 4), bias = malloc((size_t)nch * 4), yf = malloc(c->ny * 4);
    wq = malloc(nw);
    if (!x || !w || !bias || !yf || !wq) {
        rc = qb_fail(QB_ENOMEM, "oneDNN %s: out of memory", op->name);
        goto out;
    }
    if (c->kind == DK_DW) /* its reference reads the float data: owned by c from here */
        c->x = x, c->w = w, c->b = bias;
    const bool has_bias = c->kind == DK_CONV || c->kind == DK_DW || c->kind == DK_GEMM;
    if (conv) {
        qb_cq_fill(x, nx, QB_CQ_SEED_CONV_X, -1.0f, 1.0f);
        qb_cq_fill(w, nw, QB_CQ_SEED_CONV_W, -1.0f, 1.0f);
        qb_cq_channel_spread(w, 1, (size_t)nch, nw / (size_t)nch); /* as the built-in conv draws them */
        qb_cq_fill(bias, (size_t)nch, QB_CQ_SEED_CONV_B, -0.5f, 0.5f);
    } else {
        qb_cq_fill(x, nx, QB_CQ_SEED_MM_A, -1.0f, 1.0f);
        qb_cq_fill(w, nw, QB_CQ_SEED_MM_B, -1.0f, 1.0f);
        qb_cq_mm_spread(w, c->kind == DK_GEMM, c->batch, c->Kk, c->Nn);
        qb_cq_fill(bias, (size_t)nch, QB_CQ_SEED_MM_BIAS, -0.5f, 0.5f);
    }
    if (i8) {
        if (c->kind == DK_DW) {
            for (size_t o = 0; o < c->ny; o++) yf[o] = (float)dw_ref(c, x, w, o);
        } else {
            rc = builtin_fp32(c, yf);
            if (rc) goto out;
        }
        const size_t cd[4] = {(size_t)c->K, (size_t)(c->kind == DK_DW ? 1 : c->C), (size_t)c->R, (size_t)c->S};
        const size_t gd[2] = {(size_t)c->Nn, (size_t)c->Kk};
        const size_t md[3] = {(size_t)c->batch, (size_t)c->Kk, (size_t)c->Nn};
        rc = conv ? quantize(c, x, nx, w, cd, 4, 0, bias, yf, (int)nch, wq)
             : c->kind == DK_GEMM ? quantize(c, x, nx, w, gd, 2, 0, bias, yf, (int)nch, wq)
                                  : quantize(c, x, nx, w, md, 3, 2, NULL, yf, (int)nch, wq);
        if (rc) goto out;
        /* output scales sa*sw/so (exact powers of two for pow2), per tensor or per channel */
        const int dst_ch_dim = conv ? 1 : c->kind == DK_BMM ? 2 : 1;
        if (v->gran == QB_PER_CHANNEL)
            DNNL_TRY(dnnl_primitive_attr_set_output_scales(attr, nch, 1 << dst_ch_dim, c->mult));
        else
            DNNL_TRY(dnnl_primitive_attr_set_output_scales(attr, 1, 0, c->mult));
        if (v->policy == QB_ASYMMETRIC) {
            const int32_t za = c->act.za, zo = c->oq.zero_point[0];
            DNNL_TRY(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, &za));
            DNNL_TRY(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_DST, 1, 0, &zo));
        }
    }
    const dnnl_data_type_t sdt = !i8 ? dnnl_f32 : v->policy == QB_ASYMMETRIC ? dnnl_u8 : dnnl_s8;
    const dnnl_data_type_t wdt = i8 ? dnnl_s8 : dnnl_f32, bdt = i8 ? dnnl_s32 : dnnl_f32;
    const dnnl_data_type_t ddt = sdt;
    if (conv) {
        const dnnl_dims_t sd = {c->N, c->C, c->H, c->W}, dd = {c->N, c->K, c->OH, c->OW}, bd = {c->K};
        const dnnl_dims_t strides = {c->st, c->st}, pad = {c->pad, c->pad};
        DNNL_TRY(dnnl_memory_desc_init_by_tag(&src_u, 4, sd, sdt, dnnl_nchw));
        DNNL_TRY(dnnl_memory_desc_init_by_tag(&dst_u, 4, dd, ddt, dnnl_nchw));
        DNNL_TRY(dnnl_memory_desc_init_by_tag(&bias_u, 1, bd, bdt, dnnl_a));
        DNNL_TRY(dnnl_memory_desc_init_by_tag(&src_p, 4, sd, sdt, dnnl_format_tag_any));
        DNNL_TRY(dnnl_memory_desc_init_by_tag(&dst_p, 4, dd, ddt, dnnl_format_tag_any));
        DNNL_TRY(dnnl_memory_desc_init_by_tag(&bias_p, 1, bd, bdt, dnnl_a));
        if (c->kind == DK_DW) {
            const dnnl_dims_t wd = {c->C, 1, 1, c->R, c->S};
            DNNL_TRY(dnnl_memory_desc_init_by_tag(&wei_u, 5, wd, wdt, dnnl_goihw));
            DNNL_TRY(dnnl_memory_desc_init_by_tag(&wei_p, 5, wd, wdt, dnnl_format_tag_any));
        } else {
            const dnnl_dims_t wd = {c->K, c->C, c->R, c->S};
            DNNL_TRY(dnnl_memory_desc_init_by_tag(&wei_u, 4, wd, wdt, dnnl_oihw));
            DNNL_TRY(dnnl_memory_desc_init_by_tag(&wei_p, 4, wd, wdt, dnnl_format_tag_any));
        }
        dnnl_convolution_desc_t cd;
        DNNL_TRY(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                                    &src_p, &wei_p, &bias_p, &dst_p, strides, pad, pad));
        DNNL_TRY(dnnl_primitive_desc_create(&pd, &cd, attr, c->eng, NULL));
    } else {
        const int nd = c->kind == DK_BMM ? 3 : 2;
        const dnnl_dims_t sd3 = {c->batch, c->M, c->Kk}, wd3 = {c->batch, c->Kk, c->Nn}, dd3 = {c->batch, c->M, c->Nn};
        const dnnl_dims_t sd2 = {c->M, c->Kk}, wd2 = {c->Kk, c->Nn}, dd2 = {c->M, c->Nn}, bd2 = {1, c->Nn};
        const dnnl_format_tag_t plain = nd == 3 ? dnnl_abc : dnnl_ab;
        DNNL_TRY(dnnl_memory_desc_init_by_tag(&src_u, nd, nd == 3 ? sd3 : sd2, sdt, plain));
        DNNL_TRY(dnnl_memory_desc_init_by_tag(&dst_u, nd, nd == 3 ? dd3 : dd2, ddt, plain));
        src_p = src_u, dst_p = dst_u;
        if (c->kind == DK_GEMM) {
            /* W is [N][K]: the [K][N] weights seen through strides, reordered once */
            const dnnl_dims_t ws = {1, c->Kk};
            DNNL_TRY(dnnl_memory_desc_init_by_strides(&wei_u, 2, wd2, wdt, ws));
            DNNL_TRY(dnnl_memory_desc_init_by_tag(&wei_p, 2, wd2, wdt, dnnl_format_tag_any));
            DNNL_TRY(dnnl_memory_desc_init_by_tag(&bias_u, 2, bd2, bdt, dnnl_ab));
            bias_p = bias_u;
        } else { /* an activation: used as it lies, no reorder outside the timing */
            DNNL_TRY(dnnl_memory_desc_init_by_tag(&wei_u, nd, nd == 3 ? wd3 : wd2, wdt, plain));
            wei_p = wei_u;
        }
        dnnl_matmul_desc_t md;
        DNNL_TRY(dnnl_matmul_desc_init(&md, &src_p, &wei_p, has_bias ? &bias_p : NULL, &dst_p));
        DNNL_TRY(dnnl_primitive_desc_create(&pd, &md, attr, c->eng, NULL));
    }
    const char *impl = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    snprintf(c->impl, sizeof c->impl, "%s", impl ? impl : "?");
    DNNL_TRY(dnnl_primitive_create(&c->prim, pd));
    c->dst_user_md = dst_u;
    const void *src_data = i8 ? (const void *)c->act.q : (const void *)x;
    const void *wei_data = i8 ? (const void *)wq : (const void *)w;
    const void *bias_data = i8 ? (const void *)c->bias_q : (const void *)bias;
    rc = mem_from(c, &src_u, src_data, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), &c->src);
    if (!rc) rc = mem_from(c, &wei_u, wei_data, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), &c->wei);
    if (!rc && has_bias)
        rc = mem_from(c, &bias_u, bias_data, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1), &c->bias);
    if (rc) goto out;
    DNNL_TRY(dnnl_memory_create(&c->dst, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), c->eng,
                                DNNL_MEMORY_ALLOCATE));
out:
    if (c->kind == DK_DW) x = w = bias = NULL; /* c owns them */
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    free(x);
    free(w);
    free(bias);
    free(yf);
    free(wq);
    omp_set_num_threads(saved_threads);
    if (rc) {
        destroy(c);
        return rc;
    }
    *out = c;
    return QB_OK;
}

static int run(qb_op_instance *c)
{
    const int saved = omp_get_max_threads();
    omp_set_num_threads(c->v.threads);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, c->src}, {DNNL_ARG_WEIGHTS, c->wei}, {DNNL_ARG_DST, c->dst},
                               {DNNL_ARG_BIAS, c->bias}};
    int rc = QB_OK;
    DNNL_TRY(dnnl_primitive_execute(c->prim, c->strm, c->bias ? 4 : 3, args));
    DNNL_TRY(dnnl_stream_wait(c->strm));
out:
    omp_set_num_threads(saved);
    return rc;
}

/* The output as float: int8 dequantized with the output params. */
static int output_f(qb_op_instance *c, float *y)
{
    if (c->v.dtype == QB_FP32) return read_dst(c, y);
    uint8_t *q = malloc(c->ny);
    if (!q) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = read_dst(c, q);
    if (!rc) qb_cq_dequant_out(q, c->ny, &c->oq, y);
    free(q);
    return rc;
}

static int verify(qb_op_instance *c, double *max_err, bool *ok)
{
    float *got = malloc(c->ny * 4), *want = malloc(c->ny * 4);
    int rc = got && want ? output_f(c, got) : qb_fail(QB_ENOMEM, "out of memory");
    if (!rc && c->kind == DK_DW) {
        if (c->v.dtype == QB_FP32) {
            for (size_t o = 0; o < c->ny; o++) want[o] = (float)dw_ref(c, c->x, c->w, o);
        } else { /* the integer arithmetic: sum (x - za) w + bias_q, requantized */
            const long P = c->OH * c->OW;
            for (size_t o = 0; o < c->ny; o++) {
                const long n = (long)o / (c->C * P), ch = (long)o / P % c->C, oh = (long)o % P / c->OW, ow = (long)o % c->OW;
                int32_t acc = c->bias_q[ch];
                for (long r = 0; r < c->R; r++)
                    for (long s = 0; s < c->S; s++) {
                        const long ih = oh * c->st - c->pad + r, iw = ow * c->st - c->pad + s;
                        if (ih < 0 || ih >= c->H || iw < 0 || iw >= c->W) continue;
                        uint8_t xv = c->act.q[((n * c->C + ch) * c->H + ih) * c->W + iw];
                        const int32_t xa = c->act.p.range == QB_RANGE_UINT8 ? xv - c->act.za : (int8_t)xv;
                        const float wf = c->w[(ch * c->R + r) * c->S + s];
                        const int32_t wq = qb_quant1(wf, c->wp.scale[c->wp.nch == 1 ? 0 : ch], 0, -128, 127);
                        acc += xa * wq;
                    }
                const int32_t q = qb_requant_float(acc, c->mult[ch], c->oq.zero_point[0], c->oq.qmin, c->oq.qmax);
                want[o] = qb_dequant1(q, c->oq.scale[0], c->oq.zero_point[0]);
            }
        }
    } else if (!rc) {
        qb_op_instance *ref = NULL;
        rc = c->op->create(&c->s, &c->v, &ref);
        if (!rc) rc = c->op->run(ref);
        if (!rc) rc = c->op->output(ref, want);
        if (ref) c->op->destroy(ref);
    }
    if (!rc) {
        if (c->v.dtype == QB_FP32) {
            *max_err = qb_cq_rel_err(got, want, c->ny);
            *ok = *max_err <= QB_CQ_TOL_FP32;
        } else { /* in LSBs of the output; the library may round a tie the other way */
            double m = 0;
            for (size_t i = 0; i < c->ny; i++) m = fmax(m, fabs((double)got[i] - want[i]) / c->oq.scale[0]);
            *max_err = rint(m * 1000) / 1000;
            *ok = *max_err <= 1.0;
        }
    }
    free(got);
    free(want);
    return rc;
}

static int describe(qb_op_instance *c, cJSON *params)
{
    const bool i8 = c->v.dtype == QB_INT8;
    /* the ISA oneDNN's dispatcher chose, for the roofline's choice of ceiling */
    const char *isa = strstr(c->impl, "vnni") ? "avx512vnni" : strstr(c->impl, "avx512") ? "avx512"
                      : strstr(c->impl, "avx2") ? "avx2" : "other";
    bool ok = cJSON_AddStringToObject(params, "library", qb_backend_onednn_version()) &&
              cJSON_AddStringToObject(params, "impl", c->impl) &&
              cJSON_AddStringToObject(params, "isa", isa) &&
              cJSON_AddStringToObject(params, "layouts",
                                      c->kind == DK_CONV || c->kind == DK_DW
                                          ? "oneDNN's preferred (format any), reordered outside the timing"
                                      : c->kind == DK_GEMM ? "plain activations, weights in oneDNN's layout"
                                                           : "plain (both operands are activations)");
    if (ok && i8)
        ok = cJSON_AddStringToObject(params, "math",
                                     c->v.policy == QB_ASYMMETRIC ? "u8 x s8 -> s32 with src and dst zero points"
                                                                  : "s8 x s8 -> s32 (oneDNN compensates the s8 source)") &&
             cJSON_AddStringToObject(params, "requant", "output scales sa*sw/so (float), per tensor or per channel") &&
             cJSON_AddStringToObject(params, "weights", "the built-in op's 7-bit codes");
    else if (ok)
        ok = cJSON_AddStringToObject(params, "math", "fp32");
    return ok ? QB_OK : QB_ENOMEM;
}

#define ENTRY(name) {"onednn", name, supports, create, run, verify, destroy, describe}
const qb_backend_impl qb_backend_onednn[] = {ENTRY("conv"), ENTRY("depthwise-conv"), ENTRY("matmul"),
                                             ENTRY("batched-matmul"), ENTRY("gemm")};
const int qb_backend_onednn_n = 5;

bool qb_backend_onednn_available(void)
{
    return true;
}

const char *qb_backend_onednn_version(void)
{
    static char v[128];
    if (!v[0]) {
        const dnnl_version_t *d = dnnl_version();
        snprintf(v, sizeof v, "oneDNN %d.%d.%d (%s runtime)", d->major, d->minor, d->patch,
                 d->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other");
    }
    return v;
}

#else /* not compiled in */

const qb_backend_impl qb_backend_onednn[1];
const int qb_backend_onednn_n = 0;

bool qb_backend_onednn_available(void)
{
    return false;
}

const char *qb_backend_onednn_version(void)
{
    return "not compiled in (build with libdnnl-dev installed and QB_WITH_ONEDNN=ON)";
}

#endif
