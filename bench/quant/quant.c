/* Choosing quantization parameters from data, quantizing whole tensors, and
 * building requantization multipliers (the formulas are in quant.h). */
#include "quant.h"

#include "error.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int qb_qparams_init(qb_qparams *p, const qb_qspec *spec, int nch)
{
    memset(p, 0, sizeof *p);
    if (nch < 1) return qb_fail(QB_EINPUT, "quantization needs at least one channel, got %d", nch);
    p->policy = spec->policy;
    p->gran = spec->gran;
    p->range = spec->range;
    p->axis = spec->axis;
    p->nch = nch;
    qb_qrange_limits(spec->range, &p->qmin, &p->qmax);
    p->scale = malloc((size_t)nch * sizeof *p->scale);
    p->zero_point = calloc((size_t)nch, sizeof *p->zero_point);
    p->shift = calloc((size_t)nch, sizeof *p->shift);
    if (!p->scale || !p->zero_point || !p->shift) {
        qb_qparams_free(p);
        return qb_fail(QB_ENOMEM, "out of memory for %d quantization channels", nch);
    }
    for (int c = 0; c < nch; c++) p->scale[c] = 1.0f;
    return QB_OK;
}

void qb_qparams_free(qb_qparams *p)
{
    free(p->scale);
    free(p->zero_point);
    free(p->shift);
    p->scale = NULL;
    p->zero_point = NULL;
    p->shift = NULL;
    p->nch = 0;
}

int qb_qlayout_make(const size_t *dims, int ndim, qb_qgran gran, int axis, qb_qlayout *out)
{
    if (ndim < 1 || ndim > 8) return qb_fail(QB_EINPUT, "tensor rank %d is not 1 to 8", ndim);
    if (gran == QB_PER_CHANNEL && (axis < 0 || axis >= ndim))
        return qb_fail(QB_EINPUT, "per-channel axis %d does not exist in a rank-%d tensor", axis,
                       ndim);
    size_t before = 1, after = 1, total = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] == 0) return qb_fail(QB_EINPUT, "tensor dimension %d is zero", i);
        if (total > SIZE_MAX / dims[i]) return qb_fail(QB_EINPUT, "tensor size overflows");
        total *= dims[i];
        if (i < axis) before *= dims[i];
        if (i > axis) after *= dims[i];
    }
    if (gran == QB_PER_CHANNEL) {
        if (dims[axis] > (size_t)INT32_MAX) return qb_fail(QB_EINPUT, "too many channels");
        *out = (qb_qlayout){before, dims[axis], after};
    } else {
        *out = (qb_qlayout){1, 1, total};
    }
    return QB_OK;
}

/* k-th smallest of v[0..n) (reorders v): quickselect with Hoare partitioning. */
static float select_kth(float *v, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1;
    const ptrdiff_t kk = (ptrdiff_t)k;
    while (lo < hi) {
        const float pivot = v[lo + (hi - lo) / 2];
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                const float t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (kk <= j) hi = j;
        else if (kk >= i) lo = i;
        else break;
    }
    return v[kk];
}

/* Nearest-rank percentile: the value at rank ceil(p/100 * n) (1-based). */
static size_t rank_of(double p, size_t n)
{
    double r = ceil(p / 100.0 * (double)n);
    if (r < 1) r = 1;
    if (r > (double)n) r = (double)n;
    return (size_t)r - 1;
}

