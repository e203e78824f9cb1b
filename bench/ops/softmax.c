/* softmax over the last axis of a [rows, cols] tensor (attention scores).
 *
 * Operation count: 5 per element (max, subtract, exp, add to the sum,
 * scale). Bytes: the input read and the output written once (int8: plus the
 * two tensors' scale and zero point and the 1 KiB exp table).
 *
 * fp32 / fp16: three passes over a row (max; exp and sum into a per-thread
 * row buffer; scale and store), the row staying in L1/L2 between passes.
 * int8: softmax depends only on q - max(q) in [0, 255] for a row, so a
 * 256-entry table holds E[d] = round(32767 exp(-d s_in)), looked up with
 * vpgatherdd (AVX2; slow on Zen 4, about 14 cycles per 8) or as two byte
 * tables with vpermi2b (AVX512-VBMI, 64 per step); a row sums its E
 * values exactly in int32 lanes (so rows are at most 2^17 long) and
 * q_out = clip(round(E * inv) + zo) with inv = 1 / (sum * s_out) computed
 * once per row in double and rounded to float. The output's scale is
 * calibrated on the fp32 softmax of the same inputs. */
#include "ops_memory.h"

#include "big_buf.h"
#include "eltwise_simd.h"
#include "error.h"
#include "ops_mem_util.h"

#include <cjson/cJSON.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SOFTMAX_MAX_COLS (1L << 17)
/* The exp table's fixed point: the scale cancels in E / sum, and 15 bits
 * keep an output's error below 127 / 32767 of an LSB while E fits int16
 * (the AVX512-VBMI path looks it up as two byte tables and sums with
 * vpmaddwd). */
#define E_ONE 32767.0

struct qb_op_instance {
    qb_variant v;
    size_t rows, cols;
    bool nt;
    qb_mo_tensor x, y;
    void *scratch;              /* threads x cols floats or int32 */
    bool vbmi;                  /* int8: the AVX512-VBMI row kernel */
    int32_t e[256];             /* int8: the exp table */
    uint8_t elo[256], ehi[256]; /* its low and high bytes (VBMI) */
};

/* ---- fp32 / fp16 ---- */

static float row_max_f32(const float *x, size_t n)
{
    __m256 m = _mm256_set1_ps(-FLT_MAX);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
    float b[8], r = -FLT_MAX;
    _mm256_storeu_ps(b, m);
    for (int j = 0; j < 8; j++)
        r = b[j] > r ? b[j] : r;
    for (; i < n; i++)
        r = x[i] > r ? x[i] : r;
    return r;
}

static float row_max_f16(const uint16_t *x, size_t n)
{
    __m256 m = _mm256_set1_ps(-FLT_MAX);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        m = _mm256_max_ps(m, qb_v_ld16(x + i));
    float b[8], r = -FLT_MAX;
    _mm256_storeu_ps(b, m);
    for (int j = 0; j < 8; j++)
        r = b[j] > r ? b[j] : r;
    for (; i < n; i++) {
        const float v = _cvtsh_ss(x[i]);
        r = v > r ? v : r;
    }
    return r;
}

static float hsum(__m256 v)
{
    float b[8];
    _mm256_storeu_ps(b, v);
    return ((b[0] + b[1]) + (b[2] + b[3])) + ((b[4] + b[5]) + (b[6] + b[7]));
}

/* e[i] = exp(x[i] - m) into the row buffer; returns the sum. */
static float row_exp(const void *x, bool f16, size_t n, float m, float *e)
{
    const __m256 vm = _mm256_set1_ps(m);
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 a =
            f16 ? qb_v_ld16((const uint16_t *)x + i) : _mm256_loadu_ps((const float *)x + i);
        const __m256 b = f16 ? qb_v_ld16((const uint16_t *)x + i + 8)
                             : _mm256_loadu_ps((const float *)x + i + 8);
        const __m256 ea = qb_v_exp(_mm256_sub_ps(a, vm)), eb = qb_v_exp(_mm256_sub_ps(b, vm));
        _mm256_storeu_ps(e + i, ea);
        _mm256_storeu_ps(e + i + 8, eb);
        s0 = _mm256_add_ps(s0, ea);
        s1 = _mm256_add_ps(s1, eb);
    }
    float s = hsum(_mm256_add_ps(s0, s1));
    for (; i < n; i++) {
        const float v = f16 ? _cvtsh_ss(((const uint16_t *)x)[i]) : ((const float *)x)[i];
        e[i] = expf(v - m);
        s += e[i];
    }
    return s;
}

