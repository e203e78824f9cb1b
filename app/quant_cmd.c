/* qbench quant: the quantization error of each policy, on synthetic tensors
 * (Monte Carlo beside the analytic approximation) or on a registry operator's
 * output against its fp32 form. */
#include "commands.h"
#include "defaults.h"
#include "error.h"
#include "fmt.h"
#include "output.h"
#include "pin.h"
#include "suite.h"
#include "quant_bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPECS 64
#define MAX_WORDS 8

static void fmt_nsr(char *b, size_t len, double v, double se)
{
    if (!isfinite(v)) snprintf(b, len, "-");
    else if (isfinite(se) && v > 0) snprintf(b, len, "%.4g +-%.2g%%", v, 100 * se / v);
    else snprintf(b, len, "%.4g", v);
}

static void print_synth(const qb_results *res)
{
    static const char *const head[] = {"input", "policy", "granularity", "range", "scale",
                                       "trials", "NSR (MC mean)", "dB", "NSR (ctrl var)",
                                       "model", "MC/model-1", "worst row", "max|err|", "cosine"};
    qb_table t;
    qb_table_init(&t, 14, head);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        char input[96], scale[48], mc[48], cv[48], model[24] = "-", diff[24] = "-";
        const cJSON *sp = cJSON_GetObjectItem(r->params, "channel_spread");
        char sps[24] = "";
        if (cJSON_IsNumber(sp)) snprintf(sps, sizeof sps, "*%g", sp->valuedouble);
        snprintf(input, sizeof input, "%s:%s%s%s", qb_param_str(r, "input"),
                 qb_param_str(r, "shape"), sps,
                 cJSON_IsTrue(cJSON_GetObjectItem(r->params, "relu")) ? "+relu" : "");
        const cJSON *pct = cJSON_GetObjectItem(r->params, "percentile");
        const char *src = qb_param_str(r, "scale_source");
        if (cJSON_IsNumber(pct))
            snprintf(scale, sizeof scale, "%s:%g/%g", src, pct->valuedouble,
                     cJSON_GetNumberValue(cJSON_GetObjectItem(r->params, "divisor")));
        else
            snprintf(scale, sizeof scale, "%s/%g%s%s", src,
                     cJSON_GetNumberValue(cJSON_GetObjectItem(r->params, "divisor")),
                     *qb_param_str(r, "pow2_round") ? " " : "", qb_param_str(r, "pow2_round"));
        fmt_nsr(mc, sizeof mc, qb_metric_value(r, "nsr"), qb_metric_value(r, "nsr_se"));
        fmt_nsr(cv, sizeof cv, qb_metric_value(r, "nsr_cv"), qb_metric_value(r, "nsr_cv_se"));
        if (isfinite(qb_metric_value(r, "nsr_model"))) {
            snprintf(model, sizeof model, "%.4g", qb_metric_value(r, "nsr_model"));
            snprintf(diff, sizeof diff, "%+.2f%%", 100 * qb_metric_value(r, "model_error"));
        }
        char worst[24] = "-";
        if (isfinite(qb_metric_value(r, "nsr_worst_row")))
            snprintf(worst, sizeof worst, "%.3g", qb_metric_value(r, "nsr_worst_row"));
        qb_table_rowf(&t, "%s\t%s\t%s\t%s\t%s\t%.0f\t%s\t%.2f\t%s\t%s\t%s\t%s\t%.3g\t%.6f", input,
                      qb_param_str(r, "policy"), qb_param_str(r, "granularity"),
                      qb_param_str(r, "range"), scale,
                      cJSON_GetNumberValue(cJSON_GetObjectItem(r->params, "trials")), mc,
                      qb_metric_value(r, "nsr_db"), cv, model, diff, worst,
                      qb_metric_value(r, "max_abs_err"), qb_metric_value(r, "cosine"));
    }
    printf("Quantization error, NSR = sum((x'-x)^2) / sum(x^2), mean over trials +- standard error\n"
           "(ctrl var: the same trials with the model's prediction at each trial's own scale\n"
           "subtracted, a control variate; model: s^2/12 rounding noise with the expected max;\n"
           "worst row: the largest NSR of one row along axis 0)\n\n");
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    qb_print_notes(res);
}

