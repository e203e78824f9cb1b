/* Loaded memory latency: the pointer chase of mem_lat.c on the first CPU
 * while every other CPU streams reads through its own buffer, pausing
 * between cache lines for a set number of spin iterations. Each delay gives
 * one point of the curve of load latency against the bandwidth the others
 * draw (the method of Intel's Memory Latency Checker: a latency thread and
 * bandwidth threads with an injected delay). The knee is the largest
 * bandwidth at which the latency is still within QB_LOADED_KNEE of the
 * unloaded latency. */
#include "mem_alloc.h"
#include "mem_chase.h"
#include "mem_lat.h"
#include "probes.h"

#include "clock.h"
#include "defaults.h"
#include "error.h"
#include "interrupt.h"
#include "output.h"
#include "pin.h"
#include "timer.h"

#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    qb_lat_set lat;
    qb_mem_map *bufs; /* one per streaming thread */
    size_t buf_bytes;
    int streamers;
    long delay;       /* spin iterations between two lines; < 0: no streamers */
    uint64_t loads;   /* chase loads a trial times */
    void *p;
} loaded_ctx;

/* Read one line, then spin `delay` iterations of a one-cycle dependent add
 * (pause would cost tens of cycles each on some cores, too coarse a step);
 * until *stop. Returns the lines read. */
static uint64_t stream_reads(const char *buf, size_t bytes, long delay, const atomic_int *stop)
{
    uint64_t lines = 0;
    unsigned sum = 0;
    while (!atomic_load_explicit(stop, memory_order_relaxed)) {
        for (size_t off = 0; off < bytes; off += 64) {
            sum += *(const volatile unsigned char *)(buf + off);
            lines++;
            for (long d = 0; d < delay; d++) __asm__ volatile("add $1, %0" : "+r"(sum));
            if ((lines & 255) == 0 && atomic_load_explicit(stop, memory_order_relaxed)) break;
        }
    }
    __asm__ volatile("" : : "r"(sum));
    return lines;
}

/* One trial: the streamers start, the chase is timed, the streamers stop.
 * v[0]: ns per chase load; v[1]: GB/s the streamers read meanwhile. */
static int loaded_trial(void *vctx, double *v)
{
    loaded_ctx *c = vctx;
    atomic_int started = 0, stop = 0;
    uint64_t lines = 0;
    double ns = 0, stream_ns = 0;
    const int team = c->delay < 0 ? 1 : 1 + c->streamers;
#pragma omp parallel num_threads(team) reduction(+ : lines) reduction(max : stream_ns)
    {
        const int t = omp_get_thread_num();
        if (t == 0) {
            while (atomic_load(&started) < team - 1) __asm__ volatile("pause");
            c->p = qb_chase_run(c->p, c->loads / 8); /* the streams reach their steady state */
            const uint64_t t0 = qb_now_ns();
            c->p = qb_chase_run(c->p, c->loads);
            ns = (double)(qb_now_ns() - t0);
            atomic_store(&stop, 1);
        } else {
            atomic_fetch_add(&started, 1);
            const uint64_t t0 = qb_now_ns();
            lines += stream_reads(c->bufs[t - 1].base, c->buf_bytes, c->delay, &stop);
            stream_ns = (double)(qb_now_ns() - t0);
        }
    }
    v[0] = ns / (double)c->loads;
    v[1] = stream_ns > 0 ? (double)lines * 64.0 / stream_ns : 0;
    return QB_OK;
}

static int parse_delays(const char *list, long *out, int max, int *n)
{
    char buf[256], *w[QB_LOADED_MAX_POINTS];
    const int k = qb_split_words("probe mem --loaded-delays", list, buf, sizeof buf, w, QB_LOADED_MAX_POINTS);
    if (k < 0) return k;
    *n = 0;
    for (int i = 0; i < k && *n < max; i++) {
        if (strcmp(w[i], "idle") == 0) {
            out[(*n)++] = -1;
            continue;
        }
        char *end;
        const long d = strtol(w[i], &end, 10);
        if (*end || d < 0 || d > 1000000)
            return qb_fail(QB_EUSAGE, "probe mem --loaded-delays: '%s' is not idle or a spin count 0..1000000", w[i]);
        out[(*n)++] = d;
    }
    return QB_OK;
}

