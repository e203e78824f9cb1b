/* conv-transpose: 2-D transposed convolution (the upsampling of decoders and
 * GAN generators), NCHW, weights [C][K][R][S] as ONNX ConvTranspose, bias [K];
 * OH = (H-1)*stride - 2*pad + R. Per image, one GEMM computes every tap's
 * contribution, col[K*R*S][H*W] = W^T x, and col2im adds the taps into the
 * output (float, or int32 before one requantization for int8). */
#include "ops_compute.h"

#include "error.h"
#include "gemm.h"
#include "gemm_f16.h"
#include "ops_compute_util.h"
#include "pin.h"
#include "timer.h"

#include <cjson/cJSON.h>
#include <immintrin.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum { KN, KC, KH, KW, KK, KR, KS, KSTRIDE, KPAD };

struct qb_op_instance {
    qb_variant v;
    qb_gemm_isa isa;
    long N, C, H, W, K, R, S, st, pad, OH, OW;
    qb_gemm_ws *ws;
    float *x, *w, *bias, *y, *colf, *accf; /* accf: fp16's float sums of one image */
    uint16_t *xh, *wh, *yh;
    qb_cq_act act;
    int8_t *wq;
    qb_qparams wp, op;
    float *mult;
    int32_t *shift, *bias_q, *bias_col, *coli, *acci;
    uint8_t *yq;
    qb_mat wpk; /* W^T packed once at creation */
    char *planes; /* col2im: one output plane with rows widened by 2 pad (int32 or float sums) per thread */
    bool zmm;   /* col2im on AVX-512 */
};

static void dims(const qb_shape *s, long *OH, long *OW)
{
    *OH = (s->v[KH] - 1) * s->v[KSTRIDE] - 2 * s->v[KPAD] + s->v[KR];
    *OW = (s->v[KW] - 1) * s->v[KSTRIDE] - 2 * s->v[KPAD] + s->v[KS];
}

static int check(const qb_shape *s)
{
    static const char *const key[] = {"N", "C", "H", "W", "K", "R", "S", "stride", "pad"};
    static const long hi[] = {4096, 1L << 16, 1L << 16, 1L << 16, 1L << 16, 64, 64, 64, 64};
    for (int i = 0; i < 9; i++) {
        int rc = qb_cq_key_range("conv-transpose", key[i], s->v[i], i == KPAD ? 0 : 1, hi[i]);
        if (rc) return rc;
    }
    if (2 * s->v[KPAD] >= s->v[KR] || 2 * s->v[KPAD] >= s->v[KS])
        return qb_fail(QB_EINPUT, "conv-transpose: 2 * pad %ld must be smaller than the filter", s->v[KPAD]);
    long OH, OW;
    dims(s, &OH, &OW);
    const double in = (double)s->v[KN] * s->v[KC] * s->v[KH] * s->v[KW];
    const double wt = (double)s->v[KK] * s->v[KC] * s->v[KR] * s->v[KS];
    const double out = (double)s->v[KN] * s->v[KK] * OH * OW;
    const double col = (double)s->v[KK] * s->v[KR] * s->v[KS] * s->v[KH] * s->v[KW];
    /* col2im's planes, one a thread, on at most every CPU */
    const double planes = (double)OH * (double)(OW + 2 * s->v[KPAD]) * qb_cpu_count();
    return qb_cq_mem_check("conv-transpose", (in + wt + 2 * out + col + planes) * 4 * 1.5 + 64e6);
}

static double ops(const qb_shape *s)
{
    return 2.0 * s->v[KN] * s->v[KC] * s->v[KH] * s->v[KW] * s->v[KK] * s->v[KR] * s->v[KS];
}

