/* depthwise-conv: each channel convolved with its own R x S filter, NCHW
 * activations, weights [C,1,R,S], bias [C].
 *
 * Operation count: 2 per multiply-add, 2 N C OH OW R S. Bytes: input,
 * weights and output in the dtype, the float bias (int32 for int8) and, for
 * int8, one requantization multiplier per channel (per-channel) or one.
 *
 * int8 scheme (recorded in the params): activations u8 (symmetric and pow2
 * quantize to int8 and add 128, asymmetric is uint8 with its zero point),
 * weights s8 symmetric (pow2 for the pow2 policy) per tensor or per output
 * channel in the full int8 range (the kernel's vpmaddwd products cannot
 * saturate), output int8 (uint8 for asymmetric) with params calibrated on
 * the fp32 output. Threads split the N x C planes.
 *
 * On CPUs with AVX-512 (F, BW, VL), fp32 and int8 run the channels-last
 * kernel of depthwise_nhwc.h instead, as a network executor keeps
 * activations: the input converted to NHWC once at creation, the output
 * NHWC, threads splitting the output rows. At the default shape on one
 * thread it took 84 us for fp32 (the planes 141 us) and 85 us for int8 (the
 * VNNI planes 108 us). int8 with pow2 scales (a rounding shift), fp16 and
 * --isa avx2 keep the planes. */
#include "ops_memory.h"

#include "big_buf.h"
#include "defaults.h"
#include "depthwise.h"
#include "depthwise_nhwc.h"
#include "error.h"
#include "gemm_f16.h"
#include "layout_plan.h"
#include "ops_mem_util.h"
#include "tensor_gen.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { KN, KC, KH, KW, KR, KS, KST, KPAD };

struct qb_op_instance {
    qb_variant v;
    size_t N, C;
    qb_dw_geom g;
    qb_mo_tensor x, y;
    float *w, *bias; /* float weights and bias (all dtypes: fp32 data, references) */
    uint16_t *wh;    /* fp16 weights */
    uint8_t *xu;     /* int8: the u8 activations the kernel reads */
    int32_t za;
    int8_t *wq;
    qb_qparams wp;
    qb_dw_rq *rq;           /* per channel */
    bool vnni;              /* int8: the AVX512-VNNI kernel */
    unsigned char *scratch; /* per thread: padded plane and an output plane */
    size_t scratch_sz;
    int *border; /* per thread: which padding its scratch holds (0 none, 1 float, 2 u8) */
    /* channels-last (fp32, and int8 with a float multiplier): the input as
     * N x H x W x C (floats, or the u8 activations), the weights
     * [taps][Cp]; y is then N x OH x OW x C; int8's per-channel bias and
     * multiplier as the kernel reads them */
    bool nhwc;
    void *xn;
    float *wt, *mult;
    int32_t *bias_i32;
    qb_dw_nhwc_io io;
};

static int check(const qb_shape *sh)
{
    const long *s = sh->v;
    static const char *const key[] = {"N", "C", "H", "W", "R", "S", "stride", "pad"};
    static const long hi[] = {1L << 16, 1L << 20, 1L << 16, 1L << 16, 16, 16, 16, 15};
    for (int i = 0; i < 8; i++) {
        int rc = qb_mo_key_range("depthwise-conv", key[i], s[i], i == KPAD ? 0 : 1, hi[i]);
        if (rc) return rc;
    }
    if (s[KR] > s[KH] + 2 * s[KPAD] || s[KS] > s[KW] + 2 * s[KPAD])
        return qb_fail(QB_EINPUT,
                       "depthwise-conv: the %ldx%ld filter is larger than the padded %ldx%ld input",
                       s[KR], s[KS], s[KH], s[KW]);
    if (s[KPAD] >= s[KR] || s[KPAD] >= s[KS])
        return qb_fail(QB_EINPUT, "depthwise-conv: pad %ld must be smaller than the filter",
                       s[KPAD]);
    size_t n;
    int rc = qb_mo_elems("depthwise-conv", sh, 4, &n);
    /* the tensors (float source, dtype copies, output, calibration, the
     * channels-last copy) and one padded plane plus one output plane of
     * scratch per CPU */
    const double plane =
        (double)(s[KH] + 2 * s[KPAD]) * (double)(s[KW] + 2 * s[KPAD] + 32) + (double)s[KH] * s[KW];
    const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    return rc ? rc
              : qb_mo_mem_check("depthwise-conv",
                                18.0 * (double)n + 4.0 * plane * (double)(ncpu > 0 ? ncpu : 1));
}

