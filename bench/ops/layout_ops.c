/* The layout operators: slice, transpose, permute, concat, shuffle.
 *
 * Operation count: 0 (pure data movement; bandwidth is their measure).
 * Bytes: every output element written once and the input element it comes
 * from read once (a slice reads only what it keeps); int8 adds the scale and
 * zero point.
 *
 * They move values without changing them, so every dtype is moved as raw
 * 4-, 2- or 1-byte elements and int8 works on the quantized values directly:
 * the output keeps the input's scale and zero point. concat's two inputs
 * share one scale and zero point, chosen on both (TFLite's int8 spec
 * requires the same for concatenation), so it copies too. verify() checks
 * every element bit for bit against a scalar index computation. */
#include "ops_memory.h"

#include "big_buf.h"
#include "error.h"
#include "layout_kern.h"
#include "layout_plan.h"
#include "ops_mem_util.h"

#include <cjson/cJSON.h>
#include <immintrin.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef enum { L_SLICE, L_TRANSPOSE, L_PERMUTE, L_CONCAT, L_SHUFFLE, L_COUNT } lkind;

static const char *const lname[L_COUNT] = {"slice", "transpose", "permute", "concat", "shuffle"};

struct qb_op_instance {
    qb_variant v;
    lkind k;
    long s[QB_SHAPE_MAX];
    size_t esz;
    bool nt;
    int nin;
    qb_mo_tensor in[2], y;
    qb_lay_plan plan;
    unsigned char *tmp; /* QB_LAY_TMP_BYTES of scratch per thread */
};

/* ---- shapes ---- */

enum { SN, SC, SH, SW, SC0, SH0, SW0, SCS, SHS, SWS }; /* slice */
enum { TB, TM, TN };                                   /* transpose */
enum { PN, PC, PH, PW, PP0 };                          /* permute: dims, then perm */
enum { CN, CC1, CC2, CH, CW };                         /* concat */
enum { HN, HC, HH, HW, HG };                           /* shuffle */

static size_t in_elems(lkind k, const long *s, int which)
{
    switch (k) {
    case L_SLICE:
        return (size_t)(s[SN] * s[SC] * s[SH] * s[SW]);
    case L_TRANSPOSE:
        return (size_t)(s[TB] * s[TM] * s[TN]);
    case L_PERMUTE:
        return (size_t)(s[PN] * s[PC] * s[PH] * s[PW]);
    case L_CONCAT:
        return (size_t)(s[CN] * (which ? s[CC2] : s[CC1]) * s[CH] * s[CW]);
    default:
        return (size_t)(s[HN] * s[HC] * s[HH] * s[HW]);
    }
}

static size_t out_elems(lkind k, const long *s)
{
    if (k == L_SLICE) return (size_t)(s[SN] * s[SCS] * s[SHS] * s[SWS]);
    if (k == L_CONCAT) return in_elems(k, s, 0) + in_elems(k, s, 1);
    return in_elems(k, s, 0);
}