static void print_op(const qb_results *res)
{
    static const char *const head[] = {"op", "shape", "policy", "granularity", "w bits", "NSR", "dB",
                                       "dB 7-bit w", "max|err|", "cosine", "int8 ms", "fp32 ms", "speedup"};
    qb_table t;
    qb_table_init(&t, 13, head);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        char bits[8], db7[16];
        qb_fmt_num(bits, sizeof bits, qb_param_num(r, "weight_bits"), "%.0f");
        qb_fmt_num(db7, sizeof db7, qb_metric_value(r, "nsr_db_7bit_weights"), "%.2f");
        qb_table_rowf(&t, "%s\t%s\t%s\t%s\t%s\t%.4g\t%.2f\t%s\t%.3g\t%.6f\t%.3f\t%.3f\t%.2f",
                      qb_param_str(r, "op"), qb_param_str(r, "shape"), qb_param_str(r, "policy"),
                      qb_param_str(r, "granularity"), bits, qb_metric_value(r, "nsr"),
                      qb_metric_value(r, "nsr_db"), db7, qb_metric_value(r, "max_abs_err"),
                      qb_metric_value(r, "cosine"), 1e3 * qb_metric_value(r, "time_int8"),
                      1e3 * qb_metric_value(r, "time_fp32"), qb_metric_value(r, "speedup"));
    }
    printf("Operator output error of the int8 variants against fp32 on the same inputs\n"
           "(w bits: the weights' bits on the kernel's path; dB 7-bit w: the same variant with the 7-bit\n"
           "weights of the AVX2 path, where they differ)\n\n");
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    qb_print_notes(res);
}

/* Split a comma list into words (copies into buf). */
static int words(const char *what, const char *list, char *buf, size_t len, char **out, int *n)
{
    const int k = qb_split_words(what, list, buf, len, out, MAX_WORDS);
    if (k < 0) return k;
    *n = k;
    return QB_OK;
}

typedef struct {
    const char *policy, *gran, *range, *scale, *pow2;
    long axis;
} spec_words;

/* The cartesian product of the lists; range and scale default per policy. */
static int build_specs(const spec_words *w, qb_qspec *specs, int *nspecs)
{
    char pb[256], gb[256], rb[256], sb[512], qb[64];
    char *pw[MAX_WORDS], *gw[MAX_WORDS], *rw[MAX_WORDS], *sw[MAX_WORDS], *qw[MAX_WORDS];
    int np = 0, ng = 0, nr = 0, ns = 0, nq = 0;
    int rc = words("--policy", w->policy, pb, sizeof pb, pw, &np);
    if (!rc) rc = words("--granularity", w->gran, gb, sizeof gb, gw, &ng);
    if (!rc && w->range) rc = words("--range", w->range, rb, sizeof rb, rw, &nr);
    if (!rc && w->scale) rc = words("--scale", w->scale, sb, sizeof sb, sw, &ns);
    if (!rc) rc = words("--pow2-round", w->pow2, qb, sizeof qb, qw, &nq);
    if (rc) return rc;
    *nspecs = 0;
    for (int a = 0; a < np; a++) {
        qb_qpolicy pol;
        rc = qb_qpolicy_parse(pw[a], &pol);
        if (rc) return rc;
        for (int b = 0; b < ng; b++) {
            qb_qspec base = qb_qspec_default(pol);
            rc = qb_qgran_parse(gw[b], &base.gran);
            if (rc) return rc;
            base.axis = (int)w->axis;
            for (int c = 0; c < (nr ? nr : 1); c++) {
                qb_qspec s1 = base;
                if (nr && (rc = qb_qrange_parse(rw[c], &s1.range))) return rc;
                for (int d = 0; d < (ns ? ns : 1); d++) {
                    qb_qspec s2 = s1;
                    if (ns && (rc = qb_qscale_parse(sw[d], &s2))) return rc;
                    for (int e = 0; e < (pol == QB_POW2 ? nq : 1); e++) {
                        qb_qspec s3 = s2;
                        if (pol == QB_POW2 && (rc = qb_pow2_round_parse(qw[e], &s3.pow2_round)))
                            return rc;
                        if (*nspecs == MAX_SPECS)
                            return qb_fail(QB_EUSAGE, "quant: more than %d policy combinations",
                                           MAX_SPECS);
                        rc = qb_qspec_check(&s3);
                        if (rc) return rc;
                        specs[(*nspecs)++] = s3;
                    }
                }
            }
        }
    }
    return QB_OK;
}

