/* Element-wise binary operators: add, mul, sub, div on two tensors of the
 * same shape.
 *
 * Operation count: 1 per output element. Bytes: both inputs read and the
 * output written once; int8 adds three scales and zero points.
 *
 * int8 requantizes: the inputs carry their own scales (sa, za), (sb, zb) and
 * the output its calibrated (so, zo).
 *   add/sub  integer, as integer-only deployments do: 16-bit multipliers
 *            Ma = round(2^S sa/so), Mb = round(+-2^S sb/so) and
 *            q = clip((qa Ma + qb Mb + C) >> S) with C = zo 2^S - za Ma - zb Mb
 *            + 2^(S-1) (round half up); vpmaddwd forms qa Ma + qb Mb exactly
 *            from interleaved int16 pairs, 16 elements per instruction;
 *   mul      r = fma((qa - za)(qb - zb), sa sb/so, zo)   (the int32 product is exact)
 *   div      r = ((qa - za) sa/(sb so)) / (qb - zb) + zo  (x/0 saturates, 0/0 gives qmin)
 *            mul and div in float: r clamped to [qmin, qmax] (max then min, so
 *            NaN gives qmin) and rounded half to even (vcvtps2dq).
 * pow2 scales turn add, sub and mul into integer shifts in int16 lanes: add
 * aligns both inputs to the finer scale with left shifts, then the sum (or
 * the product for mul) is rounded right by the exponent difference,
 * qb_requant_shift's arithmetic; scales too far apart for int16 fall back to
 * float. div stays in float (a quotient is not an integer). */
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

typedef enum { K_ADD, K_MUL, K_SUB, K_DIV, K_COUNT } bkind;

static const char *const kname[K_COUNT] = {"add", "mul", "sub", "div"};

/* The int8 arithmetic of one run, shared by the kernel and the reference. */
typedef struct {
    bool shift; /* pow2 integer form */
    bool u8;
    int32_t za, zb, zo, qmin, qmax;
    float ma;      /* mul, div: the float multiplier */
    int32_t mab;   /* add/sub: Ma in the low and Mb in the high 16 bits */
    int32_t c;     /* add/sub: C */
    int s;         /* add/sub: S */
    int la, lb, k; /* shift form: left shifts of a and b, then the rounding shift k */
} i8_arith;

struct qb_op_instance {
    qb_variant v;
    bkind k;
    bool nt;
    qb_mo_tensor a, b, y;
    i8_arith q;
};

static double ref_op(bkind k, double a, double b)
{
    return k == K_ADD ? a + b : k == K_MUL ? a * b : k == K_SUB ? a - b : a / b;
}

/* ---- fp32 and fp16 ---- */

static inline __m256 vop(bkind k, __m256 a, __m256 b)
{
    return k == K_ADD   ? _mm256_add_ps(a, b)
           : k == K_MUL ? _mm256_mul_ps(a, b)
           : k == K_SUB ? _mm256_sub_ps(a, b)
                        : _mm256_div_ps(a, b);
}

/* The kind is a compile-time constant at each call (always_inline), so each
 * kind gets its own loop. */
static inline __attribute__((always_inline)) void f32_loop(bkind k, const float *a, const float *b,
                                                           float *y, size_t n, int nt)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        qb_v_stps(y + i, vop(k, _mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)), nt);
        qb_v_stps(y + i + 8, vop(k, _mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8)), nt);
    }
    for (; i < n; i++)
        y[i] = k == K_ADD   ? a[i] + b[i]
               : k == K_MUL ? a[i] * b[i]
               : k == K_SUB ? a[i] - b[i]
                            : a[i] / b[i];
}

