/* Shared pieces of the memory-bound operators (see ops_mem_util.h). */
#include "ops_mem_util.h"

#include "big_buf.h"
#include "cpu_features.h"
#include "defaults.h"
#include "error.h"
#include "eltwise_simd.h"
#include "gemm_f16.h"

#include <cjson/cJSON.h>
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int qb_mo_variant(const char *op, const qb_variant *in, bool per_channel_ok, qb_variant *out)
{
    *out = *in;
    if (out->threads < 1) out->threads = 1;
    if ((unsigned)out->dtype >= QB_NDTYPES)
        return qb_fail(QB_EUSAGE, "%s: unknown dtype %d", op, (int)out->dtype);
    if (out->dtype != QB_INT8) {
        out->gran = QB_QNONE;
        out->policy = QB_PNONE;
        return QB_OK;
    }
    if (out->gran == QB_QNONE) out->gran = QB_PER_TENSOR;
    if (out->policy == QB_PNONE) out->policy = QB_SYMMETRIC;
    if (out->gran == QB_PER_CHANNEL && !per_channel_ok)
        return qb_fail(QB_EUNSUPPORTED,
                       "%s: per-channel does not apply (no channel axis with its own weights)", op);
    return QB_OK;
}

/* splitmix64 of (seed, i), its top 24 bits scaled into [lo, hi) with one
 * fused multiply-add, so the scalar and the vector forms give the same bits. */
static inline float fill_one(uint64_t base, size_t i, float lo, float span)
{
    uint64_t z = base + (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return fmaf(span, (float)(z >> 40) * (1.0f / 16777216.0f), lo);
}

/* Eight values at once (64-bit multiplies need AVX512DQ): filling the
 * memory-bound operators' inputs of 16 M elements was most of the quick
 * suite's operator step. */
__attribute__((target("avx512f,avx512dq"))) static void fill_avx512(float *x, size_t i0, size_t i1, uint64_t base,
                                                                  float lo, float span)
{
    const __m512i step = _mm512_set1_epi64((long long)0x9E3779B97F4A7C15ull);
    const __m512i m1 = _mm512_set1_epi64((long long)0xBF58476D1CE4E5B9ull);
    const __m512i m2 = _mm512_set1_epi64((long long)0x94D049BB133111EBull);
    const __m512i lane = _mm512_setr_epi64(1, 2, 3, 4, 5, 6, 7, 8);
    const __m256 vlo = _mm256_set1_ps(lo), vspan = _mm256_set1_ps(span), scale = _mm256_set1_ps(1.0f / 16777216.0f);
    size_t i = i0;
    for (; i + 8 <= i1; i += 8) {
        const __m512i idx = _mm512_add_epi64(_mm512_set1_epi64((long long)i), lane);
        __m512i z = _mm512_add_epi64(_mm512_set1_epi64((long long)base), _mm512_mullo_epi64(idx, step));
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), m1);
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), m2);
        z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
        const __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm512_cvtepi64_epi32(_mm512_srli_epi64(z, 40))), scale);
        _mm256_storeu_ps(x + i, _mm256_fmadd_ps(vspan, u, vlo));
    }
    for (; i < i1; i++) x[i] = fill_one(base, i, lo, span);
}

float qb_mo_fill_value(uint64_t seed, size_t i, float lo, float hi)
{
    return fill_one(seed * 0xD1B54A32D192ED03ull, i, lo, hi - lo);
}

void qb_mo_fill(float *x, size_t n, uint64_t seed, float lo, float hi, int threads)
{
    qb_mo_fill_stream(x, n, seed * 0xD1B54A32D192ED03ull, lo, hi, threads);
}

void qb_mo_fill_stream(float *x, size_t n, uint64_t base, float lo, float hi, int threads)
{
    const float span = hi - lo;
    const bool wide = qb_cpu_has("avx512f+avx512dq");
    const int nt = threads < 1 ? 1 : threads;
#pragma omp parallel num_threads(nt)
    {
        size_t i0, i1;
        qb_mo_span(n, omp_get_thread_num(), omp_get_num_threads(), 64, &i0, &i1);
        if (wide) {
            fill_avx512(x, i0, i1, base, lo, span);
        } else {
            for (size_t i = i0; i < i1; i++) x[i] = fill_one(base, i, lo, span);
        }
    }
}

/* The extremes of y[i0..i1) into lo and hi, and into bad the sum of every
 * y - y: 0 for finite data, NaN once an Inf or a NaN is met. */
