/* The records of a qbench probe mem run: the sweep, and per level the
 * bandwidth ceilings and the latency with sysfs's and the measured capacities. */
#include "error.h"
#include "mem_kernels.h"
#include "mem_run.h"

#include <math.h>
#include <stdio.h>

static int bw_metrics(qb_record *rec, const qb_pooled *p, const qb_rep_policy *pol)
{
    int rc = qb_pooled_record(rec, "bandwidth", "GB/s", QB_BETTER_HIGHER, p, pol->target_cv);
    if (!rc) rc = qb_pooled_record_aux(rec, "bytes_per_cycle", "bytes/cycle/core", QB_BETTER_HIGHER, p, QB_BETTER_HIGHER);
    return rc;
}

static int lat_metrics(qb_record *rec, const qb_pooled *p, const qb_rep_policy *pol)
{
    int rc = qb_pooled_record(rec, "latency", "ns", QB_BETTER_LOWER, p, pol->target_cv);
    if (!rc) rc = qb_pooled_record_aux(rec, "latency_cycles", "cycles", QB_BETTER_LOWER, p, QB_BETTER_LOWER);
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
        if (!rc) rc = lat_metrics(r, &m->lat_pool[i], m->pol);
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
                if (!rc) rc = bw_metrics(r, p, m->pol);
            }
        }
    }
    return rc;
}

static int find_point(const qb_mem_run_point *pts, int n, size_t bytes)
{
    for (int i = 0; i < n; i++)
        if (pts[i].bytes == bytes) return i;
    return -1;
}

static int level_params(qb_record *r, const qb_mem_level *l, const char *kernel, int threads, size_t bytes)
{
    int rc = qb_record_param_str(r, "level", l->name);
    if (!rc) rc = qb_record_param_str(r, "kernel", kernel);
    if (!rc) rc = qb_record_param_num(r, "threads", threads);
    if (!rc) rc = qb_record_param_num(r, "bytes", (double)bytes);
    if (!rc && l->sysfs_bytes > 0) rc = qb_record_param_num(r, "sysfs_bytes", l->sysfs_bytes);
    if (!rc && l->measured_bytes > 0) rc = qb_record_param_num(r, "measured_bytes", round(l->measured_bytes));
    if (!rc && l->streaming_bytes > 0) rc = qb_record_param_num(r, "streaming_bytes", round(l->streaming_bytes));
    return rc;
}

/* On the DRAM records: shared levels that had no room on these threads. */
static int unplaced_notes(qb_record *r, const qb_mem_run *m, int threads)
{
    int rc = QB_OK;
    for (int l = 0; l + 1 < m->nlv && rc == QB_OK; l++) {
        if (m->lv[l].per_core || qb_mem_level_point(m->lv, m->nlv, l, threads, m->largest, true)) continue;
        char have[32];
        qb_mem_fmt_bytes(have, sizeof have, m->lv[l].streaming_bytes > 0 ? m->lv[l].streaming_bytes : m->lv[l].sysfs_bytes);
        rc = qb_record_note(r, "%s has no ceiling on %d threads: its streaming capacity (%s) is not above "
                               "twice what the levels above hold there",
                            m->lv[l].name, threads, have);
    }
    return rc;
}

static int level_records(qb_results *res, qb_mem_run *m)
{
    int rc = QB_OK;
    for (int l = 0; l < m->nlv && rc == QB_OK && m->want_lat; l++) {
        const size_t p = qb_mem_level_point(m->lv, m->nlv, l, 1, m->largest, false);
        const int i = find_point(m->lat, m->nlat, p);
        if (!p || i < 0 || m->lat_pool[i].n == 0) continue;
        char name[64];
        snprintf(name, sizeof name, "level/%s/latency", m->lv[l].name);
        qb_record *r = qb_results_add(res, "probe.mem", name);
        if (!r) return QB_ENOMEM;
        rc = level_params(r, &m->lv[l], "latency", 1, p);
        if (!rc) rc = qb_record_param_str(r, "pages", m->lat_pages[i] ? m->lat_pages[i] : "unknown");
        if (!rc) rc = lat_metrics(r, &m->lat_pool[i], m->pol);
        if (!rc && m->cap_note[l][0]) rc = qb_record_note(r, "%s", m->cap_note[l]);
    }
    for (int ti = 0; ti < m->nthreads && rc == QB_OK; ti++) {
        for (int l = 0; l < m->nlv && rc == QB_OK; l++) {
            const size_t p = qb_mem_level_point(m->lv, m->nlv, l, m->threads[ti], m->largest, true);
            const int si = find_point(m->bw, m->nbw, p);
            if (!p || si < 0) continue;
            for (int k = 0; k < qb_mem_kernel_count && rc == QB_OK; k++) {
                const qb_pooled *pp = qb_mem_bw_pool(m, ti, si, k);
                if (!m->sel[k] || pp->n == 0) continue;
                char name[64];
                snprintf(name, sizeof name, "level/%s/%s/t%d", m->lv[l].name, qb_mem_kernels[k].name, m->threads[ti]);
                qb_record *r = qb_results_add(res, "probe.mem", name);
                if (!r) return QB_ENOMEM;
                rc = level_params(r, &m->lv[l], qb_mem_kernels[k].name, m->threads[ti], p);
                if (!rc) rc = bw_metrics(r, pp, m->pol);
                if (!rc && l == m->nlv - 1 && !m->unplaced_noted[ti]) {
                    m->unplaced_noted[ti] = true;
                    rc = unplaced_notes(r, m, m->threads[ti]);
                }
            }
        }
    }
    return rc;
}

int qb_mem_records(qb_results *res, qb_mem_run *m)
{
    int rc = sweep_records(res, m);
    if (rc == QB_OK && m->sweep_mode) rc = level_records(res, m);
    return rc;
}