static void geom(const qb_shape *s, qb_dw_geom *g)
{
    qb_dw_geom_make(g, (size_t)s->v[KH], (size_t)s->v[KW], (int)s->v[KR], (int)s->v[KS],
                    (int)s->v[KST], (int)s->v[KPAD]);
}

static size_t output_elems(const qb_shape *s)
{
    qb_dw_geom g;
    geom(s, &g);
    return (size_t)s->v[KN] * (size_t)s->v[KC] * g.OH * g.OW;
}

static double ops(const qb_shape *s)
{
    return 2.0 * (double)output_elems(s) * (double)(s->v[KR] * s->v[KS]);
}

static double bytes(const qb_shape *s, const qb_variant *v)
{
    const double e = (double)qb_dtype_bytes(v->dtype), C = (double)s->v[KC];
    const double in = (double)s->v[KN] * C * (double)(s->v[KH] * s->v[KW]);
    const double wt = C * (double)(s->v[KR] * s->v[KS]);
    const double scales = v->dtype != QB_INT8 ? 0 : v->gran == QB_PER_CHANNEL ? 4.0 * C : 4.0;
    return (in + wt + (double)output_elems(s)) * e + 4.0 * C + scales;
}

static void destroy(qb_op_instance *c)
{
    if (!c) return;
    qb_mo_tensor_free(&c->x);
    qb_mo_tensor_free(&c->y);
    free(c->w);
    free(c->bias);
    free(c->wh);
    free(c->xu);
    free(c->wq);
    qb_qparams_free(&c->wp);
    free(c->rq);
    qb_big_free(c->scratch);
    free(c->border);
    qb_big_free(c->xn);
    free(c->wt);
    free(c->mult);
    free(c->bias_i32);
    free(c);
}

/* One plane (n, c) in the variant's dtype, or in fp32 from the float data
 * (calibration) when yf is given; thread t's scratch. */
static void plane(const qb_op_instance *c, size_t p, int t, float *yf)
{
    const qb_dw_geom *g = &c->g;
    const size_t ch = p % c->C, in = g->H * g->W, out = g->OH * g->OW, taps = (size_t)(g->R * g->S);
    unsigned char *scratch = c->scratch + (size_t)t * c->scratch_sz;
    float *xp = (float *)scratch;
    const int kind = !yf && c->v.dtype == QB_INT8 ? 2 : 1;
    const bool border = c->border[t] != kind;
    c->border[t] = kind;
    if (yf) {
        qb_dw_pad_f32(g, c->x.f + p * in, xp, border);
        qb_dw_plane_f32(g, xp, c->w + ch * taps, c->bias[ch], yf + p * out);
    } else if (c->v.dtype == QB_FP32) {
        qb_dw_pad_f32(g, (const float *)c->x.d + p * in, xp, border);
        qb_dw_plane_f32(g, xp, c->w + ch * taps, c->bias[ch], (float *)c->y.d + p * out);
    } else if (c->v.dtype == QB_FP16) {
        float wf[16 * 16], *yt = (float *)(scratch + g->Hp * g->Wp * 4);
        for (size_t k = 0; k < taps; k++)
            wf[k] = qb_f16_to_f32(c->wh[ch * taps + k]);
        qb_dw_pad_f16(g, (const uint16_t *)c->x.d + p * in, xp, border);
        qb_dw_plane_f32(g, xp, wf, c->bias[ch], yt);
        qb_f32_to_f16_n(yt, (uint16_t *)c->y.d + p * out, out);
    } else {
        qb_dw_pad_u8(g, c->xu + p * in, (uint8_t)c->za, scratch, border);
        qb_dw_plane_i8(g, scratch, c->wq + ch * taps, &c->rq[ch], c->vnni,
                       (uint8_t *)c->y.d + p * out);
    }
}

