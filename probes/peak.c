/* qbench probe peak: peak compute per data type on 1..N cores. */
#include "clock.h"
#include "cpu_features.h"
#include "defaults.h"
#include "error.h"
#include "output.h"
#include "peak_kernels.h"
#include "interrupt.h"
#include "pin.h"
#include "pooled.h"
#include "suite.h"
#include "probes.h"
#include "sysinfo.h"
#include "timer.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
    const qb_peak_desc *d;
    int threads;
    uint64_t turns;
} peak_ctx;

static long thread_ivcsw(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nivcsw : 0;
}

/* One trial: every thread runs the kernel between two barriers; the master
 * times the span. A trial in which any thread was preempted is dropped. */
static int peak_trial(void *vctx, double *value)
{
    peak_ctx *c = vctx;
    const void *mem = qb_inst_consts();
    uint64_t t0 = 0, t1 = 0;
    int preempted = 0;
    qb_bracket b;
    qb_bracket_begin(&b);
#pragma omp parallel num_threads(c->threads) reduction(| : preempted)
    {
        const long sw0 = thread_ivcsw();
#pragma omp barrier
#pragma omp master
        t0 = qb_now_ns();
        c->d->kernel(c->turns, mem);
#pragma omp barrier
#pragma omp master
        t1 = qb_now_ns();
        preempted |= thread_ivcsw() != sw0;
    }
    qb_bracket_end(&b);
    const double ops = c->d->ops_per_turn * (double)c->turns * c->threads;
    value[0] = ops / (double)(t1 - t0); /* ops per ns = GOP/s */
    value[1] = value[0] / c->threads / b.ghz; /* per core, at this trial's clock */
    return preempted || b.clock_changed ? QB_TRIAL_DROP : QB_OK;
}

static uint64_t size_turns(const qb_peak_desc *d)
{
    const void *mem = qb_inst_consts();
    uint64_t turns = 100;
    for (int i = 0; i < 5; i++) {
        const uint64_t t0 = qb_now_ns();
        d->kernel(turns, mem);
        const double ns = (double)(qb_now_ns() - t0);
        if (ns > QB_PEAK_TRIAL_US_DEFAULT * 100.0)
            return (uint64_t)((double)turns * QB_PEAK_TRIAL_US_DEFAULT * 1000.0 / ns) + 1;
        turns *= 10;
    }
    return turns;
}

static double expected_per_cycle(const qb_peak_desc *d)
{
    const char *u = qb_sysinfo_uarch();
    if (strcmp(u, "zen3") == 0) return d->zen3_ops_per_cycle;
    if (strcmp(u, "zen4") == 0) return d->zen4_ops_per_cycle;
    return 0;
}

static int describe(qb_record *rec, const qb_peak_desc *d, int threads)
{
    int rc = qb_record_param_str(rec, "dtype", d->dtype);
    if (!rc) rc = qb_record_param_num(rec, "threads", threads);
    if (!rc) rc = qb_record_param_str(rec, "instructions", d->how);
    if (!rc) rc = qb_record_param_str(rec, "requires", d->requires);
    if (rc) return rc;
    if (d->note) qb_record_note(rec, "%s", d->note);
    if (strcmp(d->dtype, "fp16") == 0)
        qb_record_note(rec, "%s", qb_cpu_has("avx512fp16") ? "this kernel does not use the CPU's AVX512-FP16"
                                                          : "this CPU has no FP16 arithmetic (no AVX512-FP16)");
    if (!qb_cpu_has(d->requires)) {
        cJSON_AddBoolToObject(rec->params, "supported", false);
        return qb_record_note(rec, "not supported by this CPU (needs %s)", d->requires);
    }
    cJSON_AddBoolToObject(rec->params, "supported", true);
    const double expect = expected_per_cycle(d);
    if (expect > 0) {
        qb_record_param_num(rec, "model_ops_per_cycle", expect);
        qb_record_param_str(rec, "model_source", "port model from uops.info throughputs");
    }
    return QB_OK;
}

