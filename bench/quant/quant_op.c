/* Quantization error of a registry operator: each int8 policy and
 * granularity runs beside the fp32 variant of the same shape. The contract
 * (op.h) makes create() draw the same float inputs for every dtype, so the
 * int8 output, dequantized by output(), against the fp32 output is the error
 * quantization costs on the same inputs; the time of both is the speed it buys. */
#include "quant_bench.h"

#include "defaults.h"
#include "error.h"
#include "interrupt.h"
#include "output.h"
#include "qerror.h"
#include "timer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const qb_op_desc *op;
    qb_op_instance *inst;
} run_ctx;

static int run_trial(void *vctx, double v[2])
{
    run_ctx *c = vctx;
    const uint64_t t0 = qb_now_ns();
    const int rc = c->op->run(c->inst);
    v[0] = (double)(qb_now_ns() - t0) * 1e-9;
    return rc;
}

/* Time the kernel by the repetition policy (its samples in seconds). */
static int time_runs(const qb_op_desc *op, qb_op_instance *inst, const qb_rep_policy *pol,
                     qb_rep_result *r)
{
    run_ctx c = {op, inst};
    return qb_repeat(pol, run_trial, &c, r);
}

/* Create, time and read the output of one variant. */
static int run_variant(const qb_op_desc *op, const qb_shape *s, const qb_variant *v, float *out,
                       const qb_rep_policy *pol, qb_rep_result *times, qb_op_instance **keep)
{
    qb_op_instance *inst = NULL;
    memset(times, 0, sizeof *times);
    int rc = op->create(s, v, &inst);
    if (rc) return rc;
    rc = time_runs(op, inst, pol, times);
    if (!rc) rc = op->output(inst, out);
    if (rc || !keep) op->destroy(inst);
    else *keep = inst;
    return rc;
}

/* Where the kernel's ISA gave the weights 8 bits, the error the same variant
 * has with the 7-bit weights of the AVX2 path (run once, untimed), beside
 * it: what a deployment whose kernels cannot use the whole int8 range pays. */
static int seven_bit_error(const qb_op_desc *op, const qb_shape *s, const qb_variant *iv, const float *ref,
                           float *got, size_t n, qb_record *rec)
{
    qb_variant v7 = *iv;
    v7.isa = "avx2";
    qb_op_instance *inst = NULL;
    int rc = op->create(s, &v7, &inst);
    if (!rc) rc = op->run(inst);
    if (!rc) rc = op->output(inst, got);
    if (inst) op->destroy(inst);
    if (rc) return rc;
    qb_qerror e;
    qb_qerror_measure(ref, got, n, &e);
    if (isfinite(e.nsr)) rc = qb_record_metric(rec, "nsr_7bit_weights", "ratio", QB_BETTER_LOWER, e.nsr);
    if (!rc && isfinite(e.nsr_db))
        rc = qb_record_metric(rec, "nsr_db_7bit_weights", "dB", QB_BETTER_LOWER, e.nsr_db);
    if (!rc) rc = qb_record_metric(rec, "cosine_7bit_weights", "ratio", QB_BETTER_HIGHER, e.cosine);
    return rc;
}

/* One int8 variant: run, verify, compare with the fp32 output, record. An
 * op that does not offer the variant gets a note, not an error. */
