/* Shared pieces of the compute-bound operators (see ops_compute_util.h). */
#include "ops_compute_util.h"

#include "cpu_features.h"
#include "error.h"
#include "defaults.h"
#include "gemm_f16.h"
#include "ops_mem_util.h"
#include "stats.h"
#include "tensor_gen.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void qb_cq_fill(float *x, size_t n, uint64_t seed, float lo, float hi)
{
    /* the memory-bound operators' stream from its own starting state: eight
     * values at a time where AVX512DQ has 64-bit multiplies (one at a time,
     * it was the larger part of making a 1024^2 GEMM), one thread, so the
     * values are the same everywhere */
    qb_mo_fill_stream(x, n, seed * 0x9E3779B97F4A7C15ull + n, lo, hi, 1);
}

void qb_cq_channel_spread(float *w, size_t outer, size_t nch, size_t inner)
{
    qb_tensor_scale_channels(w, outer, nch, inner, QB_OPS_WEIGHT_SPREAD, 1.0);
}

void qb_cq_mm_spread(float *b, bool gemm, long batch, long K, long N)
{
    if (gemm) qb_cq_channel_spread(b, 1, (size_t)N, (size_t)K);
    else qb_cq_channel_spread(b, (size_t)(batch * K), (size_t)N, 1);
}

int qb_cq_mem_check(const char *op, double bytes)
{
    const long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    const double phys = pages > 0 && psz > 0 ? (double)pages * (double)psz : 8e9;
    if (!(bytes <= 0.5 * phys))
        return qb_fail(QB_EINPUT, "%s: the shape needs %.3g GB of buffers, more than half of the %.3g GB of memory",
                       op, bytes * 1e-9, phys * 1e-9);
    return QB_OK;
}

int qb_cq_key_range(const char *op, const char *key, long v, long lo, long hi)
{
    if (v < lo || v > hi)
        return qb_fail(QB_EINPUT, "%s: %s = %ld is outside [%ld, %ld]", op, key, v, lo, hi);
    return QB_OK;
}

int qb_cq_act_quant(const float *x, size_t n, qb_qpolicy pol, qb_cq_act *out)
{
    memset(out, 0, sizeof *out);
    qb_qspec spec = qb_qspec_default(pol);
    const size_t dims[1] = {n};
    int rc = qb_qchoose(x, dims, 1, &spec, &out->p);
    if (rc) return rc;
    out->alloc = calloc(n + 32, 1); /* + the im2col packer's overreads (gemm.h) */
    out->q = out->alloc ? out->alloc + 16 : NULL;
    if (!out->q) {
        qb_qparams_free(&out->p);
        return qb_fail(QB_ENOMEM, "out of memory for %zu quantized activations", n);
    }
    rc = qb_quantize(x, dims, 1, &out->p, out->q);
    if (rc) {
        qb_cq_act_free(out);
        return rc;
    }
    if (out->p.range == QB_RANGE_UINT8) {
        out->za = out->p.zero_point[0];
    } else { /* int8 q + 128 is the u8 the kernel multiplies */
        for (size_t i = 0; i < n; i++) out->q[i] ^= 0x80;
        out->za = 128 + out->p.zero_point[0];
    }
    return QB_OK;
}

void qb_cq_act_free(qb_cq_act *a)
{
    qb_qparams_free(&a->p);
    free(a->alloc);
    a->q = a->alloc = NULL;
}

int qb_cq_weight_bits(qb_gemm_isa isa)
{
    return qb_gemm_isa_vnni(isa) ? 8 : 7;
}

int qb_cq_weights(const float *w, const size_t *dims, int ndim, int axis, qb_qgran gran,
                  qb_qpolicy pol, qb_gemm_isa isa, qb_qparams *p, int8_t *q)
{
    qb_qspec spec = qb_qspec_default(pol == QB_POW2 ? QB_POW2 : QB_SYMMETRIC);
    spec.gran = gran;
    spec.axis = axis;
    /* vpdpbusd sums into int32: the whole symmetric range; vpmaddubsw sums
     * pairs into int16, so 7 bits keep 2 * 255 * 63 below 32767 */
    spec.divisor = qb_cq_weight_bits(isa) == 8 ? 127 : 63;
    int rc = qb_qchoose(w, dims, ndim, &spec, p);
    if (!rc) rc = qb_quantize(w, dims, ndim, p, q);
    if (rc) qb_qparams_free(p);
    return rc;
}

