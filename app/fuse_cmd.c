/* qbench fuse: the gain of operator fusion and constant folding on the
 * example chain relu((x + 1 + 2) * 2), per data type. */
#include "commands.h"
#include "defaults.h"
#include "error.h"
#include "fuse.h"
#include "interrupt.h"
#include "output.h"
#include "pin.h"
#include "pooled.h"
#include "suite.h"
#include "tensor_gen.h"
#include "timer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    qb_fuse_chain *c;
    qb_fuse_form f;
} trial_ctx;

static int trial(void *vctx, double v[2])
{
    trial_ctx *t = vctx;
    const uint64_t t0 = qb_now_ns();
    qb_fuse_chain_run(t->c, t->f);
    v[0] = (double)(qb_now_ns() - t0) * 1e-9;
    return QB_OK;
}

static size_t dtype_bytes(const char *d)
{
    return strcmp(d, "fp32") == 0 ? 4 : strcmp(d, "fp16") == 0 ? 2 : 1;
}

static int describe(qb_record *rec, const char *dtype, size_t n, int threads)
{
    int rc = qb_record_param_str(rec, "chain", "relu((x+1+2)*2)");
    if (!rc) rc = qb_record_param_str(rec, "dtype", dtype);
    if (!rc) rc = qb_record_param_num(rec, "elements", (double)n);
    if (!rc) rc = qb_record_param_num(rec, "threads", threads);
    if (!rc) rc = qb_record_param_str(rec, "unfused", "4 passes: add 1, add 2, mul 2, relu; intermediates in memory");
    if (!rc) rc = qb_record_param_str(rec, "fused", "1 pass: the 4 operations in registers");
    if (!rc) rc = qb_record_param_str(rec, "folded", "1 pass: relu(x*2 + 6), constants folded");
    if (!rc) rc = qb_record_param_str(rec, "bytes_formula", "2 * passes * elements * sizeof(dtype) (each pass reads and writes once)");
    if (!rc && strcmp(dtype, "fp16") == 0)
        rc = qb_record_param_str(rec, "math", "binary16 storage, fp32 arithmetic (F16C)");
    if (!rc && strcmp(dtype, "int8") == 0)
        rc = qb_record_param_str(rec, "math", "every operator requantizes to its output's scale (x: 8/128, "
                                              "x+1: 9/127, x+3: 11/127, 2x+6: 22/127); fused keeps fp32 "
                                              "between operators and requantizes once");
    return rc;
}

/* The time metric of one form: its rates keep its samples (qb_record_rate_metric). */
static const qb_metric *time_of(const qb_record *rec, const char *form)
{
    char name[48];
    snprintf(name, sizeof name, "time_%s", form);
    return qb_record_find_metric(rec, name);
}

static int finish(qb_record *rec, const char *dtype, size_t n, qb_pooled *p, const double *vdiff,
                  const double *vunf, const qb_rep_policy *pol)
{
    double best[QB_FUSE_NFORMS];
    int rc = QB_OK;
    for (int f = 0; f < QB_FUSE_NFORMS && !rc; f++) {
        char name[32];
        snprintf(name, sizeof name, "time_%s", qb_fuse_form_name((qb_fuse_form)f));
        rc = qb_pooled_record(rec, name, "s", QB_BETTER_LOWER, &p[f], pol->target_cv);
        best[f] = qb_pooled_best(&p[f], QB_BETTER_LOWER);
    }
    const size_t eb = dtype_bytes(dtype);
    for (int f = 0; f < QB_FUSE_NFORMS && !rc; f++) {
        const qb_fuse_form ff = (qb_fuse_form)f;
        const char *fn = qb_fuse_form_name(ff);
        char name[48];
        const double bytes = qb_fuse_bytes(ff, n, eb);
        snprintf(name, sizeof name, "bytes_%s", fn);
        rc = qb_record_metric(rec, name, "bytes", QB_BETTER_LOWER, bytes);
        snprintf(name, sizeof name, "gbps_%s", fn);
        if (!rc) rc = qb_record_rate_metric(rec, name, "GB/s", QB_BETTER_HIGHER, time_of(rec, fn), bytes * 1e-9);
        if (ff == QB_FUSE_UNFUSED || rc) continue;
        snprintf(name, sizeof name, "speedup_%s", fn);
        rc = qb_record_metric(rec, name, "x", QB_BETTER_HIGHER, best[QB_FUSE_UNFUSED] / best[f]);
        snprintf(name, sizeof name, "bytes_saved_%s", fn);
        if (!rc)
            rc = qb_record_metric(rec, name, "bytes", QB_BETTER_HIGHER,
                                  qb_fuse_bytes(QB_FUSE_UNFUSED, n, eb) - bytes);
    }
    for (int f = 0; f < QB_FUSE_NFORMS && !rc && vdiff; f++) {
        char key[48];
        snprintf(key, sizeof key, "max_err_%s", qb_fuse_form_name((qb_fuse_form)f));
        rc = qb_record_param_num(rec, key, vdiff[f]);
        if (!rc && vdiff[f] != 0)
            rc = qb_record_note(rec, "%s kernel differs from its scalar reference by %g",
                                qb_fuse_form_name((qb_fuse_form)f), vdiff[f]);
        if (!rc && f != QB_FUSE_UNFUSED) {
            snprintf(key, sizeof key, "max_diff_%s_vs_unfused", qb_fuse_form_name((qb_fuse_form)f));
            rc = qb_record_param_num(rec, key, vunf[f]);
        }
    }
    return rc;
}