static void all_planes(const qb_op_instance *c, float *yf)
{
#pragma omp parallel num_threads(c->v.threads)
    {
        const int t = omp_get_thread_num();
        size_t lo, hi;
        qb_mo_span(c->N * c->C, t, omp_get_num_threads(), 1, &lo, &hi);
        for (size_t p = lo; p < hi; p++)
            plane(c, p, t, yf);
    }
}

/* Channels-last: each image's output rows shared out among the threads. */
static void all_rows(const qb_op_instance *c)
{
    const qb_dw_geom *g = &c->g;
    const size_t es = c->io.type == QB_DW_U8 ? 1 : sizeof(float);
    const size_t in = g->H * g->W * c->C * es, out = g->OH * g->OW * c->C * es;
#pragma omp parallel num_threads(c->v.threads)
    {
        const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        for (size_t n = 0; n < c->N; n++)
            qb_dw_nhwc_rows(g, c->C, &c->io, (const char *)c->xn + n * in, c->wt, (char *)c->y.d + n * out,
                            g->OH * t / nt,
                            g->OH * (t + 1) / nt);
    }
}

static int run(qb_op_instance *c)
{
    if (c->nhwc) all_rows(c);
    else all_planes(c, NULL);
    return QB_OK;
}

/* Where NCHW element o of the output lies in y. */
static size_t out_at(const qb_op_instance *c, size_t o)
{
    if (!c->nhwc) return o;
    const size_t P = c->g.OH * c->g.OW, n = o / (c->C * P), ch = o / P % c->C;
    return (n * P + o % P) * c->C + ch;
}

/* The channels-last route, when the CPU allows it: fp32, and int8 whose
 * requantization multiplies by a float (a pow2 scale's rounding shift keeps
 * the planes). The input in NHWC and the weights as its kernel reads them;
 * int8 after int8_setup, from the u8 activations and s8 weights. */
static int nhwc_setup(qb_op_instance *c)
{
    const qb_dw_geom *g = &c->g;
    const size_t taps = (size_t)(g->R * g->S), hw = g->H * g->W, C = c->C;
    const bool ymm = c->v.isa && strcmp(c->v.isa, "avx2") == 0; /* --isa avx2 keeps the AVX2 planes */
    const bool i8 = c->v.dtype == QB_INT8;
    if (!qb_dw_nhwc_ok() || ymm || taps > QB_DW_NHWC_MAX_TAPS || (c->v.dtype != QB_FP32 && !i8) ||
        (i8 && c->v.policy == QB_POW2))
        return QB_OK;
    const size_t es = i8 ? 1 : sizeof(float);
    c->xn = qb_big_alloc(c->N * hw * C * es, c->v.threads);
    c->wt = malloc(taps * qb_dw_nhwc_cp(C) * sizeof *c->wt);
    if (!c->xn || !c->wt) return qb_fail(QB_ENOMEM, "depthwise-conv: out of memory for the channels-last buffers");
    /* NCHW to NHWC once, outside the timing */
    const int rc = qb_lay_permute(i8 ? (const void *)c->xu : c->x.d, c->xn, (const size_t[4]){c->N, C, g->H, g->W},
                                  (const int[4]){0, 2, 3, 1}, es);
    if (rc) return rc;
    if (!i8) {
        qb_dw_nhwc_weights_f32(c->w, C, taps, c->wt);
        c->io = (qb_dw_nhwc_io){.type = QB_DW_F32, .bias = c->bias};
        c->nhwc = true;
        return QB_OK;
    }
    c->mult = malloc(C * sizeof *c->mult);
    c->bias_i32 = malloc(C * sizeof *c->bias_i32);
    if (!c->mult || !c->bias_i32) return qb_fail(QB_ENOMEM, "depthwise-conv: out of memory");
    for (size_t ch = 0; ch < C; ch++) {
        c->mult[ch] = c->rq[ch].mult;
        c->bias_i32[ch] = c->rq[ch].bias;
    }
    qb_dw_nhwc_weights_i8(c->wq, C, taps, c->wt);
    c->io = (qb_dw_nhwc_io){.type = QB_DW_U8, .za = (uint8_t)c->za, .bias_i32 = c->bias_i32, .mult = c->mult,
                            .zo = c->y.p.zero_point[0], .qmin = c->y.p.qmin, .qmax = c->y.p.qmax};
    c->nhwc = true;
    return QB_OK;
}