/* The range [lo, hi] a channel's scale covers, per the spec's source. */
static void channel_range(const float *x, const qb_qlayout *L, size_t c, const qb_qspec *spec,
                          float *buf, double *lo, double *hi)
{
    const size_t n = L->outer * L->inner;
    double mn = INFINITY, mx = -INFINITY, amax = 0;
    size_t k = 0;
    for (size_t o = 0; o < L->outer; o++) {
        const float *row = x + (o * L->nch + c) * L->inner;
        for (size_t i = 0; i < L->inner; i++) {
            const double v = row[i];
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
            amax = fabs(v) > amax ? fabs(v) : amax;
            if (buf) buf[k++] = spec->policy == QB_ASYMMETRIC ? row[i] : fabsf(row[i]);
        }
    }
    if (spec->source == QB_SCALE_PERCENTILE && buf) {
        if (spec->policy == QB_ASYMMETRIC) {
            const size_t r = rank_of(spec->percentile, n);
            mx = select_kth(buf, n, r);
            mn = select_kth(buf, n, n - 1 - r);
        } else {
            amax = select_kth(buf, n, rank_of(spec->percentile, n));
        }
    }
    if (spec->policy == QB_ASYMMETRIC && spec->source != QB_SCALE_ABSMAX) {
        *lo = mn;
        *hi = mx;
    } else {
        *lo = -amax;
        *hi = amax;
    }
}

static double clamp_scale(double s)
{
    if (!(s > 0)) return 1.0; /* an all-zero channel: any scale is exact */
    if (s < FLT_MIN) return FLT_MIN;
    if (s > FLT_MAX) return FLT_MAX;
    return s;
}

static void choose_channel(const qb_qspec *spec, qb_qparams *p, int c, double lo, double hi)
{
    if (spec->policy == QB_ASYMMETRIC) {
        /* Zero must be exact (padding, ReLU zeros), so the range always holds it. */
        lo = lo < 0 ? lo : 0;
        hi = hi > 0 ? hi : 0;
        const double d = spec->divisor > 0 ? spec->divisor : (double)(p->qmax - p->qmin);
        const double range = hi - lo;
        const float s = (float)clamp_scale(range > 0 ? range / d : 0);
        const double zp = range > 0 ? rint((double)p->qmin - lo / (double)s) : (double)p->qmin;
        p->scale[c] = s;
        p->zero_point[c] = zp < p->qmin ? p->qmin : zp > p->qmax ? p->qmax : (int32_t)zp;
        p->shift[c] = 0;
        return;
    }
    const double a = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
    const double d = spec->divisor > 0 ? spec->divisor : (double)p->qmax;
    const double s = clamp_scale(a > 0 ? a / d : 0);
    p->zero_point[c] = 0;
    if (spec->policy != QB_POW2) {
        p->scale[c] = (float)s;
        p->shift[c] = 0;
        return;
    }
    /* s = m * 2^e with m in [0.5, 1): log2 s = e + log2 m, log2 m in [-1, 0). */
    int e;
    const double m = frexp(s, &e);
    int k;
    if (spec->pow2_round == QB_POW2_CEIL) k = m == 0.5 ? e - 1 : e;
    else k = m < 0.70710678118654752 ? e - 1 : e; /* log2 m < -1/2 */
    if (k < -126) k = -126; /* keep 2^k a normal float */
    if (k > 127) k = 127;
    p->scale[c] = ldexpf(1.0f, k);
    p->shift[c] = -k;
}

int qb_qchoose(const float *x, const size_t *dims, int ndim, const qb_qspec *spec,
               qb_qparams *out)
{
    memset(out, 0, sizeof *out);
    int rc = qb_qspec_check(spec);
    if (rc) return rc;
    qb_qlayout L;
    rc = qb_qlayout_make(dims, ndim, spec->gran, spec->axis, &L);
    if (rc) return rc;
    const size_t total = L.outer * L.nch * L.inner;
    for (size_t i = 0; i < total; i++)
        if (!isfinite(x[i]))
            return qb_fail(QB_EINPUT, "value %g at index %zu is not finite: no scale fits it",
                           (double)x[i], i);
    rc = qb_qparams_init(out, spec, (int)L.nch);
    if (rc) return rc;
    float *buf = NULL;
    if (spec->source == QB_SCALE_PERCENTILE) {
        buf = malloc(L.outer * L.inner * sizeof *buf);
        if (!buf) {
            qb_qparams_free(out);
            return qb_fail(QB_ENOMEM, "out of memory for a percentile of %zu values",
                           L.outer * L.inner);
        }
    }
    for (size_t c = 0; c < L.nch; c++) {
        double lo, hi;
        channel_range(x, &L, c, spec, buf, &lo, &hi);
        choose_channel(spec, out, (int)c, lo, hi);
    }
    free(buf);
    return QB_OK;
}

