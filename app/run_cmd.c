/* qbench run: the whole suite into one results file. Each step appends the
 * records of one probe or benchmark family; the roofline is analysed from
 * them at the end. */
#include "ceilings.h"
#include "clock.h"
#include "defaults.h"
#include "fuse.h"
#include "ops_run.h"
#include "quant_bench.h"
#include "commands.h"
#include "machine_state.h"
#include "error.h"
#include "interrupt.h"
#include "output.h"
#include "pin.h"
#include "suite.h"
#include "probes.h"
#include "results_pool.h"
#include "roofline.h"
#include "timer.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool quick;
    qb_rep_policy pol;
    int threads[2];
    int nthreads;
    int pass, npasses; /* this pass of the suite, of how many */
} run_cfg;

typedef struct {
    const char *name; /* the group of the records it makes */
    const char *summary;
    int (*fn)(qb_results *res, const run_cfg *cfg);
} run_step;

static int step_inst(qb_results *res, const run_cfg *cfg)
{
    return qb_probe_inst_measure(res, NULL, -1, &cfg->pol);
}

static int step_peak(qb_results *res, const run_cfg *cfg)
{
    return qb_probe_peak_measure(res, NULL, cfg->threads, cfg->nthreads, &cfg->pol);
}

static int step_mem(qb_results *res, const run_cfg *cfg)
{
    qb_mem_opts o;
    qb_mem_opts_init(&o, cfg->quick);
    /* the passes' samples are pooled: together they get one confirming budget */
    o.passes = cfg->npasses;
    return qb_probe_mem_measure(res, &o, &cfg->pol);
}

static int step_ctx(qb_results *res, const run_cfg *cfg)
{
    qb_ctx_opts o;
    qb_ctx_opts_init(&o, cfg->quick);
    return qb_probe_ctx_measure(res, &o, &cfg->pol);
}

static int step_ops(qb_results *res, const run_cfg *cfg)
{
    qb_ops_opts o;
    qb_ops_opts_init(&o);
    o.quick = cfg->quick;
    o.threads = cfg->threads;
    o.nthreads = cfg->nthreads;
    /* the kernels do not change between passes: the first pass checks each
     * against its reference (its record's params are the ones kept) */
    o.verify = cfg->pass == 0;
    /* preparing a variant already ran it (the first call, and for a short
     * one a second that sizes a trial): one discarded trial is warm-up
     * enough */
    qb_rep_policy pol = cfg->pol;
    if (cfg->quick && pol.warmup > 1) pol.warmup = 1;
    return qb_ops_measure(res, &o, &pol);
}

/* Which quantization policy loses least, on a synthetic tensor: every policy, per-tensor and per-channel. */
static int step_quant(qb_results *res, const run_cfg *cfg)
{
    qb_tensor_spec in;
    int rc = qb_tensor_spec_parse(QB_QUANT_INPUT_DEFAULT, (size_t)1 << 30, &in);
    if (rc) return rc;
    static const qb_qpolicy pols[] = {QB_SYMMETRIC, QB_ASYMMETRIC, QB_POW2};
    qb_qspec specs[6];
    int n = 0;
    for (int p = 0; p < 3; p++)
        for (int g = 0; g < 2; g++) {
            specs[n] = qb_qspec_default(pols[p]);
            specs[n++].gran = g ? QB_PER_CHANNEL : QB_PER_TENSOR;
        }
    qb_mc_opts mc;
    qb_mc_opts_default(&mc, cfg->quick);
    mc.threads = cfg->threads[cfg->nthreads - 1];
    /* the trials of every pass are pooled: together they get one budget */
    mc.budget_s /= cfg->npasses > 0 ? cfg->npasses : 1;
    return qb_quant_synth_measure(res, &in, specs, n, &mc);
}

