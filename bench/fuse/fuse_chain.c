/* The relu((x + 1 + 2) * 2) chain in three forms and three data types (see
 * fuse.h). Kernels are AVX2 + F16C intrinsics over a thread's contiguous
 * slice; the scalar references below define the arithmetic each kernel
 * reproduces bit for bit. Contraction of a multiply and an add into an FMA
 * is turned off for this file (-ffp-contract=off, in CMakeLists.txt) so that
 * "add, then multiply" means exactly that; where a form uses an FMA it says
 * so (fmaf / _mm256_fmadd_ps). */

#include "fuse.h"

#include "big_buf.h"
#include "error.h"
#include "pin.h"
#include "tensor_gen.h"

#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

const char *qb_fuse_form_name(qb_fuse_form f)
{
    static const char *const n[] = {"unfused", "fused", "folded"};
    return (unsigned)f < QB_FUSE_NFORMS ? n[f] : "?";
}

/* Passes over memory and arithmetic operations per element, per form:
 * unfused is four operator launches (add 1, add 2, mul 2, relu), each one
 * pass; fused is one pass doing the same four operations; folded is one
 * pass of x * 2 + 6 (one FMA) and the relu. */
static const int form_passes[QB_FUSE_NFORMS] = {4, 1, 1};
static const int form_ops[QB_FUSE_NFORMS] = {4, 4, 3};

int qb_fuse_passes(qb_fuse_form f) { return form_passes[f]; }
int qb_fuse_ops_per_elem(qb_fuse_form f) { return form_ops[f]; }

double qb_fuse_bytes(qb_fuse_form f, size_t n, size_t elem_bytes)
{
    return 2.0 * form_passes[f] * (double)n * (double)elem_bytes;
}

typedef enum { DT_F32 = 0, DT_F16 = 1, DT_I8 = 2 } dt;
enum { ADD1 = 0, ADD2 = 1, MUL2 = 2, RELU = 3, FUSED = 4, FOLDED = 5 };

/* int8 chain: each operator's output gets a symmetric scale covering its range */
typedef struct {
    float sx, s1, s2, s3;        /* x, x+1, x+3, 2x+6 (and relu of it) */
    float m[3], b[3];            /* unfused passes: q' = rint(fma(q, m, b)) */
    float fold_m, fold_b;        /* folded: rint(fma(q, 2 sx / s3, 6 / s3)) */
    float inv_s3;                /* fused: rint((((q sx) + 1) + 2) * 2 * (1 / s3)) */
} i8_consts;

struct qb_fuse_chain {
    dt type;
    size_t n, esize;
    int threads;
    void *x, *t1, *t2, *t3, *yu, *y; /* yu: the unfused output, kept to compare */
    size_t bytes_each;
    i8_consts q;
};

/* ---- scalar references: the definition of each step ------------------- */

static float f32_step(int step, float v)
{
    switch (step) {
    case ADD1: return v + 1.0f;
    case ADD2: return v + 2.0f;
    case MUL2: return v * 2.0f;
    case RELU: return v > 0.0f ? v : 0.0f; /* as vmaxps(v, 0): -0 and NaN give +0 */
    case FUSED: {
        float t = v + 1.0f;
        t = t + 2.0f;
        t = t * 2.0f;
        return t > 0.0f ? t : 0.0f;
    }
    default: {
        const float t = fmaf(v, 2.0f, 6.0f);
        return t > 0.0f ? t : 0.0f;
    }
    }
}

static uint16_t f16_of(float v) { return _cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT); }
static float f32_of(uint16_t h) { return _cvtsh_ss(h); }

static int8_t sat8(float r)
{
    return r >= 127.0f ? 127 : r <= -128.0f ? -128 : (int8_t)r;
}

static int8_t i8_step(const i8_consts *k, int step, int8_t q)
{
    switch (step) {
    case ADD1:
    case ADD2:
    case MUL2: return sat8(rintf(fmaf((float)q, k->m[step], k->b[step])));
    case RELU: return q > 0 ? q : 0;
    case FUSED: {
        float v = (float)q * k->sx;
        v = v + 1.0f;
        v = v + 2.0f;
        v = v * 2.0f;
        const int8_t r = sat8(rintf(v * k->inv_s3));
        return r > 0 ? r : 0;
    }
    default: {
        const int8_t r = sat8(rintf(fmaf((float)q, k->fold_m, k->fold_b)));
        return r > 0 ? r : 0;
    }
    }
}

