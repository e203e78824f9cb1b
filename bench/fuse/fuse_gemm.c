/* Fusion around a compute-bound operator: a MatMul followed by ReLU, a
 * convolution with bias and ReLU, and an int8 GEMM with its requantization,
 * each unfused (the GEMM writes its output, then one pass per following
 * operator reads and writes the whole tensor) and fused (the following
 * operators run in the GEMM's epilogue, while the output tile is in
 * registers). They run on the operator helpers' blocked GEMM (gemm.h).
 *
 * Unlike the element-wise chain, the GEMM does most of the work here: the
 * passes fusion removes are a small share of the time, which is the point
 * the roofline makes (fusion pays where the bytes are the bottleneck). */
#include "fuse.h"

#include "big_buf.h"
#include "error.h"

#include "gemm.h"
#include "pin.h"
#include "quant.h"
#include "tensor_gen.h"

#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef enum { CH_GEMM_RELU = 0, CH_CONV_BIAS_RELU_F32, CH_CONV_BIAS_RELU_I8, CH_GEMM_RQ_I8, CH_COUNT } chain_id;

/* The chains: shapes from real networks, and their byte formulas (each
 * tensor read or written once per pass, STREAM style). */
static const struct {
    const char *name, *dtype, *shape, *source, *unfused, *fused;
} chains[CH_COUNT] = {
    {"gemm-relu", "fp32", "M,N,K = 256,3072,768", "BERT-base FFN up-projection, 256 tokens",
     "gemm writes C; relu reads C, writes Y",
     "relu in the GEMM epilogue, on the last K block's stores (C is written once, already "
     "rectified)"},
    {"conv-bias-relu", "fp32", "N,C,H,W,K,R,S = 1,64,56,56,256,1,1", "ResNet-50 conv2_x 1x1 64->256 at 56x56",
     "conv writes Y; bias pass; relu pass", "bias and relu in the GEMM epilogue"},
    {"conv-bias-relu", "int8", "N,C,H,W,K,R,S = 1,64,56,56,256,1,1", "ResNet-50 conv2_x 1x1 64->256 at 56x56",
     "u8 x s8 conv writes int32; bias pass (int32); requantize pass (int32 -> int8); relu pass",
     "one epilogue: int32 + bias, requantize per channel, relu as the clamp at zero"},
    {"gemm-requant", "int8", "M,N,K = 256,3072,768", "BERT-base FFN up-projection, 256 tokens",
     "u8 x s8 gemm writes int32; requantize pass (int32 -> int8)",
     "requantization in the GEMM epilogue (int32 never leaves registers)"},
};

enum { GM = 256, GN = 3072, GK = 768, CC = 64, CH = 56, CW = 56, CK = 256 };

struct qb_fuse_gemm {
    chain_id id;
    int threads;
    long M, N, K;                /* the GEMM: C[M,N] = A[M,K] B[K,N] */
    qb_gemm_ws *ws;
    qb_mat A, B;
    qb_im2col geo;
    void *a, *b;                 /* operands */
    float *bias;                 /* fp32 bias per row (conv) */
    int32_t *bias_i32;           /* int8 bias per row (conv) */
    float *mult;                 /* int8 requantization multiplier per channel */
    void *c32;                   /* GEMM output: float or int32 */
    void *t32;                   /* unfused: after the bias pass */
    void *y;                     /* the chain's output: float or int8 */
    void *yf;                    /* fused output, kept apart to compare */
};

static size_t out_esize(chain_id id) { return id == CH_GEMM_RELU || id == CH_CONV_BIAS_RELU_F32 ? 4 : 1; }
static bool is_conv(chain_id id) { return id == CH_CONV_BIAS_RELU_F32 || id == CH_CONV_BIAS_RELU_I8; }
static bool is_int8(chain_id id) { return id == CH_CONV_BIAS_RELU_I8 || id == CH_GEMM_RQ_I8; }

double qb_fuse_gemm_bytes(int chain, bool fused)
{
    const chain_id id = (chain_id)chain;
    const double M = is_conv(id) ? CK : GM, N = is_conv(id) ? (double)CH * CW : GN;
    const double K = is_conv(id) ? CC : GK, out = M * N;
    if (!is_int8(id)) {
        const double base = 4 * (M * K + K * N + out); /* A, B, C once */
        if (id == CH_GEMM_RELU) return fused ? base : base + 2 * 4 * out;
        return fused ? base + 4 * M : base + (2 * 4 * out + 4 * M) + 2 * 4 * out;
    }
    const double ops = M * K + K * N; /* u8 and s8 operands */
    if (id == CH_GEMM_RQ_I8) return fused ? ops + 4 * N + out : ops + 4 * out + (4 * out + 4 * N + out);
    /* conv: fused reads bias and multipliers and writes int8 once; unfused writes int32,
     * bias pass int32 -> int32, requantize int32 -> int8, relu int8 -> int8 */
    return fused ? ops + 8 * M + out
                 : ops + 4 * out + (8 * out + 4 * M) + (5 * out + 4 * M) + 2 * out;
}