/* The element-wise chain in one dtype: verify every form, then rounds of
 * interleaved timings. */
static int measure_relu_chain(qb_results *res, const char *dtype, size_t n, int threads,
                              const qb_rep_policy *pol, bool verify)
{
    qb_progress("fuse: %s: allocating and first-touching %zu elements", dtype, n);
    qb_fuse_chain *c = NULL;
    int rc = qb_fuse_chain_create(dtype, n, threads, QB_QUANT_SEED_DEFAULT, &c);
    if (rc) return rc;
    char name[32];
    snprintf(name, sizeof name, "relu-chain/%s", dtype);
    qb_record *rec = qb_results_add(res, "fuse", name);
    rc = rec ? describe(rec, dtype, n, threads) : QB_ENOMEM;
    double vdiff[QB_FUSE_NFORMS] = {0}, vunf[QB_FUSE_NFORMS] = {0};
    /* correctness first: each form once, checked against its reference */
    for (int f = 0; f < QB_FUSE_NFORMS && rc == QB_OK; f++) {
        qb_fuse_chain_run(c, (qb_fuse_form)f);
        if (verify) rc = qb_fuse_chain_verify(c, (qb_fuse_form)f, &vdiff[f], &vunf[f]);
    }
    qb_pooled p[QB_FUSE_NFORMS];
    memset(p, 0, sizeof p);
    /* rounds interleave the forms, so a slow spell of the host hits all of them */
    for (int round = 0; round < pol->rounds && rc == QB_OK && !qb_interrupted(); round++) {
        for (int f = 0; f < QB_FUSE_NFORMS && rc == QB_OK && !qb_interrupted(); f++) {
            qb_progress("fuse: %s: round %d/%d: %s", dtype, round + 1, pol->rounds,
                        qb_fuse_form_name((qb_fuse_form)f));
            trial_ctx t = {.c = c, .f = (qb_fuse_form)f};
            qb_rep_result r;
            rc = qb_repeat(pol, trial, &t, &r);
            if (rc) break;
            rc = qb_pooled_add(&p[f], &r);
            qb_rep_result_free(&r);
        }
    }
    if (rc == QB_OK && p[QB_FUSE_FOLDED].n > 0) {
        rc = finish(rec, dtype, n, p, verify ? vdiff : NULL, vunf, pol);
        /* The chain streams from memory: on every vCPU of a VM, which other
         * guests' traffic and the host's placement of the vCPUs decide. */
        if (rc == QB_OK && qb_host_shared(threads))
            rc = qb_record_no_gate(rec, "on a virtual machine the chain on every vCPU streams memory at what "
                                        "other guests and the placement of the vCPUs leave (seen 1.8x apart "
                                        "between runs); qbench fuse --threads 1 gives figures that gate");
    } else if (rec && (rc == QB_OK || rc == QB_EINTR)) {
        qb_record_note(rec, "interrupted before every form was measured");
    }
    for (int f = 0; f < QB_FUSE_NFORMS; f++) qb_pooled_free(&p[f]);
    qb_fuse_chain_destroy(c);
    return rc;
}