void qb_cq_wsum(const int8_t *q, const size_t *dims, int ndim, int axis, int32_t *sum)
{
    size_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= dims[i];
    for (int i = axis + 1; i < ndim; i++) inner *= dims[i];
    const size_t nch = dims[axis];
    memset(sum, 0, nch * sizeof *sum);
    for (size_t o = 0; o < outer; o++)
        for (size_t c = 0; c < nch; c++) {
            const int8_t *p = q + (o * nch + c) * inner;
            int32_t s = 0;
            for (size_t i = 0; i < inner; i++) s += p[i];
            sum[c] += s;
        }
}

int qb_cq_out_params(const float *y, size_t n, qb_qpolicy pol, qb_qparams *p)
{
    qb_qspec spec = qb_qspec_default(pol);
    const size_t dims[1] = {n};
    return qb_qchoose(y, dims, 1, &spec, p);
}

void qb_cq_requant(const qb_cq_act *a, const qb_qparams *w, const qb_qparams *o, int nch,
                   const float *bias, const int32_t *wsum, float *mult, int32_t *shift,
                   int32_t *bias_i32)
{
    for (int c = 0; c < nch; c++) {
        const int wc = w->nch == 1 ? 0 : c;
        const double sasw = (double)a->p.scale[0] * (double)w->scale[wc];
        mult[c] = (float)(sasw / (double)o->scale[0]);
        shift[c] = a->p.shift[0] + w->shift[wc] - o->shift[0];
        double b = bias ? rint((double)bias[c] / sasw) : 0.0;
        b -= (double)a->za * (wsum ? wsum[c] : 0);
        bias_i32[c] = b > 2147483647.0 ? INT32_MAX : b < -2147483648.0 ? INT32_MIN : (int32_t)b;
    }
}

void qb_cq_epilogue(const qb_qparams *o, qb_qpolicy pol, qb_epilogue *e)
{
    e->kind = pol == QB_POW2 ? QB_EPI_RQ_SHIFT : QB_EPI_RQ_FLOAT;
    e->zo = o->zero_point[0];
    e->qmin = o->qmin;
    e->qmax = o->qmax;
}

size_t qb_cq_nsample(size_t nout, double macs_per_out)
{
    if ((double)nout * macs_per_out <= (double)QB_CQ_VERIFY_MACS) return nout;
    size_t ns = (size_t)((double)QB_CQ_VERIFY_MACS / (macs_per_out > 1 ? macs_per_out : 1));
    if (ns < 256) ns = 256;
    return ns < nout ? ns : nout;
}

double qb_cq_rel_err(const float *got, const float *want, size_t n)
{
    double maxw = 0, maxd = 0;
    for (size_t i = 0; i < n; i++) {
        maxw = fmax(maxw, fabs((double)want[i]));
        const double d = fabs((double)got[i] - (double)want[i]);
        maxd = d > maxd || d != d ? d : maxd; /* NaN counts as infinitely wrong */
    }
    if (maxd != maxd) return INFINITY;
    return maxw > 0 ? maxd / maxw : maxd;
}

double qb_cq_lsb_err(const uint8_t *got, const uint8_t *want, size_t n, bool is_signed)
{
    int maxd = 0;
    for (size_t i = 0; i < n; i++) {
        const int g = is_signed ? (int8_t)got[i] : got[i], w = is_signed ? (int8_t)want[i] : want[i];
        const int d = abs(g - w);
        if (d > maxd) maxd = d;
    }
    return maxd;
}

int qb_cq_isa(const qb_variant *v, qb_gemm_isa *isa)
{
    int rc = qb_gemm_isa_parse(v->isa, isa);
    if (rc) return rc;
    *isa = qb_gemm_isa_resolve(*isa);
    return QB_OK;
}