double qb_fuse_gemm_ops(int chain)
{
    const chain_id id = (chain_id)chain;
    return is_conv(id) ? 2.0 * CK * CH * CW * CC : 2.0 * GM * GN * GK;
}

int qb_fuse_gemm_count(void) { return CH_COUNT; }
int qb_fuse_gemm_passes(int chain, bool fused)
{
    static const int unfused[CH_COUNT] = {2, 3, 4, 2};
    return fused ? 1 : unfused[chain];
}
const char *qb_fuse_gemm_name(int chain) { return chains[chain].name; }
const char *qb_fuse_gemm_dtype(int chain) { return chains[chain].dtype; }
const char *qb_fuse_gemm_shape(int chain) { return chains[chain].shape; }
const char *qb_fuse_gemm_source(int chain) { return chains[chain].source; }
const char *qb_fuse_gemm_how(int chain, bool fused) { return fused ? chains[chain].fused : chains[chain].unfused; }

/* ---- the passes of the unfused forms (AVX2, parallel over rows) ----------- */

static void pass_relu_f32(const float *in, float *out, size_t n, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < n; i += 64) {
        const size_t end = i + 64 < n ? i + 64 : n;
        size_t j = i;
        for (; j + 8 <= end; j += 8)
            _mm256_storeu_ps(out + j, _mm256_max_ps(_mm256_loadu_ps(in + j), _mm256_setzero_ps()));
        for (; j < end; j++) out[j] = in[j] > 0 ? in[j] : 0.0f;
    }
}

static void pass_bias_f32(const float *in, float *out, const float *bias, long rows, long cols,
                          int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long r = 0; r < rows; r++) {
        const __m256 b = _mm256_set1_ps(bias[r]);
        const float *p = in + r * cols;
        float *q = out + r * cols;
        long j = 0;
        for (; j + 8 <= cols; j += 8) _mm256_storeu_ps(q + j, _mm256_add_ps(_mm256_loadu_ps(p + j), b));
        for (; j < cols; j++) q[j] = p[j] + bias[r];
    }
}

static void pass_bias_i32(const int32_t *in, int32_t *out, const int32_t *bias, long rows,
                          long cols, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long r = 0; r < rows; r++) {
        const __m256i b = _mm256_set1_epi32(bias[r]);
        const int32_t *p = in + r * cols;
        int32_t *q = out + r * cols;
        long j = 0;
        for (; j + 8 <= cols; j += 8)
            _mm256_storeu_si256((__m256i *)(q + j),
                                _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(p + j)), b));
        for (; j < cols; j++) q[j] = p[j] + bias[r];
    }
}

/* int32 -> int8 with qb_requant_float's arithmetic: rint((float)acc * m) + zo,
 * saturated (vcvtps2dq, vpackssdw, vpacksswb); m per row or per column. */
static void pass_requant(const int32_t *in, int8_t *out, const float *mult, bool per_row,
                         long rows, long cols, int threads)
{
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long r = 0; r < rows; r++) {
        const int32_t *p = in + r * cols;
        int8_t *q = out + r * cols;
        long j = 0;
        for (; j + 32 <= cols; j += 32) {
            __m256i v[4];
            for (int k = 0; k < 4; k++) {
                const __m256 m = per_row ? _mm256_set1_ps(mult[r]) : _mm256_loadu_ps(mult + j + 8 * k);
                const __m256 f = _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(p + j + 8 * k)));
                v[k] = _mm256_cvtps_epi32(_mm256_mul_ps(f, m));
            }
            const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
            _mm256_storeu_si256((__m256i *)(q + j), _mm256_permutevar8x32_epi32(b, order));
        }
        for (; j < cols; j++) q[j] = (int8_t)qb_requant_float(p[j], per_row ? mult[r] : mult[j], 0, -128, 127);
    }
}

static void pass_relu_i8(const int8_t *in, int8_t *out, size_t n, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < n; i += 256) {
        const size_t end = i + 256 < n ? i + 256 : n;
        size_t j = i;
        for (; j + 32 <= end; j += 32)
            _mm256_storeu_si256((__m256i *)(out + j),
                                _mm256_max_epi8(_mm256_loadu_si256((const __m256i *)(in + j)),
                                                _mm256_setzero_si256()));
        for (; j < end; j++) out[j] = in[j] > 0 ? in[j] : 0;
    }
}

