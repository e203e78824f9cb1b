/* Element-wise activations: relu, relu6, tanh, sigmoid, swish.
 *
 * Operation count: 1 per element (the function applied once, whatever it
 * costs inside: exp, a division). Bytes: the input read and the output
 * written once; int8 adds both tensors' scale and zero point and, for the
 * lookup-table kinds, the 256-byte table.
 *
 * fp32 / fp16: AVX2 (eltwise_simd.h), fp16 as binary16 storage.
 * int8: relu and relu6 clamp the quantized bytes (the output keeps the
 * input's scale, so max(q, zp) and min(., quant(6)) are exact); tanh,
 * sigmoid and swish look each byte up in a 256-entry table of
 * quant(f(dequant(q))) with the output's scale calibrated on the fp32 output. */
#include "ops_memory.h"

#include "big_buf.h"
#include "eltwise_lut.h"
#include "eltwise_simd.h"
#include "error.h"
#include "ops_mem_util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_RELU, K_RELU6, K_TANH, K_SIGMOID, K_SWISH, K_COUNT } ukind;

static const char *const kname[K_COUNT] = {"relu", "relu6", "tanh", "sigmoid", "swish"};

struct qb_op_instance {
    qb_variant v;
    ukind k;
    bool nt, vbmi;
    qb_mo_tensor x, y;
    uint8_t lut[256];
    int32_t qlo, qhi; /* relu, relu6 int8: the clamp bounds */
};

/* The reference functions in double. */
static double r_relu(double x)
{
    return x > 0 ? x : 0;
}
static double r_relu6(double x)
{
    return x < 0 ? 0 : x > 6 ? 6 : x;
}
static double r_tanh(double x)
{
    return tanh(x);
}
static double r_sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}
static double r_swish(double x)
{
    return x / (1.0 + exp(-x));
}
static double (*const rfun[K_COUNT])(double) = {r_relu, r_relu6, r_tanh, r_sigmoid, r_swish};

/* fp32 and fp16 loops for one vector function; the tail goes through the
 * same function on a zero-padded vector. */
#define UNARY_LOOPS(name, VF)                                                                      \
    static void f32_##name(const float *x, float *y, size_t n, int nt)                             \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + 16 <= n; i += 16) {                                                             \
            qb_v_stps(y + i, VF(_mm256_loadu_ps(x + i)), nt);                                      \
            qb_v_stps(y + i + 8, VF(_mm256_loadu_ps(x + i + 8)), nt);                              \
        }                                                                                          \
        for (; i < n; i += 8) {                                                                    \
            float b[8] = {0};                                                                      \
            const size_t m = n - i < 8 ? n - i : 8;                                                \
            memcpy(b, x + i, m * sizeof *b);                                                       \
            _mm256_storeu_ps(b, VF(_mm256_loadu_ps(b)));                                           \
            memcpy(y + i, b, m * sizeof *b);                                                       \
        }                                                                                          \
    }                                                                                              \
    static void f16_##name(const uint16_t *x, uint16_t *y, size_t n, int nt)                       \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + 16 <= n; i += 16)                                                               \
            qb_v_st16x2(y + i, VF(qb_v_ld16(x + i)), VF(qb_v_ld16(x + i + 8)), nt);                \
        for (; i < n; i += 8) {                                                                    \
            uint16_t b[8] = {0};                                                                   \
            const size_t m = n - i < 8 ? n - i : 8;                                                \
            memcpy(b, x + i, m * sizeof *b);                                                       \
            _mm_storeu_si128((__m128i *)b, qb_v_cvt16(VF(qb_v_ld16(b))));                          \
            memcpy(y + i, b, m * sizeof *b);                                                       \
        }                                                                                          \
    }

UNARY_LOOPS(relu, qb_v_relu)
UNARY_LOOPS(relu6, qb_v_relu6)
UNARY_LOOPS(tanh, qb_v_tanh)
UNARY_LOOPS(sigmoid, qb_v_sigmoid)
UNARY_LOOPS(swish, qb_v_swish)

typedef void (*f32_fn)(const float *, float *, size_t, int);
typedef void (*f16_fn)(const uint16_t *, uint16_t *, size_t, int);
static const f32_fn f32_of[K_COUNT] = {f32_relu, f32_relu6, f32_tanh, f32_sigmoid, f32_swish};
static const f16_fn f16_of[K_COUNT] = {f16_relu, f16_relu6, f16_tanh, f16_sigmoid, f16_swish};

