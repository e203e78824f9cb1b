/* qb_probe_ctx_measure: every benchmark of ctx_bench.h in interleaved
 * rounds, the no-switch overheads beside them, then one record per
 * benchmark with the overhead subtracted and the switches counted. */
#include "clock.h"
#include "cpu_features.h"
#include "ctx_bench.h"
#include "ctx_cost.h"
#include "defaults.h"
#include "error.h"
#include "interrupt.h"
#include "mem_alloc.h"
#include "mem_sizes.h"
#include "output.h"
#include "pin.h"
#include "pooled.h"
#include "suite.h"
#include "probes.h"
#include "timer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_SYSCALL, K_VDSO, K_THREAD, K_PROCESS, NKINDS };
static const char *const kind_names[NKINDS] = {"syscall", "vdso", "thread", "process"};
static const char *const place_names[3] = {"same-cpu", "cross-cpu", "unpinned"};

#define MAX_WS 16
#define MAX_ITEMS (2 + 3 + 3 * MAX_WS)

/* One benchmark of the run: what it measures and what it subtracts. */
typedef struct {
    int kind;
    qb_ctx_place place;
    size_t ws;
    int overhead;    /* index of its overhead item, or -1 */
    bool is_overhead;
    qb_pooled pool;
    /* Switches of each member with getrusage over the timed runs (-1 once
     * unknown), and with PAPI over a separate untimed run of the same ring. */
    long long timed_sw[QB_CTX_MAX_PROCS];
    int members;
    double timed_hops;
    long long papi_sw[QB_CTX_MAX_PROCS];
    double papi_hops;
    bool papi_tried;
} item;

typedef struct {
    const qb_ctx_opts *o;
    const qb_rep_policy *pol;
    double trial_us;
    int procs;
    item it[MAX_ITEMS + 1 + MAX_WS];
    int n;
} ctx_run;

void qb_ctx_opts_init(qb_ctx_opts *o, bool quick)
{
    memset(o, 0, sizeof *o);
    o->quick = quick;
}

/* ---- timing ---- */

typedef struct {
    int (*run)(void *st, uint64_t ops);
    void *st;
    uint64_t ops;    /* per trial */
    int hops_per_op;
    uint64_t total_ops;
} timed;

static int timed_trial(void *v, double out[2])
{
    timed *t = v;
    qb_bracket b;
    qb_bracket_begin(&b);
    const uint64_t t0 = qb_now_ns();
    const int rc = t->run(t->st, t->ops);
    const uint64_t t1 = qb_now_ns();
    qb_bracket_end(&b);
    if (rc) return rc;
    t->total_ops += t->ops;
    out[0] = (double)(t1 - t0) / ((double)t->ops * t->hops_per_op);
    out[1] = out[0] * b.ghz;
    return b.clock_changed ? QB_TRIAL_DROP : QB_OK;
}

/* Size a trial from a pilot run, then repeat it. */
static int time_it(ctx_run *c, timed *t, qb_rep_result *r)
{
    t->ops = 1;
    for (int i = 0; i < 30; i++) {
        const uint64_t t0 = qb_now_ns();
        const int rc = t->run(t->st, t->ops);
        const double ns = (double)(qb_now_ns() - t0);
        if (rc) return rc;
        t->total_ops += t->ops;
        if (ns >= c->trial_us * 100.0) {
            const double k = (double)t->ops * c->trial_us * 1000.0 / ns;
            t->ops = k < 1 ? 1 : (uint64_t)k;
            break;
        }
        t->ops *= 2;
    }
    return qb_repeat(c->pol, timed_trial, t, r);
}

static int run_syscall(void *st, uint64_t n)
{
    (void)st;
    qb_ctx_syscalls(n);
    return QB_OK;
}

static int run_vdso(void *st, uint64_t n)
{
    (void)st;
    qb_ctx_vdso_calls(n);
    return QB_OK;
}

static int run_futex_overhead(void *st, uint64_t n)
{
    (void)st;
    qb_futex_overhead(n);
    return QB_OK;
}

static int run_handoff(void *st, uint64_t n)
{
    return qb_handoff_run(st, n);
}

static int run_ring(void *st, uint64_t n)
{
    return qb_ring_run(st, n);
}