static void extremes_scalar(const float *y, size_t i0, size_t i1, float *lo, float *hi, float *bad)
{
    for (size_t i = i0; i < i1; i++) {
        *lo = y[i] < *lo ? y[i] : *lo;
        *hi = y[i] > *hi ? y[i] : *hi;
        *bad += y[i] - y[i];
    }
}

/* The same sixteen lanes at a time (the scalar loop's float sum is a chain
 * the compiler may not reorder): the calibration of a 16 M-element output
 * was one of the larger costs of preparing an operator. */
__attribute__((target("avx512f"))) static void extremes_avx512(const float *y, size_t i0, size_t i1, float *lo,
                                                               float *hi, float *bad)
{
    __m512 vlo = _mm512_set1_ps(*lo), vhi = _mm512_set1_ps(*hi), vbad = _mm512_setzero_ps();
    size_t i = i0;
    for (; i + 16 <= i1; i += 16) {
        const __m512 v = _mm512_loadu_ps(y + i);
        vlo = _mm512_min_ps(vlo, v);
        vhi = _mm512_max_ps(vhi, v);
        vbad = _mm512_add_ps(vbad, _mm512_sub_ps(v, v));
    }
    *lo = _mm512_reduce_min_ps(vlo);
    *hi = _mm512_reduce_max_ps(vhi);
    *bad += _mm512_reduce_add_ps(vbad);
    extremes_scalar(y, i, i1, lo, hi, bad);
}

int qb_mo_extremes(const float *y, size_t n, float *lo_out, float *hi_out)
{
    /* the default sources (absmax, minmax) depend only on the extremes: find
     * them in parallel; x - x is 0 for a finite x and NaN for Inf and NaN,
     * which the sums carry to the end */
    const bool wide = qb_cpu_has("avx512f");
    float lo = INFINITY, hi = -INFINITY, bad = 0.0f;
#pragma omp parallel reduction(min : lo) reduction(max : hi) reduction(+ : bad)
    {
        size_t i0, i1;
        qb_mo_span(n, omp_get_thread_num(), omp_get_num_threads(), 64, &i0, &i1);
        if (wide) extremes_avx512(y, i0, i1, &lo, &hi, &bad);
        else extremes_scalar(y, i0, i1, &lo, &hi, &bad);
    }
    if (bad != 0.0f) return qb_fail(QB_EINPUT, "calibration data holds a NaN or Inf: no scale fits it");
    *lo_out = lo;
    *hi_out = hi;
    return QB_OK;
}

int qb_mo_qparams_range(float lo, float hi, qb_qpolicy pol, qb_qparams *p)
{
    const qb_qspec spec = qb_qspec_default(pol);
    const float ext[2] = {lo <= hi ? lo : 0.0f, lo <= hi ? hi : 0.0f};
    const size_t dims[1] = {2};
    return qb_qchoose(ext, dims, 1, &spec, p);
}

int qb_mo_qparams_of(const float *y, size_t n, qb_qpolicy pol, qb_qparams *p)
{
    float lo = 0.0f, hi = 0.0f;
    const int rc = qb_mo_extremes(y, n, &lo, &hi);
    return rc ? rc : qb_mo_qparams_range(lo, hi, pol, p);
}

int qb_mo_qparams_copy(qb_qparams *dst, const qb_qparams *src)
{
    qb_qspec spec = qb_qspec_default(src->policy);
    spec.gran = src->gran;
    spec.axis = src->axis;
    spec.range = src->range;
    int rc = qb_qparams_init(dst, &spec, src->nch);
    if (rc) return rc;
    dst->qmin = src->qmin;
    dst->qmax = src->qmax;
    memcpy(dst->scale, src->scale, (size_t)src->nch * sizeof *dst->scale);
    memcpy(dst->zero_point, src->zero_point, (size_t)src->nch * sizeof *dst->zero_point);
    memcpy(dst->shift, src->shift, (size_t)src->nch * sizeof *dst->shift);
    return QB_OK;
}

/* Quantize with per-tensor params in parallel: qb_quant1's arithmetic (one
 * IEEE division, round half to even, clamp, plus the zero point) on eight
 * lanes, which reproduces it bit for bit for finite inputs. */
