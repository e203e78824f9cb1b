/* gemm, matmul and batched-matmul: one GEMM (per batch item) each.
 *   gemm:           Y[M,N] = X[M,K] W[N,K]^T + b[N]  (ONNX Gemm with transB, a
 *                   fully connected layer: W is a weight, per-channel along N)
 *   matmul:         C[M,N] = A[M,K] B[K,N]           (both operands activations)
 *   batched-matmul: C[b] = A[b] B[b] for b < batch   (attention scores)
 * In int8 the first operand is u8, the second s8 in 7 bits; for matmul the
 * second operand's column sums (the zero-point compensation) are computed in
 * every run, since it is an activation. */
#include "ops_compute.h"

#include "big_buf.h"
#include "error.h"
#include "gemm.h"
#include "gemm_f16.h"
#include "ops_compute_util.h"

#include <cjson/cJSON.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef enum { MM_GEMM, MM_MATMUL, MM_BATCHED } mm_kind;

struct qb_op_instance {
    mm_kind kind;
    qb_variant v;
    qb_gemm_isa isa;
    long batch, M, N, K;
    qb_gemm_ws *ws;
    float *a, *b, *bias, *y;
    uint16_t *ah, *bh, *yh;
    qb_cq_act act;
    int8_t *bq;
    qb_qparams bp, op;
    float *mult;
    int32_t *shift, *bias_i32; /* bias_i32: [batch][N] for matmul (run-time sums) */
    uint8_t *yq;
    qb_mat wpk; /* gemm: the weights packed once at creation, as an inference engine does */
};

/* shape v[] -> batch, M, N, K */
static void mnk(mm_kind kind, const qb_shape *s, long *b, long *m, long *n, long *k)
{
    const int o = kind == MM_BATCHED;
    *b = o ? s->v[0] : 1;
    *m = s->v[o];
    *n = s->v[o + 1];
    *k = s->v[o + 2];
}

static int check_kind(mm_kind kind, const char *name, const qb_shape *s)
{
    long b, m, n, k;
    mnk(kind, s, &b, &m, &n, &k);
    int rc = qb_cq_key_range(name, "batch", b, 1, 1L << 16);
    if (!rc) rc = qb_cq_key_range(name, "M", m, 1, 1L << 20);
    if (!rc) rc = qb_cq_key_range(name, "N", n, 1, 1L << 20);
    if (!rc) rc = qb_cq_key_range(name, "K", k, 1, 1L << 20);
    if (rc) return rc;
    const double elems = (double)b * ((double)m * k + (double)k * n + 2.0 * m * n);
    return qb_cq_mem_check(name, elems * 4 * 1.5 + 64e6);
}
static int check_gemm(const qb_shape *s) { return check_kind(MM_GEMM, "gemm", s); }
static int check_matmul(const qb_shape *s) { return check_kind(MM_MATMUL, "matmul", s); }
static int check_batched(const qb_shape *s) { return check_kind(MM_BATCHED, "batched-matmul", s); }

static double ops_kind(mm_kind kind, const qb_shape *s)
{
    long b, m, n, k;
    mnk(kind, s, &b, &m, &n, &k);
    return 2.0 * b * m * n * k;
}
static double ops_gemm(const qb_shape *s) { return ops_kind(MM_GEMM, s); }
static double ops_matmul(const qb_shape *s) { return ops_kind(MM_MATMUL, s); }
static double ops_batched(const qb_shape *s) { return ops_kind(MM_BATCHED, s); }

static double bytes_kind(mm_kind kind, const qb_shape *s, const qb_variant *v)
{
    long b, m, n, k;
    mnk(kind, s, &b, &m, &n, &k);
    const double e = (double)qb_dtype_bytes(v->dtype);
    double by = (double)b * ((double)m * k + (double)k * n + (double)m * n) * e;
    if (kind == MM_GEMM) by += 4.0 * n; /* bias */
    if (v->dtype == QB_INT8) by += v->gran == QB_PER_CHANNEL ? 4.0 * n : 4.0;
    return by;
}
static double bytes_gemm(const qb_shape *s, const qb_variant *v) { return bytes_kind(MM_GEMM, s, v); }
static double bytes_matmul(const qb_shape *s, const qb_variant *v) { return bytes_kind(MM_MATMUL, s, v); }
static double bytes_batched(const qb_shape *s, const qb_variant *v) { return bytes_kind(MM_BATCHED, s, v); }