static int layout_of(const size_t *dims, int ndim, const qb_qparams *p, qb_qlayout *L)
{
    int rc = qb_qlayout_make(dims, ndim, p->gran, p->axis, L);
    if (rc) return rc;
    if (L->nch != (size_t)p->nch)
        return qb_fail(QB_EINPUT, "tensor has %zu channels but the parameters have %d", L->nch,
                       p->nch);
    return QB_OK;
}

int qb_quantize(const float *x, const size_t *dims, int ndim, const qb_qparams *p, void *q)
{
    qb_qlayout L;
    int rc = layout_of(dims, ndim, p, &L);
    if (rc) return rc;
    int8_t *s8 = q;
    uint8_t *u8 = q;
    const bool is_u8 = p->range == QB_RANGE_UINT8;
    for (size_t o = 0; o < L.outer; o++)
        for (size_t c = 0; c < L.nch; c++) {
            const size_t base = (o * L.nch + c) * L.inner;
            const float s = p->scale[c];
            const int32_t zp = p->zero_point[c];
            for (size_t i = 0; i < L.inner; i++) {
                const int32_t v = qb_quant1(x[base + i], s, zp, p->qmin, p->qmax);
                if (is_u8) u8[base + i] = (uint8_t)v;
                else s8[base + i] = (int8_t)v;
            }
        }
    return QB_OK;
}

int qb_dequantize(const void *q, const size_t *dims, int ndim, const qb_qparams *p, float *x)
{
    qb_qlayout L;
    int rc = layout_of(dims, ndim, p, &L);
    if (rc) return rc;
    const int8_t *s8 = q;
    const uint8_t *u8 = q;
    const bool is_u8 = p->range == QB_RANGE_UINT8;
    for (size_t o = 0; o < L.outer; o++)
        for (size_t c = 0; c < L.nch; c++) {
            const size_t base = (o * L.nch + c) * L.inner;
            for (size_t i = 0; i < L.inner; i++) {
                const int32_t v = is_u8 ? u8[base + i] : s8[base + i];
                x[base + i] = qb_dequant1(v, p->scale[c], p->zero_point[c]);
            }
        }
    return QB_OK;
}

int qb_fake_quant(const float *x, const size_t *dims, int ndim, const qb_qparams *p, float *out)
{
    qb_qlayout L;
    int rc = layout_of(dims, ndim, p, &L);
    if (rc) return rc;
    for (size_t o = 0; o < L.outer; o++)
        for (size_t c = 0; c < L.nch; c++) {
            const size_t base = (o * L.nch + c) * L.inner;
            const float s = p->scale[c];
            const int32_t zp = p->zero_point[c];
            for (size_t i = 0; i < L.inner; i++)
                out[base + i] = qb_dequant1(qb_quant1(x[base + i], s, zp, p->qmin, p->qmax), s, zp);
        }
    return QB_OK;
}

int qb_requant_make(double M, qb_requant *out)
{
    if (!isfinite(M) || M <= 0 || M >= 1073741824.0)
        return qb_fail(QB_EINPUT, "requantization multiplier %g is not in (0, 2^30)", M);
    int e;
    const double m = frexp(M, &e); /* M = m * 2^e, m in [0.5, 1) */
    if (e < -31) {
        out->shift = 62;
        out->mult = (int32_t)llrint(ldexp(M, 62));
        return QB_OK;
    }
    int64_t mult = llrint(ldexp(m, 31));
    if (mult == (int64_t)1 << 31) { /* m rounded up to 1 */
        mult /= 2;
        e++;
    }
    if (31 - e < 1)
        return qb_fail(QB_EINPUT, "requantization multiplier %g is not in (0, 2^30)", M);
    out->mult = (int32_t)mult;
    out->shift = 31 - e;
    return QB_OK;
}

double qb_requant_value(qb_requant r)
{
    return ldexp((double)r.mult, -r.shift);
}