static void quantize(const float *x, size_t n, const qb_qparams *p, void *q, int threads)
{
    const float s = p->scale[0];
    const int32_t zp = p->zero_point[0], qmin = p->qmin, qmax = p->qmax;
    const bool u8 = p->range == QB_RANGE_UINT8;
#pragma omp parallel num_threads(threads)
    {
        size_t lo, hi;
        qb_mo_span(n, omp_get_thread_num(), omp_get_num_threads(), 64, &lo, &hi);
        const __m256 vs = _mm256_set1_ps(s), vlo = _mm256_set1_ps((float)qmin - (float)zp);
        const __m256 vhi = _mm256_set1_ps((float)qmax - (float)zp);
        const __m256i vz = _mm256_set1_epi32(zp);
        uint8_t *b = q;
        size_t i = lo;
        for (; i + 32 <= hi; i += 32) {
            __m256i r[4];
#pragma GCC unroll 4
            for (int g = 0; g < 4; g++) {
                __m256 v = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(x + i + 8 * g), vs),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                v = _mm256_min_ps(_mm256_max_ps(v, vlo), vhi);
                r[g] = _mm256_add_epi32(_mm256_cvtps_epi32(v), vz);
            }
            _mm256_storeu_si256((__m256i *)(b + i), qb_v_pack4(r[0], r[1], r[2], r[3], u8));
        }
        for (; i < hi; i++)
            b[i] = (uint8_t)qb_quant1(x[i], s, zp, qmin, qmax);
    }
}

int qb_mo_input_convert(qb_mo_tensor *t, const qb_variant *v, const qb_qparams *p)
{
    t->dt = v->dtype;
    if (v->dtype == QB_FP32) {
        t->d = t->f;
        return QB_OK;
    }
    t->d = qb_big_alloc(t->n * qb_dtype_bytes(v->dtype), v->threads);
    if (!t->d) return qb_fail(QB_ENOMEM, "out of memory for %zu elements", t->n);
    if (v->dtype == QB_FP16) {
#pragma omp parallel num_threads(v->threads)
        {
            size_t lo, hi;
            qb_mo_span(t->n, omp_get_thread_num(), omp_get_num_threads(), 64, &lo, &hi);
            qb_f32_to_f16_n(t->f + lo, (uint16_t *)t->d + lo, hi - lo);
        }
        return QB_OK;
    }
    int rc = p ? qb_mo_qparams_copy(&t->p, p) : qb_mo_qparams_of(t->f, t->n, v->policy, &t->p);
    if (rc) return rc;
    t->u8 = t->p.range == QB_RANGE_UINT8;
    quantize(t->f, t->n, &t->p, t->d, v->threads);
    return QB_OK;
}

int qb_mo_input(qb_mo_tensor *t, size_t n, const qb_variant *v, uint64_t seed, float lo, float hi)
{
    memset(t, 0, sizeof *t);
    t->n = n;
    t->f = qb_big_alloc(n * sizeof *t->f, v->threads);
    if (!t->f) return qb_fail(QB_ENOMEM, "out of memory for %zu input elements", n);
    qb_mo_fill(t->f, n, seed, lo, hi, v->threads);
    return qb_mo_input_convert(t, v, NULL);
}

int qb_mo_output(qb_mo_tensor *t, size_t n, const qb_variant *v, const qb_qparams *p)
{
    memset(t, 0, sizeof *t);
    t->n = n;
    t->dt = v->dtype;
    t->d = qb_big_alloc(n * qb_dtype_bytes(v->dtype), v->threads);
    if (!t->d) return qb_fail(QB_ENOMEM, "out of memory for %zu output elements", n);
    if (v->dtype == QB_FP32) t->f = t->d;
    if (v->dtype == QB_INT8 && p) {
        int rc = qb_mo_qparams_copy(&t->p, p);
        if (rc) return rc;
        t->u8 = t->p.range == QB_RANGE_UINT8;
    }
    return QB_OK;
}

void qb_mo_tensor_free(qb_mo_tensor *t)
{
    if (t->d != t->f) qb_big_free(t->d);
    qb_big_free(t->f);
    qb_qparams_free(&t->p);
    memset(t, 0, sizeof *t);
}

float qb_mo_get(const qb_mo_tensor *t, size_t i)
{
    if (t->dt == QB_FP32) return ((const float *)t->d)[i];
    if (t->dt == QB_FP16) return qb_f16_to_f32(((const uint16_t *)t->d)[i]);
    return qb_dequant1(qb_mo_q(t, i), t->p.scale[0], t->p.zero_point[0]);
}