typedef struct {
    qb_fuse_gemm *c;
} gemm_ctx;

/* One trial times both forms back to back: interference on a shared host
 * comes in bursts, and a pair measured within milliseconds sees the same
 * machine, so the ratio of a pair is steadier than a ratio of separate runs. */
static int gemm_trial(void *vctx, double v[2])
{
    gemm_ctx *t = vctx;
    uint64_t t0 = qb_now_ns();
    int rc = qb_fuse_gemm_run(t->c, false);
    v[0] = (double)(qb_now_ns() - t0) * 1e-9;
    t0 = qb_now_ns();
    if (!rc) rc = qb_fuse_gemm_run(t->c, true);
    v[1] = (double)(qb_now_ns() - t0) * 1e-9;
    return rc;
}

/* p: unfused times with the fused ones as aux; q: the same pairs swapped, so
 * each form's time is its own best round's median (as for the relu chain). */
static int finish_gemm(qb_record *rec, int ch, const qb_pooled *p, const qb_pooled *q,
                       const qb_rep_policy *pol)
{
    static const char *const fn[2] = {"unfused", "fused"};
    int rc = qb_pooled_record(rec, "time_unfused", "s", QB_BETTER_LOWER, p, pol->target_cv);
    if (!rc) rc = qb_pooled_record(rec, "time_fused", "s", QB_BETTER_LOWER, q, pol->target_cv);
    for (int f = 0; f < 2 && !rc; f++) {
        char name[48];
        const double bytes = qb_fuse_gemm_bytes(ch, f == 1);
        snprintf(name, sizeof name, "bytes_%s", fn[f]);
        rc = qb_record_metric(rec, name, "bytes", QB_BETTER_LOWER, bytes);
        snprintf(name, sizeof name, "gbps_%s", fn[f]);
        if (!rc) rc = qb_record_rate_metric(rec, name, "GB/s", QB_BETTER_HIGHER, time_of(rec, fn[f]), bytes * 1e-9);
        snprintf(name, sizeof name, "gops_%s", fn[f]);
        if (!rc)
            rc = qb_record_rate_metric(rec, name, "GOP/s", QB_BETTER_HIGHER, time_of(rec, fn[f]),
                                       qb_fuse_gemm_ops(ch) * 1e-9);
    }
    /* the speedup is the median of the pairs' ratios */
    double *ratio = rc ? NULL : malloc((size_t)p->n * sizeof *ratio);
    if (!rc && !ratio) rc = qb_fail(QB_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < p->n; i++) ratio[i] = p->all[i] / p->aux[i];
    if (!rc) rc = qb_record_metric_samples(rec, "speedup_fused", "x", QB_BETTER_HIGHER, ratio, (size_t)p->n);
    free(ratio);
    if (!rc)
        rc = qb_record_metric(rec, "bytes_saved_fused", "bytes", QB_BETTER_HIGHER,
                              qb_fuse_gemm_bytes(ch, false) - qb_fuse_gemm_bytes(ch, true));
    return rc;
}