static int run_pipe_self(void *st, uint64_t n)
{
    return qb_pipe_self_run(st, n);
}

/* Count a ring's switches with PAPI in every member, in a run of its own:
 * a counting perf event adds to the cost of every switch it counts. */
static int papi_count_pass(ctx_run *c, item *it, uint64_t laps)
{
    it->papi_tried = true;
    qb_ring *ring;
    int rc = qb_ring_open(&ring, c->procs, it->place, it->ws, true);
    if (rc) return rc;
    rc = qb_ring_run(ring, laps);
    long long counts[QB_CTX_MAX_PROCS];
    const char *source;
    const int rc2 = qb_ring_close(ring, counts, &source);
    if (rc || rc2) return rc ? rc : rc2;
    if (strcmp(source, QB_CTX_SWITCH_EVENT) != 0) return QB_OK; /* PAPI did not open: getrusage stands */
    memcpy(it->papi_sw, counts, (size_t)c->procs * sizeof *counts);
    it->papi_hops = (double)laps * c->procs;
    return QB_OK;
}

/* One round of one item. */
static int measure_item(ctx_run *c, item *it)
{
    timed t = {.hops_per_op = 1};
    qb_rep_result r;
    int rc = qb_pin_self(qb_cpu_nth(0), NULL);
    if (rc) return rc;
    long long counts[QB_CTX_MAX_PROCS];
    int ncounts = 0;
    if (it->is_overhead) {
        if (it->kind == K_THREAD) {
            t.run = run_futex_overhead;
            rc = time_it(c, &t, &r);
        } else {
            qb_pipe_self *p;
            rc = qb_pipe_self_open(&p, it->ws);
            if (rc) return rc;
            t.run = run_pipe_self;
            t.st = p;
            rc = time_it(c, &t, &r);
            qb_pipe_self_close(p);
        }
    } else if (it->kind == K_SYSCALL || it->kind == K_VDSO) {
        t.run = it->kind == K_SYSCALL ? run_syscall : run_vdso;
        rc = time_it(c, &t, &r);
    } else if (it->kind == K_THREAD) {
        qb_handoff *h;
        rc = qb_handoff_open(&h, it->place);
        if (rc) return rc;
        t.run = run_handoff;
        t.st = h;
        t.hops_per_op = 2;
        rc = time_it(c, &t, &r);
        const char *source;
        const int rc2 = qb_handoff_close(h, counts, &source);
        ncounts = 2;
        if (!rc) rc = rc2;
    } else {
        qb_ring *ring;
        rc = qb_ring_open(&ring, c->procs, it->place, it->ws, false);
        if (rc) return rc;
        t.run = run_ring;
        t.st = ring;
        t.hops_per_op = c->procs;
        rc = time_it(c, &t, &r);
        const char *source;
        const int rc2 = qb_ring_close(ring, counts, &source);
        ncounts = c->procs;
        if (!rc) rc = rc2;
        if (!rc && !it->papi_tried) rc = papi_count_pass(c, it, t.ops > 100 ? t.ops : 100);
    }
    if (rc) return rc;
    if (ncounts) {
        it->members = ncounts;
        for (int i = 0; i < ncounts; i++)
            if (it->timed_sw[i] >= 0) it->timed_sw[i] = counts[i] < 0 ? -1 : it->timed_sw[i] + counts[i];
        it->timed_hops += (double)t.total_ops * t.hops_per_op;
    }
    rc = qb_pooled_add(&it->pool, &r);
    qb_rep_result_free(&r);
    return rc;
}

/* ---- plan ---- */