static size_t out_kind(mm_kind kind, const qb_shape *s)
{
    long b, m, n, k;
    mnk(kind, s, &b, &m, &n, &k);
    return (size_t)(b * m * n);
}
static size_t out_gemm(const qb_shape *s) { return out_kind(MM_GEMM, s); }
static size_t out_matmul(const qb_shape *s) { return out_kind(MM_MATMUL, s); }
static size_t out_batched(const qb_shape *s) { return out_kind(MM_BATCHED, s); }

static void destroy(qb_op_instance *c)
{
    if (!c) return;
    qb_gemm_ws_destroy(c->ws);
    qb_gemm_packed_free(&c->wpk);
    qb_big_free(c->a);
    qb_big_free(c->b);
    free(c->bias);
    qb_big_free(c->y);
    qb_big_free(c->ah);
    qb_big_free(c->bh);
    qb_big_free(c->yh);
    qb_cq_act_free(&c->act);
    qb_big_free(c->bq);
    qb_qparams_free(&c->bp);
    qb_qparams_free(&c->op);
    free(c->mult);
    free(c->shift);
    free(c->bias_i32);
    qb_big_free(c->yq);
    free(c);
}

/* Operands, epilogue and output of batch item i in data type dt. */
static void item(const qb_op_instance *c, qb_dtype dt, long i, qb_mat *A, qb_mat *B, qb_epilogue *e)
{
    const size_t ao = (size_t)(i * c->M * c->K), bo = (size_t)(i * c->K * c->N), yo = (size_t)(i * c->M * c->N);
    const bool gemm = c->kind == MM_GEMM;
    /* gemm's W is [N][K] (COLS view of B = W^T); matmul's B is [K][N] */
    *A = (qb_mat){.ld = c->K, .layout = QB_MAT_ROWS};
    *B = (qb_mat){.ld = gemm ? c->K : c->N, .layout = gemm ? QB_MAT_COLS : QB_MAT_ROWS};
    *e = (qb_epilogue){.ldc = c->N, .channel_is_row = false};
    if (dt == QB_FP32) {
        A->p = c->a + ao, A->type = QB_MAT_F32;
        B->p = c->b + bo, B->type = QB_MAT_F32;
        e->kind = QB_EPI_F32, e->c = c->y + yo, e->bias = c->bias;
    } else if (dt == QB_FP16) {
        A->p = c->ah + ao, A->type = QB_MAT_F16;
        B->p = c->bh + bo, B->type = QB_MAT_F16;
        e->kind = QB_EPI_F16, e->c = c->yh + yo, e->bias = c->bias;
    } else {
        A->p = c->act.q + ao, A->type = QB_MAT_U8;
        B->p = c->bq + bo, B->type = QB_MAT_S8;
        qb_cq_epilogue(&c->op, c->v.policy, e);
        e->c = c->yq + yo;
        e->mult = c->mult;
        e->shift = c->shift;
        e->bias_i32 = c->bias_i32 + (gemm ? 0 : i * c->N);
    }
    if (gemm && dt == c->v.dtype && c->wpk.p) *B = c->wpk;
}

/* matmul's second operand is an activation: its column sums, times the
 * first operand's zero point, are part of every run. */
static void matmul_comp(qb_op_instance *c, long i)
{
    const int8_t *b = c->bq + i * c->K * c->N;
    int32_t *d = c->bias_i32 + i * c->N;
    memset(d, 0, (size_t)c->N * sizeof *d);
    for (long k = 0; k < c->K; k++)
        for (long n = 0; n < c->N; n++) d[n] += b[k * c->N + n];
    for (long n = 0; n < c->N; n++) d[n] *= -c->act.za;
}