/* Activations as u8, weights as s8, the output params and each channel's
 * epilogue. */
static int int8_setup(qb_op_instance *c)
{
    const size_t nin = c->x.n, nout = c->y.n, taps = (size_t)(c->g.R * c->g.S);
    c->xu = malloc(nin);
    c->wq = malloc(c->C * taps);
    c->rq = calloc(c->C, sizeof *c->rq);
    float *yf = qb_big_alloc(nout * sizeof *yf, c->v.threads);
    if (!c->xu || !c->wq || !c->rq || !yf) {
        qb_big_free(yf);
        return qb_fail(QB_ENOMEM, "depthwise-conv: out of memory for the int8 buffers");
    }
    c->vnni = qb_mo_use_vnni(&c->v);
    const uint8_t flip = c->x.u8 ? 0 : 0x80; /* int8 q + 128 */
    for (size_t i = 0; i < nin; i++)
        c->xu[i] = ((const uint8_t *)c->x.d)[i] ^ flip;
    c->za = c->x.p.zero_point[0] + (c->x.u8 ? 0 : 128);
    qb_qspec ws = qb_qspec_default(c->v.policy == QB_POW2 ? QB_POW2 : QB_SYMMETRIC);
    ws.gran = c->v.gran;
    ws.axis = 0;
    const size_t wd[2] = {c->C, taps};
    int rc = qb_qchoose(c->w, wd, 2, &ws, &c->wp);
    if (!rc) rc = qb_quantize(c->w, wd, 2, &c->wp, c->wq);
    all_planes(c, yf);
    qb_qparams op = {0};
    if (!rc) rc = qb_mo_qparams_of(yf, nout, c->v.policy, &op);
    qb_big_free(yf);
    if (!rc) rc = qb_mo_qparams_copy(&c->y.p, &op);
    qb_qparams_free(&op);
    if (rc) return rc;
    c->y.u8 = c->y.p.range == QB_RANGE_UINT8;
    const double sa = c->x.p.scale[0], so = c->y.p.scale[0];
    for (size_t ch = 0; ch < c->C; ch++) {
        const int wc = c->wp.nch == 1 ? 0 : (int)ch;
        const double sw = c->wp.scale[wc];
        int32_t wsum = 0;
        for (size_t t = 0; t < taps; t++)
            wsum += c->wq[ch * taps + t];
        const double b = rint((double)c->bias[ch] / (sa * sw)) - (double)c->za * wsum;
        qb_dw_rq *q = &c->rq[ch];
        q->bias = b > 2147483647.0 ? INT32_MAX : b < -2147483648.0 ? INT32_MIN : (int32_t)b;
        q->use_shift = c->v.policy == QB_POW2;
        q->mult = (float)(sa * sw / so);
        q->shift = c->x.p.shift[0] + c->wp.shift[wc] - c->y.p.shift[0];
        q->zo = c->y.p.zero_point[0];
        q->qmin = c->y.p.qmin;
        q->qmax = c->y.p.qmax;
        q->u8 = c->y.u8;
    }
    return QB_OK;
}

