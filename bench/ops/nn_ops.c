/* The network operators' registry entries: maxpool, avgpool, global-avgpool,
 * batchnorm, layernorm, gelu and clip, each wrapping its kernel from
 * nn_kern.h.
 *
 * Operation counts: pooling 1 per window tap (a compare or an add), global
 * average pooling 1 per input element, batch norm 2 per element (one
 * multiply-add), layer norm 8 per element (mean: 1, variance: 3, normalize,
 * scale and shift: 4), GELU and Clip 1 per element. Bytes: input and output in
 * the dtype once, float parameters (batch norm's a, b; layer norm's gamma,
 * beta), and for int8 the scales and zero points, batch norm's int8 weights
 * and int32 biases, GELU's 256-byte table.
 *
 * fp16: binary16 storage, widened into an fp32 buffer, the fp32 kernel, then
 * narrowed. int8 (ops_mem_util.h conventions): maxpool and clip work on the
 * quantized values and keep the input's params; the others get output params
 * calibrated on the fp32 output of the same inputs. Batch norm's per-channel
 * multipliers are its weights, quantized per tensor or per channel; it is the
 * only one of these ops with a per-channel variant. */
#include "ops_memory.h"

#include "big_buf.h"
#include "eltwise_lut.h"
#include "error.h"
#include "gemm_f16.h"
#include "nn_kern.h"
#include "ops_compute_util.h"
#include "ops_mem_util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_MAXPOOL, K_AVGPOOL, K_GAP, K_BN, K_LN, K_GELU, K_CLIP, K_COUNT } nkind;

static const char *const kname[K_COUNT] = {"maxpool",   "avgpool", "global-avgpool", "batchnorm",
                                           "layernorm", "gelu",    "clip"};

/* Clip's bounds: ReLU6 as exported to ONNX (Clip(0, 6)). */
#define CLIP_LO 0.0f
#define CLIP_HI 6.0f
#define NORM_EPS 1e-5f

struct qb_op_instance {
    qb_variant v;
    nkind k;
    long N, C, H, W, R, S, st, pad; /* layernorm: N rows of C = D */
    qb_pool_geom g;
    size_t nin, nout;
    qb_mo_tensor x, y;
    float *xf, *yf;     /* fp16: the widened input and the fp32 output */
    float *pa, *pb;     /* batch norm a, b; layer norm gamma, beta */
    int8_t *wq;         /* batch norm int8 weights */
    int32_t *bias;      /* batch norm int32 bias */
    float *mult;        /* batch norm requantization multipliers */
    qb_qparams wp;
    qb_qt xq, yq;
    uint8_t lut[256];
    bool vbmi;
    float *scratch; /* layer norm int8: 2 D floats per thread */
    double *ln_mean, *ln_rstd; /* layer norm's reference: each row's mean and 1/std, once per verify */
};

static bool is_pool(nkind k)
{
    return k == K_MAXPOOL || k == K_AVGPOOL;
}

static int nkeys(nkind k)
{
    return is_pool(k) ? 8 : k == K_LN || k == K_GELU ? 2 : 4;
}

/* The shape's fields, and the pooling geometry (floor mode, pad on every side,
 * average without the padded taps as ONNX's default). */
static void unpack(nkind k, const qb_shape *s, qb_op_instance *c)
{
    c->N = s->v[0];
    c->C = s->v[1];
    c->H = nkeys(k) == 2 ? 1 : s->v[2];
    c->W = nkeys(k) == 2 ? 1 : s->v[3];
    c->R = is_pool(k) ? s->v[4] : 1;
    c->S = is_pool(k) ? s->v[5] : 1;
    c->st = is_pool(k) ? s->v[6] : 1;
    c->pad = is_pool(k) ? s->v[7] : 0;
    const long pads[4] = {c->pad, c->pad, c->pad, c->pad};
    qb_pool_geom_make(&c->g, c->N * c->C, c->H, c->W, c->R, c->S, c->st, c->st, pads, false,
                      false);
    c->nin = (size_t)(c->N * c->C * c->H * c->W);
    c->nout = k == K_GAP ? (size_t)(c->N * c->C)
              : is_pool(k) ? (size_t)(c->N * c->C * c->g.OH * c->g.OW)
                           : c->nin;
}

