/* OpenBLAS cblas_sgemm for gemm, matmul and batched-matmul in fp32, on the
 * same inputs as the built-in ops (same seeds), checked against them. */
#include "backend.h"

#include "error.h"

#ifdef QB_HAVE_OPENBLAS

#include "ops_compute.h"
#include "ops_compute_util.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct qb_op_instance {
    const qb_op_desc *op;
    qb_shape s;
    qb_variant v;
    long batch, M, N, K;
    bool gemm;
    float *a, *b, *bias, *y;
};

static bool fp32_only(const qb_variant *v)
{
    return v->dtype == QB_FP32;
}

static void destroy(qb_op_instance *c)
{
    if (!c) return;
    free(c->a);
    free(c->b);
    free(c->bias);
    free(c->y);
    free(c);
}

static int create(const qb_op_desc *op, const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    *out = NULL;
    qb_op_instance *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    c->op = op;
    c->s = *s;
    c->v = *v;
    const bool batched = strcmp(op->name, "batched-matmul") == 0;
    c->gemm = strcmp(op->name, "gemm") == 0;
    c->batch = batched ? s->v[0] : 1;
    c->M = s->v[batched], c->N = s->v[batched + 1], c->K = s->v[batched + 2];
    const size_t na = (size_t)(c->batch * c->M * c->K), nb = (size_t)(c->batch * c->K * c->N);
    const size_t ny = (size_t)(c->batch * c->M * c->N);
    c->a = malloc(na * 4);
    c->b = malloc(nb * 4);
    c->y = malloc(ny * 4);
    c->bias = malloc((size_t)c->N * 4);
    if (!c->a || !c->b || !c->y || !c->bias) {
        destroy(c);
        return qb_fail(QB_ENOMEM, "openblas %s: out of memory", op->name);
    }
    qb_cq_fill(c->a, na, QB_CQ_SEED_MM_A, -1.0f, 1.0f);
    qb_cq_fill(c->b, nb, QB_CQ_SEED_MM_B, -1.0f, 1.0f);
    qb_cq_mm_spread(c->b, c->gemm, c->batch, c->K, c->N);
    qb_cq_fill(c->bias, (size_t)c->N, QB_CQ_SEED_MM_BIAS, -0.5f, 0.5f);
    *out = c;
    return QB_OK;
}

static int run(qb_op_instance *c)
{
    openblas_set_num_threads(c->v.threads);
    const int M = (int)c->M, N = (int)c->N, K = (int)c->K;
    if (c->gemm) {
        /* no bias epilogue in BLAS: C starts as the bias rows, beta = 1 */
        for (long i = 0; i < c->M; i++) memcpy(c->y + i * c->N, c->bias, (size_t)c->N * 4);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, c->a, K, c->b, K, 1.0f, c->y, N);
        return QB_OK;
    }
    for (long i = 0; i < c->batch; i++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, c->a + i * c->M * c->K, K,
                    c->b + i * c->K * c->N, N, 0.0f, c->y + i * c->M * c->N, N);
    return QB_OK;
}

/* Against the built-in kernel on the same inputs (itself checked against the
 * scalar reference in its own record). */
static int verify(qb_op_instance *c, double *max_err, bool *ok)
{
    qb_op_instance *ref = NULL;
    const size_t n = c->op->output_elems(&c->s);
    float *want = malloc(n * 4);
    int rc = want ? c->op->create(&c->s, &c->v, &ref) : qb_fail(QB_ENOMEM, "out of memory");
    if (!rc) rc = c->op->run(ref);
    if (!rc) rc = c->op->output(ref, want);
    if (!rc) {
        *max_err = qb_cq_rel_err(c->y, want, n);
        *ok = *max_err <= QB_CQ_TOL_FP32;
    }
    if (ref) c->op->destroy(ref);
    free(want);
    return rc;
}

static int describe(qb_op_instance *c, cJSON *params)
{
    char how[160];
    snprintf(how, sizeof how, "cblas_sgemm%s%s", c->gemm ? " (C preset to the bias rows, beta 1)" : "",
             c->batch > 1 ? " per batch item" : "");
    const bool ok = cJSON_AddStringToObject(params, "library", qb_backend_openblas_version()) &&
                    cJSON_AddStringToObject(params, "algorithm", how) &&
                    cJSON_AddStringToObject(params, "math", "fp32 FMA (OpenBLAS kernels)");
    return ok ? QB_OK : QB_ENOMEM;
}

#define ENTRY(name) {"openblas", name, fp32_only, create, run, verify, destroy, describe}
const qb_backend_impl qb_backend_openblas[] = {ENTRY("gemm"), ENTRY("matmul"), ENTRY("batched-matmul")};
const int qb_backend_openblas_n = 3;

bool qb_backend_openblas_available(void)
{
    return true;
}

const char *qb_backend_openblas_version(void)
{
    static char v[160];
    if (!v[0]) {
        const char *core = openblas_get_corename();
        snprintf(v, sizeof v, "OpenBLAS %s, core %s", QB_OPENBLAS_VERSION, core ? core : "?");
    }
    return v;
}

#else /* not compiled in */

const qb_backend_impl qb_backend_openblas[1];
const int qb_backend_openblas_n = 0;

bool qb_backend_openblas_available(void)
{
    return false;
}

const char *qb_backend_openblas_version(void)
{
    return "not compiled in (build with libopenblas-dev installed and QB_WITH_OPENBLAS=ON)";
}

#endif