static double bytes(const qb_shape *s, const qb_variant *v)
{
    long OH, OW;
    dims(s, &OH, &OW);
    const double e = (double)qb_dtype_bytes(v->dtype);
    const double in = (double)s->v[KN] * s->v[KC] * s->v[KH] * s->v[KW];
    const double wt = (double)s->v[KK] * s->v[KC] * s->v[KR] * s->v[KS];
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
    qb_gemm_packed_free(&c->wpk);
    void *bufs[] = {c->x, c->w, c->bias, c->y, c->colf, c->accf, c->xh, c->wh, c->yh, c->wq,
                    c->mult, c->shift, c->bias_q, c->bias_col, c->coli, c->acci, c->yq, c->planes};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    qb_cq_act_free(&c->act);
    qb_qparams_free(&c->wp);
    qb_qparams_free(&c->op);
    free(c);
}

/* Two filter columns s and s + 1 of stride 2 fill alternate outputs of a
 * row: row[2w] += a[w], row[2w + 1] += b[w] for w in [0, n), the row already
 * offset to column s, of int32 sums or (f32) float ones. Each output takes
 * one value, so the order of a float's sums does not change. AVX-512:
 * sixteen w a step, interleaved by two permutes of the values' bits. */
#define QB_ZMM __attribute__((target("avx512f")))
static QB_ZMM void pair_zmm(void *row, const void *a, const void *b, long n, bool f32)
{
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (long w = 0; w < n; w += 16) {
        const long m = n - w < 16 ? n - w : 16, m2 = 2 * m;
        const __mmask16 ka = (__mmask16)((1u << m) - 1);
        const __mmask16 k[2] = {(__mmask16)(m2 >= 16 ? 0xffffu : (1u << m2) - 1),
                                (__mmask16)(m2 <= 16 ? 0 : (1u << (m2 - 16)) - 1)};
        const __m512i va = _mm512_maskz_loadu_epi32(ka, (const int32_t *)a + w);
        const __m512i vb = _mm512_maskz_loadu_epi32(ka, (const int32_t *)b + w);
        const __m512i v[2] = {_mm512_permutex2var_epi32(va, lo, vb), _mm512_permutex2var_epi32(va, hi, vb)};
        for (int h = 0; h < 2; h++) {
            int32_t *o = (int32_t *)row + 2 * w + 16 * h;
            const __m512i old = _mm512_maskz_loadu_epi32(k[h], o);
            const __m512i sum = f32 ? _mm512_castps_si512(_mm512_add_ps(_mm512_castsi512_ps(old),
                                                                        _mm512_castsi512_ps(v[h])))
                                    : _mm512_add_epi32(old, v[h]);
            _mm512_mask_storeu_epi32(o, k[h], sum);
        }
    }
}

/* The output plane of channel k, each row widened by pad on both sides:
 * plane[oh][ow + pad] (ow from -pad to OW + pad - 1), so that every tap of
 * an output row lands inside it and none is clipped. It starts at the bias
 * and takes col[(k, r, s)][h][w] at oh = h*st - pad + r, ow = w*st - pad +
 * s, r then s in order, as the reference sums them; then its rows' OW middle
 * values go to out. The col planes are read in order, row after row. Stride
 * 2 adds two filter columns at once. */