static int check_kind(lkind k, const qb_shape *sh)
{
    const char *op = lname[k];
    const long *s = sh->v;
    size_t n;
    /* concat's keys are not one tensor's dims: its sizes are checked below */
    int rc = k == L_CONCAT ? QB_OK : qb_mo_elems(op, sh, k == L_TRANSPOSE ? 3 : 4, &n);
    if (rc) return rc;
    if (k == L_CONCAT) {
        rc = qb_mo_key_range(op, "C1", s[CC1], 1, 1L << 30);
        if (!rc) rc = qb_mo_key_range(op, "C2", s[CC2], 1, 1L << 30);
        if (!rc && (double)s[CN] * (double)(s[CC1] + s[CC2]) * (double)s[CH] * (double)s[CW] >
                       (double)(1LL << 34))
            rc = qb_fail(QB_EINPUT,
                         "concat: the output is absurdly large (more than 2^34 elements)");
    } else if (k == L_SLICE) {
        static const char *const key[] = {"c0", "h0", "w0", "Cs", "Hs", "Ws"};
        static const char *const dim[] = {"C", "H", "W"};
        for (int i = 0; i < 3 && !rc; i++)
            if (s[SC0 + i] + s[SCS + i] > s[SC + i])
                rc = qb_fail(QB_EINPUT, "slice: %s + %s = %ld is beyond %s = %ld", key[i],
                             key[i + 3], s[SC0 + i] + s[SCS + i], dim[i], s[SC + i]);
    } else if (k == L_PERMUTE) {
        int seen = 0;
        for (int j = 0; j < 4; j++)
            if (s[PP0 + j] <= 3) seen |= 1 << s[PP0 + j];
        if (seen != 15)
            rc = qb_fail(QB_EINPUT,
                         "permute: p0..p3 = %ld,%ld,%ld,%ld is not a permutation of 0,1,2,3",
                         s[PP0], s[PP0 + 1], s[PP0 + 2], s[PP0 + 3]);
    } else if (k == L_SHUFFLE) {
        if (s[HC] % s[HG] != 0)
            rc = qb_fail(QB_EINPUT, "shuffle: C = %ld is not a multiple of G = %ld", s[HC], s[HG]);
    }
    if (rc) return rc;
    double e = 0;
    for (int w = 0; w < (k == L_CONCAT ? 2 : 1); w++)
        e += (double)in_elems(k, s, w);
    /* float source and int8 copy of the inputs, a calibration copy, the output */
    return qb_mo_mem_check(op, 9.0 * e + 4.0 * (double)out_elems(k, s));
}

/* ---- the row sources of the rows plans ---- */

static size_t slice_row(const void *ctx, size_t r, int *which)
{
    const long *s = ctx;
    const size_t h = r % (size_t)s[SHS], c = r / (size_t)s[SHS] % (size_t)s[SCS],
                 n = r / (size_t)(s[SHS] * s[SCS]);
    *which = 0;
    return ((n * (size_t)s[SC] + (size_t)s[SC0] + c) * (size_t)s[SH] + (size_t)s[SH0] + h) *
               (size_t)s[SW] +
           (size_t)s[SW0];
}

static size_t concat_row(const void *ctx, size_t r, int *which)
{
    const long *s = ctx;
    const size_t C = (size_t)(s[CC1] + s[CC2]), c = r % C, n = r / C, hw = (size_t)(s[CH] * s[CW]);
    *which = c >= (size_t)s[CC1];
    return *which ? (n * (size_t)s[CC2] + c - (size_t)s[CC1]) * hw : (n * (size_t)s[CC1] + c) * hw;
}

/* Output channel co = k G + g holds input channel g (C/G) + k. */
static size_t shuffle_row(const void *ctx, size_t r, int *which)
{
    const long *s = ctx;
    const size_t C = (size_t)s[HC], G = (size_t)s[HG], co = r % C, n = r / C;
    *which = 0;
    return (n * C + co % G * (C / G) + co / G) * (size_t)(s[HH] * s[HW]);
}

static void make_plan(qb_op_instance *c)
{
    const long *s = c->s;
    if (c->k == L_TRANSPOSE || c->k == L_PERMUTE) {
        size_t d[4];
        int p[4];
        if (c->k == L_TRANSPOSE) {
            const size_t dd[4] = {1, (size_t)s[TB], (size_t)s[TM], (size_t)s[TN]};
            const int pp[4] = {0, 1, 3, 2};
            memcpy(d, dd, sizeof d);
            memcpy(p, pp, sizeof p);
        } else {
            for (int j = 0; j < 4; j++) {
                d[j] = (size_t)s[PN + j];
                p[j] = (int)s[PP0 + j];
            }
        }
        qb_lay_plan_permute(d, p, c->esz, &c->plan);
    } else if (c->k == L_SLICE) {
        qb_lay_plan_rows((size_t)(s[SN] * s[SCS] * s[SHS]), (size_t)s[SWS], c->esz, slice_row, c->s,
                         &c->plan);
    } else if (c->k == L_CONCAT) {
        qb_lay_plan_rows((size_t)(s[CN] * (s[CC1] + s[CC2])), (size_t)(s[CH] * s[CW]), c->esz,
                         concat_row, c->s, &c->plan);
    } else {
        qb_lay_plan_rows((size_t)(s[HN] * s[HC]), (size_t)(s[HH] * s[HW]), c->esz, shuffle_row,
                         c->s, &c->plan);
    }
}

