/* The records of a qbench probe mem run: the sweep, and per level the
 * bandwidth ceilings and the latency with sysfs's and the measured capacities. */
#include "clock.h"
#include "fmt.h"
#include "cpu_features.h"
#include "error.h"
#include "fmt.h"
#include "mem_kernels.h"
#include "mem_ports.h"
#include "mem_run.h"
#include "suite.h"
#include "probes.h"
#include "sysinfo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Why non-temporal stores on every vCPU of a VM are the host's figure. */
#define NT_STORES "writing with non-temporal stores (they bypass the caches)"

/* Bytes per cycle per core from the bandwidth, at a clock in GHz. */
static int per_cycle(qb_record *rec, double threads, double ghz)
{
    return qb_record_derive_metric(rec, "bytes_per_cycle", "bytes/cycle/core", QB_BETTER_HIGHER, "bandwidth",
                                   1.0 / (threads * ghz));
}

/* Bytes per cycle at the run's clock, the fastest it calibrated
 * (qb_core_ghz_refresh; machine.core_ghz says the same value). */
static int bw_metrics(qb_record *rec, const qb_pooled *p, int threads, const qb_rep_policy *pol)
{
    int rc = qb_pooled_record(rec, "bandwidth", "GB/s", QB_BETTER_HIGHER, p, pol->target_cv);
    return rc ? rc : per_cycle(rec, threads, qb_core_ghz());
}

/* What the per-core cache levels hold for one core. */
static size_t per_core_bytes(const qb_mem_run *m)
{
    size_t b = 0;
    for (int l = 0; l < m->nlv; l++)
        if (m->lv[l].per_core && m->lv[l].sysfs_bytes > (double)b) b = (size_t)m->lv[l].sysfs_bytes;
    return b;
}

/* A pointer chase as large as the per-core caches or larger runs through the
 * last-level cache, which a VM's host shares with other guests: even on one
 * thread its latency is what they leave of that cache (on a 2-vCPU KVM
 * guest the 8 MiB point measured 18 to 135 ns in runs minutes apart, the
 * 512 KiB point within 17%). Bare metal keeps the gate: there the user owns
 * the whole cache. */
static bool lat_host_decides(const qb_mem_run *m, size_t bytes)
{
    return qb_cpu_get()->hypervisor && bytes >= per_core_bytes(m);
}

static int lat_metrics(qb_record *rec, const qb_mem_run *m, size_t bytes, const qb_pooled *p)
{
    int rc = qb_pooled_record(rec, "latency", "ns", QB_BETTER_LOWER, p, m->pol->target_cv);
    if (!rc) rc = qb_pooled_record_aux(rec, "latency_cycles", "cycles", QB_BETTER_LOWER, p, QB_BETTER_LOWER);
    if (!rc && lat_host_decides(m, bytes))
        rc = qb_record_no_gate(rec, "on a virtual machine a pointer chase past the per-core caches runs through "
                                    "the cache other guests share, and its latency is what they leave of it (seen "
                                    "up to 7x apart between runs); the L1 and L2 latency gate the code");
    return rc;
}

/* How a bandwidth figure counts its bytes: as STREAM does (each array read or
 * written once a pass), with the stores' kind and the factor that turns the
 * count into the traffic the memory really saw: ordinary stores first read
 * each line they write (write-allocate), non-temporal stores do not. */
static int kernel_params(qb_record *r, const qb_mem_kernel *k)
{
    const double counted = k->reads + k->writes;
    const double moved = counted + (k->bypasses_cache ? 0 : k->writes);
    int rc = qb_record_param_str(r, "stores", k->writes == 0 ? "none" : k->bypasses_cache ? "non-temporal" : "regular");
    if (!rc) rc = qb_record_param_str(r, "byte_count", "STREAM: arrays read + written, no write-allocate");
    if (!rc) rc = qb_record_param_num(r, "traffic_factor", moved / counted);
    return rc;
}