/* ---- setup ---------------------------------------------------------------- */

void qb_fuse_gemm_destroy(qb_fuse_gemm *vc)
{
    qb_fuse_gemm *c = vc;
    if (!c) return;
    qb_gemm_ws_destroy(c->ws);
    qb_big_free(c->a), qb_big_free(c->b), free(c->bias), free(c->bias_i32), free(c->mult);
    qb_big_free(c->c32), qb_big_free(c->t32), qb_big_free(c->y), qb_big_free(c->yf);
    free(c);
}

int qb_fuse_gemm_create(int chain, int threads, qb_fuse_gemm **out)
{
    *out = NULL;
    if (chain < 0 || chain >= CH_COUNT) return qb_fail(QB_EINTERNAL, "fuse: no chain %d", chain);
    qb_fuse_gemm *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    c->id = (chain_id)chain;
    c->threads = threads;
    const bool conv = is_conv(c->id), i8 = is_int8(c->id);
    c->M = conv ? CK : GM;
    c->N = conv ? (long)CH * CW : GN;
    c->K = conv ? CC : GK;
    const size_t nA = (size_t)(c->M * c->K), nB = (size_t)(c->K * c->N), nC = (size_t)(c->M * c->N);
    const size_t in_es = i8 ? 1 : 4;
    int rc = qb_gemm_ws_create(threads, QB_ISA_AUTO, &c->ws);
    c->a = qb_big_alloc(nA * in_es, 1);
    c->b = qb_big_alloc(nB * in_es, 1);
    c->c32 = qb_big_alloc(nC * 4, 1);
    c->t32 = qb_big_alloc(nC * 4, 1);
    c->y = qb_big_alloc(nC * out_esize(c->id), 1);
    c->yf = qb_big_alloc(nC * out_esize(c->id), 1);
    c->bias = malloc((size_t)c->M * sizeof *c->bias);
    c->bias_i32 = malloc((size_t)c->M * sizeof *c->bias_i32);
    c->mult = malloc((size_t)(conv ? c->M : c->N) * sizeof *c->mult);
    if (!rc && (!c->a || !c->b || !c->c32 || !c->t32 || !c->y || !c->yf || !c->bias || !c->bias_i32 || !c->mult))
        rc = qb_fail(QB_ENOMEM, "fuse: out of memory for the %s chain", chains[chain].name);
    if (rc) {
        qb_fuse_gemm_destroy(c);
        return rc;
    }
    qb_rng r;
    qb_rng_seed(&r, 11, (uint64_t)chain);
    /* conv: A = weights [K x C], B = the image [C x H*W] seen through im2col
     * (1x1: the image itself); gemm: A = activations [M x K], B = weights [K x N] */
    for (size_t i = 0; i < nA; i++) {
        const uint64_t u = qb_rng_next(&r);
        if (!i8) ((float *)c->a)[i] = (float)(2.0 * ((double)(u >> 11) * 0x1.0p-53) - 1.0);
        else if (conv) ((int8_t *)c->a)[i] = (int8_t)((int)(u % 127) - 63); /* s8 weights, 7 bits */
        else ((uint8_t *)c->a)[i] = (uint8_t)(u >> 56);                      /* u8 activations */
    }
    for (size_t i = 0; i < nB; i++) {
        const uint64_t u = qb_rng_next(&r);
        if (!i8) ((float *)c->b)[i] = (float)(2.0 * ((double)(u >> 11) * 0x1.0p-53) - 1.0);
        else if (conv) ((uint8_t *)c->b)[i] = (uint8_t)(u >> 56);
        else ((int8_t *)c->b)[i] = (int8_t)((int)(u % 127) - 63);
    }
    /* int8: acc ~ N(0, K * E[a^2] * E[w^2]); a multiplier putting 4 sigma at 127,
     * varied by channel as per-channel weight scales would */
    const double sigma = sqrt((double)c->K * (127.5 * 127.5 + 73.9 * 73.9) * (63.0 * 64.0 / 3.0));
    const long nch = conv ? c->M : c->N;
    for (long k = 0; k < nch; k++) c->mult[k] = (float)(127.0 / (4.0 * sigma) * (0.75 + 0.5 * (double)k / (double)nch));
    for (long k = 0; k < c->M; k++) {
        c->bias[k] = (float)(0.5 * sin((double)k));
        c->bias_i32[k] = (int32_t)(sigma * sin((double)k));
    }
    const qb_mat_type ta = !i8 ? QB_MAT_F32 : conv ? QB_MAT_S8 : QB_MAT_U8;
    const qb_mat_type tb = !i8 ? QB_MAT_F32 : conv ? QB_MAT_U8 : QB_MAT_S8;
    c->A = (qb_mat){.p = c->a, .ld = c->K, .type = ta, .layout = QB_MAT_ROWS};
    if (conv) {
        c->geo = (qb_im2col){.C = CC, .H = CH, .W = CW, .R = 1, .S = 1, .sh = 1, .sw = 1,
                             .ph = 0, .pw = 0, .OH = CH, .OW = CW};
        c->B = (qb_mat){.p = c->b, .ld = 0, .type = tb, .layout = QB_MAT_IM2COL, .conv = &c->geo};
    } else {
        c->B = (qb_mat){.p = c->b, .ld = c->N, .type = tb, .layout = QB_MAT_ROWS};
    }
    *out = c;
    return QB_OK;
}