static void row_f32(const float *x, float *y, size_t n, float *e, int nt)
{
    const float s = row_exp(x, false, n, row_max_f32(x, n), e);
    const __m256 inv = _mm256_set1_ps(1.0f / s);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        qb_v_stps(y + i, _mm256_mul_ps(_mm256_loadu_ps(e + i), inv), nt);
    for (; i < n; i++)
        y[i] = e[i] * (1.0f / s);
}

static void row_f16(const uint16_t *x, uint16_t *y, size_t n, float *e, int nt)
{
    const float s = row_exp(x, true, n, row_max_f16(x, n), e);
    const __m256 inv = _mm256_set1_ps(1.0f / s);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        qb_v_st16x2(y + i, _mm256_mul_ps(_mm256_loadu_ps(e + i), inv),
                    _mm256_mul_ps(_mm256_loadu_ps(e + i + 8), inv), nt);
    for (; i < n; i++)
        y[i] = (uint16_t)_cvtss_sh(e[i] * (1.0f / s), _MM_FROUND_TO_NEAREST_INT);
}

/* ---- int8 ---- */

static int32_t row_max_i8(const uint8_t *x, size_t n, bool u8)
{
    __m256i m = _mm256_set1_epi8(u8 ? 0 : -128);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(x + i));
        m = u8 ? _mm256_max_epu8(m, v) : _mm256_max_epi8(m, v);
    }
    uint8_t b[32];
    _mm256_storeu_si256((__m256i *)b, m);
    int32_t r = u8 ? 0 : -128;
    for (int j = 0; j < 32; j++) {
        const int32_t q = u8 ? b[j] : (int8_t)b[j];
        r = q > r ? q : r;
    }
    for (; i < n; i++) {
        const int32_t q = u8 ? x[i] : (int8_t)x[i];
        r = q > r ? q : r;
    }
    return r;
}

/* The per-row multiplier: the reference calls the same function. */
static float row_inv(int64_t sum, float so)
{
    return (float)(1.0 / ((double)sum * (double)so));
}

static void row_i8(const qb_op_instance *c, const uint8_t *x, uint8_t *y, size_t n, int32_t *e,
                   int nt)
{
    const bool u8 = c->x.u8;
    const int32_t m = row_max_i8(x, n, u8);
    const __m256i vm = _mm256_set1_epi32(m);
    __m256i s = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i d = _mm256_sub_epi32(vm, qb_v_widen8(x + i, u8));
        const __m256i v = _mm256_i32gather_epi32(c->e, d, 4);
        _mm256_storeu_si256((__m256i *)(e + i), v);
        s = _mm256_add_epi32(s, v);
    }
    int32_t lanes[8];
    _mm256_storeu_si256((__m256i *)lanes, s);
    int64_t sum = 0;
    for (int j = 0; j < 8; j++)
        sum += lanes[j];
    for (; i < n; i++) {
        e[i] = c->e[m - (u8 ? x[i] : (int8_t)x[i])];
        sum += e[i];
    }
    const float inv = row_inv(sum, c->y.p.scale[0]);
    const qb_v_rq rq = qb_v_rq_make(c->y.p.zero_point[0], c->y.p.qmin, c->y.p.qmax);
    const __m256 vinv = _mm256_set1_ps(inv);
    i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i r[4];
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            r[g] = qb_v_rq_apply(&rq, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_loadu_si256(
                                                        (const __m256i *)(e + i + 8 * g))),
                                                    vinv));
        qb_v_st32(y + i, qb_v_pack4(r[0], r[1], r[2], r[3], u8), nt);
    }
    for (; i < n; i++)
        y[i] = (uint8_t)qb_rq_scalar((float)e[i] * inv, c->y.p.zero_point[0], c->y.p.qmin,
                                     c->y.p.qmax);
}