static size_t out_elems_kind(nkind k, const qb_shape *s)
{
    qb_op_instance c;
    unpack(k, s, &c);
    return c.nout;
}

static int check_kind(nkind k, const qb_shape *s)
{
    static const char *const pkey[] = {"N", "C", "H", "W", "R", "S", "stride", "pad"};
    static const char *const rkey[] = {"rows", "D"};
    static const long phi[] = {1L << 16, 1L << 20, 1L << 16, 1L << 16, 64, 64, 64, 63};
    const char *name = kname[k];
    for (int i = 0; i < nkeys(k); i++) {
        const long hi = nkeys(k) == 2 ? (i ? 1L << 16 : 1L << 30) : phi[i];
        int rc = qb_mo_key_range(name, nkeys(k) == 2 ? rkey[i] : pkey[i], s->v[i],
                                 is_pool(k) && i == 7 ? 0 : 1, hi);
        if (rc) return rc;
    }
    if (is_pool(k)) {
        if (s->v[4] > s->v[2] + 2 * s->v[7] || s->v[5] > s->v[3] + 2 * s->v[7])
            return qb_fail(QB_EINPUT, "%s: the %ldx%ld window is larger than the padded %ldx%ld input",
                           name, s->v[4], s->v[5], s->v[2], s->v[3]);
        if (s->v[7] >= s->v[4] || s->v[7] >= s->v[5])
            return qb_fail(QB_EINPUT, "%s: pad %ld must be smaller than the window", name, s->v[7]);
    }
    size_t n;
    int rc = qb_mo_elems(name, s, nkeys(k) == 2 ? 2 : 4, &n);
    /* float source, dtype copies, output, fp16 buffers, calibration */
    return rc ? rc : qb_mo_mem_check(name, 18.0 * (double)n);
}

static double ops_kind(nkind k, const qb_shape *s)
{
    qb_op_instance c;
    unpack(k, s, &c);
    switch (k) {
    case K_MAXPOOL:
    case K_AVGPOOL: return (double)c.nout * (double)(c.R * c.S);
    case K_BN: return 2.0 * (double)c.nin;
    case K_LN: return 8.0 * (double)c.nin;
    default: return (double)c.nin;
    }
}

static double bytes_kind(nkind k, const qb_shape *s, const qb_variant *v)
{
    qb_op_instance c;
    unpack(k, s, &c);
    const bool q = v->dtype == QB_INT8;
    double b = (double)(c.nin + c.nout) * (double)qb_dtype_bytes(v->dtype);
    if (k == K_BN)
        b += q ? (double)c.C * 5.0 + (v->gran == QB_PER_CHANNEL ? 4.0 * (double)c.C : 4.0)
               : 8.0 * (double)c.C;
    if (k == K_LN) b += 8.0 * (double)c.C;
    if (q) b += 16.0 + (k == K_GELU ? 256.0 : 0);
    return b;
}

static void destroy(qb_op_instance *c)
{
    if (!c) return;
    qb_mo_tensor_free(&c->x);
    qb_mo_tensor_free(&c->y);
    qb_big_free(c->xf);
    qb_big_free(c->yf);
    free(c->pa);
    free(c->pb);
    free(c->ln_mean);
    free(c->ln_rstd);
    free(c->wq);
    free(c->bias);
    free(c->mult);
    qb_qparams_free(&c->wp);
    free(c->scratch);
    free(c);
}

/* The fp32 kernel of the op from x to y. */
static void run_f32(const qb_op_instance *c, const float *x, float *y)
{
    const int t = c->v.threads;
    switch (c->k) {
    case K_MAXPOOL: qb_maxpool_f32(&c->g, x, y, t); break;
    case K_AVGPOOL: qb_avgpool_f32(&c->g, x, y, t); break;
    case K_GAP: qb_gap_f32(c->N * c->C, c->H * c->W, x, y, t); break;
    case K_BN: qb_bn_f32(c->N, c->C, c->H * c->W, c->pa, c->pb, x, y, t); break;
    case K_LN: qb_ln_f32(c->N, c->C, NORM_EPS, c->pa, c->pb, x, y, t); break;
    case K_GELU: qb_gelu_f32(x, y, c->nin, t); break;
    default: qb_clip_f32(x, y, c->nin, CLIP_LO, CLIP_HI, t); break;
    }
}

