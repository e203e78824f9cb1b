/* cumsum: inclusive prefix sum along the last axis of [rows, cols].
 *
 * Operation count: 1 add per element. Bytes: the input read and the output
 * written once (int8: plus both tensors' scale and zero point).
 *
 * The scan works on four 8-lane vectors at a time: each is scanned in
 * registers (two shifted adds within 128-bit lanes, then the low lane's
 * total added to the high lane), and the running carry is added with one
 * dependent add per 32 elements. Float sums are thus formed in a different
 * order than a sequential loop: verify() allows 1e-4 relative for fp32.
 * int8 sums (q - zp) exactly in int32 (rows of at most 2^16 keep |sum| below
 * 2^24, where float conversion is exact) and requantizes each prefix with
 * quant.h's float form (sa/so) or, for pow2 scales, its rounding shift; the
 * output scale is calibrated on the fp32 cumsum of the same inputs. */
#include "ops_memory.h"

#include "big_buf.h"
#include "eltwise_simd.h"
#include "error.h"
#include "ops_mem_util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define CUMSUM_MAX_COLS 65536L
#define CUMSUM_TOL_FP32 1e-4

struct qb_op_instance {
    qb_variant v;
    size_t rows, cols;
    bool nt, shift;
    qb_mo_tensor x, y;
    float m; /* int8: sa / so */
    int k;   /* int8 pow2: the rounding shift */
};

/* ---- the in-register scans ---- */

static inline __m256 scan_ps(__m256 x)
{
    x = _mm256_add_ps(x, _mm256_castsi256_ps(_mm256_slli_si256(_mm256_castps_si256(x), 4)));
    x = _mm256_add_ps(x, _mm256_castsi256_ps(_mm256_slli_si256(_mm256_castps_si256(x), 8)));
    const __m256 t = _mm256_permute_ps(x, 0xFF);                 /* each lane's total */
    return _mm256_add_ps(x, _mm256_permute2f128_ps(t, t, 0x08)); /* low total into the high lane */
}

static inline __m256 last_ps(__m256 x) /* element 7 in every lane */
{
    return _mm256_permute_ps(_mm256_permute2f128_ps(x, x, 0x11), 0xFF);
}

static inline __m256i scan_epi32(__m256i x)
{
    x = _mm256_add_epi32(x, _mm256_slli_si256(x, 4));
    x = _mm256_add_epi32(x, _mm256_slli_si256(x, 8));
    const __m256i t = _mm256_shuffle_epi32(x, 0xFF);
    return _mm256_add_epi32(x, _mm256_permute2x128_si256(t, t, 0x08));
}

static inline __m256i last_epi32(__m256i x)
{
    return _mm256_shuffle_epi32(_mm256_permute2x128_si256(x, x, 0x11), 0xFF);
}

/* Four scanned vectors plus the carry; returns the new carry. */
static inline __m256 carry4_ps(__m256 s[4], __m256 c)
{
    const __m256 b0 = last_ps(s[0]), b1 = last_ps(s[1]), b2 = last_ps(s[2]), b3 = last_ps(s[3]);
    const __m256 c1 = _mm256_add_ps(c, b0), c2 = _mm256_add_ps(c1, b1), c3 = _mm256_add_ps(c2, b2);
    s[0] = _mm256_add_ps(s[0], c);
    s[1] = _mm256_add_ps(s[1], c1);
    s[2] = _mm256_add_ps(s[2], c2);
    s[3] = _mm256_add_ps(s[3], c3);
    return _mm256_add_ps(c3, b3);
}

static inline __m256i carry4_epi32(__m256i s[4], __m256i c)
{
    const __m256i b0 = last_epi32(s[0]), b1 = last_epi32(s[1]), b2 = last_epi32(s[2]),
                  b3 = last_epi32(s[3]);
    const __m256i c1 = _mm256_add_epi32(c, b0), c2 = _mm256_add_epi32(c1, b1),
                  c3 = _mm256_add_epi32(c2, b2);
    s[0] = _mm256_add_epi32(s[0], c);
    s[1] = _mm256_add_epi32(s[1], c1);
    s[2] = _mm256_add_epi32(s[2], c2);
    s[3] = _mm256_add_epi32(s[3], c3);
    return _mm256_add_epi32(c3, b3);
}

/* ---- rows ---- */