/* The same row with AVX512-VBMI: d = max - q as a byte index into the low
 * and high byte tables of E (vpermi2b over 128-entry halves, bit 7 picks
 * the half), E as int16, summed in int32 with vpmaddwd; then 16 outputs per
 * step, requantized exactly as above. */
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static void
row_i8_vbmi(const qb_op_instance *c, const uint8_t *x, uint8_t *y, size_t n, int16_t *e, int nt)
{
    const bool u8 = c->x.u8;
    const int32_t m = row_max_i8(x, n, u8);
    const __m512i lo0 = _mm512_loadu_si512(c->elo), lo1 = _mm512_loadu_si512(c->elo + 64);
    const __m512i lo2 = _mm512_loadu_si512(c->elo + 128), lo3 = _mm512_loadu_si512(c->elo + 192);
    const __m512i hi0 = _mm512_loadu_si512(c->ehi), hi1 = _mm512_loadu_si512(c->ehi + 64);
    const __m512i hi2 = _mm512_loadu_si512(c->ehi + 128), hi3 = _mm512_loadu_si512(c->ehi + 192);
    const __m512i vm = _mm512_set1_epi8((char)m), ones = _mm512_set1_epi16(1);
    __m512i s = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m512i d =
            _mm512_sub_epi8(vm, _mm512_loadu_si512(x + i)); /* m - q mod 256 = m - q */
        const __mmask64 top = _mm512_movepi8_mask(d);
        const __m512i l = _mm512_mask_blend_epi8(top, _mm512_permutex2var_epi8(lo0, d, lo1),
                                                 _mm512_permutex2var_epi8(lo2, d, lo3));
        const __m512i h = _mm512_mask_blend_epi8(top, _mm512_permutex2var_epi8(hi0, d, hi1),
                                                 _mm512_permutex2var_epi8(hi2, d, hi3));
        /* bytes to int16 in lane order; the store below keeps that order */
        const __m512i e0 = _mm512_unpacklo_epi8(l, h), e1 = _mm512_unpackhi_epi8(l, h);
        s = _mm512_add_epi32(
            s, _mm512_add_epi32(_mm512_madd_epi16(e0, ones), _mm512_madd_epi16(e1, ones)));
        /* unpack works per 128-bit lane: e0 holds elements 0-7, 16-23, 32-39,
         * 48-55 and e1 the other halves; interleave the lanes back */
        const __m512i p0 =
            _mm512_permutex2var_epi64(e0, _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11), e1);
        const __m512i p1 =
            _mm512_permutex2var_epi64(e0, _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15), e1);
        _mm512_storeu_si512(e + i, p0);
        _mm512_storeu_si512(e + i + 32, p1);
    }
    int64_t sum = _mm512_reduce_add_epi32(s);
    for (; i < n; i++) {
        e[i] = (int16_t)c->e[m - (u8 ? x[i] : (int8_t)x[i])];
        sum += e[i];
    }
    const float inv = row_inv(sum, c->y.p.scale[0]);
    const int32_t zo = c->y.p.zero_point[0], qmin = c->y.p.qmin, qmax = c->y.p.qmax;
    const __m512 vinv = _mm512_set1_ps(inv), lo = _mm512_set1_ps((float)(qmin - zo)),
                 hi = _mm512_set1_ps((float)(qmax - zo));
    const __m512i vzo = _mm512_set1_epi32(zo);
    i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i out = _mm512_setzero_si512();
        /* The lane index of inserti32x4 must be a literal for every compiler,
         * so the four groups are written out. */
#define QB_SOFTMAX_GROUP(g)                                                                        \
    do {                                                                                           \
        const __m512i v =                                                                          \
            _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(e + i + 16 * (g))));        \
        __m512 r = _mm512_mul_ps(_mm512_cvtepi32_ps(v), vinv);                                     \
        r = _mm512_min_ps(_mm512_max_ps(r, lo), hi);                                               \
        const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(r), vzo); /* within [qmin, qmax] */  \
        out = _mm512_inserti32x4(out, _mm512_cvtepi32_epi8(q), (g));    /* low byte of each */     \
    } while (0)
        QB_SOFTMAX_GROUP(0);
        QB_SOFTMAX_GROUP(1);
        QB_SOFTMAX_GROUP(2);
        QB_SOFTMAX_GROUP(3);
#undef QB_SOFTMAX_GROUP
        if (nt && ((uintptr_t)(y + i) & 63) == 0)
            _mm512_stream_si512((__m512i *)(y + i), out);
        else
            _mm512_storeu_si512(y + i, out);
    }
    for (; i < n; i++)
        y[i] = (uint8_t)qb_rq_scalar((float)e[i] * inv, zo, qmin, qmax);
}