static int pass(qb_op_instance *c, qb_dtype dt)
{
    const bool comp = dt == QB_INT8 && c->kind != MM_GEMM;
    if (c->batch < c->v.threads) {
        for (long i = 0; i < c->batch; i++) {
            qb_mat A, B;
            qb_epilogue e;
            if (comp) matmul_comp(c, i);
            item(c, dt, i, &A, &B, &e);
            int rc = qb_gemm(c->ws, c->M, c->N, c->K, &A, &B, &e, c->v.threads);
            if (rc) return rc;
        }
        return QB_OK;
    }
    /* enough items: one thread per item, each on its own packing buffers */
    int rc = QB_OK;
#pragma omp parallel for num_threads(c->v.threads) schedule(static) reduction(min : rc)
    for (long i = 0; i < c->batch; i++) {
        qb_mat A, B;
        qb_epilogue e;
        if (comp) matmul_comp(c, i);
        item(c, dt, i, &A, &B, &e);
        const int r = qb_gemm_block(c->ws, omp_get_thread_num(), c->M, c->N, c->K, &A, &B, &e, 0,
                                    c->M, 0, c->N);
        if (r < rc) rc = r;
    }
    return rc;
}

static int run(qb_op_instance *c)
{
    return pass(c, c->v.dtype);
}

static int create_kind(mm_kind kind, const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    *out = NULL;
    qb_op_instance *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    c->kind = kind;
    c->v = *v;
    int rc = qb_cq_isa(v, &c->isa);
    if (rc) goto fail;
    mnk(kind, s, &c->batch, &c->M, &c->N, &c->K);
    const size_t na = (size_t)(c->batch * c->M * c->K), nb = (size_t)(c->batch * c->K * c->N);
    const size_t ny = (size_t)(c->batch * c->M * c->N);
    /* operand buffers are reused from variant to variant (big_buf.h) */
    c->a = qb_big_alloc(na * sizeof *c->a, 1);
    c->b = qb_big_alloc(nb * sizeof *c->b, 1);
    c->bias = malloc((size_t)c->N * sizeof *c->bias);
    if (!c->a || !c->b || !c->bias) goto nomem;
    qb_cq_fill(c->a, na, QB_CQ_SEED_MM_A, -1.0f, 1.0f);
    qb_cq_fill(c->b, nb, QB_CQ_SEED_MM_B, -1.0f, 1.0f);
    qb_cq_mm_spread(c->b, kind == MM_GEMM, c->batch, c->K, c->N);
    if (kind == MM_GEMM) qb_cq_fill(c->bias, (size_t)c->N, QB_CQ_SEED_MM_BIAS, -0.5f, 0.5f);
    else memset(c->bias, 0, (size_t)c->N * sizeof *c->bias);
    if (kind != MM_GEMM) { /* matmul has no bias: the epilogue gets none */
        free(c->bias);
        c->bias = NULL;
    }
    rc = qb_gemm_ws_create(v->threads, c->isa, &c->ws);
    if (rc) goto fail;
    if (v->dtype != QB_FP16) {
        c->y = qb_big_alloc(ny * sizeof *c->y, 1);
        if (!c->y) goto nomem;
    }
    if (v->dtype == QB_FP16) {
        c->ah = qb_big_alloc(na * 2, 1);
        c->bh = qb_big_alloc(nb * 2, 1);
        c->yh = qb_big_alloc(ny * 2, 1);
        if (!c->ah || !c->bh || !c->yh) goto nomem;
        qb_f32_to_f16_n(c->a, c->ah, na);
        qb_f32_to_f16_n(c->b, c->bh, nb);
    } else if (v->dtype == QB_INT8) {
        rc = pass(c, QB_FP32); /* the fp32 output calibrates the output scale */
        if (!rc) rc = qb_cq_act_quant(c->a, na, v->policy, &c->act);
        if (rc) goto fail;
        const long nbias = kind == MM_GEMM ? c->N : c->batch * c->N;
        c->bq = qb_big_alloc(nb, 1);
        c->mult = malloc((size_t)c->N * sizeof *c->mult);
        c->shift = malloc((size_t)c->N * sizeof *c->shift);
        c->bias_i32 = malloc((size_t)nbias * sizeof *c->bias_i32);
        c->yq = qb_big_alloc(ny, 1);
        int32_t *wsum = malloc((size_t)c->N * sizeof *wsum);
        if (!c->bq || !c->mult || !c->shift || !c->bias_i32 || !c->yq || !wsum) {
            free(wsum);
            goto nomem;
        }
        /* per-channel along N: axis 0 of gemm's W[N][K], the last axis of B[batch][K][N] */
        const size_t wd[3] = {(size_t)c->batch, (size_t)c->K, (size_t)c->N};
        const size_t gd[2] = {(size_t)c->N, (size_t)c->K};
        rc = kind == MM_GEMM ? qb_cq_weights(c->b, gd, 2, 0, v->gran, v->policy, c->isa, &c->bp, c->bq)
                             : qb_cq_weights(c->b, wd, 3, 2, v->gran, v->policy, c->isa, &c->bp, c->bq);
        if (!rc) rc = qb_cq_out_params(c->y, ny, v->policy, &c->op);
        if (!rc) {
            if (kind == MM_GEMM) qb_cq_wsum(c->bq, gd, 2, 0, wsum);
            qb_cq_requant(&c->act, &c->bp, &c->op, (int)c->N, c->bias, kind == MM_GEMM ? wsum : NULL,
                          c->mult, c->shift, c->bias_i32);
        }
        free(wsum);
        if (rc) goto fail;
        qb_big_free(c->y);
        c->y = NULL;
    }
    if (kind == MM_GEMM) {
        qb_mat A, B;
        qb_epilogue e;
        item(c, v->dtype, 0, &A, &B, &e);
        rc = qb_gemm_pack_b(&B, c->K, c->N, &c->wpk);
        if (rc) goto fail;
    }
    *out = c;
    return QB_OK;
nomem:
    rc = qb_fail(QB_ENOMEM, "out of memory for the operands");
fail:
    destroy(c);
    return rc;
}
static int create_gemm(const qb_shape *s, const qb_variant *v, qb_op_instance **o) { return create_kind(MM_GEMM, s, v, o); }
static int create_matmul(const qb_shape *s, const qb_variant *v, qb_op_instance **o) { return create_kind(MM_MATMUL, s, v, o); }
static int create_batched(const qb_shape *s, const qb_variant *v, qb_op_instance **o) { return create_kind(MM_BATCHED, s, v, o); }