static inline __attribute__((always_inline)) void
f16_loop(bkind k, const uint16_t *a, const uint16_t *b, uint16_t *y, size_t n, int nt)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        qb_v_st16x2(y + i, vop(k, qb_v_ld16(a + i), qb_v_ld16(b + i)),
                    vop(k, qb_v_ld16(a + i + 8), qb_v_ld16(b + i + 8)), nt);
    for (; i < n; i += 8) {
        uint16_t ba[8] = {0},
                 bb[8] = {0x3c00, 0x3c00, 0x3c00, 0x3c00, 0x3c00, 0x3c00, 0x3c00, 0x3c00};
        const size_t m = n - i < 8 ? n - i : 8; /* padding divides by 1.0 */
        memcpy(ba, a + i, m * 2);
        memcpy(bb, b + i, m * 2);
        _mm_storeu_si128((__m128i *)ba, qb_v_cvt16(vop(k, qb_v_ld16(ba), qb_v_ld16(bb))));
        memcpy(y + i, ba, m * 2);
    }
}

static void f32_run(bkind k, const float *a, const float *b, float *y, size_t n, int nt)
{
    switch (k) {
    case K_ADD:
        f32_loop(K_ADD, a, b, y, n, nt);
        break;
    case K_MUL:
        f32_loop(K_MUL, a, b, y, n, nt);
        break;
    case K_SUB:
        f32_loop(K_SUB, a, b, y, n, nt);
        break;
    default:
        f32_loop(K_DIV, a, b, y, n, nt);
        break;
    }
}

static void f16_run(bkind k, const uint16_t *a, const uint16_t *b, uint16_t *y, size_t n, int nt)
{
    switch (k) {
    case K_ADD:
        f16_loop(K_ADD, a, b, y, n, nt);
        break;
    case K_MUL:
        f16_loop(K_MUL, a, b, y, n, nt);
        break;
    case K_SUB:
        f16_loop(K_SUB, a, b, y, n, nt);
        break;
    default:
        f16_loop(K_DIV, a, b, y, n, nt);
        break;
    }
}

/* ---- int8 ---- */

static int32_t clamp_round(float r, int32_t qmin, int32_t qmax)
{
    const float lo = (float)qmin, hi = (float)qmax;
    r = r > lo ? r : lo; /* vmaxps(r, lo): lo when unordered */
    r = r < hi ? r : hi;
    return (int32_t)rintf(r);
}

/* One element, the reference arithmetic. */
static int32_t i8_ref(bkind k, const i8_arith *q, int32_t a, int32_t b)
{
    if (q->shift) {
        const int32_t acc = k == K_MUL ? a * b
                            : k == K_ADD
                                ? (int32_t)((int64_t)a * (1 << q->la) + (int64_t)b * (1 << q->lb))
                                : (int32_t)((int64_t)a * (1 << q->la) - (int64_t)b * (1 << q->lb));
        return qb_requant_shift(acc, q->k, q->zo, q->qmin, q->qmax);
    }
    if (k == K_ADD || k == K_SUB) {
        const int64_t ma = (int16_t)(q->mab & 0xffff), mb = (int16_t)((uint32_t)q->mab >> 16);
        const int64_t r = (a * ma + b * mb + q->c) >> q->s;
        return qb_sat(r, q->qmin, q->qmax);
    }
    float r;
    if (k == K_MUL) {
        r = fmaf((float)((a - q->za) * (b - q->zb)), q->ma, (float)q->zo);
    } else {
        const float t = (float)(a - q->za) * q->ma;
        const float u = t / (float)(b - q->zb);
        r = u + (float)q->zo;
    }
    return clamp_round(r, q->qmin, q->qmax);
}

/* The loop-invariant vectors of a run. */
typedef struct {
    __m256 ma, zo, lo, hi;
    __m256i za, zb;
} i8_vec;