static int create(const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    *out = NULL;
    qb_op_instance *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = qb_mo_variant("depthwise-conv", v, true, &c->v);
    if (rc) goto fail;
    c->N = (size_t)s->v[KN];
    c->C = (size_t)s->v[KC];
    geom(s, &c->g);
    const size_t taps = (size_t)(c->g.R * c->g.S), nin = c->N * c->C * c->g.H * c->g.W;
    c->scratch_sz = (c->g.Hp * c->g.Wp + c->g.OH * c->g.OW + 64) * 4;
    c->scratch = qb_big_alloc((size_t)c->v.threads * c->scratch_sz, c->v.threads);
    c->border = calloc((size_t)c->v.threads, sizeof *c->border);
    c->w = malloc(c->C * taps * sizeof *c->w);
    c->bias = malloc(c->C * sizeof *c->bias);
    if (!c->scratch || !c->border || !c->w || !c->bias) {
        rc = qb_fail(QB_ENOMEM, "depthwise-conv: out of memory");
        goto fail;
    }
    qb_mo_fill(c->w, c->C * taps, 602, -1.0f, 1.0f, 1);
    qb_tensor_scale_channels(c->w, 1, c->C, taps, QB_OPS_WEIGHT_SPREAD, 1.0); /* ranges differ by channel */
    qb_mo_fill(c->bias, c->C, 603, -0.5f, 0.5f, 1);
    rc = qb_mo_input(&c->x, nin, &c->v, 601, -1.0f, 1.0f);
    if (!rc) rc = qb_mo_output(&c->y, output_elems(s), &c->v, NULL);
    if (rc) goto fail;
    if (c->v.dtype == QB_FP16) {
        c->wh = malloc(c->C * taps * sizeof *c->wh);
        if (!c->wh) {
            rc = qb_fail(QB_ENOMEM, "depthwise-conv: out of memory");
            goto fail;
        }
        qb_f32_to_f16_n(c->w, c->wh, c->C * taps);
    } else if (c->v.dtype == QB_INT8) {
        rc = int8_setup(c);
        if (rc) goto fail;
    }
    rc = nhwc_setup(c);
    if (rc) goto fail;
    *out = c;
    return QB_OK;
fail:
    destroy(c);
    return rc;
}

/* Output o = (plane, oh, ow) by plain loops, padding read as zero (za). */
static void ref_one(const qb_op_instance *c, size_t o, double *f, int32_t *q)
{
    const qb_dw_geom *g = &c->g;
    const size_t out = g->OH * g->OW, p = o / out, ch = p % c->C, oh = o % out / g->OW,
                 ow = o % g->OW;
    const size_t taps = (size_t)(g->R * g->S);
    double acc = c->bias[ch];
    int32_t iacc = c->v.dtype == QB_INT8 ? c->rq[ch].bias : 0;
    for (int r = 0; r < g->R; r++)
        for (int s = 0; s < g->S; s++) {
            const long ih = (long)(oh * (size_t)g->st) - g->pad + r,
                       iw = (long)(ow * (size_t)g->st) - g->pad + s;
            const bool in = ih >= 0 && ih < (long)g->H && iw >= 0 && iw < (long)g->W;
            const size_t xi = p * g->H * g->W + (size_t)ih * g->W + (size_t)iw,
                         wi = ch * taps + (size_t)(r * g->S + s);
            if (c->v.dtype == QB_INT8) {
                iacc += (in ? c->xu[xi] : c->za) * c->wq[wi];
            } else if (in) {
                const double wv = c->v.dtype == QB_FP16 ? qb_f16_to_f32(c->wh[wi]) : c->w[wi];
                acc += (double)qb_mo_get(&c->x, xi) * wv;
            }
        }
    *f = acc;
    if (c->v.dtype == QB_INT8) {
        const qb_dw_rq *rq = &c->rq[ch];
        *q = rq->use_shift ? qb_requant_shift(iacc, rq->shift, rq->zo, rq->qmin, rq->qmax)
                           : qb_requant_float(iacc, rq->mult, rq->zo, rq->qmin, rq->qmax);
    }
}

static int verify(qb_op_instance *c, double *max_err, bool *ok)
{
    const size_t n = c->y.n, ns = qb_mo_nverify(n);
    qb_mo_err e = {0};
    int32_t worst = 0;
    for (size_t j = 0; j < ns; j++) {
        const size_t o = qb_mo_sample(n, ns, j);
        double f;
        int32_t q = 0;
        ref_one(c, o, &f, &q);
        if (c->v.dtype == QB_INT8) {
            const int32_t d = abs(qb_mo_q(&c->y, out_at(c, o)) - q);
            worst = d > worst ? d : worst;
        } else {
            qb_mo_err_add(&e, qb_mo_get(&c->y, out_at(c, o)), f);
        }
    }
    if (c->v.dtype == QB_INT8) {
        *max_err = worst;
        *ok = worst == 0;
    } else {
        *max_err = qb_mo_err_rel(&e);
        *ok = *max_err <= (c->v.dtype == QB_FP16 ? QB_MO_TOL_FP16 : QB_MO_TOL_FP32);
    }
    return QB_OK;
}