/* B(i, k, n) of the original data, whatever the kind's storage. */
static size_t b_index(const qb_op_instance *c, long i, long k, long n)
{
    return c->kind == MM_GEMM ? (size_t)(n * c->K + k) : (size_t)((i * c->K + k) * c->N + n);
}

static int verify(qb_op_instance *c, double *max_err, bool *ok)
{
    const size_t ny = (size_t)(c->batch * c->M * c->N);
    const size_t ns = qb_cq_nsample(ny, (double)c->K);
    float *got = malloc(ns * sizeof *got), *want = malloc(ns * sizeof *want);
    if (!got || !want) {
        free(got);
        free(want);
        return qb_fail(QB_ENOMEM, "verify: out of memory");
    }
    double err = 0;
    qb_epilogue e = {0};
    if (c->v.dtype == QB_INT8) qb_cq_epilogue(&c->op, c->v.policy, &e);
    const bool sat = c->isa == QB_ISA_AVX2;
    for (size_t j = 0; j < ns; j++) {
        const size_t o = qb_cq_sample(ny, ns, j);
        const long i = (long)(o / (size_t)(c->M * c->N)), m = (long)(o / (size_t)c->N % (size_t)c->M);
        const long n = (long)(o % (size_t)c->N);
        if (c->v.dtype == QB_INT8) {
            /* (u8 - 0) x s8 pairs with int16 saturation on AVX2, then the
             * compensation and bias the kernel adds */
            int32_t acc = 0, wsum = 0;
            for (long k = 0; k < c->K; k += 2) {
                int32_t p = c->act.q[(i * c->M + m) * c->K + k] * c->bq[b_index(c, i, k, n)];
                wsum += c->bq[b_index(c, i, k, n)];
                if (k + 1 < c->K) {
                    p += c->act.q[(i * c->M + m) * c->K + k + 1] * c->bq[b_index(c, i, k + 1, n)];
                    wsum += c->bq[b_index(c, i, k + 1, n)];
                }
                acc += sat ? (p > 32767 ? 32767 : p < -32768 ? -32768 : p) : p;
            }
            /* gemm: bias_i32 = round(b / sa sw) - za wsum from create; matmul: -za wsum per run */
            const int32_t bias = c->kind == MM_GEMM ? c->bias_i32[n] : -c->act.za * wsum;
            const int32_t qn = e.kind == QB_EPI_RQ_SHIFT
                                   ? qb_requant_shift(acc + bias, c->shift[n], e.zo, e.qmin, e.qmax)
                                   : qb_requant_float(acc + bias, c->mult[n], e.zo, e.qmin, e.qmax);
            const int32_t g = qb_epi_signed(&e) ? ((int8_t *)c->yq)[o] : c->yq[o];
            if (abs(g - qn) > err) err = abs(g - qn);
        } else {
            const bool h = c->v.dtype == QB_FP16;
            double acc = c->bias ? c->bias[n] : 0.0;
            for (long k = 0; k < c->K; k++) {
                const size_t ai = (size_t)((i * c->M + m) * c->K + k), bi = b_index(c, i, k, n);
                acc += (h ? (double)qb_f16_to_f32(c->ah[ai]) : c->a[ai]) *
                       (h ? (double)qb_f16_to_f32(c->bh[bi]) : c->b[bi]);
            }
            want[j] = (float)acc;
            got[j] = h ? qb_f16_to_f32(c->yh[o]) : c->y[o];
        }
    }
    if (c->v.dtype != QB_INT8) err = qb_cq_rel_err(got, want, ns);
    free(got);
    free(want);
    *max_err = err;
    *ok = c->v.dtype == QB_INT8 ? err == 0 : err <= (c->v.dtype == QB_FP16 ? QB_CQ_TOL_FP16 : QB_CQ_TOL_FP32);
    return QB_OK;
}