static void row_f32(const float *x, float *y, size_t n, int nt)
{
    __m256 c = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 s[4];
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            s[g] = scan_ps(_mm256_loadu_ps(x + i + 8 * g));
        c = carry4_ps(s, c);
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            qb_v_stps(y + i + 8 * g, s[g], nt);
    }
    float acc = _mm256_cvtss_f32(c);
    for (; i < n; i++)
        y[i] = acc += x[i];
}

static void row_f16(const uint16_t *x, uint16_t *y, size_t n, int nt)
{
    __m256 c = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 s[4];
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            s[g] = scan_ps(qb_v_ld16(x + i + 8 * g));
        c = carry4_ps(s, c);
        qb_v_st16x2(y + i, s[0], s[1], nt);
        qb_v_st16x2(y + i + 16, s[2], s[3], nt);
    }
    float acc = _mm256_cvtss_f32(c);
    for (; i < n; i++) {
        acc += _cvtsh_ss(x[i]);
        y[i] = (uint16_t)_cvtss_sh(acc, _MM_FROUND_TO_NEAREST_INT);
    }
}

/* One int8 prefix requantized: the reference arithmetic (quant.h). */
static int32_t rq1(const qb_op_instance *c, int32_t acc)
{
    const qb_qparams *o = &c->y.p;
    return c->shift ? qb_requant_shift(acc, c->k, o->zero_point[0], o->qmin, o->qmax)
                    : qb_requant_float(acc, c->m, o->zero_point[0], o->qmin, o->qmax);
}

static void row_i8(const qb_op_instance *c, const uint8_t *x, uint8_t *y, size_t n, int nt)
{
    /* parameters in locals: the vector stores may alias any memory */
    const bool u8 = c->x.u8, shift = c->shift;
    const int k = c->k;
    const int32_t zo = c->y.p.zero_point[0], qmin = c->y.p.qmin, qmax = c->y.p.qmax;
    const __m256i za = _mm256_set1_epi32(c->x.p.zero_point[0]);
    const qb_v_rq rq = qb_v_rq_make(zo, qmin, qmax);
    const __m256 m = _mm256_set1_ps(c->m);
    __m256i carry = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i s[4];
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            s[g] = scan_epi32(_mm256_sub_epi32(qb_v_widen8(x + i + 8 * g, u8), za));
        carry = carry4_epi32(s, carry);
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            s[g] = shift ? qb_v_shift_rq(s[g], k, zo, qmin, qmax)
                         : qb_v_rq_apply(&rq, _mm256_mul_ps(_mm256_cvtepi32_ps(s[g]), m));
        qb_v_st32(y + i, qb_v_pack4(s[0], s[1], s[2], s[3], u8), nt);
    }
    int32_t acc = _mm256_cvtsi256_si32(carry);
    for (; i < n; i++) {
        acc += (u8 ? x[i] : (int8_t)x[i]) - c->x.p.zero_point[0];
        y[i] = (uint8_t)rq1(c, acc);
    }
}

static void run_rows(const qb_op_instance *c, size_t r0, size_t r1, bool nt)
{
    const size_t L = c->cols;
    for (size_t r = r0; r < r1; r++) {
        if (c->v.dtype == QB_FP32)
            row_f32((const float *)c->x.d + r * L, (float *)c->y.d + r * L, L, nt);
        else if (c->v.dtype == QB_FP16)
            row_f16((const uint16_t *)c->x.d + r * L, (uint16_t *)c->y.d + r * L, L, nt);
        else
            row_i8(c, (const uint8_t *)c->x.d + r * L, (uint8_t *)c->y.d + r * L, L, nt);
    }
}

static int run(qb_op_instance *c)
{
#pragma omp parallel num_threads(c->v.threads)
    {
        size_t lo, hi;
        qb_mo_span(c->rows, omp_get_thread_num(), omp_get_num_threads(), 1, &lo, &hi);
        run_rows(c, lo, hi, c->nt);
    }
    if (c->nt) _mm_sfence();
    return QB_OK;
}

static int check(const qb_shape *s)
{
    size_t n;
    int rc = qb_mo_elems("cumsum", s, 2, &n);
    if (!rc) rc = qb_mo_key_range("cumsum", "cols", s->v[1], 1, CUMSUM_MAX_COLS);
    return rc ? rc : qb_mo_mem_check("cumsum", 10.0 * (double)n);
}

static double ops(const qb_shape *s)
{
    return (double)s->v[0] * (double)s->v[1];
}

static double bytes(const qb_shape *s, const qb_variant *v)
{
    return 2.0 * ops(s) * (double)qb_dtype_bytes(v->dtype) + (v->dtype == QB_INT8 ? 2 * 8.0 : 0);
}