static int plan(ctx_run *c, bool kinds[NKINDS], bool places[3], size_t *ws, int *nws)
{
    const qb_ctx_opts *o = c->o;
    int rc = qb_filter_select("probe ctx --kinds", o->kinds, kind_names, NKINDS, kinds);
    if (!rc) rc = qb_filter_select("probe ctx --placements", o->placements, place_names, 3, places);
    if (rc) return rc;
    c->procs = o->procs ? o->procs : QB_CTX_PROCS_DEFAULT;
    if (c->procs < 2 || c->procs > QB_CTX_MAX_PROCS)
        return qb_fail(QB_EUSAGE, "probe ctx --procs: %d is not between 2 and %d", c->procs, QB_CTX_MAX_PROCS);
    if (o->ws) {
        if (o->nws < 1 || o->nws > MAX_WS) return qb_fail(QB_EUSAGE, "probe ctx: 1 to %d working sets", MAX_WS);
        for (int i = 0; i < o->nws; i++) ws[i] = o->ws[i];
        *nws = o->nws;
    } else {
        /* The default list: "0" is not a size qb_mem_parse_sizes takes, so it is split here. */
        char buf[] = QB_CTX_WS_DEFAULT;
        *nws = 0;
        for (char *s = strtok(buf, ","); s && *nws < MAX_WS; s = strtok(NULL, ",")) {
            if (strcmp(s, "0") == 0) ws[(*nws)++] = 0;
            else if ((rc = qb_mem_parse_size("QB_CTX_WS_DEFAULT", s, &ws[(*nws)++])) != QB_OK) return rc;
        }
    }
    /* Every process of the ring holds its working set twice over at most
     * (its buffer, and the copy-on-write pages of the parent's). */
    const size_t avail = qb_mem_available_bytes();
    for (int i = 0; i < *nws; i++) {
        if (ws[i] > (size_t)1 << 40 ||
            (avail > 0 && (double)ws[i] * 2 * c->procs > QB_MEM_FREE_FRACTION * (double)avail))
            return qb_fail(QB_EUSAGE, "probe ctx: a working set of %zu bytes on %d processes does not fit in free memory",
                           ws[i], c->procs);
    }
    if (qb_cpu_count() < 2) places[QB_PLACE_CROSS_CPU] = false;
    c->trial_us = o->quick ? QB_CTX_QUICK_TRIAL_US : QB_CTX_TRIAL_US_DEFAULT;
    return QB_OK;
}