int qb_probe_mem_loaded(qb_results *res, const char *delays, size_t bytes, const qb_rep_policy *pol)
{
    long d[QB_LOADED_MAX_POINTS];
    int nd = 0;
    int rc = parse_delays(delays ? delays : QB_LOADED_DELAYS_DEFAULT, d, QB_LOADED_MAX_POINTS, &nd);
    if (rc) return rc;
    const int cpus = qb_cpu_count();
    if (cpus < 2) return qb_fail(QB_EUNSUPPORTED, "probe mem --loaded: needs a second CPU to stream from");
    if (bytes * (size_t)cpus > qb_mem_available_bytes() / 2)
        return qb_fail(QB_EINPUT, "probe mem --loaded: %d working sets of %zu MiB do not fit in free memory", cpus,
                       bytes >> 20);
    loaded_ctx c = {.streamers = cpus - 1, .buf_bytes = bytes};
    c.bufs = calloc((size_t)c.streamers, sizeof *c.bufs);
    if (!c.bufs) return qb_fail(QB_ENOMEM, "out of memory");
    cpu_set_t saved;
    rc = qb_pin_self(qb_cpu_nth(0), &saved);
    const bool pinned = rc == QB_OK;
    if (!rc) rc = qb_lat_set_alloc(&c.lat, bytes, QB_MEM_CHASE_SEED);
    /* every streamer touches its own buffer first, on its own CPU */
#pragma omp parallel num_threads(cpus)
    {
        qb_omp_pin_thread();
        const int t = omp_get_thread_num();
        if (rc == QB_OK && t > 0 && qb_mem_map_alloc(&c.bufs[t - 1], bytes, true) == QB_OK)
            memset(c.bufs[t - 1].base, t, bytes);
    }
    for (int s = 0; s < c.streamers && rc == QB_OK; s++)
        if (!c.bufs[s].base) rc = qb_fail(QB_ENOMEM, "probe mem --loaded: no memory for a %zu MiB stream", bytes >> 20);
    c.p = c.lat.start;
    if (rc == QB_OK) {
        /* loads per trial: about QB_LOADED_TRIAL_US of unloaded chase */
        c.loads = 4096;
        const uint64_t t0 = qb_now_ns();
        c.p = qb_chase_run(c.p, c.loads);
        const double per = (double)(qb_now_ns() - t0) / (double)c.loads;
        c.loads = (uint64_t)(QB_LOADED_TRIAL_US * 1000.0 / (per > 1 ? per : 1)) / 16 * 16 + 16;
    }
    double idle_ns = NAN;
    for (int i = 0; i < nd && rc == QB_OK && !qb_interrupted(); i++) {
        c.delay = d[i];
        qb_progress("probe mem --loaded: delay %s%ld", d[i] < 0 ? "idle " : "", d[i] < 0 ? 0 : d[i]);
        qb_rep_result r;
        rc = qb_repeat(pol, loaded_trial, &c, &r);
        if (rc) break;
        char name[64];
        if (d[i] < 0) snprintf(name, sizeof name, "loaded/idle");
        else snprintf(name, sizeof name, "loaded/delay%ld", d[i]);
        qb_record *rec = qb_results_add(res, "probe.mem", name);
        if (!rec) rc = qb_fail(QB_ENOMEM, "out of memory");
        if (!rc) rc = qb_record_param_str(rec, "kernel", "loaded-latency");
        if (!rc) rc = qb_record_param_num(rec, "delay_spins", d[i] < 0 ? -1 : (double)d[i]);
        if (!rc) rc = qb_record_param_num(rec, "streamers", d[i] < 0 ? 0 : c.streamers);
        if (!rc) rc = qb_record_param_num(rec, "bytes", (double)bytes);
        if (!rc) rc = qb_record_param_num(rec, "threads", 1);
        if (!rc) rc = qb_record_param_str(rec, "pages", c.lat.pages);
        if (!rc) rc = qb_record_metric_samples(rec, "latency", "ns", QB_BETTER_LOWER, r.samples, (size_t)r.n);
        if (!rc) rc = qb_record_metric_samples(rec, "bandwidth", "GB/s", QB_BETTER_HIGHER, r.aux, (size_t)r.n);
        if (!rc) rc = qb_record_metric(rec, "latency_cycles", "cycles", QB_BETTER_LOWER,
                                       qb_metric_value(rec, "latency") * qb_core_ghz());
        if (!rc) rc = qb_record_no_gate(rec, "loaded latency depends on what the rest of the machine draws; "
                                              "it describes the memory system, not the code");
        if (!rc && d[i] < 0) idle_ns = qb_metric_value(rec, "latency");
        qb_rep_result_free(&r);
    }
    qb_progress_done();
    if (rc == QB_OK && isfinite(idle_ns)) rc = qb_mem_loaded_knee(res, idle_ns);
    for (int s = 0; s < c.streamers; s++)
        if (c.bufs[s].base) qb_mem_map_free(&c.bufs[s]);
    free(c.bufs);
    qb_lat_set_free(&c.lat);
    if (pinned) qb_unpin_self(&saved);
    if (rc == QB_OK && qb_interrupted()) rc = qb_fail(QB_EINTR, "probe mem --loaded: interrupted");
    return rc;
}

int qb_mem_loaded_knee(qb_results *res, double idle_ns)
{
    const qb_record *best = NULL;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(qb_param_str(r, "kernel"), "loaded-latency") != 0 || !(qb_param_num(r, "streamers") > 0)) continue;
        if (qb_metric_value(r, "latency") > QB_LOADED_KNEE * idle_ns) continue;
        if (!best || qb_metric_value(r, "bandwidth") > qb_metric_value(best, "bandwidth")) best = r;
    }
    qb_record *k = qb_results_add(res, "probe.mem", "loaded/knee");
    if (!k) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = qb_record_param_str(k, "kernel", "loaded-knee");
    if (!rc) rc = qb_record_param_num(k, "latency_factor", QB_LOADED_KNEE);
    if (!rc && best) rc = qb_record_param_str(k, "point", best->id);
    if (!rc) rc = qb_record_metric(k, "idle_latency", "ns", QB_BETTER_LOWER, idle_ns);
    if (!rc && best) rc = qb_record_metric(k, "bandwidth", "GB/s", QB_BETTER_HIGHER, qb_metric_value(best, "bandwidth"));
    if (!rc && best) rc = qb_record_metric(k, "latency", "ns", QB_BETTER_LOWER, qb_metric_value(best, "latency"));
    if (!rc && !best) rc = qb_record_note(k, "every loaded point is past %.2fx the idle latency", QB_LOADED_KNEE);
    if (!rc) rc = qb_record_no_gate(k, "derived from the loaded points, which are no gate");
    return rc;
}
