/* qbench quant --op against the operator contract (op.h), with a tiny
 * operator of the test's own: y[c][m] = w[c] * x[c][m], whose int8 variant
 * quantizes x per tensor and w per tensor or per channel, multiplies in
 * int32 and requantizes with qb_requant_fixed. */
#include "check.h"
#include "op.h"
#include "error.h"
#include "quant.h"
#include "quant_bench.h"
#include "tensor_gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct qb_op_instance {
    long C, M;
    qb_variant v;
    float *x, *w, *y;
    int8_t *qx, *qw, *qy;
    qb_qparams px, pw, py;
    qb_requant *rq;
};

static double ops(const qb_shape *s) { return (double)(s->v[0] * s->v[1]); }
static double bytes(const qb_shape *s, const qb_variant *v)
{
    return (double)(s->v[0] * s->v[1]) * 2 * (double)qb_dtype_bytes(v->dtype);
}
static size_t out_elems(const qb_shape *s) { return (size_t)(s->v[0] * s->v[1]); }

static void destroy(qb_op_instance *k)
{
    if (!k) return;
    free(k->x), free(k->w), free(k->y), free(k->qx), free(k->qw), free(k->qy), free(k->rq);
    qb_qparams_free(&k->px), qb_qparams_free(&k->pw), qb_qparams_free(&k->py);
    free(k);
}

static void fp32_run(const qb_op_instance *k, float *y)
{
    for (long c = 0; c < k->C; c++)
        for (long m = 0; m < k->M; m++) y[c * k->M + m] = k->w[c] * k->x[c * k->M + m];
}

static int create(const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    if (v->dtype == QB_INT8 && v->policy == QB_ASYMMETRIC)
        return qb_fail(QB_EUNSUPPORTED, "tiny op: no asymmetric int8 variant");
    if (v->dtype == QB_FP16) return qb_fail(QB_EUNSUPPORTED, "tiny op: no fp16");
    qb_op_instance *k = calloc(1, sizeof *k);
    if (!k) return QB_ENOMEM;
    k->C = s->v[0];
    k->M = s->v[1];
    k->v = *v;
    const size_t n = (size_t)(k->C * k->M);
    k->x = malloc(n * sizeof *k->x);
    k->w = malloc((size_t)k->C * sizeof *k->w);
    k->y = malloc(n * sizeof *k->y);
    if (!k->x || !k->w || !k->y) {
        destroy(k);
        return QB_ENOMEM;
    }
    qb_rng r;
    qb_rng_seed(&r, 42, (uint64_t)n); /* the shape alone decides the inputs */
    qb_tensor_fill(k->x, n, QB_DIST_GAUSSIAN, false, &r);
    for (long c = 0; c < k->C; c++) k->w[c] = (float)((c % 2 ? -1 : 1) * ldexp(1.0 + 0.37 * c, (int)c - 4));
    *out = k;
    if (v->dtype != QB_INT8) return QB_OK;
    k->qx = malloc(n);
    k->qw = malloc((size_t)k->C);
    k->qy = malloc(n);
    k->rq = malloc((size_t)k->C * sizeof *k->rq);
    if (!k->qx || !k->qw || !k->qy || !k->rq) {
        destroy(k);
        return QB_ENOMEM;
    }
    qb_qspec sx = qb_qspec_default(v->policy), sw = sx, sy = sx;
    sw.gran = v->gran;
    const size_t dx[1] = {n}, dw[1] = {(size_t)k->C};
    fp32_run(k, k->y); /* output scale from the real output range, as calibration would */
    int rc = qb_qchoose(k->x, dx, 1, &sx, &k->px);
    if (!rc) rc = qb_qchoose(k->w, dw, 1, &sw, &k->pw);
    if (!rc) rc = qb_qchoose(k->y, dx, 1, &sy, &k->py);
    if (!rc) rc = qb_quantize(k->x, dx, 1, &k->px, k->qx);
    if (!rc) rc = qb_quantize(k->w, dw, 1, &k->pw, k->qw);
    for (long c = 0; c < k->C && !rc; c++) {
        const float swc = k->pw.scale[k->pw.nch == 1 ? 0 : c];
        rc = qb_requant_make((double)k->px.scale[0] * swc / k->py.scale[0], &k->rq[c]);
    }
    if (rc) {
        destroy(k);
        *out = NULL;
    }
    return rc;
}

