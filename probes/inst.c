/* qbench probe inst: instruction latency and throughput in core cycles. */
#include "clock.h"
#include "counters.h"
#include "cpu_features.h"
#include "defaults.h"
#include "error.h"
#include "inst_kernels.h"
#include "output.h"
#include "interrupt.h"
#include "pin.h"
#include "pooled.h"
#include "suite.h"
#include "probes.h"
#include "sysinfo.h"
#include "timer.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    qb_inst_kernel kernel;
    int per_turn;
    uint64_t turns;
    bool latency;
    qb_counters *ctr; /* cycles + instructions, when the PMU works */
    double last_ctr_cycles, last_ctr_ins;
} inst_ctx;

/* Size the loop so one trial takes about target_us. */
static uint64_t size_turns(qb_inst_kernel k, int per_turn, double target_us)
{
    const void *mem = qb_inst_consts();
    uint64_t turns = 1000;
    for (int i = 0; i < 4; i++) {
        const uint64_t t0 = qb_now_ns();
        k(turns, mem);
        const double ns = (double)(qb_now_ns() - t0);
        if (ns > target_us * 100.0) { /* at least a tenth of the target: good enough to scale */
            const double scaled = (double)turns * target_us * 1000.0 / ns;
            return scaled < 1 ? 1 : (uint64_t)scaled;
        }
        turns *= 10;
    }
    (void)per_turn;
    return turns;
}

static int inst_trial(void *vctx, double *value)
{
    inst_ctx *c = vctx;
    const void *mem = qb_inst_consts();
    qb_bracket b;
    long long cv[2] = {-1, -1};
    uint64_t best_ns = UINT64_MAX;
    qb_bracket_begin(&b);
    for (int i = 0; i < QB_INST_BEST_OF_DEFAULT; i++) {
        long long v[2] = {-1, -1};
        if (c->ctr) qb_counters_start(c->ctr);
        const uint64_t t0 = qb_now_ns();
        c->kernel(c->turns, mem);
        const uint64_t t1 = qb_now_ns();
        if (c->ctr) qb_counters_stop(c->ctr, v);
        if (t1 - t0 < best_ns) {
            best_ns = t1 - t0;
            cv[0] = v[0];
            cv[1] = v[1];
        }
    }
    qb_bracket_end(&b);
    double cycles = (double)best_ns * b.ghz;
    const double n = (double)c->turns * c->per_turn;
    if (cv[0] > 0) {
        cycles = (double)cv[0]; /* the PMU's own count beats the calibrated clock */
        c->last_ctr_cycles = (double)cv[0];
        c->last_ctr_ins = (double)cv[1];
    }
    value[0] = c->latency ? cycles / n : n / cycles;
    return b.clock_changed && cv[0] <= 0 ? QB_TRIAL_DROP : QB_OK;
}

static int measure(const qb_rep_policy *pol, qb_inst_kernel k, int per_turn, bool latency,
                   qb_counters *ctr, qb_rep_result *out)
{
    inst_ctx c = {.kernel = k, .per_turn = per_turn, .latency = latency, .ctr = ctr};
    c.turns = size_turns(k, per_turn, QB_INST_TRIAL_US_DEFAULT);
    return qb_repeat(pol, inst_trial, &c, out);
}

static double published(const qb_inst_desc *d, bool lat)
{
    const char *u = qb_sysinfo_uarch();
    if (strcmp(u, "zen3") == 0) return lat ? d->zen3_lat : d->zen3_tput;
    if (strcmp(u, "zen4") == 0) return lat ? d->zen4_lat : d->zen4_tput;
    return 0;
}

/* Parameters of one record; metrics follow after every round has run. */
static int describe(qb_record *rec, const qb_inst_desc *d, qb_counters *ctr)
{
    int rc = qb_record_param_str(rec, "instruction", d->name);
    if (!rc) rc = qb_record_param_str(rec, "form", d->form);
    if (!rc) rc = qb_record_param_num(rec, "threads", 1);
    if (!rc) rc = qb_record_param_str(rec, "requires", d->requires[0] ? d->requires : "x86-64");
    if (rc) return rc;
    if (!qb_cpu_has(d->requires)) {
        /* Never executed: the record says why instead. */
        cJSON_AddBoolToObject(rec->params, "supported", false);
        return qb_record_note(rec, "not supported by this CPU (needs %s)", d->requires);
    }
    cJSON_AddBoolToObject(rec->params, "supported", true);
    qb_record_param_num(rec, "latency_unroll", d->lat_per_turn);
    qb_record_param_num(rec, "throughput_chains", d->chains);
    qb_record_param_str(rec, "cycle_source", ctr ? "PAPI_TOT_CYC" : "calibrated core clock");
    const double pl = published(d, true), pt = published(d, false);
    if (pl > 0) {
        qb_record_param_num(rec, "published_latency", pl);
        qb_record_param_num(rec, "published_throughput", pt);
        char src[64];
        snprintf(src, sizeof src, "uops.info, %s", qb_sysinfo_uarch());
        qb_record_param_str(rec, "published_source", src);
        if (d->ref_note) qb_record_param_str(rec, "published_note", d->ref_note);
    }
    return QB_OK;
}