/* GOP/s samples of every round, and per-core ops per cycle at each trial's own clock. */
static int finish(qb_record *rec, int threads, const qb_pooled *p, const qb_rep_policy *pol)
{
    int rc = qb_pooled_record(rec, "gops", "GOP/s", QB_BETTER_HIGHER, p, pol->target_cv);
    if (rc) return rc;
    (void)threads;
    return qb_pooled_record_aux(rec, "ops_per_cycle", "ops/cycle/core", QB_BETTER_HIGHER, p,
                                QB_BETTER_HIGHER);
}

int qb_probe_peak_measure(qb_results *res, const char *filter, const int *threads, int nthreads,
                          const qb_rep_policy *pol)
{
    const char *names[32];
    bool sel[32];
    for (int i = 0; i < qb_peak_count; i++) names[i] = qb_peak_table[i].dtype;
    int rc = qb_filter_select("probe peak --filter", filter, names, qb_peak_count, sel);
    if (rc) return rc;
    if (nthreads < 1 || nthreads > 32) return qb_fail(QB_EUSAGE, "probe peak: 1 to 32 thread counts");
    cpu_set_t saved;
    rc = qb_pin_self(qb_cpu_nth(0), &saved);
    if (rc) return rc;
    const int maxt = qb_cpu_count();
    /* Pin every thread of the largest team once; OpenMP reuses the threads. */
#pragma omp parallel num_threads(maxt)
    qb_omp_pin_thread();
    qb_settings_put(res, "probe.peak", "trial_us", QB_PEAK_TRIAL_US_DEFAULT);
    qb_spin_ns(50000000ull);
    enum { MAXP = 32 };
    qb_record *recs[32][MAXP] = {{0}};
    qb_pooled pooled[32][MAXP];
    memset(pooled, 0, sizeof pooled);
    for (int ti = 0; ti < nthreads && rc == QB_OK; ti++) {
        for (int i = 0; i < qb_peak_count && rc == QB_OK; i++) {
            if (!sel[i]) continue;
            char name[48];
            snprintf(name, sizeof name, "%s/t%d", qb_peak_table[i].dtype, threads[ti]);
            recs[ti][i] = qb_results_add(res, "probe.peak", name);
            rc = recs[ti][i] ? describe(recs[ti][i], &qb_peak_table[i], threads[ti]) : QB_ENOMEM;
        }
    }
    for (int round = 0; round < pol->rounds && rc == QB_OK && !qb_interrupted(); round++) {
        for (int ti = 0; ti < nthreads && rc == QB_OK && !qb_interrupted(); ti++) {
            for (int i = 0; i < qb_peak_count && rc == QB_OK && !qb_interrupted(); i++) {
                const qb_peak_desc *d = &qb_peak_table[i];
                if (!sel[i] || !qb_cpu_has(d->requires)) continue;
                qb_progress("probe peak: round %d/%d: %s on %d thread(s)", round + 1, pol->rounds,
                            d->dtype, threads[ti]);
                peak_ctx c = {.d = d, .threads = threads[ti], .turns = size_turns(d)};
                qb_rep_result r;
                rc = qb_repeat(pol, peak_trial, &c, &r);
                if (rc) break;
                rc = qb_pooled_add(&pooled[ti][i], &r);
                qb_rep_result_free(&r);
            }
        }
    }
    for (int ti = 0; ti < nthreads; ti++) {
        for (int i = 0; i < qb_peak_count; i++) {
            if (rc == QB_OK && sel[i] && qb_cpu_has(qb_peak_table[i].requires))
                rc = pooled[ti][i].n ? finish(recs[ti][i], threads[ti], &pooled[ti][i], pol)
                                     : qb_record_note(recs[ti][i], "interrupted before it was measured");
            qb_pooled_free(&pooled[ti][i]);
        }
    }
    qb_progress_done();
    qb_unpin_self(&saved);
    if (rc == QB_OK && qb_interrupted()) rc = qb_fail(QB_EINTR, "probe peak: interrupted");
    return rc;
}