static void ref_range(const qb_fuse_chain *c, int step, const void *in, void *out, size_t lo,
                      size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        if (c->type == DT_F32) ((float *)out)[i] = f32_step(step, ((const float *)in)[i]);
        else if (c->type == DT_F16)
            ((uint16_t *)out)[i] = f16_of(f32_step(step, f32_of(((const uint16_t *)in)[i])));
        else ((int8_t *)out)[i] = i8_step(&c->q, step, ((const int8_t *)in)[i]);
    }
}

/* ---- vector kernels ----------------------------------------------------- */

static inline __m256 f32_vec(int step, __m256 v)
{
    const __m256 zero = _mm256_setzero_ps();
    switch (step) {
    case ADD1: return _mm256_add_ps(v, _mm256_set1_ps(1.0f));
    case ADD2: return _mm256_add_ps(v, _mm256_set1_ps(2.0f));
    case MUL2: return _mm256_mul_ps(v, _mm256_set1_ps(2.0f));
    case RELU: return _mm256_max_ps(v, zero);
    case FUSED:
        v = _mm256_add_ps(v, _mm256_set1_ps(1.0f));
        v = _mm256_add_ps(v, _mm256_set1_ps(2.0f));
        v = _mm256_mul_ps(v, _mm256_set1_ps(2.0f));
        return _mm256_max_ps(v, zero);
    default:
        return _mm256_max_ps(_mm256_fmadd_ps(v, _mm256_set1_ps(2.0f), _mm256_set1_ps(6.0f)), zero);
    }
}

/* The step is a constant at each call site below, so each loop is compiled
 * for one operator (the switch folds away after inlining). */
#define F32_LOOP(STEP)                                                                             \
    for (; i + 32 <= hi; i += 32)                                                                  \
        for (int k = 0; k < 32; k += 8)                                                            \
            _mm256_storeu_ps(out + i + k, f32_vec(STEP, _mm256_loadu_ps(in + i + k)))

static void f32_kernel(int step, const float *in, float *out, size_t lo, size_t hi)
{
    size_t i = lo;
    switch (step) {
    case ADD1: F32_LOOP(ADD1); break;
    case ADD2: F32_LOOP(ADD2); break;
    case MUL2: F32_LOOP(MUL2); break;
    case RELU: F32_LOOP(RELU); break;
    case FUSED: F32_LOOP(FUSED); break;
    default: F32_LOOP(FOLDED); break;
    }
    for (; i < hi; i++) out[i] = f32_step(step, in[i]);
}

#define F16_LOOP(STEP)                                                                             \
    for (; i + 32 <= hi; i += 32)                                                                  \
        for (int k = 0; k < 32; k += 8) {                                                          \
            const __m256 v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(in + i + k)));      \
            _mm_storeu_si128((__m128i *)(out + i + k),                                             \
                             _mm256_cvtps_ph(f32_vec(STEP, v), _MM_FROUND_TO_NEAREST_INT));        \
        }

static void f16_kernel(int step, const uint16_t *in, uint16_t *out, size_t lo, size_t hi)
{
    size_t i = lo;
    switch (step) {
    case ADD1: F16_LOOP(ADD1); break;
    case ADD2: F16_LOOP(ADD2); break;
    case MUL2: F16_LOOP(MUL2); break;
    case RELU: F16_LOOP(RELU); break;
    case FUSED: F16_LOOP(FUSED); break;
    default: F16_LOOP(FOLDED); break;
    }
    for (; i < hi; i++) out[i] = f16_of(f32_step(step, f32_of(in[i])));
}

/* 8 int8 -> 8 floats */
static inline __m256 i8_load8(const int8_t *p)
{
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

static inline __m256 i8_vec(const i8_consts *q, int step, __m256 v)
{
    switch (step) {
    case ADD1:
    case ADD2:
    case MUL2: return _mm256_fmadd_ps(v, _mm256_set1_ps(q->m[step]), _mm256_set1_ps(q->b[step]));
    case FUSED:
        v = _mm256_mul_ps(v, _mm256_set1_ps(q->sx));
        v = _mm256_add_ps(v, _mm256_set1_ps(1.0f));
        v = _mm256_add_ps(v, _mm256_set1_ps(2.0f));
        v = _mm256_mul_ps(v, _mm256_set1_ps(2.0f));
        return _mm256_mul_ps(v, _mm256_set1_ps(q->inv_s3));
    default: return _mm256_fmadd_ps(v, _mm256_set1_ps(q->fold_m), _mm256_set1_ps(q->fold_b));
    }
}

/* 32 values: round half to even (vcvtps2dq), saturate to int8 (vpackssdw,
 * vpacksswb), undo the packs' lane interleave, relu as vpmaxsb. */
#define I8_LOOP(STEP)                                                                              \
    for (; i + 32 <= hi; i += 32) {                                                                \
        __m256i r;                                                                                 \
        if ((STEP) == RELU) {                                                                      \
            r = _mm256_max_epi8(_mm256_loadu_si256((const __m256i *)(in + i)), zero);              \
        } else {                                                                                   \
            const __m256i a = _mm256_cvtps_epi32(i8_vec(q, STEP, i8_load8(in + i)));               \
            const __m256i b = _mm256_cvtps_epi32(i8_vec(q, STEP, i8_load8(in + i + 8)));           \
            const __m256i c = _mm256_cvtps_epi32(i8_vec(q, STEP, i8_load8(in + i + 16)));          \
            const __m256i d = _mm256_cvtps_epi32(i8_vec(q, STEP, i8_load8(in + i + 24)));          \
            r = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));            \
            r = _mm256_permutevar8x32_epi32(r, order);                                             \
            if ((STEP) >= FUSED) r = _mm256_max_epi8(r, zero);                                     \
        }                                                                                          \
        _mm256_storeu_si256((__m256i *)(out + i), r);                                              \
    }