static int sweep_records(qb_results *res, qb_mem_run *m)
{
    int rc = QB_OK;
    for (int i = 0; i < m->nlat && rc == QB_OK && m->want_lat; i++) {
        if (!m->lat[i].in_sweep || m->lat_pool[i].n == 0) continue;
        char name[64];
        snprintf(name, sizeof name, "latency/%zu", m->lat[i].bytes);
        qb_record *r = qb_results_add(res, "probe.mem", name);
        if (!r) return QB_ENOMEM;
        rc = qb_record_param_str(r, "kernel", "latency");
        if (!rc) rc = qb_record_param_num(r, "bytes", (double)m->lat[i].bytes);
        if (!rc) rc = qb_record_param_num(r, "threads", 1);
        if (!rc) rc = qb_record_param_str(r, "pages", m->lat_pages[i] ? m->lat_pages[i] : "unknown");
        if (!rc) rc = lat_metrics(r, m, m->lat[i].bytes, &m->lat_pool[i]);
    }
    for (int ti = 0; ti < m->nthreads && rc == QB_OK; ti++) {
        for (int k = 0; k < qb_mem_kernel_count && rc == QB_OK; k++) {
            for (int si = 0; si < m->nbw && rc == QB_OK; si++) {
                const qb_pooled *p = qb_mem_bw_pool(m, ti, si, k);
                if (!m->sel[k] || !m->bw[si].in_sweep || m->o->levels_only || p->n == 0) continue;
                char name[64];
                snprintf(name, sizeof name, "%s/t%d/%zu", qb_mem_kernels[k].name, m->threads[ti], m->bw[si].bytes);
                qb_record *r = qb_results_add(res, "probe.mem", name);
                if (!r) return QB_ENOMEM;
                rc = qb_record_param_str(r, "kernel", qb_mem_kernels[k].name);
                if (!rc) rc = qb_record_param_num(r, "bytes", (double)m->bw[si].bytes);
                if (!rc) rc = qb_record_param_num(r, "threads", m->threads[ti]);
                if (!rc) rc = qb_record_param_str(r, "pages", m->bw_pages[ti][si] ? m->bw_pages[ti][si] : "unknown");
                if (!rc) rc = kernel_params(r, &qb_mem_kernels[k]);
                if (!rc) rc = bw_metrics(r, p, m->threads[ti], m->pol);
                if (!rc && qb_mem_point_host_decides(m, si, ti, k))
                    rc = qb_record_host_shared(r, m->threads[ti],
                                               qb_mem_kernels[k].bypasses_cache ? NT_STORES
                                                                                : "streaming past the per-core caches");
            }
        }
    }
    return rc;
}

/* The best pool among the points in [lo, hi] (highest or lowest best-round
 * median): noise here only ever makes a figure worse, so a level's figure
 * is the best its range reaches, not one point that a busy moment can spoil. */
static int best_in_range(const qb_mem_run_point *pts, int n, double lo, double hi, int better,
                         const qb_pooled *(*pool)(const qb_mem_run *, int, int, int), const qb_mem_run *m,
                         int ti, int k)
{
    int best = -1;
    double bv = 0;
    for (int i = 0; i < n; i++) {
        if ((double)pts[i].bytes < lo || (double)pts[i].bytes > hi) continue;
        const qb_pooled *p = pool(m, ti, i, k);
        if (p->n == 0) continue;
        const double v = qb_pooled_best(p, better);
        if (best < 0 || (better == QB_BETTER_HIGHER ? v > bv : v < bv)) {
            best = i;
            bv = v;
        }
    }
    return best;
}

static const qb_pooled *bw_pool_of(const qb_mem_run *m, int ti, int si, int k)
{
    return qb_mem_bw_pool(m, ti, si, k);
}

static const qb_pooled *lat_pool_of(const qb_mem_run *m, int ti, int si, int k)
{
    (void)ti;
    (void)k;
    return &m->lat_pool[si];
}