static void run_q8(const qb_op_instance *c)
{
    const int t = c->v.threads;
    const uint8_t *x = c->x.d;
    uint8_t *y = c->y.d;
    switch (c->k) {
    case K_MAXPOOL: qb_maxpool_q8(&c->g, &c->xq, x, y, t); break;
    case K_AVGPOOL: qb_avgpool_q8(&c->g, &c->xq, x, &c->yq, y, t); break;
    case K_GAP: qb_gap_q8(c->N * c->C, c->H * c->W, &c->xq, x, &c->yq, y, t); break;
    case K_BN:
        qb_bn_q8(c->N, c->C, c->H * c->W, &c->xq, x, c->wq, c->bias, c->mult, &c->yq, y, t);
        break;
    case K_LN:
        qb_ln_q8(c->N, c->C, NORM_EPS, c->pa, c->pb, &c->xq, x, &c->yq, y, c->scratch, t);
        break;
    case K_GELU: {
#pragma omp parallel num_threads(t)
        {
            size_t lo, hi;
            qb_mo_span(c->nin, omp_get_thread_num(), omp_get_num_threads(), 64, &lo, &hi);
            qb_lut8_apply(x + lo, y + lo, hi - lo, c->lut, c->vbmi, false);
        }
        break;
    }
    default: qb_clip_q8(&c->xq, x, y, c->nin, CLIP_LO, CLIP_HI, t); break;
    }
}

static int run(qb_op_instance *c)
{
    if (c->v.dtype == QB_FP32) {
        run_f32(c, c->x.d, c->y.d);
    } else if (c->v.dtype == QB_FP16) {
        qb_f16_to_f32_n(c->x.d, c->xf, c->nin);
        run_f32(c, c->xf, c->yf);
        qb_f32_to_f16_n(c->yf, c->y.d, c->nout);
    } else {
        run_q8(c);
    }
    return QB_OK;
}

static qb_qt qt_of(const qb_mo_tensor *t)
{
    return (qb_qt){.scale = t->p.scale[0], .zp = t->p.zero_point[0], .s8 = !t->u8};
}

/* Batch norm int8: a[c] as int8 weights, the int32 biases and multipliers. */
static int bn_int8(qb_op_instance *c)
{
    const size_t C = (size_t)c->C;
    c->wq = malloc(C);
    c->bias = malloc(C * sizeof *c->bias);
    c->mult = malloc(C * sizeof *c->mult);
    if (!c->wq || !c->bias || !c->mult) return qb_fail(QB_ENOMEM, "batchnorm: out of memory");
    qb_qspec ws = qb_qspec_default(c->v.policy == QB_POW2 ? QB_POW2 : QB_SYMMETRIC);
    ws.gran = c->v.gran;
    ws.axis = 0;
    const size_t wd[2] = {C, 1};
    int rc = qb_qchoose(c->pa, wd, 2, &ws, &c->wp);
    if (!rc) rc = qb_quantize(c->pa, wd, 2, &c->wp, c->wq);
    if (rc) return rc;
    for (size_t ch = 0; ch < C; ch++) {
        const double sw = c->wp.scale[c->wp.nch == 1 ? 0 : ch];
        const double b = rint((double)c->pb[ch] / (c->xq.scale * sw)) - (double)c->xq.zp * c->wq[ch];
        c->bias[ch] = b > 2147483647.0 ? INT32_MAX : b < -2147483648.0 ? INT32_MIN : (int32_t)b;
        c->mult[ch] = (float)(c->xq.scale * sw / c->yq.scale);
    }
    return QB_OK;
}