static void int8_run(const qb_op_instance *k, int8_t *qy)
{
    for (long c = 0; c < k->C; c++)
        for (long m = 0; m < k->M; m++) {
            const int32_t acc = (int32_t)k->qx[c * k->M + m] * k->qw[c];
            qy[c * k->M + m] = (int8_t)qb_requant_fixed(acc, k->rq[c], 0, -128, 127);
        }
}

static int run(qb_op_instance *k)
{
    if (k->v.dtype == QB_INT8) int8_run(k, k->qy);
    else fp32_run(k, k->y);
    return QB_OK;
}

static int verify(qb_op_instance *k, double *max_err, bool *ok)
{
    *max_err = 0;
    *ok = true;
    if (k->v.dtype != QB_INT8) return QB_OK;
    const size_t n = (size_t)(k->C * k->M);
    int8_t *ref = malloc(n);
    if (!ref) return QB_ENOMEM;
    int8_run(k, ref);
    for (size_t i = 0; i < n; i++) {
        const double d = fabs((double)ref[i] - k->qy[i]);
        *max_err = d > *max_err ? d : *max_err;
    }
    *ok = *max_err == 0;
    free(ref);
    return QB_OK;
}

static int output(qb_op_instance *k, float *out)
{
    const size_t n = (size_t)(k->C * k->M);
    if (k->v.dtype != QB_INT8) {
        memcpy(out, k->y, n * sizeof *out);
        return QB_OK;
    }
    const size_t d[1] = {n};
    return qb_dequantize(k->qy, d, 1, &k->py, out);
}

/* an operator whose output is all zero in every dtype: NSR 0/0 */
static int zero_output(qb_op_instance *k, float *out)
{
    memset(out, 0, (size_t)(k->C * k->M) * sizeof *out);
    return QB_OK;
}

static int check(const qb_shape *s)
{
    return s->v[0] > 64 ? qb_fail(QB_EUSAGE, "tiny op: at most 64 channels") : QB_OK;
}

static const qb_op_desc tiny = {
    .name = "tiny-scale", .klass = "memory", .summary = "y = w[c] * x[c][m]",
    .shape_keys = "C,M", .default_shape = "8,4096", .shape_source = "test",
    .per_channel = true, .check = check, .ops = ops, .bytes = bytes, .create = create,
    .run = run, .verify = verify, .destroy = destroy, .output_elems = out_elems,
    .output = output,
};

static double metric(const qb_results *res, const char *id, const char *name)
{
    const qb_record *r = qb_results_find(res, id);
    const qb_metric *m = r ? qb_record_find_metric(r, name) : NULL;
    return m ? m->value : NAN;
}