/* --op: each operator's int8 variants beside their fp32 one. */
typedef struct {
    const qb_op_desc *const *ops;
    int nops;
    const char *shape;
    const qb_qpolicy *pols;
    int npol;
    const qb_qgran *grans;
    int ngran;
    int threads;
} op_args;

static int measure_ops(qb_results *res, const qb_rep_policy *pol, void *ctx)
{
    const op_args *a = ctx;
    int rc = QB_OK;
    for (int i = 0; i < a->nops && rc == QB_OK; i++)
        rc = qb_quant_op_measure(res, a->ops[i], a->shape, a->pols, a->npol, a->grans, a->ngran,
                                 a->threads, pol);
    return rc;
}

/* A synthetic tensor under each spec; the Monte Carlo settings are recorded first. */
typedef struct {
    const qb_tensor_spec *in;
    const qb_qspec *specs;
    int nspecs;
    const qb_mc_opts *mc;
} synth_args;

static int measure_synth(qb_results *res, const qb_rep_policy *pol, void *ctx)
{
    (void)pol;
    const synth_args *a = ctx;
    qb_settings_put(res, "quant", "target_rse", a->mc->target_rse);
    qb_settings_put(res, "quant", "min_trials", (double)a->mc->min_trials);
    qb_settings_put(res, "quant", "max_trials", (double)a->mc->max_trials);
    qb_settings_put(res, "quant", "budget_s", a->mc->budget_s);
    qb_settings_put(res, "quant", "seed", (double)a->mc->seed);
    return qb_quant_synth_measure(res, a->in, a->specs, a->nspecs, a->mc);
}