void qb_mo_to_float(const qb_mo_tensor *t, float *out)
{
    if (t->dt == QB_FP32) {
        memcpy(out, t->d, t->n * sizeof *out);
    } else if (t->dt == QB_FP16) {
        qb_f16_to_f32_n(t->d, out, t->n);
    } else {
        for (size_t i = 0; i < t->n; i++)
            out[i] = qb_mo_get(t, i);
    }
}

void qb_mo_span(size_t n, int t, int nt, size_t align, size_t *lo, size_t *hi)
{
    if (nt < 1) nt = 1;
    const size_t blocks = (n + align - 1) / align;
    const size_t b0 = blocks * (size_t)t / (size_t)nt, b1 = blocks * (size_t)(t + 1) / (size_t)nt;
    *lo = b0 * align < n ? b0 * align : n;
    *hi = b1 * align < n ? b1 * align : n;
}

double qb_mo_nt_min_bytes = (double)QB_MEMOP_NT_BYTES_DEFAULT;

bool qb_mo_nt(double out_bytes)
{
    return out_bytes >= qb_mo_nt_min_bytes;
}

bool qb_mo_use_vbmi(const qb_variant *v)
{
    if (v->isa && strcmp(v->isa, "avx2") == 0) return false;
    return qb_cpu_has("avx512f+avx512bw+avx512vbmi");
}

bool qb_mo_use_vnni(const qb_variant *v)
{
    if (v->isa && strcmp(v->isa, "avx2") == 0) return false;
    return qb_cpu_has("avx512f+avx512vl+avx512bw+avx512vnni");
}

int qb_mo_mem_check(const char *op, double bytes)
{
    const long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    const double phys = pages > 0 && psz > 0 ? (double)pages * (double)psz : 8e9;
    if (!(bytes <= 0.5 * phys))
        return qb_fail(
            QB_EINPUT,
            "%s: the shape needs %.3g GB of buffers, more than half of the %.3g GB of memory", op,
            bytes * 1e-9, phys * 1e-9);
    return QB_OK;
}

int qb_mo_key_range(const char *op, const char *key, long v, long lo, long hi)
{
    if (v < lo || v > hi)
        return qb_fail(QB_EINPUT, "%s: %s = %ld is outside [%ld, %ld]", op, key, v, lo, hi);
    return QB_OK;
}

int qb_mo_elems(const char *op, const qb_shape *s, int nkeys, size_t *n)
{
    double e = 1;
    for (int i = 0; i < nkeys; i++)
        e *= (double)s->v[i];
    if (e > (double)(1LL << 34))
        return qb_fail(QB_EINPUT, "%s: %.4g elements is absurd (at most 2^34)", op, e);
    *n = (size_t)e;
    return QB_OK;
}

size_t qb_mo_nverify(size_t n)
{
    return n < (size_t)QB_MEMOP_VERIFY_ELEMS_DEFAULT ? n : (size_t)QB_MEMOP_VERIFY_ELEMS_DEFAULT;
}

double qb_mo_err_rel(const qb_mo_err *e)
{
    if (e->maxd == 0) return 0;
    return e->maxw > 0 ? e->maxd / e->maxw : INFINITY;
}

int qb_mo_describe(cJSON *params, const qb_variant *v, const char *isa, bool nt, const char *int8)
{
    const char *math =
        v->dtype == QB_FP32 ? "fp32"
        : v->dtype == QB_FP16
            ? (qb_cpu_has("avx512fp16")
                   ? "fp16 storage, F16C conversion, fp32 arithmetic (these kernels do not use AVX512-FP16)"
                   : "fp16 storage, F16C conversion, fp32 arithmetic (no FP16 arithmetic on this CPU)")
            : int8;
    if (!cJSON_AddStringToObject(params, "isa", isa) ||
        !cJSON_AddStringToObject(params, "math", math) ||
        !cJSON_AddStringToObject(params, "stores", nt ? "non-temporal (streaming)" : "regular"))
        return QB_ENOMEM;
    if (v->dtype == QB_INT8 &&
        !cJSON_AddStringToObject(params, "activations",
                                 v->policy == QB_ASYMMETRIC ? "uint8 per-tensor with zero point"
                                 : v->policy == QB_POW2     ? "int8 per-tensor, power-of-two scale"
                                                            : "int8 per-tensor, zero point 0"))
        return QB_ENOMEM;
    return QB_OK;
}