static size_t output_elems(const qb_shape *s)
{
    return (size_t)s->v[0] * (size_t)s->v[1];
}

static void destroy(qb_op_instance *c)
{
    if (!c) return;
    qb_mo_tensor_free(&c->x);
    qb_mo_tensor_free(&c->y);
    free(c);
}

static int int8_setup(qb_op_instance *c)
{
    const size_t n = c->x.n, L = c->cols;
    float *yf = qb_big_alloc(n * sizeof *yf, c->v.threads);
    if (!yf) return qb_fail(QB_ENOMEM, "cumsum: out of memory for the calibration output");
#pragma omp parallel for num_threads(c->v.threads) schedule(static)
    for (size_t r = 0; r < c->rows; r++)
        row_f32(c->x.f + r * L, yf + r * L, L, 0);
    qb_qparams op;
    int rc = qb_mo_qparams_of(yf, n, c->v.policy, &op);
    qb_big_free(yf);
    if (rc) return rc;
    rc = qb_mo_output(&c->y, n, &c->v, &op);
    qb_qparams_free(&op);
    if (rc) return rc;
    c->m = (float)((double)c->x.p.scale[0] / (double)c->y.p.scale[0]);
    c->shift = c->v.policy == QB_POW2;
    c->k = c->x.p.shift[0] - c->y.p.shift[0]; /* sa/so = 2^-(ka - ko) */
    return QB_OK;
}

static int create(const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    *out = NULL;
    qb_op_instance *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = qb_mo_variant("cumsum", v, false, &c->v);
    if (rc) goto fail;
    c->rows = (size_t)s->v[0];
    c->cols = (size_t)s->v[1];
    const size_t n = c->rows * c->cols, esz = qb_dtype_bytes(c->v.dtype);
    c->nt = qb_mo_nt((double)n * (double)esz) && (c->cols * esz) % 32 == 0;
    rc = qb_mo_input(&c->x, n, &c->v, 401, -1.0f, 1.0f);
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
    const size_t L = c->cols, budget = qb_mo_nverify(c->x.n);
    const size_t nr = budget / L < 1 ? 1 : budget / L < c->rows ? budget / L : c->rows;
    qb_mo_err fe = {0};
    int32_t worst = 0;
    for (size_t j = 0; j < nr; j++) {
        const size_t base = qb_mo_sample(c->rows, nr, j) * L;
        double acc = 0;
        int32_t iacc = 0;
        for (size_t i = 0; i < L; i++) {
            if (c->v.dtype == QB_INT8) {
                iacc += qb_mo_q(&c->x, base + i) - c->x.p.zero_point[0];
                const int32_t d = abs(qb_mo_q(&c->y, base + i) - rq1(c, iacc));
                worst = d > worst ? d : worst;
            } else {
                acc += qb_mo_get(&c->x, base + i);
                qb_mo_err_add(&fe, qb_mo_get(&c->y, base + i), acc);
            }
        }
    }
    if (c->v.dtype == QB_INT8) {
        *max_err = worst;
        *ok = worst == 0;
    } else {
        *max_err = qb_mo_err_rel(&fe);
        *ok = *max_err <= (c->v.dtype == QB_FP16 ? QB_MO_TOL_FP16 : CUMSUM_TOL_FP32);
    }
    return QB_OK;
}

static int output(qb_op_instance *c, float *out)
{
    qb_mo_to_float(&c->y, out);
    return QB_OK;
}

static int describe(qb_op_instance *c, cJSON *params)
{
    const char *isa = c->v.dtype == QB_FP16 ? "avx2+f16c" : "avx2";
    int rc = qb_mo_describe(
        params, &c->v, isa, c->nt,
        c->shift
            ? "exact int32 prefix sums of q - zp, requantized with a rounding shift (pow2 scales)"
            : "exact int32 prefix sums of q - zp, requantized in float by sa/so; output scale "
              "calibrated on the fp32 output");
    if (!rc && !cJSON_AddStringToObject(params, "ops_counted", "1 add per element")) rc = QB_ENOMEM;
    return rc;
}

const qb_op_desc qb_op_cumsum = {
    .name = "cumsum",
    .klass = "memory",
    .summary = "inclusive prefix sum along the last axis of [rows, cols]",
    .shape_keys = "rows,cols",
    .default_shape = "512,32000",
    .shape_source = "top-p sampling: cumulative probabilities over a 32000-token vocabulary "
                    "(LLaMA) for 512 sequences (16.4 M elements)",
    .per_channel = false,
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
};