static inline __attribute__((always_inline)) __m256i i8_group(bkind k, const i8_vec *c, __m256i a,
                                                              __m256i b)
{
    __m256 r;
    if (k == K_MUL) {
        const __m256i p =
            _mm256_mullo_epi32(_mm256_sub_epi32(a, c->za), _mm256_sub_epi32(b, c->zb));
        r = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), c->ma, c->zo);
    } else {
        const __m256 t = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(a, c->za)), c->ma);
        r = _mm256_add_ps(_mm256_div_ps(t, _mm256_cvtepi32_ps(_mm256_sub_epi32(b, c->zb))), c->zo);
    }
    return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(r, c->lo), c->hi));
}

/* The shift form in 16-bit lanes (int8 storage, zero points 0): 32 elements
 * as two vectors of 16; exact because i8_arith_make only picks it when every
 * shifted sum or product fits int16 and 0 <= k <= 15. */
static inline __attribute__((always_inline)) __m256i i8_s16(bkind k, const i8_arith *q,
                                                            const uint8_t *a, const uint8_t *b)
{
    const __m128i cla = _mm_cvtsi32_si128(q->la), clb = _mm_cvtsi32_si128(q->lb);
    const __m128i ck = _mm_cvtsi32_si128(q->k), ck1 = _mm_cvtsi32_si128(q->k - 1);
    __m256i r[2];
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        const __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + 16 * h)));
        const __m256i z = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 16 * h)));
        __m256i acc;
        if (k == K_MUL)
            acc = _mm256_mullo_epi16(x, z);
        else if (k == K_ADD)
            acc = _mm256_add_epi16(_mm256_sll_epi16(x, cla), _mm256_sll_epi16(z, clb));
        else
            acc = _mm256_sub_epi16(_mm256_sll_epi16(x, cla), _mm256_sll_epi16(z, clb));
        if (q->k > 0)
            acc = _mm256_add_epi16(
                _mm256_sra_epi16(acc, ck),
                _mm256_and_si256(_mm256_sra_epi16(acc, ck1), _mm256_set1_epi16(1)));
        r[h] = acc;
    }
    const __m256i v = _mm256_permute4x64_epi64(_mm256_packs_epi16(r[0], r[1]), 0xD8);
    return _mm256_min_epi8(_mm256_max_epi8(v, _mm256_set1_epi8((char)q->qmin)),
                           _mm256_set1_epi8((char)q->qmax));
}

/* add/sub in 16-bit multipliers: 32 elements; each half's 16 inputs are
 * interleaved a, b pairs so one vpmaddwd gives qa Ma + qb Mb for 8 of them
 * (elements 0-3 and 8-11 from the low interleave, 4-7 and 12-15 from the
 * high), and vpackssdw puts them back in order. */
static inline __attribute__((always_inline)) __m256i i8_fix(const i8_arith *q, __m256i m, __m256i c,
                                                            const uint8_t *a, const uint8_t *b)
{
    const __m128i sh = _mm_cvtsi32_si128(q->s);
    __m256i w[2];
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        const __m128i la = _mm_loadu_si128((const __m128i *)(a + 16 * h)),
                      lb = _mm_loadu_si128((const __m128i *)(b + 16 * h));
        const __m256i x = q->u8 ? _mm256_cvtepu8_epi16(la) : _mm256_cvtepi8_epi16(la);
        const __m256i z = q->u8 ? _mm256_cvtepu8_epi16(lb) : _mm256_cvtepi8_epi16(lb);
        const __m256i lo = _mm256_sra_epi32(
            _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpacklo_epi16(x, z), m), c), sh);
        const __m256i hi = _mm256_sra_epi32(
            _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpackhi_epi16(x, z), m), c), sh);
        w[h] = _mm256_packs_epi32(lo, hi);
    }
    const __m256i v = q->u8 ? _mm256_packus_epi16(w[0], w[1]) : _mm256_packs_epi16(w[0], w[1]);
    const __m256i r = _mm256_permute4x64_epi64(v, 0xD8);
    return q->u8 ? _mm256_min_epu8(_mm256_max_epu8(r, _mm256_set1_epi8((char)q->qmin)),
                                   _mm256_set1_epi8((char)q->qmax))
                 : _mm256_min_epi8(_mm256_max_epi8(r, _mm256_set1_epi8((char)q->qmin)),
                                   _mm256_set1_epi8((char)q->qmax));
}