/* A chain around the GEMM: verify fused against unfused, then interleaved rounds. */
static int measure_gemm_chain(qb_results *res, int ch, int threads, const qb_rep_policy *pol, bool verify)
{
    const char *name = qb_fuse_gemm_name(ch), *dtype = qb_fuse_gemm_dtype(ch);
    qb_progress("fuse: %s %s: setting up", name, dtype);
    qb_fuse_gemm *c = NULL;
    int rc = qb_fuse_gemm_create(ch, threads, &c);
    if (rc) return rc;
    char id[64];
    snprintf(id, sizeof id, "%s/%s", name, dtype);
    qb_record *rec = qb_results_add(res, "fuse", id);
    if (!rec) rc = QB_ENOMEM;
    if (!rc) rc = qb_record_param_str(rec, "chain", name);
    if (!rc) rc = qb_record_param_str(rec, "dtype", dtype);
    if (!rc) rc = qb_record_param_str(rec, "shape", qb_fuse_gemm_shape(ch));
    if (!rc) rc = qb_record_param_str(rec, "shape_source", qb_fuse_gemm_source(ch));
    if (!rc) rc = qb_record_param_num(rec, "threads", threads);
    if (!rc) rc = qb_record_param_str(rec, "unfused", qb_fuse_gemm_how(ch, false));
    if (!rc) rc = qb_record_param_str(rec, "fused", qb_fuse_gemm_how(ch, true));
    if (!rc) rc = qb_record_param_num(rec, "passes_unfused", qb_fuse_gemm_passes(ch, false));
    if (!rc) rc = qb_record_param_num(rec, "ops", qb_fuse_gemm_ops(ch));
    if (!rc) rc = qb_record_param_str(rec, "bytes_formula", "each operand and intermediate read or written once per pass");
    if (!rc) rc = qb_record_param_str(rec, "timing", "each trial runs unfused then fused; each time is its best round's median, the speedup the median of the pairs' ratios");
    double diff = 0;
    if (!rc && verify) rc = qb_fuse_gemm_verify(c, &diff);
    if (!rc && verify) rc = qb_record_param_num(rec, "max_diff_fused_vs_unfused", diff);
    if (!rc && diff != 0) rc = qb_record_note(rec, "fused and unfused outputs differ by up to %g", diff);
    qb_pooled p, q;
    memset(&p, 0, sizeof p);
    memset(&q, 0, sizeof q);
    for (int round = 0; round < pol->rounds && rc == QB_OK && !qb_interrupted(); round++) {
        qb_progress("fuse: %s %s: round %d/%d", name, dtype, round + 1, pol->rounds);
        gemm_ctx t = {.c = c};
        qb_rep_result r;
        rc = qb_repeat(pol, gemm_trial, &t, &r);
        if (rc) break;
        rc = qb_pooled_add(&p, &r);
        qb_rep_result swapped = r;
        swapped.samples = r.aux;
        swapped.aux = r.samples;
        if (!rc) rc = qb_stats_compute(r.aux, (size_t)r.n, &swapped.st); /* the round's fused median */
        if (!rc) rc = qb_pooled_add(&q, &swapped);
        qb_rep_result_free(&r);
    }
    if (rc == QB_OK && p.n > 0) rc = finish_gemm(rec, ch, &p, &q, pol);
    else if (rec && (rc == QB_OK || rc == QB_EINTR)) qb_record_note(rec, "interrupted before both forms were measured");
    qb_pooled_free(&p);
    qb_pooled_free(&q);
    qb_fuse_gemm_destroy(c);
    return rc;
}

static bool selected(const char *const *list, int n, const char *word)
{
    if (!list) return true;
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], word) == 0) return true;
    return false;
}

int qb_fuse_measure(qb_results *res, const char *const *chains, int nchains,
                    const char *const *dtypes, int ndtypes, size_t n, int threads,
                    const qb_rep_policy *pol, bool verify)
{
    static const char *const all_dtypes[] = {"fp32", "fp16", "int8"};
    cpu_set_t saved;
    int rc = qb_pin_team(threads, &saved);
    if (rc) return rc;
    qb_settings_put(res, "fuse", "elements", (double)n);
    if (selected(chains, nchains, "relu-chain"))
        for (int d = 0; d < 3 && rc == QB_OK && !qb_interrupted(); d++)
            if (selected(dtypes, ndtypes, all_dtypes[d]))
                rc = measure_relu_chain(res, all_dtypes[d], n, threads, pol, verify);
    for (int ch = 0; ch < qb_fuse_gemm_count() && rc == QB_OK && !qb_interrupted(); ch++)
        if (selected(chains, nchains, qb_fuse_gemm_name(ch)) &&
            selected(dtypes, ndtypes, qb_fuse_gemm_dtype(ch)))
            rc = measure_gemm_chain(res, ch, threads, pol, verify);
    qb_progress_done();
    qb_unpin_self(&saved);
    if (rc == QB_OK && qb_interrupted()) rc = qb_fail(QB_EINTR, "fuse: interrupted");
    return rc;
}