static int output(qb_op_instance *c, float *out)
{
    if (!c->nhwc) {
        qb_mo_to_float(&c->y, out);
        return QB_OK;
    }
    float *t = qb_big_alloc(c->y.n * sizeof *t, c->v.threads);
    if (!t) return qb_fail(QB_ENOMEM, "depthwise-conv: out of memory for the output");
    qb_mo_to_float(&c->y, t);
    const int rc = qb_lay_permute(t, out, (const size_t[4]){c->N, c->g.OH, c->g.OW, c->C}, (const int[4]){0, 3, 1, 2},
                                  sizeof *t); /* NHWC to NCHW */
    qb_big_free(t);
    return rc;
}

static int describe(qb_op_instance *c, cJSON *params)
{
    const char *isa = c->nhwc                 ? "avx512f"
                      : c->v.dtype == QB_FP32 ? "avx2+fma"
                      : c->v.dtype == QB_FP16 ? "avx2+fma+f16c"
                      : c->vnni               ? "avx512vnni"
                                              : "avx2";
    const char *mac = c->nhwc ? "u8 and s8 widened to float, products summed in float (exact: every partial "
                                "sum stays below 2^24), rounded to s32"
                      : c->vnni ? "u8 x s8 -> s32 with vpdpbusd, four taps per dword (exact)"
                                : "u8 x s8 -> s32 with vpmaddwd on int16 pairs (exact)";
    char int8[200];
    snprintf(int8, sizeof int8, "%s, requantized per channel %s", mac,
             c->v.policy == QB_POW2 ? "with a rounding shift" : "in float");
    int rc = qb_mo_describe(params, &c->v, isa, false, int8);
    if (!rc && c->v.dtype == QB_INT8 &&
        (!cJSON_AddStringToObject(
             params, "int16_guard",
             c->nhwc   ? "none needed: the sums are exact in float"
             : c->vnni ? "none needed: vpdpbusd sums in int32"
                       : "none needed: inputs widened to int16, vpmaddwd cannot saturate") ||
         !cJSON_AddStringToObject(params, "weights",
                                  c->v.gran == QB_PER_CHANNEL ? "s8 per channel, full range"
                                                              : "s8 per tensor, full range") ||
         !cJSON_AddNumberToObject(params, "weight_channel_spread", QB_OPS_WEIGHT_SPREAD)))
        rc = QB_ENOMEM;
    if (!rc && !cJSON_AddStringToObject(
                   params, "algorithm",
                   c->nhwc ? (c->g.R == 3 && c->g.S == 3 && c->g.st <= 2
                                  ? "channels-last (NHWC input converted once at creation, as a runtime keeps "
                                    "activations; output NHWC): 16 channels per zmm, the 9 taps' weights in "
                                    "registers, each input pixel loaded once per filter row for 8 output pixels "
                                    "(6 at stride 2)"
                                  : "channels-last (NHWC input converted once at creation, as a runtime keeps "
                                    "activations; output NHWC): 16 channels per zmm, 8 output pixels at a time")
                   : c->g.st == 1 ? "direct, padded plane per channel, vectorized along W"
                                  : "direct, padded plane per channel, scalar loops (stride > 1)"))
        rc = QB_ENOMEM;
    if (!rc && !cJSON_AddStringToObject(params, "ops_counted", "2 per multiply-add"))
        rc = QB_ENOMEM;
    return rc;
}

const qb_op_desc qb_op_depthwise_conv = {
    .name = "depthwise-conv",
    .klass = "memory",
    .summary = "depthwise 2-D convolution, NCHW, weights [C,1,R,S], bias",
    .shape_keys = "N,C,H,W,R,S,stride,pad",
    .default_shape = "1,32,112,112,3,3,1,1",
    .shape_source = "MobileNetV2 first bottleneck: 3x3 depthwise on 112x112x32, stride 1",
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