int main(void)
{
    qb_rep_policy pol = qb_rep_policy_default(true);
    pol.rounds = 1;
    qb_results res;
    CHECK(qb_results_init(&res) == QB_OK);
    const qb_qpolicy pols[3] = {QB_SYMMETRIC, QB_ASYMMETRIC, QB_POW2};
    const qb_qgran grans[2] = {QB_PER_TENSOR, QB_PER_CHANNEL};
    CHECK(qb_quant_op_measure(&res, &tiny, NULL, pols, 3, grans, 2, 1, &pol) == QB_OK);
    CHECK(res.n == 6);
    const char *pt = "quant.op/tiny-scale/8,4096/symmetric-per-tensor";
    const char *pc = "quant.op/tiny-scale/8,4096/symmetric-per-channel";
    const double nt = metric(&res, pt, "nsr"), nc = metric(&res, pc, "nsr");
    CHECK(nt > 0 && nt < 1e-3);
    CHECK(nc > 0 && nc <= nt);
    CHECK(metric(&res, pt, "cosine") > 0.999);
    CHECK_NEAR(metric(&res, pt, "nsr_db"), 10 * log10(nt), 1e-9);
    CHECK(metric(&res, pt, "time_int8") > 0 && metric(&res, pt, "time_fp32") > 0);
    CHECK(metric(&res, pt, "speedup") > 0);
    /* the output's worst error is about half an output step */
    const qb_record *r = qb_results_find(&res, "quant.op/tiny-scale/8,4096/asymmetric-per-tensor");
    CHECK(r && cJSON_IsFalse(cJSON_GetObjectItem(r->params, "supported")));
    CHECK(r && r->nmetrics == 0 && cJSON_GetArraySize(r->notes) == 1);
    CHECK(!isnan(metric(&res, "quant.op/tiny-scale/8,4096/pow2-per-channel", "nsr")));
    qb_results_free(&res);

    /* the registry's weighted operators: their weights' ranges differ by output
     * channel (8x, as trained layers' do), so per-channel scales must beat
     * one scale for the whole tensor on the same (deterministic) inputs; by
     * less where the output's own int8 step dominates the error (depthwise:
     * 9 taps per output; lstm: the gates' and state's quantization), and by
     * less with 8-bit weights (the VNNI path), whose noise is a quarter of
     * 7-bit weights' */
    static const struct {
        const char *op, *shape;
        double most, most8; /* per-channel NSR at most this share of per-tensor's (7-bit, 8-bit weights) */
    } weighted[] = {{"gemm", "64,96,128", 0.8, 0.9},
                    {"matmul", "64,96,128", 0.8, 0.9},
                    {"conv", "1,16,12,12,32,3,3,1,1", 0.8, 0.9},
                    {"conv-transpose", "1,16,6,6,24,3,3,2,1", 0.8, 0.9},
                    {"depthwise-conv", "1,32,12,12,3,3,1,1", 0.95, 0.95},
                    {"lstm", "8,4,64,64", 0.97, 0.99}};
    for (size_t i = 0; i < sizeof weighted / sizeof weighted[0]; i++) {
        const qb_op_desc *op = qb_op_find(weighted[i].op);
        CHECK(op != NULL);
        if (!op) continue;
        CHECK(qb_results_init(&res) == QB_OK);
        CHECK(qb_quant_op_measure(&res, op, weighted[i].shape, pols, 1, grans, 2, 1, &pol) == QB_OK);
        char idt[160], idc[160];
        snprintf(idt, sizeof idt, "quant.op/%s/%s/symmetric-per-tensor", weighted[i].op, weighted[i].shape);
        snprintf(idc, sizeof idc, "quant.op/%s/%s/symmetric-per-channel", weighted[i].op, weighted[i].shape);
        const double t = metric(&res, idt, "nsr"), c = metric(&res, idc, "nsr");
        const qb_record *rt = qb_results_find(&res, idt);
        const bool eight = rt && qb_param_num(rt, "weight_bits") == 8;
        fprintf(stderr, "%s: nsr per-tensor %.3g, per-channel %.3g (%d-bit weights)\n", weighted[i].op, t, c,
                eight ? 8 : 7);
        CHECK(t > 0 && c > 0 && c < (eight ? weighted[i].most8 : weighted[i].most) * t);
        qb_results_free(&res);
    }

    /* bad shape, and an op that does not expose its output */
    CHECK(qb_results_init(&res) == QB_OK);
    CHECK(qb_quant_op_measure(&res, &tiny, "8", pols, 1, grans, 1, 1, &pol) == QB_EUSAGE);
    CHECK(qb_quant_op_measure(&res, &tiny, "100,10", pols, 1, grans, 1, 1, &pol) == QB_EUSAGE);
    qb_op_desc blind = tiny;
    blind.output = NULL;
    CHECK(qb_quant_op_measure(&res, &blind, NULL, pols, 1, grans, 1, 1, &pol) == QB_EUNSUPPORTED);
    /* an op without a channel axis: per-channel is recorded as not supported */
    qb_op_desc flat = tiny;
    flat.per_channel = false;
    CHECK(qb_quant_op_measure(&res, &flat, NULL, pols, 1, grans + 1, 1, 1, &pol) == QB_OK);
    CHECK(res.n == 1 && cJSON_IsFalse(cJSON_GetObjectItem(res.recs[0].params, "supported")));
    qb_results_free(&res);

    /* an exact output: no -Inf dB in the JSON, a note instead */
    CHECK(qb_results_init(&res) == QB_OK);
    qb_op_desc zero = tiny;
    zero.output = zero_output;
    CHECK(qb_quant_op_measure(&res, &zero, NULL, pols, 1, grans, 1, 1, &pol) == QB_OK);
    CHECK(res.n == 1 && qb_record_find_metric(&res.recs[0], "nsr_db") == NULL);
    CHECK(res.n == 1 && cJSON_GetArraySize(res.recs[0].notes) == 1);
    cJSON *doc = qb_results_to_json(&res);
    CHECK(doc != NULL);
    cJSON_Delete(doc);
    qb_results_free(&res);
    TEST_DONE();
}