static void print_fuse(const qb_results *res)
{
    static const char *const head[] = {"chain", "dtype", "form", "passes", "ms", "GB/s",
                                       "MB moved", "MB saved", "speedup", "max err", "vs unfused"};
    static const char *const forms3[] = {"unfused", "fused", "folded"};
    qb_table t;
    qb_table_init(&t, 11, head);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        const char *chain = cJSON_GetStringValue(cJSON_GetObjectItem(r->params, "chain"));
        const char *dt = cJSON_GetStringValue(cJSON_GetObjectItem(r->params, "dtype"));
        const bool elementwise = cJSON_GetObjectItem(r->params, "elements") != NULL;
        const int nforms = elementwise ? 3 : 2;
        for (int f = 0; f < nforms; f++) {
            const char *fn = forms3[f];
            char k[4][48], sp[16] = "1.00", saved[24] = "0", vs[24] = "-", err[24] = "-";
            snprintf(k[0], sizeof k[0], "time_%s", fn);
            snprintf(k[1], sizeof k[1], "gbps_%s", fn);
            snprintf(k[2], sizeof k[2], "bytes_%s", fn);
            snprintf(k[3], sizeof k[3], "speedup_%s", fn);
            if (f != 0) {
                char bs[48], vk[48];
                snprintf(sp, sizeof sp, "%.2f", qb_metric_value(r, k[3]));
                snprintf(bs, sizeof bs, "bytes_saved_%s", fn);
                snprintf(saved, sizeof saved, "%.1f", qb_metric_value(r, bs) / 1e6);
                snprintf(vk, sizeof vk, elementwise ? "max_diff_%s_vs_unfused" : "max_diff_%s_vs_unfused", fn);
                snprintf(vs, sizeof vs, "%.3g", qb_param_num(r, vk));
            }
            if (elementwise) {
                char ek[48];
                snprintf(ek, sizeof ek, "max_err_%s", fn);
                snprintf(err, sizeof err, "%.3g", qb_param_num(r, ek));
            }
            const int passes = elementwise ? qb_fuse_passes((qb_fuse_form)f)
                                           : (f ? 1 : (int)qb_param_num(r, "passes_unfused"));
            qb_table_rowf(&t, "%s\t%s\t%s\t%d\t%.3f\t%.1f\t%.1f\t%s\t%s\t%s\t%s", chain, dt, fn,
                          passes, 1e3 * qb_metric_value(r, k[0]), qb_metric_value(r, k[1]),
                          qb_metric_value(r, k[2]) / 1e6, saved, sp, err, vs);
        }
    }
    printf("Operator fusion: unfused (one pass per operator, intermediates in memory), fused\n"
           "(one pass), folded (constants folded: x*2+6). Bytes: each tensor read or written once\n"
           "per pass. Times are the best round's median; max err is against a scalar reference\n"
           "of the same arithmetic; vs unfused is the largest output difference between forms.\n\n");
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    qb_print_notes(res);
}

typedef struct {
    const char *dtype_s, *chain_s, *threads_s;
    long elems;
    char dbuf[64], cbuf[128];
    char *dw[8], *cw[8];
    int nd, nc, threads;
} fuse_args;