static void run_rows(const qb_op_instance *c, size_t r0, size_t r1, void *scratch, bool nt)
{
    const size_t L = c->cols;
    for (size_t r = r0; r < r1; r++) {
        if (c->v.dtype == QB_FP32)
            row_f32((const float *)c->x.d + r * L, (float *)c->y.d + r * L, L, scratch, nt);
        else if (c->v.dtype == QB_FP16)
            row_f16((const uint16_t *)c->x.d + r * L, (uint16_t *)c->y.d + r * L, L, scratch, nt);
        else if (c->vbmi)
            row_i8_vbmi(c, (const uint8_t *)c->x.d + r * L, (uint8_t *)c->y.d + r * L, L, scratch,
                        nt);
        else
            row_i8(c, (const uint8_t *)c->x.d + r * L, (uint8_t *)c->y.d + r * L, L, scratch, nt);
    }
}

static int run(qb_op_instance *c)
{
#pragma omp parallel num_threads(c->v.threads)
    {
        const int t = omp_get_thread_num();
        size_t lo, hi;
        qb_mo_span(c->rows, t, omp_get_num_threads(), 1, &lo, &hi);
        run_rows(c, lo, hi, (float *)c->scratch + (size_t)t * c->cols, c->nt);
    }
    if (c->nt) _mm_sfence();
    return QB_OK;
}

static int check(const qb_shape *s)
{
    size_t n;
    int rc = qb_mo_elems("softmax", s, 2, &n);
    if (!rc) rc = qb_mo_key_range("softmax", "cols", s->v[1], 1, SOFTMAX_MAX_COLS);
    return rc ? rc : qb_mo_mem_check("softmax", 10.0 * (double)n);
}

static double ops(const qb_shape *s)
{
    return 5.0 * (double)s->v[0] * (double)s->v[1];
}

static double bytes(const qb_shape *s, const qb_variant *v)
{
    const double io = 2.0 * (double)s->v[0] * (double)s->v[1] * (double)qb_dtype_bytes(v->dtype);
    return v->dtype == QB_INT8 ? io + 2 * 8.0 + sizeof(((qb_op_instance *)0)->e) : io;
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
    qb_big_free(c->scratch);
    free(c);
}

static int int8_setup(qb_op_instance *c)
{
    const size_t n = c->x.n;
    float *yf = qb_big_alloc(n * sizeof *yf, c->v.threads);
    if (!yf) return qb_fail(QB_ENOMEM, "softmax: out of memory for the calibration output");
    const size_t L = c->cols;
#pragma omp parallel num_threads(c->v.threads)
    {
        const int t = omp_get_thread_num();
        size_t lo, hi;
        qb_mo_span(c->rows, t, omp_get_num_threads(), 1, &lo, &hi);
        for (size_t r = lo; r < hi; r++)
            row_f32(c->x.f + r * L, yf + r * L, L, (float *)c->scratch + (size_t)t * L, 0);
    }
    qb_qparams op;
    int rc = qb_mo_qparams_of(yf, n, c->v.policy, &op);
    qb_big_free(yf);
    if (rc) return rc;
    rc = qb_mo_output(&c->y, n, &c->v, &op);
    qb_qparams_free(&op);
    for (int d = 0; d < 256; d++) {
        c->e[d] = (int32_t)rint(E_ONE * exp(-(double)d * (double)c->x.p.scale[0]));
        c->elo[d] = (uint8_t)(c->e[d] & 0xff);
        c->ehi[d] = (uint8_t)(c->e[d] >> 8);
    }
    c->vbmi = qb_mo_use_vbmi(&c->v);
    return rc;
}

static int create(const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    *out = NULL;
    qb_op_instance *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = qb_mo_variant("softmax", v, false, &c->v);
    if (rc) goto fail;
    c->rows = (size_t)s->v[0];
    c->cols = (size_t)s->v[1];
    const size_t n = c->rows * c->cols, esz = qb_dtype_bytes(c->v.dtype);
    /* streaming needs every row to start 32-byte aligned */
    c->nt = qb_mo_nt((double)n * (double)esz) && (c->cols * esz) % 32 == 0;
    c->scratch = qb_big_alloc((size_t)c->v.threads * c->cols * 4, c->v.threads);
    if (!c->scratch) {
        rc = qb_fail(QB_ENOMEM, "softmax: out of memory for the row buffers");
        goto fail;
    }
    /* scores of a few units, as attention logits are */
    rc = qb_mo_input(&c->x, n, &c->v, 301, -6.0f, 6.0f);
    if (!rc) rc = c->v.dtype == QB_INT8 ? int8_setup(c) : qb_mo_output(&c->y, n, &c->v, NULL);
    if (rc) goto fail;
    *out = c;
    return QB_OK;
fail:
    destroy(c);
    return rc;
}