/* q is passed by value: the byte stores below may alias anything a pointer
 * reaches, which would make the compiler reload every parameter per step. */
static inline __attribute__((always_inline)) void
i8_loop(bkind k, const i8_arith q, const uint8_t *a, const uint8_t *b, uint8_t *y, size_t n, int nt)
{
    const i8_vec c = {_mm256_set1_ps(q.ma),          _mm256_set1_ps((float)q.zo),
                      _mm256_set1_ps((float)q.qmin), _mm256_set1_ps((float)q.qmax),
                      _mm256_set1_epi32(q.za),       _mm256_set1_epi32(q.zb)};
    const int u8 = q.u8;
    size_t i = 0;
    if (q.shift) {
        for (; i + 32 <= n; i += 32)
            qb_v_st32(y + i, i8_s16(k, &q, a + i, b + i), nt);
    } else if (k == K_ADD || k == K_SUB) {
        const __m256i m = _mm256_set1_epi32(q.mab), cc = _mm256_set1_epi32(q.c);
        for (; i + 32 <= n; i += 32)
            qb_v_st32(y + i, i8_fix(&q, m, cc, a + i, b + i), nt);
    } else {
        for (; i + 32 <= n; i += 32) {
            __m256i r[4];
#pragma GCC unroll 4
            for (int g = 0; g < 4; g++)
                r[g] =
                    i8_group(k, &c, qb_v_widen8(a + i + 8 * g, u8), qb_v_widen8(b + i + 8 * g, u8));
            qb_v_st32(y + i, qb_v_pack4(r[0], r[1], r[2], r[3], u8), nt);
        }
    }
    for (; i < n; i++) {
        const int32_t qa = u8 ? a[i] : (int8_t)a[i], qb = u8 ? b[i] : (int8_t)b[i];
        y[i] = (uint8_t)i8_ref(k, &q, qa, qb);
    }
}

static void i8_run(bkind k, const i8_arith *q, const uint8_t *a, const uint8_t *b, uint8_t *y,
                   size_t n, int nt)
{
    switch (k) {
    case K_ADD:
        i8_loop(K_ADD, *q, a, b, y, n, nt);
        break;
    case K_MUL:
        i8_loop(K_MUL, *q, a, b, y, n, nt);
        break;
    case K_SUB:
        i8_loop(K_SUB, *q, a, b, y, n, nt);
        break;
    default:
        i8_loop(K_DIV, *q, a, b, y, n, nt);
        break;
    }
}

static int run(qb_op_instance *c)
{
#pragma omp parallel num_threads(c->v.threads)
    {
        size_t lo, hi;
        qb_mo_span(c->y.n, omp_get_thread_num(), omp_get_num_threads(), 64, &lo, &hi);
        const size_t n = hi - lo;
        if (c->v.dtype == QB_FP32)
            f32_run(c->k, (const float *)c->a.d + lo, (const float *)c->b.d + lo,
                    (float *)c->y.d + lo, n, c->nt);
        else if (c->v.dtype == QB_FP16)
            f16_run(c->k, (const uint16_t *)c->a.d + lo, (const uint16_t *)c->b.d + lo,
                    (uint16_t *)c->y.d + lo, n, c->nt);
        else
            i8_run(c->k, &c->q, (const uint8_t *)c->a.d + lo, (const uint8_t *)c->b.d + lo,
                   (uint8_t *)c->y.d + lo, n, c->nt);
    }
    if (c->nt) _mm_sfence();
    return QB_OK;
}

static int check(const qb_shape *s)
{
    size_t n;
    int rc = qb_mo_elems("binary op", s, 4, &n);
    /* int8: two float sources, a calibration output and three byte tensors */
    return rc ? rc : qb_mo_mem_check("binary op", 15.0 * (double)n);
}