static int check_fuse(const qb_run_opts *ro, qb_rep_policy *pol, void *ctx)
{
    fuse_args *a = ctx;
    if (a->dtype_s) {
        a->nd = qb_split_words("fuse --dtype", a->dtype_s, a->dbuf, sizeof a->dbuf, a->dw, 3);
        if (a->nd < 0) return a->nd;
        for (int i = 0; i < a->nd; i++)
            if (strcmp(a->dw[i], "fp32") && strcmp(a->dw[i], "fp16") && strcmp(a->dw[i], "int8"))
                return qb_fail(QB_EUSAGE, "fuse --dtype: unknown data type '%s' (fp32, fp16, int8)",
                               a->dw[i]);
    }
    if (a->chain_s) {
        a->nc = qb_split_words("fuse --chain", a->chain_s, a->cbuf, sizeof a->cbuf, a->cw, 4);
        if (a->nc < 0) return a->nc;
        for (int i = 0; i < a->nc; i++) {
            bool known = strcmp(a->cw[i], "relu-chain") == 0;
            for (int ch = 0; ch < qb_fuse_gemm_count(); ch++)
                known |= strcmp(a->cw[i], qb_fuse_gemm_name(ch)) == 0;
            if (!known)
                return qb_fail(QB_EUSAGE,
                               "fuse --chain: unknown chain '%s' (relu-chain, gemm-relu, "
                               "conv-bias-relu, gemm-requant)",
                               a->cw[i]);
        }
    }
    a->threads = qb_cpu_count();
    if (a->threads_s) {
        int tl[1], nt;
        int rc = qb_parse_threads("qbench fuse --threads", a->threads_s, tl, 1, &nt);
        if (rc) return rc;
        a->threads = tl[0];
    }
    /* 6 buffers of the widest type chosen must fit comfortably */
    size_t widest = a->nd ? 1 : 4;
    for (int i = 0; i < a->nd; i++)
        widest = dtype_bytes(a->dw[i]) > widest ? dtype_bytes(a->dw[i]) : widest;
    const size_t phys = qb_phys_mem_bytes();
    if (phys && 8.0 * (double)a->elems * (double)widest > 0.5 * (double)phys)
        return qb_fail(QB_EINPUT, "fuse --elems %ld: 8 buffers of %zu bytes do not fit in memory",
                       a->elems, (size_t)a->elems * widest);
    /* 17 forms to time: fewer rounds and a shorter budget than a probe's, unless asked */
    if (!ro->quick && ro->rounds < 0) pol->rounds = QB_FUSE_ROUNDS_DEFAULT;
    if (!ro->quick && ro->budget < 0) pol->budget_s = QB_FUSE_BUDGET_S_DEFAULT;
    return QB_OK;
}

static int measure_fuse(qb_results *res, const qb_rep_policy *pol, void *ctx)
{
    const fuse_args *a = ctx;
    return qb_fuse_measure(res, a->nc ? (const char *const *)a->cw : NULL, a->nc,
                           a->nd ? (const char *const *)a->dw : NULL, a->nd, (size_t)a->elems,
                           a->threads, pol, true);
}

int qb_cmd_fuse(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    fuse_args a = {.elems = QB_FUSE_ELEMS_DEFAULT};
    const qb_opt opts[] = {
        {"chain", 0, QB_OPT_STRING, &a.chain_s, "LIST",
         "relu-chain, gemm-relu, conv-bias-relu, gemm-requant (default: all)", 0, 0},
        {"dtype", 0, QB_OPT_STRING, &a.dtype_s, "LIST", "fp32, fp16, int8 (default: all)", 0, 0},
        {"elems", 'n', QB_OPT_INT, &a.elems, "N",
         "elements of the relu chain (default 16 Mi)", 1024, (double)(1L << 32)},
        {"threads", 't', QB_OPT_STRING, &a.threads_s, "N", "OpenMP threads (default: all CPUs)", 0,
         0},
        QB_POLICY_OPTS(ro),
        QB_OUTPUT_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "fuse",
        .summary = "Fused vs unfused operator chains: time, bytes moved, speedup.",
        .usage = "[options]",
        .details =
            "The chain y = relu((x + 1 + 2) * 2) over N elements, run unfused (add, add,\n"
            "mul, relu: four passes, intermediates written to memory), fused (one pass) and\n"
            "constant-folded (relu(x*2 + 6), one pass), in fp32, fp16 (F16C storage, fp32\n"
            "math) and int8 (each operator requantized to its own scale). A memory-bound\n"
            "chain runs at the speed of its bytes: fusing moves 4x fewer. Then chains around\n"
            "a GEMM: gemm + relu (fp32), conv + bias + relu (fp32, int8) and gemm +\n"
            "requantize (int8), unfused (a pass per following operator) and fused (in the\n"
            "GEMM's epilogue): the GEMM is compute-bound, so fusion saves little there.\n"
            "Every form is checked against a reference before it is timed.",
        .examples = "  qbench fuse\n  qbench fuse --chain relu-chain --dtype fp32 --threads 1\n"
                    "  qbench fuse --chain gemm-requant,conv-bias-relu\n"
                    "  qbench fuse --elems 4194304 --quick --json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    return qb_cmd_parse_measure(&spec, argc, argv, &ro, check_fuse, measure_fuse, &a, print_fuse);
}