static int measure_round(const qb_inst_desc *d, const qb_rep_policy *pol, qb_counters *ctr,
                         qb_pooled *lat, qb_pooled *tput)
{
    qb_rep_result r;
    int rc = measure(pol, d->lat, d->lat_per_turn, true, ctr, &r);
    if (rc) return rc;
    rc = qb_pooled_add(lat, &r);
    qb_rep_result_free(&r);
    if (rc) return rc;
    rc = measure(pol, d->tput, d->tput_per_turn, false, ctr, &r);
    if (rc) return rc;
    rc = qb_pooled_add(tput, &r);
    qb_rep_result_free(&r);
    return rc;
}

int qb_probe_inst_measure(qb_results *res, const char *filter, int cpu, const qb_rep_policy *pol)
{
    const char *names[64];
    bool sel[64];
    for (int i = 0; i < qb_inst_count; i++) names[i] = qb_inst_table[i].name;
    int rc = qb_filter_select("probe inst --filter", filter, names, qb_inst_count, sel);
    if (rc) return rc;
    if (cpu >= qb_cpu_count())
        return qb_fail(QB_EUSAGE, "probe inst --cpu: CPU %d is not available", cpu);
    cpu_set_t saved;
    rc = qb_pin_self(cpu >= 0 ? qb_cpu_nth(cpu) : sched_getcpu(), &saved);
    if (rc) return rc;
    qb_counters *ctr = NULL;
    if (qb_counters_hw_available()) {
        qb_event_status st[2];
        if (qb_counters_open(qb_hw_events, 2, &ctr, st) != QB_OK || qb_counters_ok_count(ctr) != 2) {
            qb_counters_close(ctr);
            ctr = NULL;
        }
    }
    qb_settings_put(res, "probe.inst", "trial_us", QB_INST_TRIAL_US_DEFAULT);
    qb_settings_put(res, "probe.inst", "best_of", QB_INST_BEST_OF_DEFAULT);
    qb_spin_ns(50000000ull); /* let the core reach its working clock */
    qb_record *recs[64] = {0};
    qb_pooled lat[64], tput[64];
    memset(lat, 0, sizeof lat);
    memset(tput, 0, sizeof tput);
    for (int i = 0; i < qb_inst_count && rc == QB_OK; i++) {
        if (!sel[i]) continue;
        recs[i] = qb_results_add(res, "probe.inst", qb_inst_table[i].name);
        rc = recs[i] ? describe(recs[i], &qb_inst_table[i], ctr) : QB_ENOMEM;
    }
    for (int round = 0; round < pol->rounds && rc == QB_OK && !qb_interrupted(); round++) {
        for (int i = 0; i < qb_inst_count && rc == QB_OK && !qb_interrupted(); i++) {
            if (!sel[i] || !qb_cpu_has(qb_inst_table[i].requires)) continue;
            qb_progress("probe inst: round %d/%d: %s", round + 1, pol->rounds, qb_inst_table[i].name);
            rc = measure_round(&qb_inst_table[i], pol, ctr, &lat[i], &tput[i]);
        }
    }
    /* Records of an interrupted run keep the rounds that finished. */
    for (int i = 0; i < qb_inst_count && rc == QB_OK; i++) {
        if (!sel[i] || !qb_cpu_has(qb_inst_table[i].requires)) continue;
        if (lat[i].n == 0 || tput[i].n == 0) {
            rc = qb_record_note(recs[i], "interrupted before it was measured");
            continue;
        }
        rc = qb_pooled_record(recs[i], "latency", "cycles", QB_BETTER_LOWER, &lat[i], pol->target_cv);
        if (!rc)
            rc = qb_pooled_record(recs[i], "throughput", "per_cycle", QB_BETTER_HIGHER, &tput[i],
                                  pol->target_cv);
    }
    for (int i = 0; i < qb_inst_count; i++) {
        qb_pooled_free(&lat[i]);
        qb_pooled_free(&tput[i]);
    }
    qb_progress_done();
    qb_counters_close(ctr);
    qb_unpin_self(&saved);
    if (rc == QB_OK && qb_interrupted()) rc = qb_fail(QB_EINTR, "probe inst: interrupted");
    return rc;
}