static void i8_kernel(const i8_consts *q, int step, const int8_t *in, int8_t *out, size_t lo,
                      size_t hi)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    size_t i = lo;
    switch (step) {
    case ADD1: I8_LOOP(ADD1); break;
    case ADD2: I8_LOOP(ADD2); break;
    case MUL2: I8_LOOP(MUL2); break;
    case RELU: I8_LOOP(RELU); break;
    case FUSED: I8_LOOP(FUSED); break;
    default: I8_LOOP(FOLDED); break;
    }
    for (; i < hi; i++) out[i] = i8_step(q, step, in[i]);
}

static void kernel(const qb_fuse_chain *c, int step, const void *in, void *out, size_t lo,
                   size_t hi)
{
    if (c->type == DT_F32) f32_kernel(step, in, out, lo, hi);
    else if (c->type == DT_F16) f16_kernel(step, in, out, lo, hi);
    else i8_kernel(&c->q, step, in, out, lo, hi);
}

/* ---- the chain ---------------------------------------------------------- */

/* Thread t's slice, in whole 64-element blocks (cache lines stay in one thread). */
static void slice(size_t n, int threads, int t, size_t *lo, size_t *hi)
{
    const size_t blocks = (n + 63) / 64;
    *lo = blocks * (size_t)t / (size_t)threads * 64;
    *hi = blocks * (size_t)(t + 1) / (size_t)threads * 64;
    if (*lo > n) *lo = n;
    if (*hi > n) *hi = n;
}

void qb_fuse_chain_destroy(qb_fuse_chain *c)
{
    if (!c) return;
    qb_big_free(c->x);
    qb_big_free(c->t1);
    qb_big_free(c->t2);
    qb_big_free(c->t3);
    qb_big_free(c->yu);
    qb_big_free(c->y);
    free(c);
}

static void i8_setup(i8_consts *k)
{
    const float X = QB_FUSE_X_RANGE;
    k->sx = X / 128.0f;
    k->s1 = (X + 1) / 127.0f;
    k->s2 = (X + 3) / 127.0f;
    k->s3 = 2 * (X + 3) / 127.0f;
    k->m[ADD1] = k->sx / k->s1;
    k->b[ADD1] = 1.0f / k->s1;
    k->m[ADD2] = k->s1 / k->s2;
    k->b[ADD2] = 2.0f / k->s2;
    k->m[MUL2] = 2.0f * k->s2 / k->s3;
    k->b[MUL2] = 0.0f;
    k->fold_m = 2.0f * k->sx / k->s3;
    k->fold_b = 6.0f / k->s3;
    k->inv_s3 = 1.0f / k->s3;
}