static double ops(const qb_shape *s)
{
    return (double)s->v[0] * s->v[1] * s->v[2] * s->v[3];
}

static double bytes(const qb_shape *s, const qb_variant *v)
{
    return 3.0 * ops(s) * (double)qb_dtype_bytes(v->dtype) + (v->dtype == QB_INT8 ? 3 * 8.0 : 0);
}

static size_t output_elems(const qb_shape *s)
{
    return (size_t)ops(s);
}

static void destroy(qb_op_instance *c)
{
    if (!c) return;
    qb_mo_tensor_free(&c->a);
    qb_mo_tensor_free(&c->b);
    qb_mo_tensor_free(&c->y);
    free(c);
}

/* The arithmetic of a run from the three tensors' params. */
static void i8_arith_make(bkind k, const qb_qparams *pa, const qb_qparams *pb, const qb_qparams *po,
                          i8_arith *q)
{
    memset(q, 0, sizeof *q);
    q->u8 = po->range == QB_RANGE_UINT8;
    q->za = pa->zero_point[0], q->zb = pb->zero_point[0], q->zo = po->zero_point[0];
    q->qmin = po->qmin, q->qmax = po->qmax;
    const double sa = pa->scale[0], sb = pb->scale[0], so = po->scale[0];
    if (k == K_ADD || k == K_SUB) {
        /* the largest S <= 16 that keeps both multipliers within int16 (S <= 16
         * keeps zo 2^S and the sums far inside int32) */
        const double ma = sa / so, mb = (k == K_SUB ? -sb : sb) / so;
        const double mmax = fabs(ma) > fabs(mb) ? fabs(ma) : fabs(mb);
        int S = 16;
        while (S > 0 && mmax * ldexp(1.0, S) > 32767.0)
            S--;
        const int32_t Ma = (int32_t)lrint(ma * ldexp(1.0, S)),
                      Mb = (int32_t)lrint(mb * ldexp(1.0, S));
        q->s = S;
        q->mab = (int32_t)((uint32_t)(uint16_t)Ma | ((uint32_t)(uint16_t)Mb << 16));
        q->c = q->zo * (1 << S) - q->za * Ma - q->zb * Mb + (S > 0 ? 1 << (S - 1) : 0);
    } else {
        q->ma = (float)(k == K_MUL ? sa * sb / so : sa / (sb * so));
    }
    if (po->policy != QB_POW2 || k == K_DIV) return;
    const int ka = pa->shift[0], kb = pb->shift[0], ko = po->shift[0];
    if (k == K_MUL) {
        q->k = ka + kb - ko;
        q->shift = q->k >= 0 && q->k <= 15; /* |qa qb| <= 2^14 fits int16 */
        return;
    }
    const int K = ka > kb ? ka : kb;
    q->la = K - ka, q->lb = K - kb, q->k = K - ko;
    /* one of la, lb is 0, so |sum| <= 128 (2^la + 1) fits int16 for la <= 7;
     * scales further apart (or an output finer than the inputs) stay in float */
    q->shift = q->la <= 7 && q->lb <= 7 && q->k >= 0 && q->k <= 15;
}

static int int8_setup(qb_op_instance *c)
{
    const size_t n = c->a.n;
    float *yf = qb_big_alloc(n * sizeof *yf, c->v.threads);
    if (!yf) return qb_fail(QB_ENOMEM, "%s: out of memory for the calibration output", kname[c->k]);
#pragma omp parallel num_threads(c->v.threads)
    {
        size_t lo, hi;
        qb_mo_span(n, omp_get_thread_num(), omp_get_num_threads(), 64, &lo, &hi);
        f32_run(c->k, c->a.f + lo, c->b.f + lo, yf + lo, hi - lo, 0);
    }
    qb_qparams op;
    int rc = qb_mo_qparams_of(yf, n, c->v.policy, &op);
    qb_big_free(yf);
    if (rc) return rc;
    rc = qb_mo_output(&c->y, n, &c->v, &op);
    qb_qparams_free(&op);
    if (!rc) i8_arith_make(c->k, &c->a.p, &c->b.p, &c->y.p, &c->q);
    return rc;
}