int qb_cmd_quant(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    const char *input = NULL, *op_name = NULL, *shape = NULL, *threads_s = NULL;
    spec_words w = {.policy = NULL, .gran = "per-tensor,per-channel", .range = NULL,
                    .scale = NULL, .pow2 = "ceil", .axis = 0};
    bool relu = false;
    double spread = 1.0;
    long trials = 0, seed = QB_QUANT_SEED_DEFAULT;
    double target = QB_QUANT_TARGET_RSE_DEFAULT, budget = -1;
    const qb_opt opts[] = {
        {"input", 0, QB_OPT_STRING, &input, "DIST:SHAPE",
         "synthetic tensor: gaussian, uniform or laplace and a shape, e.g. gaussian:256x256 (default "
         QB_QUANT_INPUT_DEFAULT ")", 0, 0},
        {"relu", 0, QB_OPT_FLAG, &relu, NULL, "zero the negative values first", 0, 0},
        {"channel-spread", 0, QB_OPT_DOUBLE, &spread, "F",
         "rows (axis 0) scaled geometrically so the largest has F times the smallest's "
         "spread, as real weights per output channel", 1, 1e6},
        {"policy", 0, QB_OPT_STRING, &w.policy, "LIST",
         "symmetric, asymmetric, pow2 (default: all three)", 0, 0},
        {"granularity", 0, QB_OPT_STRING, &w.gran, "LIST",
         "per-tensor, per-channel", 0, 0},
        {"axis", 0, QB_OPT_INT, &w.axis, "N", "per-channel axis of the tensor (0: rows)", 0, 3},
        {"range", 0, QB_OPT_STRING, &w.range, "LIST",
         "int8 [-128,127], int8-narrow [-127,127], uint8 [0,255] (default: int8, uint8 for "
         "asymmetric)", 0, 0},
        {"scale", 0, QB_OPT_STRING, &w.scale, "LIST",
         "absmax, minmax or percentile:P, each with an optional /DIVISOR, e.g. absmax/128 "
         "(default: absmax/qmax, minmax/(qmax-qmin) for asymmetric)", 0, 0},
        {"pow2-round", 0, QB_OPT_STRING, &w.pow2, "LIST",
         "pow2 scale rounding: ceil (nothing clips) or nearest", 0, 0},
        {"trials", 0, QB_OPT_INT, &trials, "T",
         "Monte Carlo trials; 0 = until the standard error is below --target-se", 0,
         QB_QUANT_MAX_TRIALS_DEFAULT},
        {"target-se", 0, QB_OPT_DOUBLE, &target, "X",
         "automatic trials stop at standard error / mean below X", 1e-6, 1},
        {"mc-budget", 0, QB_OPT_DOUBLE, &budget, "SEC",
         "automatic trials: seconds per policy at most (-1: " QB_STR(QB_QUANT_BUDGET_S_DEFAULT)
         ", " QB_STR(QB_QUANT_QUICK_BUDGET_S) " with --quick)", 1e-3, 86400},
        {"seed", 0, QB_OPT_INT, &seed, "S", "random seed: trial t draws from stream (seed, t)",
         0, 9.0e15},
        {"threads", 't', QB_OPT_STRING, &threads_s, "N", "threads (default: all CPUs)", 0, 0},
        {"op", 0, QB_OPT_STRING, &op_name, "NAME",
         "operators (comma list, or all): int8 output against fp32 instead of a synthetic tensor", 0, 0},
        {"shape", 0, QB_OPT_STRING, &shape, "SHAPE", "with --op: the op's shape (default: its own)",
         0, 0},
        QB_POLICY_OPTS(ro),
        QB_OUTPUT_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "quant",
        .summary = "Quantization error of each policy: NSR, dB, max error, cosine.",
        .usage = "[options]",
        .details =
            "q = clip(round(x / s) + zp, qmin, qmax), round half to even; x' = (q - zp) * s.\n"
            "NSR = sum((x' - x)^2) / sum(x^2). On synthetic tensors each trial draws a fresh\n"
            "tensor; the table shows the Monte Carlo mean with its standard error, the same\n"
            "trials with a control variate, and the analytic approximation (rounding noise\n"
            "s^2/12 on every nonzero value, s from the expected maximum). With --op, each\n"
            "int8 policy and granularity of the operator is run beside its fp32 variant on\n"
            "the same inputs, with the time of both.",
        .examples =
            "  qbench quant\n"
            "  qbench quant --input gaussian:256x256 --policy symmetric --granularity per-tensor "
            "--scale absmax/128\n"
            "  qbench quant --input gaussian:1024x1024 --relu --policy symmetric --granularity "
            "per-tensor --scale absmax/128\n"
            "  qbench quant --input gaussian:256x256 --relu --policy symmetric,asymmetric "
            "--range int8,uint8\n"
            "  qbench quant --input laplace:64x4096 --scale absmax,percentile:99.99 --trials 100\n"
            "  qbench quant --input gaussian:64x1024 --channel-spread 100 --policy symmetric\n"
            "  qbench quant --op conv\n"
            "  qbench quant --op all --policy symmetric\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    char *pos[1];
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return rc;
    int threads = qb_cpu_count();
    if (threads_s) {
        int tl[1], nt;
        rc = qb_parse_threads("qbench quant --threads", threads_s, tl, 1, &nt);
        if (rc) return rc;
        threads = tl[0];
    }
    /* Everything is parsed and checked before the results document (and its
     * machine probe) starts, so bad input fails at once. */
    const qb_op_desc *ops[64];
    int nops = 0;
    qb_qpolicy pols[4];
    qb_qgran grans[2];
    int npol = 0, ngran = 0;
    if (op_name) {
        if (input || relu || trials || spread != 1.0)
            return qb_fail(QB_EUSAGE, "qbench quant: --op measures an operator; --input, --relu, "
                                      "--channel-spread and --trials are for synthetic tensors");
        char ob[256], pb[128], gb[128];
        char *ow[MAX_WORDS], *pw[MAX_WORDS], *gw[MAX_WORDS];
        int no = 0, np = 0, ng = 0;
        if (strcmp(op_name, "all") == 0) {
            for (int i = 0; qb_op_table[i] && nops < 64; i++)
                if (qb_op_table[i]->output) ops[nops++] = qb_op_table[i];
            if (nops == 0)
                return qb_fail(QB_EUNSUPPORTED, "qbench quant --op all: no operator exposes its output yet");
            if (shape) return qb_fail(QB_EUSAGE, "qbench quant: --shape needs a single --op");
        } else {
            rc = words("--op", op_name, ob, sizeof ob, ow, &no);
            if (rc) return rc;
            if (no > 1 && shape) return qb_fail(QB_EUSAGE, "qbench quant: --shape needs a single --op");
            for (int i = 0; i < no; i++) {
                ops[nops] = qb_op_find(ow[i]);
                if (!ops[nops])
                    return qb_fail(QB_EUSAGE, "qbench quant: unknown operator '%s' (see qbench list)", ow[i]);
                if (!ops[nops]->output)
                    return qb_fail(QB_EUNSUPPORTED, "qbench quant: operator '%s' does not expose its output", ow[i]);
                nops++;
            }
        }
        rc = words("--policy", w.policy ? w.policy : "symmetric,asymmetric,pow2", pb, sizeof pb,
                   pw, &np);
        if (!rc) rc = words("--granularity", w.gran, gb, sizeof gb, gw, &ng);
        for (int i = 0; i < np && !rc; i++) {
            if (npol == 4) rc = qb_fail(QB_EUSAGE, "--policy: too many words");
            else rc = qb_qpolicy_parse(pw[i], &pols[npol++]);
        }
        for (int i = 0; i < ng && !rc; i++) {
            if (ngran == 2) rc = qb_fail(QB_EUSAGE, "--granularity: too many words");
            else rc = qb_qgran_parse(gw[i], &grans[ngran++]);
        }
        if (rc) return rc;
        if (w.range || w.scale)
            return qb_fail(QB_EUSAGE, "qbench quant: with --op the operator chooses its ranges and "
                                      "scales; --range and --scale are for synthetic tensors");
    } else if (shape) {
        return qb_fail(QB_EUSAGE, "qbench quant: --shape needs --op");
    }
    qb_tensor_spec in;
    qb_qspec specs[MAX_SPECS];
    int nspecs = 0;
    if (!op_name) {
        const size_t phys = qb_phys_mem_bytes();
        rc = qb_tensor_spec_parse(input ? input : QB_QUANT_INPUT_DEFAULT,
                                  (size_t)(QB_QUANT_MEM_FRACTION * (double)phys), &in);
        if (rc) return rc;
        in.relu = relu;
        in.spread = spread;
        if (!w.policy) w.policy = "symmetric,asymmetric,pow2";
        rc = build_specs(&w, specs, &nspecs);
        if (rc) return rc;
        for (int i = 0; i < nspecs; i++) {
            qb_qlayout L;
            rc = qb_qlayout_make(in.dims, in.ndim, specs[i].gran, specs[i].axis, &L);
            if (rc) return rc;
        }
    }
    qb_rep_policy pol;
    rc = qb_run_policy(&ro, &pol);
    if (rc) return rc;
    /* --op times each variant once beside its error: one round, the quick
     * budget, unless asked otherwise */
    if (ro.rounds < 0) pol.rounds = 1;
    if (ro.budget < 0) pol.budget_s = QB_QUICK_BUDGET_S;
    if (op_name) {
        op_args a = {ops, nops, shape, pols, npol, grans, ngran, threads};
        return qb_cmd_measure(&ro, &pol, measure_ops, &a, print_op);
    }
    qb_mc_opts mc;
    qb_mc_opts_default(&mc, ro.quick);
    mc.trials = trials;
    mc.target_rse = target;
    if (budget > 0) mc.budget_s = budget;
    mc.seed = (uint64_t)seed;
    mc.threads = threads;
    synth_args a = {&in, specs, nspecs, &mc};
    return qb_cmd_measure(&ro, &pol, measure_synth, &a, print_synth);
}