static int int8_setup(qb_op_instance *c)
{
    c->xq = qt_of(&c->x);
    if (c->k == K_MAXPOOL || c->k == K_CLIP) {
        int rc = qb_mo_output(&c->y, c->nout, &c->v, &c->x.p);
        if (!rc) c->yq = qt_of(&c->y);
        return rc;
    }
    float *yf = qb_big_alloc(c->nout * sizeof *yf, c->v.threads);
    if (!yf) return qb_fail(QB_ENOMEM, "%s: out of memory for the calibration output", kname[c->k]);
    run_f32(c, c->x.f, yf);
    qb_qparams op;
    int rc = qb_mo_qparams_of(yf, c->nout, c->v.policy, &op);
    qb_big_free(yf);
    if (rc) return rc;
    rc = qb_mo_output(&c->y, c->nout, &c->v, &op);
    qb_qparams_free(&op);
    if (rc) return rc;
    c->yq = qt_of(&c->y);
    if (c->k == K_BN) return bn_int8(c);
    if (c->k == K_GELU) {
        c->vbmi = qb_mo_use_vbmi(&c->v);
        qb_lut8_build(c->lut, &c->x.p, &c->y.p, qb_gelu_ref);
    }
    if (c->k == K_LN) {
        c->scratch = malloc((size_t)c->v.threads * 2 * (size_t)c->C * sizeof *c->scratch);
        if (!c->scratch) return qb_fail(QB_ENOMEM, "layernorm: out of memory");
    }
    return QB_OK;
}

/* The op's parameters: batch norm folded to a, b from gamma, beta, mean and
 * variance drawn from seeds, a spread by channel as trained layers' are;
 * layer norm's gamma and beta. */
static int params(qb_op_instance *c)
{
    const size_t C = (size_t)c->C;
    c->pa = malloc(C * sizeof *c->pa);
    c->pb = malloc(C * sizeof *c->pb);
    if (!c->pa || !c->pb) return qb_fail(QB_ENOMEM, "%s: out of memory", kname[c->k]);
    qb_mo_fill(c->pa, C, 701, 0.5f, 1.5f, 1);
    qb_mo_fill(c->pb, C, 702, -0.5f, 0.5f, 1);
    if (c->k == K_BN) {
        float *mean = malloc(C * sizeof *mean), *var = malloc(C * sizeof *var);
        if (!mean || !var) {
            free(mean);
            free(var);
            return qb_fail(QB_ENOMEM, "batchnorm: out of memory");
        }
        qb_mo_fill(mean, C, 703, -0.5f, 0.5f, 1);
        qb_mo_fill(var, C, 704, 0.5f, 2.0f, 1);
        for (size_t ch = 0; ch < C; ch++) {
            const float a = c->pa[ch] / sqrtf(var[ch] + NORM_EPS);
            c->pb[ch] -= mean[ch] * a;
            c->pa[ch] = a;
        }
        qb_cq_channel_spread(c->pa, 1, C, 1);
        free(mean);
        free(var);
    }
    return QB_OK;
}

static int create_kind(nkind k, const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    *out = NULL;
    qb_op_instance *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = qb_mo_variant(kname[k], v, k == K_BN, &c->v);
    if (rc) goto fail;
    c->k = k;
    unpack(k, s, c);
    if (k == K_BN || k == K_LN) {
        rc = params(c);
        if (rc) goto fail;
    }
    /* clip's inputs span both bounds; gelu's its curved part */
    const float lo = k == K_CLIP ? -3.0f : -4.0f, hi = k == K_CLIP ? 9.0f : 4.0f;
    rc = qb_mo_input(&c->x, c->nin, &c->v, 710 + (uint64_t)k, lo, hi);
    if (rc) goto fail;
    if (c->v.dtype == QB_INT8) {
        rc = int8_setup(c);
    } else {
        rc = qb_mo_output(&c->y, c->nout, &c->v, NULL);
        if (!rc && c->v.dtype == QB_FP16) {
            c->xf = qb_big_alloc(c->nin * sizeof *c->xf, c->v.threads);
            c->yf = qb_big_alloc(c->nout * sizeof *c->yf, c->v.threads);
            if (!c->xf || !c->yf) rc = qb_fail(QB_ENOMEM, "%s: out of memory", kname[k]);
        }
    }
    if (rc) goto fail;
    *out = c;
    return QB_OK;
fail:
    destroy(c);
    return rc;
}