static int output(qb_op_instance *c, float *out)
{
    const size_t ny = (size_t)(c->batch * c->M * c->N);
    if (c->v.dtype == QB_FP32) memcpy(out, c->y, ny * sizeof *out);
    else if (c->v.dtype == QB_FP16) qb_f16_to_f32_n(c->yh, out, ny);
    else qb_cq_dequant_out(c->yq, ny, &c->op, out);
    return QB_OK;
}

static int describe(qb_op_instance *c, cJSON *params)
{
    int rc = qb_cq_describe(params, &c->v, c->isa);
    const char *alg = c->kind == MM_BATCHED ? "blocked GEMM per batch item, items spread over threads"
                      : c->kind == MM_GEMM  ? "blocked GEMM, C split over threads, weights packed once at creation"
                                            : "blocked GEMM, C split over threads";
    if (!rc && !cJSON_AddStringToObject(params, "algorithm", alg)) rc = QB_ENOMEM;
    if (!rc && c->v.dtype == QB_INT8 && c->kind != MM_GEMM &&
        !cJSON_AddStringToObject(params, "compensation", "column sums of the s8 operand in every run"))
        rc = QB_ENOMEM;
    return rc;
}

#define MM_COMMON                                                                                  \
    .klass = "compute", .per_channel = true, .run = run, .verify = verify, .destroy = destroy,     \
    .output = output, .describe = describe

const qb_op_desc qb_op_gemm = {
    .name = "gemm",
    .summary = "Y = X W^T + b (ONNX Gemm, transB: a fully connected layer)",
    .shape_keys = "M,N,K",
    .default_shape = "1024,1024,1024",
    .shape_source = "1024^3 (a large fully connected layer, e.g. a batch of 1024 tokens through 1024->1024)",
    .check = check_gemm,
    .ops = ops_gemm,
    .bytes = bytes_gemm,
    .create = create_gemm,
    .output_elems = out_gemm,
    MM_COMMON,
};

const qb_op_desc qb_op_matmul = {
    .name = "matmul",
    .summary = "C = A B, both operands activations",
    .shape_keys = "M,N,K",
    .default_shape = "1024,1024,1024",
    .shape_source = "1024^3 square matmul",
    .check = check_matmul,
    .ops = ops_matmul,
    .bytes = bytes_matmul,
    .create = create_matmul,
    .output_elems = out_matmul,
    MM_COMMON,
};

const qb_op_desc qb_op_batched_matmul = {
    .name = "batched-matmul",
    .summary = "C[b] = A[b] B[b] over a batch",
    .shape_keys = "batch,M,N,K",
    .default_shape = "12,384,384,64",
    .shape_source = "BERT-base attention scores Q K^T: 12 heads, sequence 384, head size 64",
    .check = check_batched,
    .ops = ops_batched,
    .bytes = bytes_batched,
    .create = create_batched,
    .output_elems = out_batched,
    MM_COMMON,
};