/* Clamp quantized bytes to [lo, hi], signed or unsigned. */
static void i8_clamp(const uint8_t *x, uint8_t *y, size_t n, int32_t lo, int32_t hi, bool u8,
                     bool nt)
{
    const __m256i vlo = _mm256_set1_epi8((char)lo), vhi = _mm256_set1_epi8((char)hi);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(x + i));
        const __m256i r = u8 ? _mm256_min_epu8(_mm256_max_epu8(v, vlo), vhi)
                             : _mm256_min_epi8(_mm256_max_epi8(v, vlo), vhi);
        qb_v_st32(y + i, r, nt);
    }
    for (; i < n; i++) {
        const int32_t q = u8 ? x[i] : (int8_t)x[i];
        y[i] = (uint8_t)(q < lo ? lo : q > hi ? hi : q);
    }
}

static void run_span(const qb_op_instance *c, size_t lo, size_t hi)
{
    const size_t n = hi - lo;
    if (c->v.dtype == QB_FP32) {
        f32_of[c->k]((const float *)c->x.d + lo, (float *)c->y.d + lo, n, c->nt);
    } else if (c->v.dtype == QB_FP16) {
        f16_of[c->k]((const uint16_t *)c->x.d + lo, (uint16_t *)c->y.d + lo, n, c->nt);
    } else {
        const uint8_t *x = (const uint8_t *)c->x.d + lo;
        uint8_t *y = (uint8_t *)c->y.d + lo;
        if (c->k == K_RELU || c->k == K_RELU6)
            i8_clamp(x, y, n, c->qlo, c->qhi, c->x.u8, c->nt);
        else
            qb_lut8_apply(x, y, n, c->lut, c->vbmi, c->nt);
    }
}

static int run(qb_op_instance *c)
{
#pragma omp parallel num_threads(c->v.threads)
    {
        size_t lo, hi;
        qb_mo_span(c->x.n, omp_get_thread_num(), omp_get_num_threads(), 64, &lo, &hi);
        run_span(c, lo, hi);
    }
    if (c->nt) _mm_sfence();
    return QB_OK;
}

static int check(const qb_shape *s)
{
    size_t n;
    int rc = qb_mo_elems("activation", s, 4, &n);
    /* int8 keeps the float source, the output and a calibration buffer */
    return rc ? rc : qb_mo_mem_check("activation", 10.0 * (double)n);
}

static double ops(const qb_shape *s)
{
    return (double)s->v[0] * s->v[1] * s->v[2] * s->v[3];
}

static double bytes_of(ukind k, const qb_shape *s, const qb_variant *v)
{
    const double io = 2.0 * ops(s) * (double)qb_dtype_bytes(v->dtype);
    if (v->dtype != QB_INT8) return io;
    return io + 2 * 8.0 + (k == K_RELU || k == K_RELU6 ? 0 : 256.0);
}

static size_t output_elems(const qb_shape *s)
{
    return (size_t)ops(s);
}

static void destroy(qb_op_instance *c)
{
    if (!c) return;
    qb_mo_tensor_free(&c->x);
    qb_mo_tensor_free(&c->y);
    free(c);
}

/* int8 output params: the input's for relu and relu6, else calibrated on the
 * fp32 output of the same float inputs. */
static int int8_setup(qb_op_instance *c)
{
    const qb_qparams *in = &c->x.p;
    if (c->k == K_RELU || c->k == K_RELU6) {
        int rc = qb_mo_output(&c->y, c->x.n, &c->v, in);
        if (rc) return rc;
        c->qlo = in->zero_point[0];
        c->qhi = c->k == K_RELU
                     ? in->qmax
                     : qb_quant1(6.0f, in->scale[0], in->zero_point[0], in->qmin, in->qmax);
        return QB_OK;
    }
    float *yf = qb_big_alloc(c->x.n * sizeof *yf, c->v.threads);
    if (!yf) return qb_fail(QB_ENOMEM, "%s: out of memory for the calibration output", kname[c->k]);
#pragma omp parallel num_threads(c->v.threads)
    {
        size_t lo, hi;
        qb_mo_span(c->x.n, omp_get_thread_num(), omp_get_num_threads(), 64, &lo, &hi);
        f32_of[c->k](c->x.f + lo, yf + lo, hi - lo, 0);
    }
    qb_qparams op;
    int rc = qb_mo_qparams_of(yf, c->x.n, c->v.policy, &op);
    qb_big_free(yf);
    if (rc) return rc;
    rc = qb_mo_output(&c->y, c->x.n, &c->v, &op);
    qb_qparams_free(&op);
    if (rc) return rc;
    qb_lut8_build(c->lut, in, &c->y.p, rfun[c->k]);
    return QB_OK;
}

static int create_kind(ukind k, const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    *out = NULL;
    qb_op_instance *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = qb_mo_variant(kname[k], v, false, &c->v);
    if (rc) goto fail;
    c->k = k;
    const size_t n = output_elems(s);
    c->nt = qb_mo_nt((double)n * (double)qb_dtype_bytes(c->v.dtype));
    c->vbmi = c->v.dtype == QB_INT8 && k != K_RELU && k != K_RELU6 && qb_mo_use_vbmi(&c->v);
    /* inputs span relu6's clip point and the saturating parts of tanh and sigmoid */
    rc = qb_mo_input(&c->x, n, &c->v, 101, -8.0f, 8.0f);
    if (!rc) rc = c->v.dtype == QB_INT8 ? int8_setup(c) : qb_mo_output(&c->y, n, &c->v, NULL);
    if (rc) goto fail;
    *out = c;
    return QB_OK;
fail:
    destroy(c);
    return rc;
}