/* Output o in double from the (dtype's) input values, by plain loops. */
static double ref_float(const qb_op_instance *c, size_t o)
{
    const qb_pool_geom *g = &c->g;
    if (is_pool(c->k)) {
        const size_t P = (size_t)(g->OH * g->OW), p = o / P;
        const long oh = (long)(o % P) / g->OW, ow = (long)(o % P) % g->OW;
        double m = -INFINITY, s = 0;
        long n = 0;
        for (long r = 0; r < g->R; r++)
            for (long q = 0; q < g->S; q++) {
                const long ih = oh * g->sh - g->pt + r, iw = ow * g->sw - g->pl + q;
                if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W) continue;
                const double v = qb_mo_get(&c->x, p * (size_t)(g->H * g->W) + (size_t)(ih * g->W + iw));
                m = v > m ? v : m;
                s += v;
                n++;
            }
        return c->k == K_MAXPOOL ? m : s / (double)n;
    }
    if (c->k == K_GAP) {
        const size_t HW = (size_t)(c->H * c->W);
        double s = 0;
        for (size_t i = 0; i < HW; i++)
            s += qb_mo_get(&c->x, o * HW + i);
        return s / (double)HW;
    }
    const double x = qb_mo_get(&c->x, o);
    if (c->k == K_BN) {
        const size_t ch = o / (size_t)(c->H * c->W) % (size_t)c->C;
        return x * c->pa[ch] + c->pb[ch];
    }
    if (c->k == K_LN) {
        const size_t D = (size_t)c->C, r = o / D;
        return (x - c->ln_mean[r]) * c->ln_rstd[r] * c->pa[o % D] + c->pb[o % D];
    }
    if (c->k == K_GELU) return qb_gelu_ref(x);
    return x < CLIP_LO ? CLIP_LO : x > CLIP_HI ? CLIP_HI : x;
}

/* Output o of the int8 kernel by the same integer arithmetic, in plain
 * loops; layer norm's reference is the double one, quantized. */
static int32_t ref_q8(const qb_op_instance *c, size_t o)
{
    const qb_pool_geom *g = &c->g;
    const qb_qt *xq = &c->xq, *yq = &c->yq;
    const int32_t lo = qb_qt_min(yq), hi = qb_qt_max(yq);
    const uint8_t *x = c->x.d;
    if (is_pool(c->k)) {
        const size_t P = (size_t)(g->OH * g->OW), p = o / P;
        const long oh = (long)(o % P) / g->OW, ow = (long)(o % P) % g->OW;
        int32_t m = INT32_MIN, s = 0, n = 0;
        for (long r = 0; r < g->R; r++)
            for (long q = 0; q < g->S; q++) {
                const long ih = oh * g->sh - g->pt + r, iw = ow * g->sw - g->pl + q;
                if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W) continue;
                const int32_t v = qb_qt_get(xq, x, p * (size_t)(g->H * g->W) + (size_t)(ih * g->W + iw));
                m = v > m ? v : m;
                s += v - xq->zp;
                n++;
            }
        if (c->k == K_MAXPOOL) return m;
        return qb_requant_float(s, xq->scale / yq->scale / (float)n, yq->zp, lo, hi);
    }
    if (c->k == K_GAP) {
        const size_t HW = (size_t)(c->H * c->W);
        int32_t s = 0;
        for (size_t i = 0; i < HW; i++)
            s += qb_qt_get(xq, x, o * HW + i) - xq->zp;
        return qb_requant_float(s, xq->scale / yq->scale / (float)HW, yq->zp, lo, hi);
    }
    const int32_t q = qb_qt_get(xq, x, o);
    if (c->k == K_BN) {
        const size_t ch = o / (size_t)(c->H * c->W) % (size_t)c->C;
        return qb_requant_float(q * c->wq[ch] + c->bias[ch], c->mult[ch], yq->zp, lo, hi);
    }
    if (c->k == K_CLIP) {
        const int32_t ql = qb_quant1(CLIP_LO, xq->scale, xq->zp, lo, hi),
                      qh = qb_quant1(CLIP_HI, xq->scale, xq->zp, lo, hi);
        return q < ql ? ql : q > qh ? qh : q;
    }
    if (c->k == K_GELU)
        return qb_quant1((float)qb_gelu_ref(qb_dequant1(q, xq->scale, xq->zp)), yq->scale, yq->zp,
                         lo, hi);
    return qb_quant1((float)ref_float(c, o), yq->scale, yq->zp, lo, hi); /* K_LN */
}