#define COL2IM_PLANE(T, col, plane, bias0, out, c, k, zmm, f32)                                 \
    do {                                                                                           \
        const long HW_ = (c)->H * (c)->W, W_ = (c)->W, L_ = (c)->OW + 2 * (c)->pad;                \
        for (long i = 0; i < (c)->OH * L_; i++) (plane)[i] = (bias0);                              \
        for (long r = 0; r < (c)->R; r++) {                                                        \
            const T *cr = (col) + ((k) * (c)->R + r) * (c)->S * HW_;                               \
            long s = 0;                                                                            \
            if ((c)->st == 2)                                                                      \
                for (; s + 1 < (c)->S; s += 2) {                                                   \
                    for (long h = 0; h < (c)->H; h++) {                                            \
                        const long oh = 2 * h - (c)->pad + r;                                      \
                        if (oh < 0 || oh >= (c)->OH) continue;                                     \
                        const T *a = cr + s * HW_ + h * W_, *b = a + HW_;                          \
                        T *row = (plane) + oh * L_ + s;                                            \
                        if (zmm) {                                                                 \
                            pair_zmm(row, a, b, W_, f32);                                               \
                        } else {                                                                   \
                            for (long w = 0; w < W_; w++) {                                        \
                                row[2 * w] += a[w];                                                \
                                row[2 * w + 1] += b[w];                                            \
                            }                                                                      \
                        }                                                                          \
                    }                                                                              \
                }                                                                                  \
            for (; s < (c)->S; s++)                                                                \
                for (long h = 0; h < (c)->H; h++) {                                                \
                    const long oh = h * (c)->st - (c)->pad + r;                                    \
                    if (oh < 0 || oh >= (c)->OH) continue;                                         \
                    const T *a = cr + s * HW_ + h * W_;                                            \
                    T *row = (plane) + oh * L_ + s;                                                \
                    for (long w = 0; w < W_; w++) row[w * (c)->st] += a[w];                        \
                }                                                                                  \
        }                                                                                          \
        for (long oh = 0; oh < (c)->OH; oh++)                                                      \
            memcpy((out) + oh * (c)->OW, (plane) + oh * L_ + (c)->pad, (size_t)(c)->OW * sizeof *(out)); \
    } while (0)

/* One thread's col2im plane in bytes: OH rows of OW + 2 pad sums of 4
 * bytes, rounded up to whole cache lines so that no two threads write one
 * line. */
static size_t plane_bytes(const qb_op_instance *c)
{
    return ((size_t)(c->OH * (c->OW + 2 * c->pad)) * 4 + 63) / 64 * 64;
}

/* One run in dtype dt (fp32 output into yf). ns: NULL, or the nanoseconds
 * of the two phases (the GEMM into columns, the col2im with its epilogue),
 * added to. */
static int pass(qb_op_instance *c, qb_dtype dt, float *yf, double *ns)
{
    const long KRS = c->K * c->R * c->S, HW = c->H * c->W, P = c->OH * c->OW;
    qb_mat A = {.ld = KRS, .layout = QB_MAT_COLS}, B = {.ld = HW, .layout = QB_MAT_ROWS};
    qb_epilogue e = {.ldc = HW, .channel_is_row = true};
    if (dt == QB_FP32) A.p = c->w, A.type = QB_MAT_F32, B.type = QB_MAT_F32, e.kind = QB_EPI_F32, e.c = c->colf;
    else if (dt == QB_FP16) A.p = c->wh, A.type = QB_MAT_F16, B.type = QB_MAT_F16, e.kind = QB_EPI_F32, e.c = c->colf;
    else A.p = c->wq, A.type = QB_MAT_S8, B.type = QB_MAT_U8, e.kind = QB_EPI_S32, e.c = c->coli, e.bias_i32 = c->bias_col;
    qb_epilogue eo = {.ldc = P, .channel_is_row = true};
    if (dt == QB_INT8) {
        qb_cq_epilogue(&c->op, c->v.policy, &eo);
        eo.mult = c->mult;
        eo.shift = c->shift;
    }
    if (dt == c->v.dtype && c->wpk.p) A = c->wpk;
    const size_t in_img = (size_t)(c->C * HW), out_img = (size_t)(c->K * P);
    int rc = QB_OK;
    for (long n = 0; n < c->N && rc == QB_OK; n++) {
        B.p = dt == QB_FP32 ? (const void *)(c->x + n * in_img)
              : dt == QB_FP16 ? (const void *)(c->xh + n * in_img)
                              : (const void *)(c->act.q + n * in_img);
        const uint64_t t0 = ns ? qb_now_ns() : 0;
        rc = qb_gemm(c->ws, KRS, HW, c->C, &A, &B, &e, c->v.threads);
        if (rc) break;
        const uint64_t t1 = ns ? qb_now_ns() : 0;
        eo.c = c->yq + n * out_img;
#pragma omp parallel num_threads(c->v.threads)
        {
            void *plane = c->planes + (size_t)omp_get_thread_num() * plane_bytes(c);
#pragma omp for schedule(static)
            for (long k = 0; k < c->K; k++) {
                if (dt == QB_INT8) {
                    int32_t *acc = c->acci + k * P;
                    COL2IM_PLANE(int32_t, c->coli, (int32_t *)plane, c->bias_q[k], acc, c, k, c->zmm, false);
                    qb_epi_apply(&eo, acc, k, 0, P);
                } else {
                    float *acc = dt == QB_FP32 ? yf + n * out_img + k * P : c->accf + k * P;
                    COL2IM_PLANE(float, c->colf, (float *)plane, c->bias[k], acc, c, k, c->zmm, true);
                    if (dt == QB_FP16) qb_f32_to_f16_n(acc, c->yh + n * out_img + k * P, (size_t)P);
                }
            }
        }
        if (ns) {
            ns[0] += (double)(t1 - t0);
            ns[1] += (double)(qb_now_ns() - t1);
        }
    }
    return rc;
}