/* ---- the reference: output element i from scalar index arithmetic ---- */

static size_t ref_src(const qb_op_instance *c, size_t i, int *which)
{
    const long *s = c->s;
    *which = 0;
    switch (c->k) {
    case L_SLICE: {
        const size_t w = i % (size_t)s[SWS], h = i / (size_t)s[SWS] % (size_t)s[SHS];
        const size_t ch = i / (size_t)(s[SWS] * s[SHS]) % (size_t)s[SCS],
                     n = i / (size_t)(s[SWS] * s[SHS] * s[SCS]);
        return ((n * (size_t)s[SC] + (size_t)s[SC0] + ch) * (size_t)s[SH] + (size_t)s[SH0] + h) *
                   (size_t)s[SW] +
               (size_t)s[SW0] + w;
    }
    case L_TRANSPOSE: { /* out [B, N, M] */
        const size_t m = i % (size_t)s[TM], j = i / (size_t)s[TM] % (size_t)s[TN],
                     b = i / (size_t)(s[TM] * s[TN]);
        return (b * (size_t)s[TM] + m) * (size_t)s[TN] + j;
    }
    case L_PERMUTE: {
        size_t idx[4], rem = i;
        for (int j = 3; j >= 0; j--) {
            const size_t od = (size_t)s[PN + s[PP0 + j]];
            idx[s[PP0 + j]] = rem % od;
            rem /= od;
        }
        return ((idx[0] * (size_t)s[PC] + idx[1]) * (size_t)s[PH] + idx[2]) * (size_t)s[PW] +
               idx[3];
    }
    case L_CONCAT: {
        const size_t hw = (size_t)(s[CH] * s[CW]), C = (size_t)(s[CC1] + s[CC2]);
        const size_t p = i % hw, ch = i / hw % C, n = i / (hw * C);
        *which = ch >= (size_t)s[CC1];
        return (*which ? n * (size_t)s[CC2] + ch - (size_t)s[CC1] : n * (size_t)s[CC1] + ch) * hw +
               p;
    }
    default: {
        const size_t hw = (size_t)(s[HH] * s[HW]), C = (size_t)s[HC], G = (size_t)s[HG];
        const size_t p = i % hw, co = i / hw % C, n = i / (hw * C);
        const size_t g = co % G, k = co / G;
        return (n * C + g * (C / G) + k) * hw + p;
    }
    }
}

/* ---- the op ---- */

static int run(qb_op_instance *c)
{
    const void *src[2] = {c->in[0].d, c->nin > 1 ? c->in[1].d : NULL};
#pragma omp parallel num_threads(c->v.threads)
    {
        const int t = omp_get_thread_num();
        qb_lay_exec(&c->plan, src, c->y.d, c->nt, c->tmp + (size_t)t * QB_LAY_TMP_BYTES, t,
                    omp_get_num_threads());
    }
    if (c->nt) _mm_sfence();
    return QB_OK;
}

static void destroy(qb_op_instance *c)
{
    if (!c) return;
    for (int w = 0; w < 2; w++)
        qb_mo_tensor_free(&c->in[w]);
    qb_mo_tensor_free(&c->y);
    qb_big_free(c->tmp);
    free(c);
}

