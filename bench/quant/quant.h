/* The quantization library: choosing scales and zero points from float data,
 * quantize / dequantize, and the integer requantization the int8 kernels and
 * their bit-exact references share.
 *
 *   q  = clip(round(x / s) + zp, qmin, qmax)     round = half to even (rintf)
 *   x' = (q - zp) * s
 *
 * Arithmetic is defined in float exactly as written (x / s is one IEEE float
 * division, not a multiply by 1/s), so a SIMD kernel using vdivps + vcvtps2dq
 * under the default rounding mode reproduces qb_quant1 bit for bit.
 *
 * Policies: symmetric (zp = 0), asymmetric (zp chosen so [lo, hi] fills
 * [qmin, qmax]), pow2 (zp = 0, s = 2^-shift so a requantization is a shift).
 * Granularity: per-tensor, or per-channel along one axis of the tensor
 * (axis 0 for conv weights [K,C,R,S] and for gemm weights stored [N,K]). */
#ifndef QB_QUANT_H
#define QB_QUANT_H

#include "op.h" /* qb_qgran, qb_qpolicy */

#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    QB_RANGE_INT8 = 0,        /* [-128, 127] */
    QB_RANGE_INT8_NARROW = 1, /* [-127, 127]: symmetric around 0, no -128 */
    QB_RANGE_UINT8 = 2,       /* [0, 255] */
} qb_qrange;

typedef enum {
    QB_SCALE_ABSMAX = 0,     /* [lo, hi] = [-max|x|, max|x|] */
    QB_SCALE_MINMAX = 1,     /* [lo, hi] = [min x, max x] */
    QB_SCALE_PERCENTILE = 2, /* symmetric: p-th percentile of |x|; asymmetric: the
                                (100-p)-th and p-th percentiles of x */
} qb_qsource;

typedef enum {
    QB_POW2_CEIL = 0,    /* s = 2^ceil(log2(a / divisor)): nothing clips */
    QB_POW2_NEAREST = 1, /* s = 2^round(log2(a / divisor)): less noise, may clip */
} qb_pow2_round;

/* A quantization policy, complete: everything a result record needs to say
 * how a tensor was quantized. Fill with qb_qspec_default, then adjust. */
typedef struct {
    qb_qpolicy policy;        /* QB_SYMMETRIC, QB_ASYMMETRIC or QB_POW2 */
    qb_qgran gran;            /* QB_PER_TENSOR or QB_PER_CHANNEL */
    int axis;                 /* channel axis for QB_PER_CHANNEL */
    qb_qrange range;
    qb_qsource source;
    /* symmetric / pow2: s = a / divisor with a = max(|lo|, |hi|);
     * asymmetric:       s = (hi - lo) / divisor, lo <= 0 <= hi.
     * 0 means the natural one: qmax for symmetric and pow2 (127, or 255 for
     * uint8), qmax - qmin for asymmetric. The classic exercise (scale = max|x| / 128) uses 128. */
    double divisor;
    double percentile;        /* QB_SCALE_PERCENTILE: p in (50, 100] */
    qb_pow2_round pow2_round;
} qb_qspec;

/* The chosen parameters, one entry per channel (nch = 1 per-tensor). */
typedef struct {
    qb_qpolicy policy;
    qb_qgran gran;
    qb_qrange range;
    int axis;
    int32_t qmin, qmax;
    int nch;
    float *scale;        /* [nch], > 0 and finite */
    int32_t *zero_point; /* [nch], 0 unless asymmetric */
    int32_t *shift;      /* [nch], pow2 only: scale = 2^-shift (may be negative) */
} qb_qparams;

/* Defaults for a policy: symmetric -> int8, absmax; asymmetric -> uint8,
 * minmax; pow2 -> int8, absmax, ceil. Per-tensor, axis 0, divisor 0. */
qb_qspec qb_qspec_default(qb_qpolicy policy);
/* QB_EUSAGE naming the bad field: unknown enum, divisor < 0 or not finite,
 * percentile outside (50, 100], pow2 with uint8 is fine, symmetric with
 * uint8 means [0, 255] with zp = 0 (for data known to be >= 0). */
int qb_qspec_check(const qb_qspec *spec);
void qb_qrange_limits(qb_qrange r, int32_t *qmin, int32_t *qmax);
const char *qb_qrange_name(qb_qrange r);     /* "int8", "int8-narrow", "uint8" */
const char *qb_qsource_name(qb_qsource s);   /* "absmax", "minmax", "percentile" */
const char *qb_pow2_round_name(qb_pow2_round r); /* "ceil", "nearest" */
/* Parse the command-line words; QB_EUSAGE naming the word. */
int qb_qpolicy_parse(const char *word, qb_qpolicy *out);
int qb_qgran_parse(const char *word, qb_qgran *out);
int qb_qrange_parse(const char *word, qb_qrange *out);
int qb_pow2_round_parse(const char *word, qb_pow2_round *out);
/* "absmax", "absmax/128", "minmax/255", "percentile:99.9", "percentile:99.9/127" */
int qb_qscale_parse(const char *word, qb_qspec *spec);

/* Allocate nch channels (scale 1, zp 0, shift 0) or free them. */
int qb_qparams_init(qb_qparams *p, const qb_qspec *spec, int nch);
void qb_qparams_free(qb_qparams *p);