static int verify(qb_op_instance *c, double *max_err, bool *ok)
{
    const size_t n = c->x.n, ns = qb_mo_nverify(n);
    if (c->v.dtype == QB_INT8) {
        /* q_out = quant(f(dequant(q_in))) element by element, without the table */
        const qb_qparams *pi = &c->x.p, *po = &c->y.p;
        int32_t worst = 0;
        for (size_t j = 0; j < ns; j++) {
            const size_t i = qb_mo_sample(n, ns, j);
            const float x = qb_dequant1(qb_mo_q(&c->x, i), pi->scale[0], pi->zero_point[0]);
            const int32_t want = qb_quant1((float)rfun[c->k](x), po->scale[0], po->zero_point[0],
                                           po->qmin, po->qmax);
            const int32_t d = abs(qb_mo_q(&c->y, i) - want);
            if (d > worst) worst = d;
        }
        *max_err = worst;
        *ok = worst == 0;
        return QB_OK;
    }
    qb_mo_err e = {0};
    for (size_t j = 0; j < ns; j++) {
        const size_t i = qb_mo_sample(n, ns, j);
        qb_mo_err_add(&e, qb_mo_get(&c->y, i), rfun[c->k](qb_mo_get(&c->x, i)));
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

static int describe(qb_op_instance *c, cJSON *params)
{
    const bool clamp = c->k == K_RELU || c->k == K_RELU6;
    const char *isa = c->v.dtype == QB_FP32   ? "avx2+fma"
                      : c->v.dtype == QB_FP16 ? "avx2+fma+f16c"
                      : c->vbmi               ? "avx512vbmi"
                                              : "avx2";
    const char *int8 =
        c->k == K_RELU
            ? "max(q, zero point) on the quantized values; the output keeps the input's scale"
        : c->k == K_RELU6 ? "clamp(q, zero point, quant(6)) on the quantized values; the output "
                            "keeps the input's scale"
        : c->vbmi ? "256-entry table quant(f(dequant(q))), vpermi2b; output scale calibrated on "
                    "the fp32 output"
                  : "256-entry table quant(f(dequant(q))), 16 vpshufb; output scale calibrated on "
                    "the fp32 output";
    int rc = qb_mo_describe(params, &c->v, isa, c->nt, int8);
    if (!rc && !cJSON_AddStringToObject(params, "ops_counted", "1 per element")) rc = QB_ENOMEM;
    if (!rc && c->v.dtype != QB_INT8 && !clamp &&
        !cJSON_AddStringToObject(
            params, "function",
            "exp by a degree-7 polynomial, reciprocal by vrcpps and one Newton step"))
        rc = QB_ENOMEM;
    return rc;
}

#define UNARY_DESC(kind, var, sum)                                                                 \
    static int create_##var(const qb_shape *s, const qb_variant *v, qb_op_instance **out)          \
    {                                                                                              \
        return create_kind(kind, s, v, out);                                                       \
    }                                                                                              \
    static double bytes_##var(const qb_shape *s, const qb_variant *v)                              \
    {                                                                                              \
        return bytes_of(kind, s, v);                                                               \
    }                                                                                              \
    const qb_op_desc qb_op_##var = {                                                               \
        .name = #var,                                                                              \
        .klass = "memory",                                                                         \
        .summary = sum,                                                                            \
        .shape_keys = "N,C,H,W",                                                                   \
        .default_shape = "1,64,512,512",                                                           \
        .shape_source = "16 M elements: U-Net's first-stage feature map, 64 channels at 512x512",  \
        .per_channel = false,                                                                      \
        .check = check,                                                                            \
        .ops = ops,                                                                                \
        .bytes = bytes_##var,                                                                      \
        .create = create_##var,                                                                    \
        .run = run,                                                                                \
        .verify = verify,                                                                          \
        .destroy = destroy,                                                                        \
        .output_elems = output_elems,                                                              \
        .output = output,                                                                          \
        .describe = describe,                                                                      \
    };

UNARY_DESC(K_RELU, relu, "max(x, 0) element-wise")
UNARY_DESC(K_RELU6, relu6, "min(max(x, 0), 6) element-wise (MobileNet)")
UNARY_DESC(K_TANH, tanh, "tanh(x) element-wise")
UNARY_DESC(K_SIGMOID, sigmoid, "1 / (1 + exp(-x)) element-wise")
UNARY_DESC(K_SWISH, swish, "x * sigmoid(x) element-wise (SiLU)")
