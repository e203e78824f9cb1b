/* The network operators' kernels (nn_kern.h): plain loops the compiler
 * vectorizes along the innermost axis, split over planes, rows or element
 * spans across threads. */
#include "nn_kern.h"

#include "eltwise_simd.h"
#include "quant.h"

#include <float.h>
#include <immintrin.h>
#include <math.h>
#include <omp.h>

void qb_pool_geom_make(qb_pool_geom *g, long planes, long H, long W, long R, long S, long sh,
                       long sw, const long pads[4], bool ceil_mode, bool count_pad)
{
    const long eh = H + pads[0] + pads[2] - R, ew = W + pads[1] + pads[3] - S;
    *g = (qb_pool_geom){.planes = planes, .H = H, .W = W, .R = R, .S = S, .sh = sh, .sw = sw,
                        .pt = pads[0], .pl = pads[1], .count_pad = count_pad};
    g->OH = (ceil_mode ? (eh + sh - 1) / sh : eh / sh) + 1;
    g->OW = (ceil_mode ? (ew + sw - 1) / sw : ew / sw) + 1;
    /* ceil mode: a last window must start inside the image or its left padding */
    if (ceil_mode && (g->OH - 1) * sh >= H + pads[0]) g->OH--;
    if (ceil_mode && (g->OW - 1) * sw >= W + pads[1]) g->OW--;
}

/* The window of output (oh, ow) clipped to the image: rows [h0, h1), columns [w0, w1). */
static void window(const qb_pool_geom *g, long oh, long ow, long *h0, long *h1, long *w0, long *w1)
{
    const long hs = oh * g->sh - g->pt, ws = ow * g->sw - g->pl;
    *h0 = hs < 0 ? 0 : hs;
    *w0 = ws < 0 ? 0 : ws;
    *h1 = hs + g->R > g->H ? g->H : hs + g->R;
    *w1 = ws + g->S > g->W ? g->W : ws + g->S;
}

/* Taps the average divides by: R*S with count_pad (limited to the padded
 * image), else the taps inside the image. */
static long count(const qb_pool_geom *g, long oh, long ow, long h0, long h1, long w0, long w1)
{
    if (!g->count_pad) return (h1 - h0) * (w1 - w0);
    const long hs = oh * g->sh - g->pt, ws = ow * g->sw - g->pl;
    const long he = hs + g->R > g->H + g->pt ? g->H + g->pt : hs + g->R;
    const long we = ws + g->S > g->W + g->pl ? g->W + g->pl : ws + g->S;
    return (he - hs) * (we - ws);
}

void qb_maxpool_f32(const qb_pool_geom *g, const float *x, float *y, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long p = 0; p < g->planes; p++) {
        const float *xp = x + p * g->H * g->W;
        float *yp = y + p * g->OH * g->OW;
        for (long oh = 0; oh < g->OH; oh++)
            for (long ow = 0; ow < g->OW; ow++) {
                long h0, h1, w0, w1;
                window(g, oh, ow, &h0, &h1, &w0, &w1);
                float m = -FLT_MAX;
                for (long h = h0; h < h1; h++)
                    for (long w = w0; w < w1; w++)
                        m = xp[h * g->W + w] > m ? xp[h * g->W + w] : m;
                yp[oh * g->OW + ow] = m;
            }
    }
}

void qb_maxpool_q8(const qb_pool_geom *g, const qb_qt *xt, const uint8_t *x, uint8_t *y,
                   int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long p = 0; p < g->planes; p++) {
        const uint8_t *xp = x + p * g->H * g->W;
        uint8_t *yp = y + p * g->OH * g->OW;
        for (long oh = 0; oh < g->OH; oh++)
            for (long ow = 0; ow < g->OW; ow++) {
                long h0, h1, w0, w1;
                window(g, oh, ow, &h0, &h1, &w0, &w1);
                int32_t m = -129;
                for (long h = h0; h < h1; h++)
                    for (long w = w0; w < w1; w++) {
                        const int32_t q = qb_qt_get(xt, xp, (size_t)(h * g->W + w));
                        m = q > m ? q : m;
                    }
                yp[oh * g->OW + ow] = (uint8_t)m;
            }
    }
}