static int create_kind(bkind k, const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    *out = NULL;
    qb_op_instance *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = qb_mo_variant(kname[k], v, false, &c->v);
    if (rc) goto fail;
    c->k = k;
    const size_t n = output_elems(s);
    c->nt = qb_mo_nt((double)n * (double)qb_dtype_bytes(c->v.dtype));
    rc = qb_mo_input(&c->a, n, &c->v, 201, -4.0f, 4.0f);
    /* a divisor stays away from zero, as real ones do (a variance, a norm) */
    if (!rc)
        rc = k == K_DIV ? qb_mo_input(&c->b, n, &c->v, 203, 0.5f, 4.0f)
                        : qb_mo_input(&c->b, n, &c->v, 202, -4.0f, 4.0f);
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
    const size_t n = c->y.n, ns = qb_mo_nverify(n);
    if (c->v.dtype == QB_INT8) {
        int32_t worst = 0;
        for (size_t j = 0; j < ns; j++) {
            const size_t i = qb_mo_sample(n, ns, j);
            const int32_t want = i8_ref(c->k, &c->q, qb_mo_q(&c->a, i), qb_mo_q(&c->b, i));
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
        qb_mo_err_add(&e, qb_mo_get(&c->y, i),
                      ref_op(c->k, qb_mo_get(&c->a, i), qb_mo_get(&c->b, i)));
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
    const char *isa = c->v.dtype == QB_FP16 ? "avx2+f16c" : "avx2+fma";
    const char *int8 = c->q.shift ? "requantized with integer shifts (power-of-two scales), output "
                                    "scale calibrated on the fp32 output"
                       : c->k == K_ADD || c->k == K_SUB
                           ? "requantized in integer: (qa Ma + qb Mb + C) >> S with 16-bit "
                             "multipliers (vpmaddwd), output scale calibrated on the fp32 output"
                           : "requantized in float (vcvtdq2ps, FMA, vcvtps2dq), output scale "
                             "calibrated on the fp32 output";
    int rc = qb_mo_describe(params, &c->v, isa, c->nt, int8);
    if (!rc && !cJSON_AddStringToObject(params, "ops_counted", "1 per element")) rc = QB_ENOMEM;
    return rc;
}

#define BINARY_DESC(kind, var, sum)                                                                \
    static int create_##var(const qb_shape *s, const qb_variant *v, qb_op_instance **out)          \
    {                                                                                              \
        return create_kind(kind, s, v, out);                                                       \
    }                                                                                              \
    const qb_op_desc qb_op_##var = {                                                               \
        .name = #var,                                                                              \
        .klass = "memory",                                                                         \
        .summary = sum,                                                                            \
        .shape_keys = "N,C,H,W",                                                                   \
        .default_shape = "1,64,512,512",                                                           \
        .shape_source =                                                                            \
            "16 M elements: two U-Net first-stage feature maps, 64 channels at 512x512",           \
        .per_channel = false,                                                                      \
        .check = check,                                                                            \
        .ops = ops,                                                                                \
        .bytes = bytes,                                                                            \
        .create = create_##var,                                                                    \
        .run = run,                                                                                \
        .verify = verify,                                                                          \
        .destroy = destroy,                                                                        \
        .output_elems = output_elems,                                                              \
        .output = output,                                                                          \
        .describe = describe,                                                                      \
    };

BINARY_DESC(K_ADD, add, "a + b element-wise (residual add)")
BINARY_DESC(K_MUL, mul, "a * b element-wise (gating, scaling)")
BINARY_DESC(K_SUB, sub, "a - b element-wise")
BINARY_DESC(K_DIV, div, "a / b element-wise (normalization)")