int qb_mem_level_bw_index(const qb_mem_run *m, int l, int ti, int k)
{
    const size_t p = qb_mem_level_point(m->lv, m->nlv, l, m->threads[ti], m->largest, true);
    const double lo = qb_mem_level_floor(m->lv, m->nlv, l, m->threads[ti], m->largest);
    if (!p || !m->sel[k]) return -1;
    return best_in_range(m->bw, m->nbw, lo, (double)p, QB_BETTER_HIGHER, bw_pool_of, m, ti, k);
}

bool qb_mem_host_decides(const qb_mem_run *m, int l, int ti, int k)
{
    return qb_host_shared(m->threads[ti]) && (!m->lv[l].per_core || qb_mem_kernels[k].bypasses_cache);
}

bool qb_mem_point_host_decides(const qb_mem_run *m, int si, int ti, int k)
{
    return qb_host_shared(m->threads[ti]) &&
           (qb_mem_kernels[k].bypasses_cache || m->bw[si].bytes > per_core_bytes(m) * (size_t)m->threads[ti]);
}

int qb_mem_one_thread_index(const qb_mem_run *m)
{
    for (int ti = 0; ti < m->nthreads; ti++)
        if (m->threads[ti] == 1) return ti;
    return -1;
}

/* Level l's figure for kernel k on thread index ti, NAN when there is none. */
static double level_figure(const qb_mem_run *m, int l, int ti, int k)
{
    const int si = ti >= 0 ? qb_mem_level_bw_index(m, l, ti, k) : -1;
    return si >= 0 ? qb_pooled_best(qb_mem_bw_pool(m, ti, si, k), QB_BETTER_HIGHER) : NAN;
}

/* The scaling rule holds on a VM, where two vCPUs on one physical core are
 * what breaks it; on bare metal per_core already rules out SMT siblings, and
 * N busy cores may run at a lower clock than one. */
static bool level_scales(const qb_mem_run *m, int l, int ti, int k)
{
    return !qb_cpu_get()->hypervisor || qb_mem_kernels[k].bypasses_cache ||
           qb_mem_level_scales(&m->lv[l], level_figure(m, l, ti, k),
                               level_figure(m, l, qb_mem_one_thread_index(m), k), m->threads[ti]);
}

/* The L1 ceiling the core's ports allow kernel k, in bytes/cycle; 0 when unknown. */
static double port_ceiling(const qb_mem_kernel *k)
{
    const qb_mem_ports ports = qb_mem_ports_of(qb_sysinfo_uarch());
    return qb_mem_port_ceiling(&ports, k);
}

bool qb_mem_level_confirmed(const qb_mem_run *m, int l, int ti, int k)
{
    const int si = qb_mem_level_bw_index(m, l, ti, k);
    if (si < 0) return true; /* nothing to confirm */
    const qb_pooled *p = qb_mem_bw_pool(m, ti, si, k);
    /* With one round planned (qbench run's passes are its rounds) only the
     * ceilings can tell a spoiled figure. */
    if (m->pol->rounds >= 2 && !qb_pooled_confirmed(p, QB_BETTER_HIGHER, QB_ROUNDS_DISAGREE)) return false;
    const double per_cycle = qb_pooled_best(p, QB_BETTER_HIGHER) / m->threads[ti] / qb_core_ghz();
    if (l == 0 && qb_mem_port_short(per_cycle, port_ceiling(&qb_mem_kernels[k]))) return false;
    return level_scales(m, l, ti, k);
}

/* A per-core level's N-thread figure short of N times the one-thread one. */
static int scale_note(qb_record *r, const qb_mem_run *m, int l, int ti, int k)
{
    if (level_scales(m, l, ti, k)) return QB_OK;
    const double tn = level_figure(m, l, ti, k), t1 = level_figure(m, l, qb_mem_one_thread_index(m), k);
    return qb_record_note(r,
                          "%s %s on %d threads reached %.2fx the 1-thread figure, not %dx (every CPU has its "
                          "own %s): in every round two of the CPUs shared a core (on a VM, the host ran two "
                          "vCPUs on one physical core or another guest used its sibling) or the busy CPUs ran "
                          "at a lower clock; rerun for the ceiling",
                          m->lv[l].name, qb_mem_kernels[k].name, m->threads[ti], tn / t1, m->threads[ti],
                          m->lv[l].name);
}