/* Layer norm's reference statistics in double, a row at a time: computing
 * them again for every sampled output made its check take half a second. */
static int ln_stats(qb_op_instance *c)
{
    if (c->ln_mean) return QB_OK;
    const size_t D = (size_t)c->C, rows = c->nout / D;
    c->ln_mean = malloc(rows * sizeof *c->ln_mean);
    c->ln_rstd = malloc(rows * sizeof *c->ln_rstd);
    if (!c->ln_mean || !c->ln_rstd) return qb_fail(QB_ENOMEM, "layernorm verify: out of memory");
    for (size_t r = 0; r < rows; r++) {
        double s = 0, v = 0;
        for (size_t i = 0; i < D; i++) s += qb_mo_get(&c->x, r * D + i);
        const double mean = s / (double)D;
        for (size_t i = 0; i < D; i++) {
            const double d = qb_mo_get(&c->x, r * D + i) - mean;
            v += d * d;
        }
        c->ln_mean[r] = mean;
        c->ln_rstd[r] = 1.0 / sqrt(v / (double)D + NORM_EPS);
    }
    return QB_OK;
}

static int verify(qb_op_instance *c, double *max_err, bool *ok)
{
    const size_t n = c->nout, ns = qb_mo_nverify(n);
    if (c->k == K_LN) {
        int rc = ln_stats(c);
        if (rc) return rc;
    }
    if (c->v.dtype == QB_INT8) {
        int32_t worst = 0;
        for (size_t j = 0; j < ns; j++) {
            const size_t o = qb_mo_sample(n, ns, j);
            const int32_t d = abs(qb_mo_q(&c->y, o) - ref_q8(c, o));
            worst = d > worst ? d : worst;
        }
        *max_err = worst;
        /* layer norm normalizes in float, its reference in double: a value
         * on a rounding boundary may land one step apart */
        *ok = worst <= (c->k == K_LN ? 1 : 0);
        return QB_OK;
    }
    qb_mo_err e = {0};
    for (size_t j = 0; j < ns; j++) {
        const size_t o = qb_mo_sample(n, ns, j);
        qb_mo_err_add(&e, qb_mo_get(&c->y, o), ref_float(c, o));
    }
    *max_err = qb_mo_err_rel(&e);
    *ok = *max_err <= (c->v.dtype == QB_FP16 ? QB_MO_TOL_FP16 : QB_MO_TOL_FP32);
    return QB_OK;
}

static int output(qb_op_instance *c, float *out)
{
    qb_mo_to_float(&c->y, out);
    return QB_OK;
}

static const char *const int8_note[K_COUNT] = {
    "max of the quantized values; the output keeps the input's params",
    "integer sum of (q - zero point) over the window, requantized in float by si / (so count)",
    "integer sum of (q - zero point) over the plane, requantized in float by si / (so HW)",
    "a[c] as int8 weights, u8/s8 x s8 + int32 bias, requantized in float per channel",
    "each row dequantized, normalized in fp32, quantized with calibrated output params",
    "256-entry table quant(gelu(dequant(q))); output params calibrated on the fp32 output",
    "clamp(q, quant(0), quant(6)) on the quantized values; the output keeps the input's params",
};