/* Channels-last max pooling: each output pixel's window, all C channels of
 * a pixel at a time (eight floats or 32 bytes to a vector), the images'
 * rows shared out among threads. Max is exact, so both layouts give the
 * same values. One output pixel: the max over input pixels [h0, h1) x
 * [w0, w1) of the image xn (W pixels a row, C channels each) into yp. */
static inline void max_px_f32(const void *xv, long W, long C, long h0, long h1, long w0, long w1, void *yv)
{
    const float *xn = xv;
    float *yp = yv;
    const long full = C / 8 * 8;
    for (long c = 0; c < full; c += 8) {
        __m256 m = _mm256_set1_ps(-FLT_MAX);
        for (long h = h0; h < h1; h++)
            for (long w = w0; w < w1; w++) m = _mm256_max_ps(_mm256_loadu_ps(xn + (h * W + w) * C + c), m);
        _mm256_storeu_ps(yp + c, m);
    }
    for (long c = full; c < C; c++) {
        float m = -FLT_MAX;
        for (long h = h0; h < h1; h++)
            for (long w = w0; w < w1; w++) m = xn[(h * W + w) * C + c] > m ? xn[(h * W + w) * C + c] : m;
        yp[c] = m;
    }
}

static inline void max_px_u8(const void *xv, long W, long C, long h0, long h1, long w0, long w1, void *yv)
{
    const uint8_t *xn = xv;
    uint8_t *yp = yv;
    const long full = C / 32 * 32;
    for (long c = 0; c < full; c += 32) {
        __m256i m = _mm256_setzero_si256();
        for (long h = h0; h < h1; h++)
            for (long w = w0; w < w1; w++)
                m = _mm256_max_epu8(_mm256_loadu_si256((const __m256i *)(xn + (h * W + w) * C + c)), m);
        _mm256_storeu_si256((__m256i *)(yp + c), m);
    }
    for (long c = full; c < C; c++) {
        uint8_t m = 0;
        for (long h = h0; h < h1; h++)
            for (long w = w0; w < w1; w++) m = xn[(h * W + w) * C + c] > m ? xn[(h * W + w) * C + c] : m;
        yp[c] = m;
    }
}

/* Every output pixel of N images, u8 or float (the test on u8 is the same
 * for every pixel; a call through a function pointer here cost the u8
 * pooling a fifth of its speed). */
static void maxpool_nhwc(const qb_pool_geom *g, long N, long C, bool u8, const void *x, void *y,
                         int threads)
{
    const size_t es = u8 ? 1 : sizeof(float);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long row = 0; row < N * g->OH; row++) {
        const long n = row / g->OH, oh = row % g->OH;
        const char *xn = (const char *)x + (size_t)(n * g->H * g->W * C) * es;
        for (long ow = 0; ow < g->OW; ow++) {
            long h0, h1, w0, w1;
            window(g, oh, ow, &h0, &h1, &w0, &w1);
            char *yp = (char *)y + (size_t)(((n * g->OH + oh) * g->OW + ow) * C) * es;
            if (u8) max_px_u8(xn, g->W, C, h0, h1, w0, w1, yp);
            else max_px_f32(xn, g->W, C, h0, h1, w0, w1, yp);
        }
    }
}

void qb_maxpool_nhwc_f32(const qb_pool_geom *g, long N, long C, const float *x, float *y, int threads)
{
    maxpool_nhwc(g, N, C, false, x, y, threads);
}

void qb_maxpool_nhwc_u8(const qb_pool_geom *g, long N, long C, const uint8_t *x, uint8_t *y, int threads)
{
    maxpool_nhwc(g, N, C, true, x, y, threads);
}

void qb_avgpool_f32(const qb_pool_geom *g, const float *x, float *y, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long p = 0; p < g->planes; p++) {
        const float *xp = x + p * g->H * g->W;
        float *yp = y + p * g->OH * g->OW;
        for (long oh = 0; oh < g->OH; oh++)
            for (long ow = 0; ow < g->OW; ow++) {
                long h0, h1, w0, w1;
                window(g, oh, ow, &h0, &h1, &w0, &w1);
                float s = 0;
                for (long h = h0; h < h1; h++)
                    for (long w = w0; w < w1; w++)
                        s += xp[h * g->W + w];
                const long n = count(g, oh, ow, h0, h1, w0, w1);
                yp[oh * g->OW + ow] = n > 0 ? s / (float)n : 0.0f;
            }
    }
}