static int level_params(qb_record *r, const qb_mem_level *l, const char *kernel, int threads, size_t bytes)
{
    int rc = qb_record_param_str(r, "level", l->name);
    if (!rc) rc = qb_record_param_str(r, "kernel", kernel);
    if (!rc) rc = qb_record_param_num(r, "threads", threads);
    if (!rc) rc = qb_record_param_num(r, "bytes", (double)bytes);
    if (!rc && l->sysfs_bytes > 0 && !cJSON_AddBoolToObject(r->params, "per_core", l->per_core)) rc = QB_ENOMEM;
    if (!rc && l->sysfs_bytes > 0) rc = qb_record_param_num(r, "sysfs_bytes", l->sysfs_bytes);
    if (!rc && l->measured_bytes > 0) rc = qb_record_param_num(r, "measured_bytes", round(l->measured_bytes));
    if (!rc && l->streaming_bytes > 0) rc = qb_record_param_num(r, "streaming_bytes", round(l->streaming_bytes));
    return rc;
}

/* A shared level whose measured capacity is no bigger than what the levels
 * above hold is read at the start of its range: say so, the figure may hold
 * the next level's misses. */
static int small_level_note(qb_record *r, const qb_mem_level *l, double lo, bool streaming)
{
    const double cap = streaming ? l->streaming_bytes : l->measured_bytes;
    if (l->per_core || l->sysfs_bytes <= 0 || !(cap > 0) || cap > lo) return QB_OK;
    char c[32], f[32];
    qb_fmt_bytes(c, sizeof c, cap);
    qb_fmt_bytes(f, sizeof f, lo);
    return qb_record_note(r, "%s: its %s capacity (%s) is no bigger than where its range starts (%s): "
                             "read there, the figure may include misses to the next level",
                          l->name, streaming ? "streaming" : "random-load", c, f);
}

/* An L1 figure against what the core's load and store ports allow: the
 * ceiling as a param, and a note when the figure falls well short of it. */
static int port_check(qb_record *r, const qb_mem_kernel *k)
{
    const char *uarch = qb_sysinfo_uarch();
    const qb_mem_ports ports = qb_mem_ports_of(uarch);
    const double ceil = qb_mem_port_ceiling(&ports, k);
    if (!(ceil > 0)) return QB_OK;
    int rc = qb_record_param_num(r, "port_ceiling_bytes_per_cycle", ceil);
    const qb_metric *m = qb_record_find_metric(r, "bytes_per_cycle");
    if (!rc && m && qb_mem_port_short(m->value, ceil))
        rc = qb_record_note(r,
                            "L1 %s reached %.1f bytes/cycle/core, %.0f%% of the %.0f that %s's ports allow "
                            "(%.0f 32-byte loads and %.0f store per cycle): something else used this core "
                            "during the run (an SMT sibling or another guest); rerun for the ceiling",
                            k->name, m->value, 100 * m->value / ceil, ceil, uarch, ports.loads, ports.stores);
    return rc;
}

static int range_params(qb_record *r, double lo, double hi)
{
    int rc = qb_record_param_num(r, "range_from_bytes", lo);
    if (!rc) rc = qb_record_param_num(r, "range_to_bytes", hi);
    return rc;
}