int qb_cq_describe(cJSON *params, const qb_variant *v, qb_gemm_isa isa)
{
    const bool zmm = qb_gemm_f32_zmm(isa);
    const char *isa_s = v->dtype == QB_INT8 ? qb_gemm_isa_name(isa) : qb_gemm_float_isa_name(isa, v->dtype == QB_FP16);
    if (!cJSON_AddStringToObject(params, "isa", isa_s)) return QB_ENOMEM;
    const qb_gemm_isa r = qb_gemm_isa_resolve(isa);
    const char *math = v->dtype == QB_FP32 ? (zmm ? "fp32 FMA (zmm 6x32 tiles)" : "fp32 FMA (ymm 6x16 tiles)")
                       : v->dtype == QB_FP16
                           ? (qb_cpu_has("avx512fp16")
                                  ? "fp16 storage, F16C conversion, fp32 arithmetic (these kernels do not use AVX512-FP16)"
                                  : "fp16 storage, F16C conversion, fp32 arithmetic (no FP16 arithmetic on this CPU)")
                       : r == QB_ISA_AVX512VNNI
                           ? "u8 x s8 -> s32 with vpdpbusd (AVX512-VNNI, zmm 8x32 tiles)"
                       : r == QB_ISA_AVX512VNNI_YMM
                           ? "u8 x s8 -> s32 with vpdpbusd (AVX512-VNNI, ymm 4x16 tiles)"
                           : "u8 x s8 -> s32 with vpmaddubsw + vpmaddwd + vpaddd";
    if (!cJSON_AddStringToObject(params, "math", math)) return QB_ENOMEM;
    if (v->dtype != QB_INT8) return QB_OK;
    const bool eight = qb_cq_weight_bits(isa) == 8;
    const bool ok =
        cJSON_AddNumberToObject(params, "weight_bits", eight ? 8 : 7) &&
        cJSON_AddStringToObject(params, "int16_guard",
                                eight ? "none needed: vpdpbusd sums into int32 (weights |q| <= 127)"
                                      : "weights pre-scaled to 7 bits (|q| <= 63): vpmaddubsw sums pairs into int16") &&
        cJSON_AddStringToObject(params, "activations",
                                v->policy == QB_ASYMMETRIC ? "uint8 per-tensor with zero point"
                                                           : "int8 per-tensor, +128 to u8") &&
        cJSON_AddStringToObject(params, "weights",
                                v->policy == QB_POW2 ? "pow2 symmetric int8" : "symmetric int8") &&
        /* the float weights' ranges differ by output channel (qb_cq_channel_spread) */
        cJSON_AddNumberToObject(params, "weight_channel_spread", QB_OPS_WEIGHT_SPREAD) &&
        cJSON_AddStringToObject(params, "output", v->policy == QB_ASYMMETRIC ? "uint8" : "int8") &&
        cJSON_AddStringToObject(params, "requant",
                                v->policy == QB_POW2 ? "shift (rounding right shift per channel)"
                                                     : "float multiplier sa*sw/so per channel");
    return ok ? QB_OK : QB_ENOMEM;
}

void qb_cq_dequant_out(const void *q, size_t n, const qb_qparams *o, float *out)
{
    const float s = o->scale[0];
    const int32_t zp = o->zero_point[0];
    for (size_t i = 0; i < n; i++) {
        const int32_t v = o->qmin < 0 ? ((const int8_t *)q)[i] : ((const uint8_t *)q)[i];
        out[i] = qb_dequant1(v, s, zp);
    }
}

int qb_cq_phases_record(cJSON *params, int nphase, const char *const *names, const double *ops,
                        double ns[QB_CQ_PHASE_REPS][QB_CQ_PHASE_MAX])
{
    double med[QB_CQ_PHASE_MAX], sum = 0;
    for (int f = 0; f < nphase; f++) {
        double v[QB_CQ_PHASE_REPS];
        for (int r = 0; r < QB_CQ_PHASE_REPS; r++) v[r] = ns[r][f];
        med[f] = qb_median_of(v, QB_CQ_PHASE_REPS) * 1e-9;
        sum += med[f];
    }
    cJSON *arr = cJSON_AddArrayToObject(params, "phases");
    if (!arr) return QB_ENOMEM;
    for (int f = 0; f < nphase; f++) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o) || !cJSON_AddStringToObject(o, "phase", names[f]) ||
            !cJSON_AddNumberToObject(o, "seconds", med[f]) ||
            !cJSON_AddNumberToObject(o, "share", sum > 0 ? 100 * med[f] / sum : 0) ||
            (ops[f] > 0 && med[f] > 0 && !cJSON_AddNumberToObject(o, "gops", ops[f] / med[f] * 1e-9)))
            return QB_ENOMEM;
    }
    return QB_OK;
}