static int step_fuse(qb_results *res, const run_cfg *cfg)
{
    /* as for the operators: the first pass checks the kernels */
    return qb_fuse_measure(res, NULL, 0, NULL, 0, QB_FUSE_ELEMS_DEFAULT,
                           cfg->threads[cfg->nthreads - 1], &cfg->pol, cfg->pass == 0);
}

static const run_step steps[] = {
    {"probe.inst", "instruction latency and throughput", step_inst},
    {"probe.peak", "peak compute per data type", step_peak},
    {"probe.mem", "cache and DRAM bandwidth and latency", step_mem},
    {"probe.ctx", "syscall and context-switch cost", step_ctx},
    {"ops", "every operator in fp32, fp16 and int8", step_ops},
    {"quant", "quantization error of each policy", step_quant},
    {"fuse", "fused against unfused operator chains", step_fuse},
};
#define NSTEPS ((int)(sizeof steps / sizeof steps[0]))

/* Does any --filter pattern's group part match this step? */
static bool step_wanted(const char *filter, const char *step)
{
    if (!filter) return true;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", filter);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char group[256];
        snprintf(group, sizeof group, "%s", t);
        char *slash = strchr(group, '/');
        if (slash) *slash = '\0';
        if (fnmatch(group, step, 0) == 0) return true;
    }
    return false;
}

static bool id_wanted(const char *filter, const char *id)
{
    if (!filter) return true;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", filter);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (fnmatch(t, id, 0) == 0) return true;
        /* A bare group ("probe.peak") selects the whole group. */
        if (!strchr(t, '/') && strncmp(id, t, strlen(t)) == 0 && id[strlen(t)] == '/') return true;
    }
    return false;
}

/* Seconds each step took, over every pass (settings run.seconds_<step>). */
static double step_seconds[16];
_Static_assert(NSTEPS <= 16, "step_seconds holds every step");

/* One pass of the suite into res. Returns QB_EINTR when interrupted. */
static int run_pass(qb_results *res, const run_cfg *all, const char *filter, int pass, int npasses)
{
    run_cfg pc = *all;
    pc.pass = pass;
    pc.npasses = npasses;
    const run_cfg *cfg = &pc;
    int rc = QB_OK;
    for (int s = 0; s < NSTEPS && rc == QB_OK; s++) {
        if (!step_wanted(filter, steps[s].name)) continue;
        if (qb_interrupted()) return qb_fail(QB_EINTR, "qbench run: interrupted");
        qb_progress("run: pass %d/%d: %s", pass + 1, npasses, steps[s].name);
        const uint64_t t0 = qb_now_ns();
        rc = steps[s].fn(res, cfg);
        step_seconds[s] += (double)(qb_now_ns() - t0) * 1e-9;
    }
    return rc;
}

static bool keep_wanted(const qb_record *r, void *filter) { return id_wanted(filter, r->id); }

/* Roofline records from the run's own ops, peak and mem records. */
static int analyse_roofline(qb_results *res, const run_cfg *cfg)
{
    for (int t = 0; t < cfg->nthreads; t++) {
        qb_ceilings c;
        int rc = qb_ceilings_from_results(res, cfg->threads[t], &c);
        if (rc) return rc;
        bool has_ops = false;
        for (size_t i = 0; i < res->n && !has_ops; i++) has_ops = strcmp(res->recs[i].group, "ops") == 0;
        if (!has_ops || !c.ncompute || !c.nmemory) continue;
        qb_results tmp;
        rc = qb_results_init(&tmp);
        if (rc) return rc;
        rc = qb_roofline_records(res, &c, cfg->threads[t], true, &tmp);
        if (rc == QB_OK) {
            /* Move the analysis records over (ids are new to res). */
            for (size_t i = 0; i < tmp.n && rc == QB_OK; i++) {
                qb_record *o = qb_results_add(res, tmp.recs[i].group, tmp.recs[i].id + strlen(tmp.recs[i].group) + 1);
                if (!o) {
                    rc = QB_ENOMEM;
                    break;
                }
                cJSON_Delete(o->params);
                cJSON_Delete(o->notes);
                o->params = tmp.recs[i].params;
                o->notes = tmp.recs[i].notes;
                o->metrics = tmp.recs[i].metrics;
                o->nmetrics = tmp.recs[i].nmetrics;
                tmp.recs[i].params = tmp.recs[i].notes = NULL;
                tmp.recs[i].metrics = NULL;
                tmp.recs[i].nmetrics = 0;
            }
        } else if (rc == QB_EINPUT) {
            rc = QB_OK; /* an op whose dtype has no ceiling: the roofline command says more */
        }
        qb_results_free(&tmp);
        if (rc) return rc;
    }
    return QB_OK;
}