static item *add_item(ctx_run *c, int kind, qb_ctx_place place, size_t ws, bool overhead)
{
    item *it = &c->it[c->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->place = place;
    it->ws = ws;
    it->is_overhead = overhead;
    it->overhead = -1;
    return it;
}

static void build_items(ctx_run *c, const bool kinds[NKINDS], const bool places[3], const size_t *ws, int nws)
{
    if (kinds[K_SYSCALL]) add_item(c, K_SYSCALL, QB_PLACE_SAME_CPU, 0, false);
    if (kinds[K_VDSO]) add_item(c, K_VDSO, QB_PLACE_SAME_CPU, 0, false);
    if (kinds[K_THREAD]) {
        const int ov = c->n;
        add_item(c, K_THREAD, QB_PLACE_SAME_CPU, 0, true);
        for (int p = 0; p < 3; p++)
            if (places[p]) add_item(c, K_THREAD, (qb_ctx_place)p, 0, false)->overhead = ov;
    }
    for (int w = 0; w < nws && kinds[K_PROCESS]; w++) {
        const int ov = c->n;
        add_item(c, K_PROCESS, QB_PLACE_SAME_CPU, ws[w], true);
        for (int p = 0; p < 3; p++)
            if (places[p]) add_item(c, K_PROCESS, (qb_ctx_place)p, ws[w], false)->overhead = ov;
    }
}

/* ---- records ---- */

static int cost_metrics(qb_record *rec, const item *it, const item *ov, const qb_rep_policy *pol)
{
    const qb_pooled *p = &it->pool;
    const double raw = qb_pooled_best(p, QB_BETTER_LOWER);
    const double overhead = qb_pooled_best(&ov->pool, QB_BETTER_LOWER);
    bool clamped;
    const double net = qb_ctx_net(raw, overhead, &clamped);
    double *ns = malloc((size_t)p->n * sizeof *ns), *cyc = malloc((size_t)p->n * sizeof *cyc);
    int rc = ns && cyc ? QB_OK : qb_fail(QB_ENOMEM, "out of memory");
    if (!rc) {
        qb_ctx_net_samples(p->all, (size_t)p->n, overhead, ns);
        /* Cycles at each trial's own clock (aux / raw is its GHz). */
        for (int i = 0; i < p->n; i++) cyc[i] = p->all[i] > 0 ? p->aux[i] / p->all[i] : 0;
        qb_stats st;
        const double ghz = qb_stats_compute(cyc, (size_t)p->n, &st) == QB_OK ? st.median : qb_core_ghz();
        for (int i = 0; i < p->n; i++) cyc[i] *= ns[i];
        rc = qb_record_metric_samples(rec, "latency", "ns", QB_BETTER_LOWER, ns, (size_t)p->n);
        if (!rc) rec->metrics[rec->nmetrics - 1].value = net;
        if (!rc) rc = qb_record_metric_samples(rec, "latency_cycles", "cycles", QB_BETTER_LOWER, cyc, (size_t)p->n);
        if (!rc) rec->metrics[rec->nmetrics - 1].value = net * ghz;
    }
    free(ns);
    free(cyc);
    if (!rc) rc = qb_pooled_record(rec, "raw_latency", "ns", QB_BETTER_LOWER, p, pol->target_cv);
    if (!rc) rc = qb_pooled_record(rec, "overhead", "ns", QB_BETTER_LOWER, &ov->pool, pol->target_cv);
    /* The overhead is the method's baseline, shown so the subtraction can be
     * checked, not a result: its code path is in raw_latency, which compare
     * judges. Judged alone it moved 9% between processes with nothing else
     * moving (a false alarm in #7's tries), so it is information. */
    if (!rc) rec->metrics[rec->nmetrics - 1].better = QB_BETTER_NONE;
    if (!rc) cJSON_AddBoolToObject(rec->params, "clamped", clamped);
    if (!rc && clamped)
        rc = qb_record_note(rec, "latency: the hop (%.3g ns) cost less than its no-switch overhead (%.3g ns); "
                                 "reported as 0", raw, overhead);
    return rc;
}

static int switch_metrics(qb_record *rec, const item *it)
{
    const double in_timed = qb_ctx_switches_per_op(it->timed_sw, it->members, it->timed_hops);
    const double papi = qb_ctx_switches_per_op(it->papi_sw, it->members, it->papi_hops);
    int rc = QB_OK;
    if (papi >= 0) {
        rc = qb_record_metric(rec, "switches_per_op", "switches/hop", QB_BETTER_NONE, papi);
        if (!rc) rc = qb_record_param_str(rec, "switch_counter", QB_CTX_SWITCH_EVENT);
        if (!rc) rc = qb_record_param_str(rec, "switch_count_run",
                                          "a separate untimed run of the same benchmark (a counting perf event "
                                          "adds to every switch it counts)");
        if (!rc) rc = qb_record_param_num(rec, "hops_counted", it->papi_hops);
    } else if (in_timed >= 0) {
        rc = qb_record_metric(rec, "switches_per_op", "switches/hop", QB_BETTER_NONE, in_timed);
        if (!rc) rc = qb_record_param_str(rec, "switch_counter", "getrusage");
        if (!rc) rc = qb_record_param_str(rec, "switch_count_run", "the timed runs");
        if (!rc) rc = qb_record_param_num(rec, "hops_counted", it->timed_hops);
    } else {
        return qb_record_note(rec, "switches per hop: a member's count was not available");
    }
    if (!rc && in_timed >= 0 && papi >= 0)
        rc = qb_record_metric(rec, "switches_per_op_timed", "switches/hop", QB_BETTER_NONE, in_timed);
    if (!rc && ((papi >= 0 ? papi : in_timed) < 0.9))
        rc = qb_record_note(rec, "only %.2f switches per hop: the hop did not always switch (a waiter spun "
                                 "or found the token already there), so the cost is not one switch",
                            papi >= 0 ? papi : in_timed);
    return rc;
}

static int make_record(qb_results *res, ctx_run *c, const item *it)
{
    char name[96];
    if (it->kind == K_SYSCALL || it->kind == K_VDSO)
        snprintf(name, sizeof name, "%s", kind_names[it->kind]);
    else if (it->kind == K_THREAD)
        snprintf(name, sizeof name, "thread/%s", qb_ctx_place_name(it->place));
    else
        snprintf(name, sizeof name, "process/%s/ws%zu", qb_ctx_place_name(it->place), it->ws);
    qb_record *r = qb_results_add(res, "probe.ctx", name);
    if (!r) return QB_ENOMEM;
    int rc = qb_record_param_str(r, "kind", kind_names[it->kind]);
    if (!rc) rc = qb_record_param_str(r, "placement", qb_ctx_place_name(it->place));
    if (!rc) rc = qb_record_param_num(r, "working_set_bytes", (double)it->ws);
    if (rc) return rc;
    if (it->kind == K_SYSCALL || it->kind == K_VDSO) {
        rc = qb_record_param_str(r, "call", it->kind == K_SYSCALL ? "syscall(SYS_getppid)" : "clock_gettime(CLOCK_MONOTONIC)");
        if (!rc) rc = qb_pooled_record(r, "latency", "ns", QB_BETTER_LOWER, &it->pool, c->pol->target_cv);
        if (!rc) rc = qb_pooled_record_aux(r, "latency_cycles", "cycles", QB_BETTER_LOWER, &it->pool, QB_BETTER_LOWER);
        return rc;
    }
    const item *ov = &c->it[it->overhead];
    if (ov->pool.n == 0) return qb_record_note(r, "interrupted before its overhead was measured");
    if (it->kind == K_PROCESS) {
        rc = qb_record_param_num(r, "processes", c->procs);
        if (!rc) rc = qb_record_param_str(r, "mechanism", "pipe ring, token of 4 bytes (lmbench lat_ctx)");
    } else {
        rc = qb_record_param_num(r, "threads", 2);
        if (!rc) rc = qb_record_param_str(r, "mechanism", "futex wait/wake on one word");
    }
    if (!rc) rc = cost_metrics(r, it, ov, c->pol);
    if (!rc && it->place != QB_PLACE_SAME_CPU && qb_cpu_get()->hypervisor) {
        rc = qb_record_no_gate(r, "on a virtual machine a wake-up on another CPU waits for the host to run "
                                  "that vCPU, which moves this figure several times over between runs");
    }
    if (!rc && it->kind == K_PROCESS) {
        /* A lap of the ring without subtraction: with 2 processes, what perf bench sched pipe reports per op. */
        const double raw = qb_pooled_best(&it->pool, QB_BETTER_LOWER);
        rc = qb_record_metric(r, "round_trip", "ns", QB_BETTER_LOWER, raw * c->procs);
    }
    if (!rc) rc = switch_metrics(r, it);
    return rc;
}

int qb_probe_ctx_measure(qb_results *res, const qb_ctx_opts *o, const qb_rep_policy *pol)
{
    ctx_run *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    c->o = o;
    c->pol = pol;
    bool kinds[NKINDS], places[3];
    size_t ws[MAX_WS];
    int nws = 0;
    int rc = plan(c, kinds, places, ws, &nws);
    if (rc) {
        free(c);
        return rc;
    }
    build_items(c, kinds, places, ws, nws);
    cpu_set_t saved;
    rc = qb_pin_self(qb_cpu_nth(0), &saved);
    if (rc) {
        free(c);
        return rc;
    }
    qb_settings_put(res, "probe.ctx", "trial_us", c->trial_us);
    qb_settings_put(res, "probe.ctx", "processes", c->procs);
    qb_spin_ns(20000000ull);
    (void)qb_core_ghz();
    for (int round = 0; round < pol->rounds && rc == QB_OK && !qb_interrupted(); round++) {
        for (int i = 0; i < c->n && rc == QB_OK && !qb_interrupted(); i++) {
            const item *it = &c->it[i];
            qb_progress("probe ctx: round %d/%d: %s%s %s ws %zu", round + 1, pol->rounds,
                        it->is_overhead ? "overhead of " : "", kind_names[it->kind],
                        qb_ctx_place_name(it->place), it->ws);
            rc = measure_item(c, &c->it[i]);
        }
    }
    qb_progress_done();
    qb_unpin_self(&saved);
    const int keep = rc;
    if (rc == QB_OK || rc == QB_EINTR) {
        for (int i = 0; i < c->n && (rc == QB_OK || rc == QB_EINTR); i++)
            if (!c->it[i].is_overhead && c->it[i].pool.n > 0) rc = make_record(res, c, &c->it[i]);
        if (rc == QB_OK) rc = keep;
    }
    for (int i = 0; i < c->n; i++) qb_pooled_free(&c->it[i].pool);
    free(c);
    if (rc == QB_OK && qb_interrupted()) rc = qb_fail(QB_EINTR, "probe ctx: interrupted");
    return rc;
}