void qb_avgpool_q8(const qb_pool_geom *g, const qb_qt *xt, const uint8_t *x, const qb_qt *yt,
                   uint8_t *y, int threads)
{
    const float r = xt->scale / yt->scale;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long p = 0; p < g->planes; p++) {
        const uint8_t *xp = x + p * g->H * g->W;
        uint8_t *yp = y + p * g->OH * g->OW;
        for (long oh = 0; oh < g->OH; oh++)
            for (long ow = 0; ow < g->OW; ow++) {
                long h0, h1, w0, w1;
                window(g, oh, ow, &h0, &h1, &w0, &w1);
                int32_t s = 0;
                for (long h = h0; h < h1; h++)
                    for (long w = w0; w < w1; w++)
                        s += qb_qt_get(xt, xp, (size_t)(h * g->W + w)) - xt->zp;
                const long n = count(g, oh, ow, h0, h1, w0, w1);
                const float m = n > 0 ? r / (float)n : 0.0f;
                yp[oh * g->OW + ow] =
                    (uint8_t)qb_requant_float(s, m, yt->zp, qb_qt_min(yt), qb_qt_max(yt));
            }
    }
}

void qb_gap_f32(long planes, long HW, const float *x, float *y, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long p = 0; p < planes; p++) {
        const float *xp = x + p * HW;
        float s = 0;
        for (long i = 0; i < HW; i++)
            s += xp[i];
        y[p] = s / (float)HW;
    }
}

void qb_gap_q8(long planes, long HW, const qb_qt *xt, const uint8_t *x, const qb_qt *yt,
               uint8_t *y, int threads)
{
    const float m = xt->scale / yt->scale / (float)HW;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long p = 0; p < planes; p++) {
        const uint8_t *xp = x + p * HW;
        int32_t s = 0;
        for (long i = 0; i < HW; i++)
            s += qb_qt_get(xt, xp, (size_t)i);
        s -= (int32_t)HW * xt->zp;
        y[p] = (uint8_t)qb_requant_float(s, m, yt->zp, qb_qt_min(yt), qb_qt_max(yt));
    }
}

/* Channels-last global average pooling of N images of P pixels: each
 * channel's sum runs over the pixels in order, as the planar kernels' does,
 * so both give the same bits. */
void qb_gap_nhwc_f32(long N, long P, long C, const float *x, float *y, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long b = 0; b < N; b++) {
        const float *xb = x + b * P * C;
        float *yb = y + b * C;
        for (long c = 0; c < C; c++) yb[c] = 0;
        for (long p = 0; p < P; p++)
            for (long c = 0; c < C; c++) yb[c] += xb[p * C + c];
        for (long c = 0; c < C; c++) yb[c] /= (float)P;
    }
}

enum { GAP_CH = 256 }; /* channels of integer sums at once */

void qb_gap_nhwc_q8(long N, long P, long C, const qb_qt *xt, const uint8_t *x, const qb_qt *yt,
                    uint8_t *y, int threads)
{
    const float m = xt->scale / yt->scale / (float)P;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long b = 0; b < N; b++) {
        const uint8_t *xb = x + b * P * C;
        uint8_t *yb = y + b * C;
        for (long c0 = 0; c0 < C; c0 += GAP_CH) {
            const long nc = C - c0 < GAP_CH ? C - c0 : GAP_CH;
            int32_t s[GAP_CH] = {0};
            for (long p = 0; p < P; p++)
                for (long c = 0; c < nc; c++) s[c] += qb_qt_get(xt, xb, (size_t)(p * C + c0 + c));
            for (long c = 0; c < nc; c++)
                yb[c0 + c] = (uint8_t)qb_requant_float(s[c] - (int32_t)P * xt->zp, m, yt->zp,
                                                       qb_qt_min(yt), qb_qt_max(yt));
        }
    }
}

void qb_bn_f32(long N, long C, long HW, const float *a, const float *b, const float *x, float *y,
               int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long p = 0; p < N * C; p++) {
        const float ac = a[p % C], bc = b[p % C];
        const float *xp = x + p * HW;
        float *yp = y + p * HW;
        for (long i = 0; i < HW; i++)
            yp[i] = xp[i] * ac + bc;
    }
}