static int run(qb_op_instance *c)
{
    return pass(c, c->v.dtype, c->y, NULL);
}

static int phases(qb_op_instance *c, cJSON *params)
{
    double ns[QB_CQ_PHASE_REPS][QB_CQ_PHASE_MAX] = {{0}};
    for (int r = 0; r < QB_CQ_PHASE_REPS; r++) {
        const int rc = pass(c, c->v.dtype, c->y, ns[r]);
        if (rc) return rc;
    }
    static const char *const names[] = {"GEMM into columns [K*R*S x H*W x C]",
                                        "col2im: columns added into the output, with the epilogue"};
    const double ops[] = {2.0 * (double)(c->N * c->K * c->R * c->S) * (double)(c->H * c->W) * (double)c->C, 0};
    return qb_cq_phases_record(params, 2, names, ops, ns);
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
    const size_t nx = (size_t)(c->N * c->C * c->H * c->W), nw = (size_t)(c->K * c->C * c->R * c->S);
    const size_t ny = output_elems(s), ncol = (size_t)(c->K * c->R * c->S * c->H * c->W);
    const size_t P = (size_t)(c->OH * c->OW);
    c->x = malloc(nx * 4);
    c->w = malloc(nw * 4);
    c->bias = malloc((size_t)c->K * 4);
    c->colf = malloc(ncol * 4);
    c->planes = aligned_alloc(64, (size_t)v->threads * plane_bytes(c));
    c->zmm = qb_gemm_f32_zmm(c->isa);
    if (!c->x || !c->w || !c->bias || !c->colf || !c->planes) goto nomem;
    qb_cq_fill(c->x, nx, 41, -1.0f, 1.0f);
    qb_cq_fill(c->w, nw, 42, -1.0f, 1.0f);
    qb_cq_channel_spread(c->w, (size_t)c->C, (size_t)c->K, (size_t)(c->R * c->S)); /* w[C][K][R][S] */
    qb_cq_fill(c->bias, (size_t)c->K, 43, -0.5f, 0.5f);
    rc = qb_gemm_ws_create(v->threads, c->isa, &c->ws);
    if (rc) goto fail;
    if (v->dtype != QB_FP16) {
        c->y = malloc(ny * 4);
        if (!c->y) goto nomem;
    }
    if (v->dtype == QB_FP16) {
        c->xh = malloc(nx * 2);
        c->wh = malloc(nw * 2);
        c->yh = malloc(ny * 2);
        c->accf = malloc((size_t)c->K * P * 4);
        if (!c->xh || !c->wh || !c->yh || !c->accf) goto nomem;
        qb_f32_to_f16_n(c->x, c->xh, nx);
        qb_f32_to_f16_n(c->w, c->wh, nw);
    } else if (v->dtype == QB_INT8) {
        rc = pass(c, QB_FP32, c->y, NULL); /* calibrates the output scale */
        if (!rc) rc = qb_cq_act_quant(c->x, nx, v->policy, &c->act);
        if (rc) goto fail;
        const long KRS = c->K * c->R * c->S;
        c->wq = malloc(nw);
        c->mult = malloc((size_t)c->K * 4);
        c->shift = malloc((size_t)c->K * 4);
        c->bias_q = malloc((size_t)c->K * 4);
        c->bias_col = malloc((size_t)KRS * 4);
        c->coli = malloc(ncol * 4);
        c->acci = malloc((size_t)c->K * P * 4);
        c->yq = malloc(ny);
        if (!c->wq || !c->mult || !c->shift || !c->bias_q || !c->bias_col || !c->coli || !c->acci || !c->yq)
            goto nomem;
        /* per-channel: axis 1 of [C][K][R][S] is the output channel */
        const size_t wd[4] = {(size_t)c->C, (size_t)c->K, (size_t)c->R, (size_t)c->S};
        rc = qb_cq_weights(c->w, wd, 4, 1, v->gran, v->policy, c->isa, &c->wp, c->wq);
        if (!rc) rc = qb_cq_out_params(c->y, ny, v->policy, &c->op);
        if (rc) goto fail;
        /* the bias goes in once per output pixel; the zero-point compensation
         * once per tap, so it rides on the col rows */
        qb_cq_requant(&c->act, &c->wp, &c->op, (int)c->K, c->bias, NULL, c->mult, c->shift, c->bias_q);
        const size_t cd[2] = {(size_t)c->C, (size_t)KRS};
        qb_cq_wsum(c->wq, cd, 2, 1, c->bias_col);
        for (long m = 0; m < KRS; m++) c->bias_col[m] *= -c->act.za;
        free(c->y);
        c->y = NULL;
        free(c->colf);
        c->colf = NULL;
    }
    {
        const long KRS = c->K * c->R * c->S;
        const qb_mat_type t = v->dtype == QB_FP32 ? QB_MAT_F32 : v->dtype == QB_FP16 ? QB_MAT_F16 : QB_MAT_S8;
        const void *p = v->dtype == QB_FP32 ? (const void *)c->w : v->dtype == QB_FP16 ? (const void *)c->wh : (const void *)c->wq;
        const qb_mat w = {.p = p, .ld = KRS, .type = t, .layout = QB_MAT_COLS};
        rc = qb_gemm_pack_a(&w, KRS, c->C, &c->wpk);
        if (rc) goto fail;
    }
    *out = c;
    return QB_OK;
nomem:
    rc = qb_fail(QB_ENOMEM, "conv-transpose: out of memory for the buffers");
fail:
    destroy(c);
    return rc;
}