/* concat: one scale and zero point for both inputs, chosen on both. */
static int concat_inputs(qb_op_instance *c)
{
    for (int w = 0; w < 2; w++) {
        qb_mo_tensor *t = &c->in[w];
        t->n = in_elems(c->k, c->s, w);
        t->f = qb_big_alloc(t->n * sizeof *t->f, c->v.threads);
        if (!t->f) return qb_fail(QB_ENOMEM, "concat: out of memory for the inputs");
        qb_mo_fill(t->f, t->n, 502 + (uint64_t)w, -4.0f, 4.0f, c->v.threads);
    }
    qb_qparams p = {0};
    int rc = QB_OK;
    if (c->v.dtype == QB_INT8) {
        /* the range of both inputs, as if they were one tensor */
        float lo[2], hi[2];
        rc = qb_mo_extremes(c->in[0].f, c->in[0].n, &lo[0], &hi[0]);
        if (!rc) rc = qb_mo_extremes(c->in[1].f, c->in[1].n, &lo[1], &hi[1]);
        if (!rc)
            rc = qb_mo_qparams_range(lo[0] < lo[1] ? lo[0] : lo[1], hi[0] > hi[1] ? hi[0] : hi[1], c->v.policy, &p);
    }
    for (int w = 0; w < 2 && !rc; w++)
        rc = qb_mo_input_convert(&c->in[w], &c->v, c->v.dtype == QB_INT8 ? &p : NULL);
    qb_qparams_free(&p);
    return rc;
}

static int create_kind(lkind k, const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    *out = NULL;
    qb_op_instance *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = qb_mo_variant(lname[k], v, false, &c->v);
    if (rc) goto fail;
    c->k = k;
    memcpy(c->s, s->v, sizeof c->s);
    c->esz = qb_dtype_bytes(c->v.dtype);
    c->nin = k == L_CONCAT ? 2 : 1;
    const size_t n = out_elems(k, c->s);
    c->nt = qb_mo_nt((double)n * (double)c->esz);
    c->tmp = qb_big_alloc((size_t)c->v.threads * QB_LAY_TMP_BYTES, 1);
    if (!c->tmp) {
        rc = qb_fail(QB_ENOMEM, "%s: out of memory", lname[k]);
        goto fail;
    }
    rc = k == L_CONCAT ? concat_inputs(c)
                       : qb_mo_input(&c->in[0], in_elems(k, c->s, 0), &c->v, 501, -4.0f, 4.0f);
    if (!rc) rc = qb_mo_output(&c->y, n, &c->v, c->v.dtype == QB_INT8 ? &c->in[0].p : NULL);
    if (rc) goto fail;
    make_plan(c);
    *out = c;
    return QB_OK;
fail:
    destroy(c);
    return rc;
}

static int verify(qb_op_instance *c, double *max_err, bool *ok)
{
    const size_t n = c->y.n, ns = qb_mo_nverify(n);
    qb_mo_err e = {0};
    int32_t worst = 0;
    for (size_t j = 0; j < ns; j++) {
        const size_t i = qb_mo_sample(n, ns, j);
        int w;
        const size_t si = ref_src(c, i, &w);
        if (c->v.dtype == QB_INT8) {
            const int32_t d = abs(qb_mo_q(&c->y, i) - qb_mo_q(&c->in[w], si));
            worst = d > worst ? d : worst;
        } else {
            qb_mo_err_add(&e, qb_mo_get(&c->y, i), qb_mo_get(&c->in[w], si));
        }
    }
    *max_err = c->v.dtype == QB_INT8 ? worst : qb_mo_err_rel(&e);
    *ok = *max_err == 0; /* moved values are exact */
    return QB_OK;
}

static int output(qb_op_instance *c, float *out)
{
    qb_mo_to_float(&c->y, out);
    return QB_OK;
}

static int describe(qb_op_instance *c, cJSON *params)
{
    const char *how =
        c->plan.transpose ? "blocked transpose (8x8 / 16x16 register tiles)" : "row copies";
    int rc = qb_mo_describe(
        params, &c->v, c->v.dtype == QB_FP32 ? "avx" : "sse2+avx", c->nt,
        "moves the quantized bytes; the output keeps the input's scale and zero point");
    if (!rc && (!cJSON_AddStringToObject(params, "movement", how) ||
                !cJSON_AddStringToObject(params, "ops_counted", "0 (pure data movement)")))
        rc = QB_ENOMEM;
    return rc;
}