void qb_bn_q8(long N, long C, long HW, const qb_qt *xt, const uint8_t *x, const int8_t *wq,
              const int32_t *bias, const float *mult, const qb_qt *yt, uint8_t *y, int threads)
{
    const int32_t lo = qb_qt_min(yt), hi = qb_qt_max(yt);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long p = 0; p < N * C; p++) {
        const long c = p % C;
        const uint8_t *xp = x + p * HW;
        uint8_t *yp = y + p * HW;
        for (long i = 0; i < HW; i++)
            yp[i] = (uint8_t)qb_requant_float(qb_qt_get(xt, xp, (size_t)i) * wq[c] + bias[c],
                                              mult[c], yt->zp, lo, hi);
    }
}

/* One row: mean and variance in float, two passes. */
static void ln_row(long D, float eps, const float *g, const float *b, const float *x, float *y)
{
    float s = 0;
    for (long i = 0; i < D; i++)
        s += x[i];
    const float mean = s / (float)D;
    float v = 0;
    for (long i = 0; i < D; i++)
        v += (x[i] - mean) * (x[i] - mean);
    const float inv = 1.0f / sqrtf(v / (float)D + eps);
    for (long i = 0; i < D; i++)
        y[i] = (x[i] - mean) * inv * g[i] + b[i];
}

void qb_ln_f32(long rows, long D, float eps, const float *g, const float *b, const float *x,
               float *y, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long r = 0; r < rows; r++)
        ln_row(D, eps, g, b, x + r * D, y + r * D);
}

void qb_ln_q8(long rows, long D, float eps, const float *g, const float *b, const qb_qt *xt,
              const uint8_t *x, const qb_qt *yt, uint8_t *y, float *scratch, int threads)
{
    const int32_t lo = qb_qt_min(yt), hi = qb_qt_max(yt);
#pragma omp parallel num_threads(threads)
    {
        float *row = scratch + (size_t)omp_get_thread_num() * 2 * (size_t)D, *out = row + D;
#pragma omp for schedule(static)
        for (long r = 0; r < rows; r++) {
            const uint8_t *xr = x + r * D;
            uint8_t *yr = y + r * D;
            for (long i = 0; i < D; i++)
                row[i] = qb_dequant1(qb_qt_get(xt, xr, (size_t)i), xt->scale, xt->zp);
            ln_row(D, eps, g, b, row, out);
            for (long i = 0; i < D; i++)
                yr[i] = (uint8_t)qb_quant1(out[i], yt->scale, yt->zp, lo, hi);
        }
    }
}

double qb_gelu_ref(double x)
{
    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
}

/* erf of eight lanes: Abramowitz and Stegun 7.1.26, 1 - (a1 t + ... + a5 t^5)
 * e^(-z^2) with t = 1 / (1 + p z) on z = |x| (absolute error below 1.5e-7,
 * the float arithmetic adds about as much), the sign restored. */
static inline __m256 v_erf(__m256 x)
{
    const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
    const __m256 z = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), z, _mm256_set1_ps(1.0f)));
    __m256 p = _mm256_set1_ps(1.061405429f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
    p = _mm256_mul_ps(p, t);
    const __m256 e = qb_v_exp(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(z, z)));
    return _mm256_or_ps(_mm256_fnmadd_ps(p, e, _mm256_set1_ps(1.0f)), sign);
}

void qb_gelu_f32(const float *x, float *y, size_t n, int threads)
{
    const size_t full = n / 8 * 8;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < full; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256 r = v_erf(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f)));
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v),
                                              _mm256_add_ps(_mm256_set1_ps(1.0f), r)));
    }
    for (size_t i = full; i < n; i++)
        y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

void qb_clip_f32(const float *x, float *y, size_t n, float lo, float hi, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < n; i++) {
        const float v = x[i] < lo ? lo : x[i];
        y[i] = v > hi ? hi : v;
    }
}

void qb_clip_q8(const qb_qt *xt, const uint8_t *x, uint8_t *y, size_t n, float lo, float hi,
                int threads)
{
    const int32_t qmin = qb_qt_min(xt), qmax = qb_qt_max(xt);
    const int32_t ql = qb_quant1(lo, xt->scale, xt->zp, qmin, qmax),
                  qh = qb_quant1(hi, xt->scale, xt->zp, qmin, qmax);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < n; i++) {
        const int32_t q = qb_qt_get(xt, x, i);
        y[i] = (uint8_t)(q < ql ? ql : q > qh ? qh : q);
    }
}