static int describe(qb_op_instance *c, cJSON *params)
{
    const char *isa = c->v.dtype == QB_INT8 && c->vbmi ? "avx512vbmi" : "compiler-vectorized loops";
    int rc = qb_mo_describe(params, &c->v, isa, false, int8_note[c->k]);
    if (!rc && c->v.dtype == QB_INT8 && c->k == K_BN &&
        !cJSON_AddStringToObject(params, "weights",
                                 c->v.gran == QB_PER_CHANNEL ? "s8 per channel" : "s8 per tensor"))
        rc = QB_ENOMEM;
    return rc;
}

#define NN_DESC(kind, var, opname, keys, shape, source, sum, zk)                                  \
    static int create_##var(const qb_shape *s, const qb_variant *v, qb_op_instance **out)          \
    {                                                                                              \
        return create_kind(kind, s, v, out);                                                       \
    }                                                                                              \
    static int check_##var(const qb_shape *s)                                                      \
    {                                                                                              \
        return check_kind(kind, s);                                                                \
    }                                                                                              \
    static double ops_##var(const qb_shape *s)                                                     \
    {                                                                                              \
        return ops_kind(kind, s);                                                                  \
    }                                                                                              \
    static double bytes_##var(const qb_shape *s, const qb_variant *v)                              \
    {                                                                                              \
        return bytes_kind(kind, s, v);                                                             \
    }                                                                                              \
    static size_t out_##var(const qb_shape *s)                                                     \
    {                                                                                              \
        return out_elems_kind(kind, s);                                                            \
    }                                                                                              \
    const qb_op_desc qb_op_##var = {                                                               \
        .name = opname,                                                                            \
        .klass = "memory",                                                                         \
        .summary = sum,                                                                            \
        .shape_keys = keys,                                                                        \
        .default_shape = shape,                                                                    \
        .shape_source = source,                                                                    \
        .per_channel = kind == K_BN,                                                               \
        .check = check_##var,                                                                      \
        .ops = ops_##var,                                                                          \
        .bytes = bytes_##var,                                                                      \
        .create = create_##var,                                                                    \
        .run = run,                                                                                \
        .verify = verify,                                                                          \
        .destroy = destroy,                                                                        \
        .output_elems = out_##var,                                                                 \
        .output = output,                                                                          \
        .describe = describe,                                                                      \
        .zero_keys = zk,                                                                           \
    };

NN_DESC(K_MAXPOOL, maxpool, "maxpool", "N,C,H,W,R,S,stride,pad", "1,64,112,112,3,3,2,1",
        "ResNet-50 stem: 3x3 max pooling, stride 2, on 112x112x64",
        "2-D max pooling, NCHW, square stride and padding", "pad")
NN_DESC(K_AVGPOOL, avgpool, "avgpool", "N,C,H,W,R,S,stride,pad", "1,192,35,35,3,3,1,1",
        "Inception-v3 Mixed_5b pool branch: 3x3 average pooling on 35x35x192",
        "2-D average pooling, NCHW, padded taps not counted", "pad")
NN_DESC(K_GAP, global_avgpool, "global-avgpool", "N,C,H,W", "1,1280,7,7",
        "MobileNetV2 head: global average pooling of 7x7x1280",
        "global average pooling, NCHW -> N x C", NULL)
NN_DESC(K_BN, batchnorm, "batchnorm", "N,C,H,W", "1,64,112,112",
        "ResNet-50 conv1's batch norm, unfolded: 112x112x64",
        "batch normalization (inference), per-channel scale and shift, NCHW", NULL)
NN_DESC(K_LN, layernorm, "layernorm", "rows,D", "128,768",
        "BERT-base encoder layer norm: 128 tokens of 768",
        "layer normalization over the last axis, gamma and beta", NULL)
NN_DESC(K_GELU, gelu, "gelu", "rows,D", "128,3072",
        "BERT-base feed-forward activation: 128 tokens of 3072",
        "GELU, erf form, element-wise", NULL)
NN_DESC(K_CLIP, clip, "clip", "N,C,H,W", "1,96,112,112",
        "MobileNetV2 block 1 expansion ReLU6 as ONNX Clip(0, 6): 112x112x96",
        "clip(x, 0, 6) element-wise (ONNX Clip)", NULL)