int qb_fuse_chain_create(const char *dtype, size_t n, int threads, uint64_t seed,
                         qb_fuse_chain **out)
{
    *out = NULL;
    dt type;
    if (strcmp(dtype, "fp32") == 0) type = DT_F32;
    else if (strcmp(dtype, "fp16") == 0) type = DT_F16;
    else if (strcmp(dtype, "int8") == 0) type = DT_I8;
    else return qb_fail(QB_EUSAGE, "fuse: unknown data type '%s' (fp32, fp16, int8)", dtype);
    if (threads < 1) return qb_fail(QB_EUSAGE, "fuse: %d threads", threads);
    qb_fuse_chain *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    c->type = type;
    c->n = n;
    c->threads = threads;
    c->esize = type == DT_F32 ? 4 : type == DT_F16 ? 2 : 1;
    c->bytes_each = n * c->esize;
    void **bufs[6] = {&c->x, &c->t1, &c->t2, &c->t3, &c->yu, &c->y};
    for (int i = 0; i < 6; i++) {
        *bufs[i] = qb_big_alloc(c->bytes_each, threads);
        if (!*bufs[i]) {
            const size_t each = c->bytes_each;
            qb_fuse_chain_destroy(c);
            return qb_fail(QB_ENOMEM, "fuse: out of memory for 6 x %zu bytes", each);
        }
    }
    i8_setup(&c->q);
    /* First touch by the thread that will use each slice; the input drawn in
     * 64 Ki-element blocks from stream (seed, block), whatever the threads. */
    const size_t block = (size_t)1 << 16, nblocks = (n + block - 1) / block;
#pragma omp parallel num_threads(threads)
    {
        size_t lo, hi;
        slice(n, threads, omp_get_thread_num(), &lo, &hi);
        for (int i = 1; i < 6; i++) memset((char *)*bufs[i] + lo * c->esize, 0, (hi - lo) * c->esize);
#pragma omp for schedule(static)
        for (size_t b = 0; b < nblocks; b++) {
            qb_rng r;
            qb_rng_seed(&r, seed, b);
            const size_t end = (b + 1) * block < n ? (b + 1) * block : n;
            for (size_t i = b * block; i < end; i++) {
                const uint64_t u = qb_rng_next(&r);
                /* x in [-8, 8): a multiple of 2^-20, exact in every dtype's arithmetic path */
                const float v = (float)((int64_t)(u >> 40) - (1 << 23)) * 0x1.0p-20f;
                if (type == DT_F32) ((float *)c->x)[i] = v;
                else if (type == DT_F16) ((uint16_t *)c->x)[i] = f16_of(v);
                else ((int8_t *)c->x)[i] = (int8_t)(u >> 56);
            }
        }
    }
    *out = c;
    return QB_OK;
}

void qb_fuse_chain_run(qb_fuse_chain *c, qb_fuse_form f)
{
#pragma omp parallel num_threads(c->threads)
    {
        size_t lo, hi;
        slice(c->n, c->threads, omp_get_thread_num(), &lo, &hi);
        if (f == QB_FUSE_UNFUSED) {
            /* one operator launch per pass; the barrier is the launch boundary */
            kernel(c, ADD1, c->x, c->t1, lo, hi);
#pragma omp barrier
            kernel(c, ADD2, c->t1, c->t2, lo, hi);
#pragma omp barrier
            kernel(c, MUL2, c->t2, c->t3, lo, hi);
#pragma omp barrier
            kernel(c, RELU, c->t3, c->yu, lo, hi);
        } else {
            kernel(c, f == QB_FUSE_FUSED ? FUSED : FOLDED, c->x, c->y, lo, hi);
        }
    }
}

static double value_at(const qb_fuse_chain *c, const void *p, size_t i)
{
    if (c->type == DT_F32) return ((const float *)p)[i];
    if (c->type == DT_F16) return f32_of(((const uint16_t *)p)[i]);
    return ((const int8_t *)p)[i] * (double)c->q.s3;
}

int qb_fuse_chain_verify(qb_fuse_chain *c, qb_fuse_form f, double *max_diff, double *vs_unfused)
{
    const size_t n = c->n;
    void *a = qb_big_alloc(c->bytes_each, c->threads), *b = qb_big_alloc(c->bytes_each, c->threads);
    if (!a || !b) {
        qb_big_free(a);
        qb_big_free(b);
        return qb_fail(QB_ENOMEM, "fuse: out of memory for the reference");
    }
    const void *got = f == QB_FUSE_UNFUSED ? c->yu : c->y;
    if (f == QB_FUSE_UNFUSED) {
        ref_range(c, ADD1, c->x, a, 0, n);
        ref_range(c, ADD2, a, b, 0, n);
        ref_range(c, MUL2, b, a, 0, n);
        ref_range(c, RELU, a, b, 0, n);
    } else {
        ref_range(c, f == QB_FUSE_FUSED ? FUSED : FOLDED, c->x, b, 0, n);
    }
    double d = 0, u = 0;
    for (size_t i = 0; i < n; i++) {
        const double e = fabs(value_at(c, got, i) - value_at(c, b, i));
        const double g = fabs(value_at(c, got, i) - value_at(c, c->yu, i));
        d = e > d ? e : d;
        u = g > u ? g : u;
    }
    *max_diff = d;
    *vs_unfused = u;
    qb_big_free(a);
    qb_big_free(b);
    return QB_OK;
}