/* Rows to check: all of them up to the verify budget, else an even sample. */
static int verify(qb_op_instance *c, double *max_err, bool *ok)
{
    const size_t L = c->cols, budget = qb_mo_nverify(c->x.n);
    const size_t nr = budget / L < 1 ? 1 : budget / L < c->rows ? budget / L : c->rows;
    double *e = malloc(L * sizeof *e);
    if (!e) return qb_fail(QB_ENOMEM, "softmax verify: out of memory");
    qb_mo_err fe = {0};
    int32_t worst = 0;
    for (size_t j = 0; j < nr; j++) {
        const size_t r = qb_mo_sample(c->rows, nr, j), base = r * L;
        if (c->v.dtype == QB_INT8) {
            int32_t m = INT32_MIN;
            int64_t sum = 0;
            for (size_t i = 0; i < L; i++)
                m = qb_mo_q(&c->x, base + i) > m ? qb_mo_q(&c->x, base + i) : m;
            for (size_t i = 0; i < L; i++)
                sum += c->e[m - qb_mo_q(&c->x, base + i)];
            const float inv = row_inv(sum, c->y.p.scale[0]);
            for (size_t i = 0; i < L; i++) {
                const int32_t want = qb_rq_scalar((float)c->e[m - qb_mo_q(&c->x, base + i)] * inv,
                                                  c->y.p.zero_point[0], c->y.p.qmin, c->y.p.qmax);
                const int32_t d = abs(qb_mo_q(&c->y, base + i) - want);
                worst = d > worst ? d : worst;
            }
            continue;
        }
        double m = -INFINITY, sum = 0;
        for (size_t i = 0; i < L; i++)
            m = fmax(m, qb_mo_get(&c->x, base + i));
        for (size_t i = 0; i < L; i++)
            sum += e[i] = exp(qb_mo_get(&c->x, base + i) - m);
        for (size_t i = 0; i < L; i++)
            qb_mo_err_add(&fe, qb_mo_get(&c->y, base + i), e[i] / sum);
    }
    free(e);
    if (c->v.dtype == QB_INT8) {
        *max_err = worst;
        *ok = worst == 0;
    } else {
        *max_err = qb_mo_err_rel(&fe);
        *ok = *max_err <= (c->v.dtype == QB_FP16 ? QB_MO_TOL_FP16 : QB_MO_TOL_FP32);
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
    const char *isa = c->v.dtype == QB_FP32   ? "avx2+fma"
                      : c->v.dtype == QB_FP16 ? "avx2+fma+f16c"
                      : c->vbmi               ? "avx512vbmi"
                                              : "avx2";
    int rc = qb_mo_describe(
        params, &c->v, isa, c->nt,
        c->vbmi
            ? "exp table E[max - q] in 15-bit fixed point (two byte tables, vpermi2b), exact int32 "
              "row sums, "
              "float requantization by 1/(sum * s_out); output scale calibrated on the fp32 output"
            : "exp table E[max - q] in 15-bit fixed point (vpgatherdd), exact int32 row sums, "
              "float requantization by 1/(sum * s_out); output scale calibrated on the fp32 "
              "output");
    if (!rc && !cJSON_AddStringToObject(params, "ops_counted",
                                        "5 per element (max, subtract, exp, sum, scale)"))
        rc = QB_ENOMEM;
    return rc;
}

const qb_op_desc qb_op_softmax = {
    .name = "softmax",
    .klass = "memory",
    .summary = "softmax over the last axis of [rows, cols]",
    .shape_keys = "rows,cols",
    .default_shape = "32768,512",
    .shape_source = "BERT-large attention probabilities at sequence 512, batch 4: 4 x 16 heads x "
                    "512 queries of 512 keys (16 M elements)",
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