static void print_summary(const qb_results *res)
{
    static const char *const head[] = {"group", "records", "with metrics", "notes"};
    qb_table t;
    qb_table_init(&t, 4, head);
    for (size_t i = 0; i < res->n;) {
        const char *g = res->recs[i].group;
        int n = 0, m = 0, notes = 0;
        for (; i < res->n && strcmp(res->recs[i].group, g) == 0; i++) {
            n++;
            m += res->recs[i].nmetrics > 0;
            notes += cJSON_GetArraySize(res->recs[i].notes);
        }
        qb_table_rowf(&t, "%s\t%d\t%d\t%d", g, n, m, notes);
    }
    printf("qbench run: %zu records\n\n", res->n);
    qb_table_print(&t, stdout);
    qb_table_free(&t);
}

int qb_cmd_run(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    bool full = false;
    const char *filter = NULL;
    long reps = -1, interleave = -1;
    const qb_opt opts[] = {
        {"full", 0, QB_OPT_FLAG, &full, NULL, "the full policy (default unless --quick)", 0, 0},
        {"filter", 0, QB_OPT_STRING, &filter, "LIST", "result ids or groups to run (patterns: 'probe.*,ops/gemm/*')", 0, 0},
        {"repetitions", 0, QB_OPT_INT, &reps, "N", "kept samples per round at least (same as --reps)", 1, 100000},
        {"interleave", 0, QB_OPT_INT, &interleave, "K", "run the suite K times, alternating benchmarks, and pool the passes (default "
         QB_STR(QB_RUN_QUICK_PASSES) " with --quick, else 1)", 1, 100},
        QB_POLICY_OPTS(ro),
        QB_OUTPUT_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "run",
        .summary = "Run the whole suite (probes, operators, roofline) into one results file.",
        .details = "--quick is the CI suite: " QB_STR(QB_RUN_QUICK_PASSES) " passes over the whole suite, each one round of "
                   QB_STR(QB_RUN_QUICK_PASS_REPS) ".." QB_STR(QB_RUN_QUICK_PASS_MAX_REPS) "\n"
                   "samples, so every metric keeps at least 9 samples from moments far apart: a\n"
                   "slow spell of a shared host spoils one pass, not the metric, and the best\n"
                   "pass is reported. Ctrl-C stops at the next measurement boundary, writes every\n"
                   "finished record atomically and exits 130. Steps: probe.inst, probe.peak,\n"
                   "probe.mem, probe.ctx, ops, quant, fuse; then the roofline of the ops records.",
        .examples = "  qbench run --quick -o out/results.json\n"
                    "  qbench run --filter 'probe.inst,probe.peak/fp32/*' --json\n"
                    "  qbench run --quick --interleave 3 -o base.json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    char *pos[1];
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return rc;
    if (full && ro.quick) return qb_fail(QB_EUSAGE, "qbench run: --quick and --full exclude each other");
    if (reps > 0) ro.reps = reps;
    run_cfg cfg = {.quick = ro.quick};
    if (interleave < 0) {
        interleave = ro.quick ? QB_RUN_QUICK_PASSES : 1;
        /* the quick suite's samples come from passes far apart, not from
         * adjacent rounds (unless the rounds or repetitions are asked for) */
        if (ro.quick && ro.rounds < 0 && ro.reps < 0 && ro.max_reps < 0) {
            ro.rounds = 1;
            ro.reps = QB_RUN_QUICK_PASS_REPS;
            ro.max_reps = QB_RUN_QUICK_PASS_MAX_REPS;
        }
    }
    rc = qb_run_policy(&ro, &cfg.pol);
    if (rc) return rc;
    cfg.threads[cfg.nthreads++] = 1;
    if (qb_cpu_count() > 1) cfg.threads[cfg.nthreads++] = qb_cpu_count();
    if (filter) {
        bool any = false;
        for (int s = 0; s < NSTEPS; s++) any |= step_wanted(filter, steps[s].name);
        if (!any) return qb_fail(QB_EUSAGE, "qbench run --filter: '%s' matches no suite step", filter);
    }

    /* The machine's state before anything runs: what can distort the figures,
     * said on stderr now and kept in the results (machine.state). */
    cJSON *state = cJSON_CreateObject();
    if (!state) return qb_fail(QB_ENOMEM, "out of memory");
    rc = qb_machine_state_json(state);
    if (rc) {
        cJSON_Delete(state);
        return rc;
    }
    qb_state_warn(state);

    /* Not qb_cmd_measure: several passes are measured, then pooled into one document. */
    const uint64_t t0 = qb_now_ns();
    qb_interrupt_install();
    qb_results *passes = calloc((size_t)interleave, sizeof *passes);
    if (!passes) {
        cJSON_Delete(state);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    qb_results res = {0};
    int done = 0;
    for (int p = 0; p < interleave && rc == QB_OK; p++) {
        rc = qb_probe_results_begin(&passes[p], &cfg.pol, cfg.quick);
        if (rc) break;
        done++;
        rc = run_pass(&passes[p], &cfg, filter, p, (int)interleave);
    }
    qb_progress_done();
    const int measure_rc = rc;
    if (rc == QB_OK || rc == QB_EINTR) {
        rc = qb_probe_results_begin(&res, &cfg.pol, cfg.quick);
        if (rc == QB_OK) rc = qb_results_pool(&res, passes, done);
        if (rc == QB_OK) {
            cJSON_AddItemToObject(res.machine, "state", cJSON_DetachItemFromObjectCaseSensitive(state, "state"));
            cJSON_AddItemToObject(res.machine, "state_warnings",
                                  cJSON_DetachItemFromObjectCaseSensitive(state, "state_warnings"));
        }
        /* Each pass wrote its bytes per cycle at the clock known then; a later
         * pass may have found the core faster (qb_core_ghz_refresh). */
        if (rc == QB_OK) rc = qb_mem_per_cycle_at(&res, qb_core_ghz());
        if (rc == QB_OK && filter) qb_results_keep_if(&res, keep_wanted, (void *)filter);
        if (rc == QB_OK) rc = qb_settings_put(&res, "run", "interleave", (double)interleave);
        if (rc == QB_OK) rc = qb_settings_put(&res, "run", "seconds", (double)(qb_now_ns() - t0) * 1e-9);
        for (int s = 0; s < NSTEPS && rc == QB_OK; s++) {
            char key[48];
            snprintf(key, sizeof key, "seconds_%s", steps[s].name);
            if (step_seconds[s] > 0) rc = qb_settings_put(&res, "run", key, step_seconds[s]);
        }
        if (rc == QB_OK && measure_rc == QB_OK) rc = analyse_roofline(&res, &cfg);
        if (rc == QB_OK) rc = measure_rc;
    }
    for (int p = 0; p < done; p++) qb_results_free(&passes[p]);
    free(passes);
    cJSON_Delete(state);
    rc = qb_finish(&ro, &res, print_summary, rc);
    qb_results_free(&res);
    return rc;
}