static int level_records(qb_results *res, qb_mem_run *m)
{
    int rc = QB_OK;
    for (int l = 0; l < m->nlv && rc == QB_OK && m->want_lat; l++) {
        const size_t p = qb_mem_level_point(m->lv, m->nlv, l, 1, m->largest, false);
        const double lo = qb_mem_level_floor(m->lv, m->nlv, l, 1, m->largest);
        const int i = p ? best_in_range(m->lat, m->nlat, lo, (double)p, QB_BETTER_LOWER, lat_pool_of, m, 0, 0) : -1;
        if (i < 0) continue;
        char name[64];
        snprintf(name, sizeof name, "level/%s/latency", m->lv[l].name);
        qb_record *r = qb_results_add(res, "probe.mem", name);
        if (!r) return QB_ENOMEM;
        rc = level_params(r, &m->lv[l], "latency", 1, m->lat[i].bytes);
        if (!rc) rc = range_params(r, lo, (double)p);
        if (!rc) rc = qb_record_param_str(r, "pages", m->lat_pages[i] ? m->lat_pages[i] : "unknown");
        if (!rc) rc = lat_metrics(r, m, m->lat[i].bytes, &m->lat_pool[i]);
        if (!rc && m->cap_note[l][0]) rc = qb_record_note(r, "%s", m->cap_note[l]);
        if (!rc) rc = small_level_note(r, &m->lv[l], lo, false);
    }
    for (int ti = 0; ti < m->nthreads && rc == QB_OK; ti++) {
        for (int l = 0; l < m->nlv && rc == QB_OK; l++) {
            const size_t p = qb_mem_level_point(m->lv, m->nlv, l, m->threads[ti], m->largest, true);
            const double lo = qb_mem_level_floor(m->lv, m->nlv, l, m->threads[ti], m->largest);
            if (!p) continue;
            for (int k = 0; k < qb_mem_kernel_count && rc == QB_OK; k++) {
                const int si = qb_mem_level_bw_index(m, l, ti, k);
                if (si < 0) continue;
                const qb_pooled *pp = qb_mem_bw_pool(m, ti, si, k);
                char name[64];
                snprintf(name, sizeof name, "level/%s/%s/t%d", m->lv[l].name, qb_mem_kernels[k].name, m->threads[ti]);
                qb_record *r = qb_results_add(res, "probe.mem", name);
                if (!r) return QB_ENOMEM;
                rc = level_params(r, &m->lv[l], qb_mem_kernels[k].name, m->threads[ti], m->bw[si].bytes);
                if (!rc) rc = range_params(r, lo, (double)p);
                if (!rc) rc = kernel_params(r, &qb_mem_kernels[k]);
                if (!rc) rc = bw_metrics(r, pp, m->threads[ti], m->pol);
                if (!rc && l == 0) rc = port_check(r, &qb_mem_kernels[k]);
                if (!rc) rc = scale_note(r, m, l, ti, k);
                if (!rc) rc = small_level_note(r, &m->lv[l], lo, true);
                if (!rc && qb_mem_host_decides(m, l, ti, k))
                    rc = qb_record_host_shared(r, m->threads[ti],
                                               qb_mem_kernels[k].bypasses_cache ? NT_STORES
                                                                                : "streaming from a shared level");
            }
        }
    }
    return rc;
}

int qb_mem_per_cycle_at(qb_results *res, double ghz)
{
    if (!(ghz > 0)) return qb_fail(QB_EINTERNAL, "bytes per cycle at a clock of %g GHz", ghz);
    int rc = QB_OK;
    for (size_t i = 0; i < res->n && rc == QB_OK; i++) {
        qb_record *r = &res->recs[i];
        const double threads = qb_param_num(r, "threads");
        if (strcmp(r->group, "probe.mem") != 0 || !(threads >= 1)) continue;
        if (qb_record_find_metric(r, "bytes_per_cycle")) rc = per_cycle(r, threads, ghz);
    }
    return rc == QB_OK ? qb_sysinfo_update_clock(res->machine, ghz) : rc;
}

int qb_mem_records(qb_results *res, qb_mem_run *m)
{
    int rc = sweep_records(res, m);
    if (rc == QB_OK && m->sweep_mode) rc = level_records(res, m);
    /* bytes_per_cycle used the fastest clock the run found (qb_core_ghz_refresh). */
    if (rc == QB_OK) rc = qb_sysinfo_update_clock(res->machine, qb_core_ghz());
    return rc;
}