/* The input pixels and taps that reach output (oh, ow): h*st - pad + r = oh. */
#define TAPS(c, oh, ow, ...)                                                                       \
    for (long r = 0; r < (c)->R; r++) {                                                            \
        const long hh = (oh) + (c)->pad - r;                                                       \
        if (hh < 0 || hh % (c)->st || hh / (c)->st >= (c)->H) continue;                            \
        for (long s = 0; s < (c)->S; s++) {                                                        \
            const long ww = (ow) + (c)->pad - s;                                                   \
            if (ww < 0 || ww % (c)->st || ww / (c)->st >= (c)->W) continue;                        \
            const long h = hh / (c)->st, w = ww / (c)->st;                                         \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }

static int verify(qb_op_instance *c, double *max_err, bool *ok)
{
    const long P = c->OH * c->OW;
    const size_t ny = (size_t)(c->N * c->K * P);
    const size_t ns = qb_cq_nsample(ny, (double)(c->C * c->R * c->S));
    float *got = malloc(ns * 4), *want = malloc(ns * 4);
    if (!got || !want) {
        free(got);
        free(want);
        return qb_fail(QB_ENOMEM, "conv-transpose verify: out of memory");
    }
    qb_epilogue e = {.channel_is_row = true};
    if (c->v.dtype == QB_INT8) {
        qb_cq_epilogue(&c->op, c->v.policy, &e);
        e.mult = c->mult;
        e.shift = c->shift;
    }
    const bool sat = c->isa == QB_ISA_AVX2, half = c->v.dtype == QB_FP16;
    double err = 0;
    for (size_t j = 0; j < ns; j++) {
        const size_t o = qb_cq_sample(ny, ns, j);
        const long n = (long)o / (c->K * P), k = (long)o / P % c->K, oh = (long)o % P / c->OW, ow = (long)o % c->OW;
        if (c->v.dtype == QB_INT8) {
            /* per tap: the GEMM's dot product over channels in saturating pairs,
             * minus za * the tap's weight sum; then the bias, then requantize */
            int32_t acc = c->bias_q[k];
            TAPS(c, oh, ow, {
                int32_t pair = 0, ws = 0;
                for (long ci = 0; ci < c->C; ci++) {
                    const int32_t wv = c->wq[((ci * c->K + k) * c->R + r) * c->S + s];
                    pair += c->act.q[((n * c->C + ci) * c->H + h) * c->W + w] * wv;
                    ws += wv;
                    if (ci % 2 == 1 || ci == c->C - 1) {
                        acc += sat ? (pair > 32767 ? 32767 : pair < -32768 ? -32768 : pair) : pair;
                        pair = 0;
                    }
                }
                acc -= c->act.za * ws;
            });
            const int32_t q = qb_epi_requant(&e, k, acc);
            const int32_t g = qb_epi_signed(&e) ? ((int8_t *)c->yq)[o] : c->yq[o];
            if (abs(g - q) > err) err = abs(g - q);
        } else {
            double acc = c->bias[k];
            TAPS(c, oh, ow, {
                for (long ci = 0; ci < c->C; ci++) {
                    const size_t xi = (size_t)(((n * c->C + ci) * c->H + h) * c->W + w);
                    const size_t wi = (size_t)(((ci * c->K + k) * c->R + r) * c->S + s);
                    acc += (half ? (double)qb_f16_to_f32(c->xh[xi]) : c->x[xi]) *
                           (half ? (double)qb_f16_to_f32(c->wh[wi]) : c->w[wi]);
                }
            });
            want[j] = (float)acc;
            got[j] = half ? qb_f16_to_f32(c->yh[o]) : c->y[o];
        }
    }
    if (c->v.dtype != QB_INT8) err = qb_cq_rel_err(got, want, ns);
    free(got);
    free(want);
    *max_err = err;
    *ok = c->v.dtype == QB_INT8 ? err == 0 : err <= (half ? QB_CQ_TOL_FP16 : QB_CQ_TOL_FP32);
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
                                        c->zmm ? "GEMM of every tap (col = W^T x) then col2im plane by plane, stride-2 filter "
                                                 "columns in interleaved AVX-512 pairs; int8 sums in int32 and "
                                                 "requantizes once"
                                               : "GEMM of every tap (col = W^T x) then col2im plane by plane; int8 "
                                                 "sums in int32 and requantizes once"))
        rc = QB_ENOMEM;
    return rc;
}

const qb_op_desc qb_op_conv_transpose = {
    .name = "conv-transpose",
    .klass = "compute",
    .summary = "2-D transposed convolution (2x upsampling), NCHW, weights CKRS",
    .shape_keys = "N,C,H,W,K,R,S,stride,pad",
    .default_shape = "1,256,16,16,128,4,4,2,1",
    .shape_source = "DCGAN generator: 4x4 stride-2 upsampling 256->128, 16x16 -> 32x32",
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
    .phases = phases,
    .zero_keys = "pad",
};