/* A tensor of ndim dims seen as [outer, nch, inner] around the channel axis
 * (per-tensor: outer = inner = 1, nch = 1 over the whole element count). */
typedef struct {
    size_t outer, nch, inner;
} qb_qlayout;
int qb_qlayout_make(const size_t *dims, int ndim, qb_qgran gran, int axis, qb_qlayout *out);

/* Choose params from data. Defined results: an all-zero channel gets s = 1
 * (every value is then exact); a scale that would underflow is raised to
 * FLT_MIN, one that would overflow is capped at FLT_MAX. NaN or Inf in the
 * data is QB_EINPUT (no meaningful scale exists). qb_qparams_free after. */
int qb_qchoose(const float *x, const size_t *dims, int ndim, const qb_qspec *spec,
               qb_qparams *out);

/* One value. NaN maps to zp (x' = 0); +-Inf saturate to qmax / qmin. */
static inline int32_t qb_quant1(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax)
{
    const float r = rintf(x / scale);
    if (!(r == r)) return zp < qmin ? qmin : zp > qmax ? qmax : zp;
    if (r >= (float)qmax - (float)zp) return qmax; /* also +Inf, and before the int cast */
    if (r <= (float)qmin - (float)zp) return qmin;
    return (int32_t)r + zp;
}

static inline float qb_dequant1(int32_t q, float scale, int32_t zp)
{
    return (float)(q - zp) * scale;
}

/* Whole tensors (same dims as qb_qchoose). q is int8_t[] for the int8 ranges,
 * uint8_t[] for uint8. Returns QB_EINPUT if dims do not match p->nch. */
int qb_quantize(const float *x, const size_t *dims, int ndim, const qb_qparams *p, void *q);
int qb_dequantize(const void *q, const size_t *dims, int ndim, const qb_qparams *p, float *x);
/* quantize then dequantize in one pass (for error measurement), no int buffer */
int qb_fake_quant(const float *x, const size_t *dims, int ndim, const qb_qparams *p, float *out);

/* ---- Requantization: int32 accumulator -> int8/uint8 ------------------------
 * An int8 kernel accumulates acc = sum (qa - za)(qw - zw) (+ bias in int32 at
 * scale sa*sw); the output is q = clip(round(acc * M) + zo, qmin, qmax) with
 * the real multiplier M = sa * sw / so (per output channel for per-channel
 * weights). Three exact forms; a kernel says which one it uses and its
 * reference calls the same function:
 *
 * fixed:  M ~= mult * 2^-shift, mult in [2^30, 2^31), shift in [1, 62];
 *         round(acc * M) = floor((acc * mult + 2^(shift-1)) / 2^shift) in int64
 *         (round half up: one add and one arithmetic shift in SIMD).
 * shift:  M = 2^-k (pow2 scales): floor((acc + 2^(k-1)) / 2^k), computed as
 *         (acc >> k) + ((acc >> (k-1)) & 1) so it cannot overflow; k <= 0 is
 *         a saturating left shift. Equals fixed with mult = 2^30, shift = 30+k.
 * float:  rintf((float)acc * m) with m = (float)M: what vcvtdq2ps, vmulps,
 *         vcvtps2dq do (half to even; (float)acc rounds above 2^24). */
typedef struct {
    int32_t mult;
    int32_t shift;
} qb_requant;

/* QB_EINPUT if M is not finite, <= 0, or >= 2^30. M below 2^-32 gives
 * shift 62 and a small mult (the result is then 0 or +-1). */
int qb_requant_make(double real_multiplier, qb_requant *out);
double qb_requant_value(qb_requant r); /* mult * 2^-shift */

static inline int32_t qb_sat(int64_t v, int32_t qmin, int32_t qmax)
{
    return v < qmin ? qmin : v > qmax ? qmax : (int32_t)v;
}

static inline int32_t qb_requant_fixed(int32_t acc, qb_requant r, int32_t zo, int32_t qmin,
                                       int32_t qmax)
{
    const int64_t p = (int64_t)acc * r.mult + ((int64_t)1 << (r.shift - 1));
    return qb_sat((p >> r.shift) + zo, qmin, qmax); /* >> of a negative int64 is arithmetic in gcc */
}

static inline int32_t qb_requant_shift(int32_t acc, int k, int32_t zo, int32_t qmin, int32_t qmax)
{
    if (k <= 0) {
        const int64_t v = k < -31 ? (acc > 0 ? INT64_MAX / 2 : acc < 0 ? -INT64_MAX / 2 : 0)
                                  : (int64_t)acc * ((int64_t)1 << -k);
        return qb_sat(v + zo, qmin, qmax);
    }
    if (k > 31) return qb_sat(zo, qmin, qmax);
    return qb_sat((int64_t)((acc >> k) + ((acc >> (k - 1)) & 1)) + zo, qmin, qmax);
}

static inline int32_t qb_requant_float(int32_t acc, float m, int32_t zo, int32_t qmin,
                                       int32_t qmax)
{
    const float r = rintf((float)acc * m);
    if (r >= 2147483520.0f) return qmax; /* largest float below 2^31 */
    if (r <= -2147483648.0f) return qmin;
    return qb_sat((int64_t)(int32_t)r + zo, qmin, qmax);
}

#endif