static int run_unfused(qb_fuse_gemm *c)
{
    const size_t nC = (size_t)(c->M * c->N);
    qb_epilogue e = {.c = c->c32, .ldc = c->N, .channel_is_row = is_conv(c->id)};
    e.kind = is_int8(c->id) ? QB_EPI_S32 : QB_EPI_F32;
    int rc = qb_gemm(c->ws, c->M, c->N, c->K, &c->A, &c->B, &e, c->threads);
    if (rc) return rc;
    switch (c->id) {
    case CH_GEMM_RELU: pass_relu_f32(c->c32, c->y, nC, c->threads); break;
    case CH_CONV_BIAS_RELU_F32:
        pass_bias_f32(c->c32, c->t32, c->bias, c->M, c->N, c->threads);
        pass_relu_f32(c->t32, c->y, nC, c->threads);
        break;
    case CH_CONV_BIAS_RELU_I8:
        pass_bias_i32(c->c32, c->t32, c->bias_i32, c->M, c->N, c->threads);
        pass_requant(c->t32, c->yf /* scratch: the int8 tensor before relu */, c->mult, true, c->M,
                     c->N, c->threads);
        pass_relu_i8(c->yf, c->y, nC, c->threads);
        break;
    default: pass_requant(c->c32, c->y, c->mult, false, c->M, c->N, c->threads); break;
    }
    return QB_OK;
}

static int run_fused(qb_fuse_gemm *c)
{
    qb_epilogue e = {.ldc = c->N, .channel_is_row = is_conv(c->id)};
    switch (c->id) {
    case CH_GEMM_RELU:
    case CH_CONV_BIAS_RELU_F32:
        /* bias and ReLU on the last K block's stores: C never leaves the tile unfinished */
        e.kind = QB_EPI_F32;
        e.c = c->yf;
        e.relu = true;
        if (c->id == CH_CONV_BIAS_RELU_F32) e.bias = c->bias;
        return qb_gemm(c->ws, c->M, c->N, c->K, &c->A, &c->B, &e, c->threads);
    case CH_CONV_BIAS_RELU_I8:
        e.kind = QB_EPI_RQ_FLOAT;
        e.c = c->yf;
        e.bias_i32 = c->bias_i32;
        e.mult = c->mult;
        e.zo = 0;
        /* relu as the clamp at the zero point; qmin 0 means uint8 storage,
         * the same bytes as int8 for 0..127 */
        e.qmin = 0;
        e.qmax = 127;
        return qb_gemm(c->ws, c->M, c->N, c->K, &c->A, &c->B, &e, c->threads);
    default:
        e.kind = QB_EPI_RQ_FLOAT;
        e.c = c->yf;
        e.mult = c->mult;
        e.zo = 0;
        e.qmin = -128;
        e.qmax = 127;
        return qb_gemm(c->ws, c->M, c->N, c->K, &c->A, &c->B, &e, c->threads);
    }
}

int qb_fuse_gemm_run(qb_fuse_gemm *vc, bool fused)
{
    qb_fuse_gemm *c = vc;
    return fused ? run_fused(c) : run_unfused(c);
}

/* The fused output against the unfused one: the same arithmetic, so the same
 * values (int8 byte for byte; fp32 the largest absolute difference). */
int qb_fuse_gemm_verify(qb_fuse_gemm *vc, double *max_diff)
{
    qb_fuse_gemm *c = vc;
    const size_t nC = (size_t)(c->M * c->N);
    int rc = run_unfused(c);
    if (!rc) rc = run_fused(c);
    if (rc) return rc;
    double d = 0;
    for (size_t i = 0; i < nC; i++) {
        const double u = is_int8(c->id) ? ((const int8_t *)c->y)[i] : ((const float *)c->y)[i];
        const double f = is_int8(c->id) ? ((const int8_t *)c->yf)[i] : ((const float *)c->yf)[i];
        d = fabs(u - f) > d ? fabs(u - f) : d;
    }
    *max_diff = d;
    return QB_OK;
}