static double ops(const qb_shape *s)
{
    (void)s;
    return 0;
}

static size_t output_elems_of(lkind k, const qb_shape *s)
{
    return out_elems(k, s->v);
}

static double bytes_of(lkind k, const qb_shape *s, const qb_variant *v)
{
    return 2.0 * (double)out_elems(k, s->v) * (double)qb_dtype_bytes(v->dtype) +
           (v->dtype == QB_INT8 ? 8.0 : 0);
}

#define LAYOUT_DESC(kind, var, sum, keys, zero, def, src)                                          \
    static int check_##var(const qb_shape *s)                                                      \
    {                                                                                              \
        return check_kind(kind, s);                                                                \
    }                                                                                              \
    static int create_##var(const qb_shape *s, const qb_variant *v, qb_op_instance **out)          \
    {                                                                                              \
        return create_kind(kind, s, v, out);                                                       \
    }                                                                                              \
    static double bytes_##var(const qb_shape *s, const qb_variant *v)                              \
    {                                                                                              \
        return bytes_of(kind, s, v);                                                               \
    }                                                                                              \
    static size_t oelems_##var(const qb_shape *s)                                                  \
    {                                                                                              \
        return output_elems_of(kind, s);                                                           \
    }                                                                                              \
    const qb_op_desc qb_op_##var = {                                                               \
        .name = #var,                                                                              \
        .klass = "memory",                                                                         \
        .summary = sum,                                                                            \
        .shape_keys = keys,                                                                        \
        .default_shape = def,                                                                      \
        .shape_source = src,                                                                       \
        .per_channel = false,                                                                      \
        .check = check_##var,                                                                      \
        .ops = ops,                                                                                \
        .bytes = bytes_##var,                                                                      \
        .create = create_##var,                                                                    \
        .run = run,                                                                                \
        .verify = verify,                                                                          \
        .destroy = destroy,                                                                        \
        .output_elems = oelems_##var,                                                              \
        .output = output,                                                                          \
        .describe = describe,                                                                      \
        .zero_keys = zero,                                                                         \
    };

LAYOUT_DESC(L_SLICE, slice, "crop [N,C,H,W] to [N,Cs,Hs,Ws] from offset (c0,h0,w0)",
            "N,C,H,W,c0,h0,w0,Cs,Hs,Ws", "c0,h0,w0", "1,64,568,568,0,88,88,64,392,392",
            "U-Net's copy-and-crop: 64x568x568 cropped to 64x392x392 (9.8 M elements out)")
LAYOUT_DESC(L_TRANSPOSE, transpose, "swap the last two axes: [B,M,N] -> [B,N,M]", "B,M,N", NULL,
            "1,4096,4096", "16 M elements: a 4096x4096 matrix (64 MiB in fp32, far past the L3)")
LAYOUT_DESC(
    L_PERMUTE, permute, "any permutation of 4 axes: output axis j is input axis pj",
    "N,C,H,W,p0,p1,p2,p3", "p0,p1,p2,p3", "1,64,512,512,0,2,3,1",
    "NCHW -> NHWC of U-Net's first-stage feature map, 64 channels at 512x512 (16 M elements)")
LAYOUT_DESC(L_CONCAT, concat, "concatenate [N,C1,H,W] and [N,C2,H,W] along channels", "N,C1,C2,H,W",
            NULL, "1,32,32,512,512",
            "U-Net-style decoder concat: 32 + 32 channels at 512x512 (16 M elements out)")
LAYOUT_DESC(L_SHUFFLE, shuffle, "channel shuffle: [N,G,C/G,H,W] -> [N,C/G,G,H,W] (ShuffleNet)",
            "N,C,H,W,G", NULL, "1,240,128,256,3",
            "ShuffleNet v1 (g=3) stage 2: 240 channels at stride 8 of a 1024x2048 Cityscapes frame "
            "(7.9 M elements)")