static int measure_variant(const qb_op_desc *op, const qb_shape *s, qb_qpolicy policy,
                           qb_qgran gran, int threads, const qb_rep_policy *pol, const float *ref,
                           float *got, size_t n, const qb_rep_result *tf, qb_record *rec)
{
    qb_progress("quant --op %s: int8 %s %s", op->name, qb_qpolicy_name(policy), qb_qgran_name(gran));
    const qb_variant iv = {.dtype = QB_INT8, .gran = gran, .policy = policy, .threads = threads};
    qb_op_instance *inst = NULL;
    qb_rep_result ti;
    int rc = run_variant(op, s, &iv, got, pol, &ti, &inst);
    if (rc == QB_EUNSUPPORTED || rc == QB_EUSAGE) {
        cJSON_AddBoolToObject(rec->params, "supported", false);
        rc = qb_record_note(rec, "not available: %s", qb_last_error(rc));
        qb_clear_error();
        qb_rep_result_free(&ti);
        return rc;
    }
    if (rc) {
        qb_rep_result_free(&ti);
        return rc;
    }
    cJSON_AddBoolToObject(rec->params, "supported", true);
    double verr = 0;
    bool ok = true;
    if (op->verify) rc = op->verify(inst, &verr, &ok);
    if (!rc && op->describe) rc = op->describe(inst, rec->params);
    op->destroy(inst);
    if (!rc && op->verify) {
        cJSON_AddBoolToObject(rec->params, "verified", ok);
        if (!ok) rc = qb_record_note(rec, "int8 kernel differs from its integer reference by %g LSB", verr);
    }
    qb_qerror e;
    qb_qerror_measure(ref, got, n, &e);
    /* JSON holds finite numbers only: an exact output (NSR 0, -Inf dB) or a
     * zero reference (NSR Inf) is said in a note instead */
    if (!rc && isfinite(e.nsr)) rc = qb_record_metric(rec, "nsr", "ratio", QB_BETTER_LOWER, e.nsr);
    if (!rc && isfinite(e.nsr_db)) rc = qb_record_metric(rec, "nsr_db", "dB", QB_BETTER_LOWER, e.nsr_db);
    if (!rc && e.nsr == 0) rc = qb_record_note(rec, "the int8 output equals the fp32 output: NSR 0");
    if (!rc && isinf(e.nsr)) rc = qb_record_note(rec, "the fp32 output is all zero: NSR undefined");
    if (!rc) rc = qb_record_metric(rec, "max_abs_err", "abs", QB_BETTER_LOWER, e.max_abs);
    if (!rc) rc = qb_record_metric(rec, "cosine", "ratio", QB_BETTER_HIGHER, e.cosine);
    if (!rc) rc = qb_record_metric_samples(rec, "time_int8", "s", QB_BETTER_LOWER, ti.samples, (size_t)ti.n);
    if (!rc) rc = qb_record_metric_samples(rec, "time_fp32", "s", QB_BETTER_LOWER, tf->samples, (size_t)tf->n);
    if (!rc) rc = qb_record_metric(rec, "speedup", "x", QB_BETTER_HIGHER, tf->st.median / ti.st.median);
    if (!rc && e.nonfinite)
        rc = qb_record_note(rec, "%zu output values were NaN or Inf and left out", e.nonfinite);
    qb_rep_result_free(&ti);
    if (!rc && qb_param_num(rec, "weight_bits") == 8) rc = seven_bit_error(op, s, &iv, ref, got, n, rec);
    return rc;
}

int qb_quant_op_measure(qb_results *res, const qb_op_desc *op, const char *shape_text,
                        const qb_qpolicy *policies, int npol, const qb_qgran *grans, int ngran,
                        int threads, const qb_rep_policy *pol)
{
    if (!op->output || !op->output_elems)
        return qb_fail(QB_EUNSUPPORTED, "quant: operator '%s' does not expose its output", op->name);
    const char *text = shape_text ? shape_text : op->default_shape;
    qb_shape s;
    int rc = qb_op_shape(op, shape_text, &s);
    if (rc) return rc;
    const size_t n = op->output_elems(&s);
    if (n == 0) return qb_fail(QB_EINTERNAL, "quant: operator '%s' has no output elements", op->name);
    float *ref = malloc(n * sizeof *ref), *got = malloc(n * sizeof *got);
    if (!ref || !got) {
        free(ref);
        free(got);
        return qb_fail(QB_ENOMEM, "quant: out of memory for %zu output elements", n);
    }
    qb_rep_result tf;
    const qb_variant fv = {.dtype = QB_FP32, .gran = QB_QNONE, .policy = QB_PNONE, .threads = threads};
    qb_progress("quant --op %s: fp32", op->name);
    rc = run_variant(op, &s, &fv, ref, pol, &tf, NULL);
    for (int a = 0; a < npol && rc == QB_OK && !qb_interrupted(); a++) {
        for (int b = 0; b < ngran && rc == QB_OK && !qb_interrupted(); b++) {
            char name[160];
            snprintf(name, sizeof name, "%s/%s/%s-%s", op->name, text, qb_qpolicy_name(policies[a]),
                     qb_qgran_name(grans[b]));
            qb_record *rec = qb_results_add(res, "quant.op", name);
            if (!rec) {
                rc = QB_ENOMEM;
                break;
            }
            rc = qb_record_param_str(rec, "op", op->name);
            if (!rc) rc = qb_record_param_str(rec, "shape", text);
            if (!rc) rc = qb_record_param_str(rec, "shape_keys", op->shape_keys);
            if (!rc) rc = qb_record_param_str(rec, "dtype", "int8");
            if (!rc) rc = qb_record_param_str(rec, "policy", qb_qpolicy_name(policies[a]));
            if (!rc) rc = qb_record_param_str(rec, "granularity", qb_qgran_name(grans[b]));
            if (!rc) rc = qb_record_param_num(rec, "threads", threads);
            if (!rc) rc = qb_record_param_str(rec, "reference", "the fp32 variant on the same inputs");
            if (rc) break;
            if (grans[b] == QB_PER_CHANNEL && !op->per_channel) {
                cJSON_AddBoolToObject(rec->params, "supported", false);
                qb_record_note(rec, "%s has no output-channel axis for per-channel scales", op->name);
                continue;
            }
            rc = measure_variant(op, &s, policies[a], grans[b], threads, pol, ref, got, n, &tf, rec);
        }
    }
    qb_rep_result_free(&tf);
    qb_progress_done();
    free(ref);
    free(got);
    if (rc == QB_OK && qb_interrupted()) rc = qb_fail(QB_EINTR, "quant: interrupted");
    return rc;
}
