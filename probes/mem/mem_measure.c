/* qb_probe_mem_measure: the latency sweep first (it tells how much of each
 * cache random loads can use, which places the latency level points), then
 * the bandwidth sweep (whose one-thread read tells the streaming capacity,
 * which places the bandwidth level points), then the level-only points, each
 * phase in interleaved rounds. */
#include "clock.h"
#include "defaults.h"
#include "error.h"
#include "fmt.h"
#include "interrupt.h"
#include "mem_bw.h"
#include "mem_lat.h"
#include "mem_run.h"
#include "output.h"
#include "pin.h"
#include "pooled.h"
#include "suite.h"
#include "probes.h"
#include "timer.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void qb_mem_opts_init(qb_mem_opts *o, bool quick)
{
    memset(o, 0, sizeof *o);
    o->quick = quick;
}
static int add_point(qb_mem_run_point *pts, int *n, size_t bytes, bool in_sweep)
{
    for (int i = 0; i < *n; i++) {
        if (pts[i].bytes == bytes) {
            pts[i].in_sweep |= in_sweep;
            return i;
        }
    }
    if (*n == QB_MEM_RUN_MAX_PTS) return -1;
    pts[*n] = (qb_mem_run_point){bytes, in_sweep, 0, 0};
    return (*n)++;
}
static size_t pow2_at_least(double v)
{
    size_t p = 1;
    while ((double)p < v) p <<= 1;
    return p;
}

/* Options that make no sense fail here, before anything is allocated. */
static int plan(qb_mem_run *m)
{
    const qb_mem_opts *o = m->o;
    const char *names[QB_MEM_RUN_MAX_K];
    for (int i = 0; i < qb_mem_kernel_count; i++) names[i] = qb_mem_kernels[i].name;
    names[qb_mem_kernel_count] = "latency";
    int rc = qb_filter_select("probe mem --kernels", o->kernels, names, qb_mem_kernel_count + 1, m->sel);
    if (rc) return rc;
    m->want_lat = m->sel[qb_mem_kernel_count];
    for (int i = 0; i < qb_mem_kernel_count; i++) m->want_bw |= m->sel[i];

    const int ncpu = qb_cpu_count();
    if (o->threads) {
        if (o->nthreads < 1 || o->nthreads > QB_MEM_RUN_MAX_T)
            return qb_fail(QB_EUSAGE, "probe mem: 1 to %d thread counts", QB_MEM_RUN_MAX_T);
        for (int i = 0; i < o->nthreads; i++) {
            if (o->threads[i] < 1 || o->threads[i] > ncpu)
                return qb_fail(QB_EUSAGE, "probe mem --threads: %d is not between 1 and the %d CPUs available",
                               o->threads[i], ncpu);
            m->threads[m->nthreads++] = o->threads[i];
        }
    } else {
        m->threads[m->nthreads++] = 1;
        if (ncpu > 1) m->threads[m->nthreads++] = ncpu < QB_MEM_RUN_MAX_T ? ncpu : QB_MEM_RUN_MAX_T;
    }
    if (o->per_octave < 0 || o->per_octave > 16)
        return qb_fail(QB_EUSAGE, "probe mem: %d points per octave (0 to 16)", o->per_octave);

    m->nlv = qb_mem_levels_from_sysfs(m->lv, QB_MEM_MAX_LEVELS + 1);
    const int ncache = m->nlv - 1;
    m->sweep_mode = o->sizes == NULL;
    if (o->sizes) {
        if (o->nsizes < 1 || o->nsizes > QB_MEM_MAX_SIZES)
            return qb_fail(QB_EUSAGE, "probe mem: 1 to %d sizes", QB_MEM_MAX_SIZES);
        for (int i = 0; i < o->nsizes; i++) {
            if (o->sizes[i] < QB_MEM_MIN_BYTES)
                return qb_fail(QB_EUSAGE, "probe mem: working set %zu is below 4K", o->sizes[i]);
            add_point(m->lat, &m->nlat, o->sizes[i], true);
            add_point(m->bw, &m->nbw, o->sizes[i], true);
            if (o->sizes[i] > m->largest) m->largest = o->sizes[i];
        }
    } else {
        const double llc = ncache > 0 ? m->lv[ncache - 1].sysfs_bytes : 32.0 * (1 << 20);
        m->largest = pow2_at_least((o->quick ? QB_MEM_QUICK_LLC_MULTIPLE : QB_MEM_LLC_MULTIPLE) * llc);
        const int per_octave = o->per_octave ? o->per_octave
                               : o->quick    ? QB_MEM_QUICK_PER_OCTAVE
                                             : QB_MEM_PER_OCTAVE_DEFAULT;
        /* The middle of each level as sysfs reports it, on every thread count. */
        size_t extra[QB_MEM_RUN_MAX_T * (QB_MEM_MAX_LEVELS + 1)];
        int nextra = 0;
        for (int t = 0; t < m->nthreads; t++)
            for (int l = 0; l < ncache; l++) {
                const size_t p = qb_mem_level_point(m->lv, m->nlv, l, m->threads[t], m->largest, false);
                if (p) extra[nextra++] = p;
            }
        size_t sw[QB_MEM_MAX_SIZES];
        const int n = qb_mem_sweep(QB_MEM_MIN_BYTES, m->largest, per_octave, extra, nextra, sw,
                                   QB_MEM_MAX_SIZES);
        for (int i = 0; i < n; i++) {
            add_point(m->lat, &m->nlat, sw[i], true);
            add_point(m->bw, &m->nbw, sw[i], true);
        }
    }
    /* Each thread needs a block of every array of the widest kernel. */
    size_t smallest = SIZE_MAX;
    for (int i = 0; i < m->nbw; i++)
        if (m->bw[i].bytes < smallest) smallest = m->bw[i].bytes;
    for (int t = 0; t < m->nthreads && m->want_bw && m->nbw > 0; t++) {
        const size_t need = (size_t)m->threads[t] * 3 * QB_MEM_BLOCK_BYTES;
        if (smallest < need) {
            char b[32];
            qb_fmt_bytes(b, sizeof b, (double)smallest);
            return qb_fail(QB_EUSAGE, "probe mem: working set %s is too small for %d threads (at least %zu bytes)",
                           b, m->threads[t], need);
        }
    }
    /* The largest working set must fit in free memory, with room to spare. */
    size_t need = m->largest;
    for (int t = 0; t < m->nthreads && m->want_bw; t++) {
        const size_t b = qb_bw_set_bytes(m->largest, m->threads[t]);
        if (b > need) need = b;
    }
    const size_t avail = qb_mem_available_bytes();
    if (avail > 0 && (double)need > QB_MEM_FREE_FRACTION * (double)avail) {
        char a[32], w[32];
        qb_fmt_bytes(a, sizeof a, (double)avail);
        qb_fmt_bytes(w, sizeof w, (double)m->largest);
        return qb_fail(QB_EUSAGE, "probe mem: working set %s does not fit in free memory (%s available, %.0f%% usable)",
                       w, a, 100 * QB_MEM_FREE_FRACTION);
    }
    m->trial_us = o->quick ? QB_MEM_QUICK_TRIAL_US : QB_MEM_TRIAL_US_DEFAULT;
    return QB_OK;
}

static int latency_rounds(qb_mem_run *m, int from)
{
    int rc = QB_OK;
    for (int r = 0; r < m->pol->rounds && rc == QB_OK && !qb_interrupted(); r++) {
        for (int i = from; i < m->nlat && rc == QB_OK && !qb_interrupted(); i++) {
            char b[32];
            qb_fmt_bytes(b, sizeof b, (double)m->lat[i].bytes);
            qb_progress("probe mem: round %d/%d: latency at %s", r + 1, m->pol->rounds, b);
            qb_lat_set s;
            rc = qb_lat_set_alloc(&s, m->lat[i].bytes, QB_MEM_CHASE_SEED + m->lat[i].bytes);
            if (rc) break;
            m->lat_pages[i] = s.pages;
            qb_rep_result res;
            rc = qb_lat_measure(&s, m->pol, m->trial_us, &res);
            qb_lat_set_free(&s);
            if (rc) break;
            rc = qb_pooled_add(&m->lat_pool[i], &res);
            qb_rep_result_free(&res);
        }
    }
    return rc;
}

/* A measured capacity far from sysfs's size says more about the noise in
 * the sweep than about the cache. */
#define QB_MEM_CAP_BELOW 32.0
#define QB_MEM_CAP_ABOVE 2.0
static bool plausible(const qb_mem_level *l, double cap)
{
    return isfinite(cap) && cap >= l->sysfs_bytes / QB_MEM_CAP_BELOW && cap <= l->sysfs_bytes * QB_MEM_CAP_ABOVE;
}

/* Latency at one extra working set: each round's median, the lowest kept. */
static int latency_at(qb_mem_run *m, size_t bytes, double *value)
{
    *value = NAN;
    int rc = QB_OK;
    for (int r = 0; r < m->pol->rounds && rc == QB_OK && !qb_interrupted(); r++) {
        qb_lat_set s;
        rc = qb_lat_set_alloc(&s, bytes, QB_MEM_CHASE_SEED + bytes);
        if (rc) break;
        qb_rep_result res;
        rc = qb_lat_measure(&s, m->pol, m->trial_us, &res);
        qb_lat_set_free(&s);
        if (rc) break;
        if (!(res.st.median >= *value)) *value = res.st.median;
        qb_rep_result_free(&res);
    }
    return rc;
}

/* Measured capacity of each cache level: where latency is halfway, on a log
 * scale, from the level's plateau to the next one's (the geometric mean
 * heeds a noisy next plateau less than the arithmetic one), the bracket
 * narrowed by bisection so the answer is finer than the sweep's spacing. */
/* Sort the n sweep points and read each level's plateau over its range into plat. */
static void level_plateaus(const qb_mem_run *m, qb_mem_point *pt, int n, double *plat)
{
    qb_mem_points_sort(pt, n);
    for (int k = 0; k < m->nlv; k++) {
        double lo, hi;
        qb_mem_plateau_range(m->lv, m->nlv, k, m->largest, &lo, &hi);
        plat[k] = qb_mem_plateau(pt, n, lo, hi);
    }
}

static int latency_capacities(qb_mem_run *m)
{
    qb_mem_point pt[QB_MEM_RUN_MAX_PTS + 4 * QB_MEM_MAX_LEVELS * QB_MEM_REFINE_STEPS];
    int n = 0;
    for (int i = 0; i < m->nlat; i++) {
        if (!m->lat[i].in_sweep || m->lat_pool[i].n == 0) continue;
        pt[n++] = (qb_mem_point){(double)m->lat[i].bytes, qb_pooled_best(&m->lat_pool[i], QB_BETTER_LOWER)};
    }
    double plat[QB_MEM_MAX_LEVELS + 1];
    level_plateaus(m, pt, n, plat);
    int rc = QB_OK;
    for (int k = 0; k + 1 < m->nlv && rc == QB_OK; k++) {
        if (!isfinite(plat[k]) || !isfinite(plat[k + 1]) || plat[k + 1] < QB_MEM_MIN_STEP * plat[k]) {
            snprintf(m->cap_note[k], sizeof m->cap_note[k],
                     "usable capacity not measured: the fastest random load in %s's range (%.3g ns) is not "
                     "%.3gx faster than the next level's (%.3g ns); random loads find little room in it now",
                     m->lv[k].name, plat[k], QB_MEM_MIN_STEP, plat[k + 1]);
            continue;
        }
        double lo, hi, a, b;
        qb_mem_plateau_range(m->lv, m->nlv, k, m->largest, &lo, &hi);
        const double thr = sqrt(plat[k] * plat[k + 1]);
        for (int step = 0; step < QB_MEM_REFINE_STEPS && rc == QB_OK && !qb_interrupted(); step++) {
            if (!qb_mem_bracket(pt, n, lo, thr, &a, &b)) break;
            const size_t mid = qb_mem_round_size(sqrt(a * b));
            if ((double)mid <= a || (double)mid >= b) break;
            char sz[32];
            qb_fmt_bytes(sz, sizeof sz, (double)mid);
            qb_progress("probe mem: %s capacity: latency at %s", m->lv[k].name, sz);
            double v;
            rc = latency_at(m, mid, &v);
            if (rc || !isfinite(v)) break;
            pt[n++] = (qb_mem_point){(double)mid, v};
            qb_mem_points_sort(pt, n);
        }
        const double cap = qb_mem_crossing(pt, n, lo, thr);
        if (plausible(&m->lv[k], cap)) m->lv[k].measured_bytes = cap;
        else
            snprintf(m->cap_note[k], sizeof m->cap_note[k],
                     "usable capacity not measured: latency did not rise to the next level between %.0f%% "
                     "and %.0f%% of sysfs's size (a noisy sweep?)",
                     100.0 / QB_MEM_CAP_BELOW, 100.0 * QB_MEM_CAP_ABOVE);
    }
    return rc;
}

/* Streaming capacity from the one-thread read sweep, the same way, on time
 * per byte (which rises where bandwidth falls). */
static void streaming_capacities(qb_mem_run *m)
{
    qb_mem_point pt[QB_MEM_RUN_MAX_PTS];
    int n = 0;
    for (int i = 0; i < m->nbw; i++) {
        const qb_pooled *p = m->cal_ti >= 0 ? qb_mem_bw_pool(m, m->cal_ti, i, 0) : &m->cal_pool[i];
        if (m->bw[i].in_sweep && p->n > 0)
            pt[n++] = (qb_mem_point){(double)m->bw[i].bytes, 1.0 / qb_pooled_best(p, QB_BETTER_HIGHER)};
    }
    double plat[QB_MEM_MAX_LEVELS + 1];
    level_plateaus(m, pt, n, plat);
    /* Streams step less between caches (prefetchers hide part of a miss), so
     * any rise counts; the plausibility range guards against noise. */
    for (int k = 0; k + 1 < m->nlv; k++) {
        if (!isfinite(plat[k]) || !isfinite(plat[k + 1]) || plat[k + 1] <= plat[k]) continue;
        double lo, hi;
        qb_mem_plateau_range(m->lv, m->nlv, k, m->largest, &lo, &hi);
        const double cap = qb_mem_crossing(pt, n, lo, sqrt(plat[k] * plat[k + 1]));
        if (plausible(&m->lv[k], cap)) m->lv[k].streaming_bytes = cap;
    }
}

/* Level points not yet in a sweep are measured as level-only points; each
 * returns where its new points start. */
static int add_latency_level_points(qb_mem_run *m)
{
    const int first = m->nlat;
    for (int l = 0; l < m->nlv; l++) {
        const size_t p = qb_mem_level_point(m->lv, m->nlv, l, 1, m->largest, false);
        if (p) add_point(m->lat, &m->nlat, p, false);
    }
    return first;
}

static void add_bandwidth_level_points(qb_mem_run *m)
{
    for (int l = 0; l < m->nlv; l++)
        for (int t = 0; t < m->nthreads; t++) {
            const size_t q = qb_mem_level_point(m->lv, m->nlv, l, m->threads[t], m->largest, true);
            const int i = q ? add_point(m->bw, &m->nbw, q, false) : -1;
            if (i >= 0) m->bw[i].want |= 1u << t;
        }
}

/* The one-thread read sweep the streaming capacity is read from, when the
 * sweep itself does not have it (levels only, or read or one thread not asked for). */
static int calibration_rounds(qb_mem_run *m)
{
    int rc = QB_OK;
    for (int r = 0; r < m->pol->rounds && rc == QB_OK && !qb_interrupted(); r++) {
        for (int si = 0; si < m->nbw && rc == QB_OK && !qb_interrupted(); si++) {
            if (!m->bw[si].in_sweep) continue;
            char b[32];
            qb_fmt_bytes(b, sizeof b, (double)m->bw[si].bytes);
            qb_progress("probe mem: round %d/%d: streaming capacity: read at %s", r + 1, m->pol->rounds, b);
            qb_bw_set s;
            rc = qb_bw_set_alloc(&s, m->bw[si].bytes, 1);
            if (rc) break;
            qb_rep_result res;
            rc = qb_bw_measure(&s, &qb_mem_kernels[0], m->pol, m->trial_us, &res);
            qb_bw_set_free(&s);
            if (rc) break;
            rc = qb_pooled_add(&m->cal_pool[si], &res);
            qb_rep_result_free(&res);
        }
    }
    return rc;
}

/* One round of the kernels in `kernels` at point si on thread index ti;
 * `round` names it in the progress line. */
static int measure_point(qb_mem_run *m, int ti, int si, const bool *kernels, const char *round)
{
    qb_bw_set s;
    int rc = qb_bw_set_alloc(&s, m->bw[si].bytes, m->threads[ti]);
    if (rc) return rc;
    m->bw_pages[ti][si] = s.pages;
    char b[32];
    qb_fmt_bytes(b, sizeof b, (double)m->bw[si].bytes);
    for (int k = 0; k < qb_mem_kernel_count && rc == QB_OK && !qb_interrupted(); k++) {
        if (!kernels[k]) continue;
        qb_progress("probe mem: %s: %s at %s on %d thread(s)", round, qb_mem_kernels[k].name, b,
                    m->threads[ti]);
        qb_rep_result res;
        rc = qb_bw_measure(&s, &qb_mem_kernels[k], m->pol, m->trial_us, &res);
        if (rc) break;
        rc = qb_pooled_add(qb_mem_bw_pool(m, ti, si, k), &res);
        qb_rep_result_free(&res);
    }
    qb_bw_set_free(&s);
    return rc;
}

/* Every point on every thread count it wants and has not had yet. */
static int bandwidth_rounds(qb_mem_run *m)
{
    int rc = QB_OK;
    for (int r = 0; r < m->pol->rounds && rc == QB_OK && !qb_interrupted(); r++) {
        char round[32];
        snprintf(round, sizeof round, "round %d/%d", r + 1, m->pol->rounds);
        for (int ti = 0; ti < m->nthreads && rc == QB_OK && !qb_interrupted(); ti++)
            for (int si = 0; si < m->nbw && rc == QB_OK && !qb_interrupted(); si++)
                if ((m->bw[si].want & ~m->bw[si].done) >> ti & 1) rc = measure_point(m, ti, si, m->sel, round);
    }
    for (int si = 0; si < m->nbw; si++) m->bw[si].done |= m->bw[si].want;
    return rc;
}

/* The kernels whose figure at point si on thread index ti awaits
 * confirmation: the level figures' points in a sweep, every point asked for
 * with --sizes (where only the rounds' agreement confirms, so only when 2 or
 * more rounds are planned). Figures the host decides on every vCPU of a VM
 * are left alone: other guests' load sets them, and a few seconds more do
 * not change who they are. */
static void to_confirm(const qb_mem_run *m, int ti, bool (*want)[QB_MEM_RUN_MAX_K])
{
    memset(want, 0, QB_MEM_RUN_MAX_PTS * sizeof *want);
    for (int k = 0; k < qb_mem_kernel_count; k++) {
        if (!m->sel[k]) continue;
        for (int l = 0; l < m->nlv && m->sweep_mode; l++) {
            const int si = qb_mem_level_bw_index(m, l, ti, k);
            if (si >= 0 && !qb_mem_host_decides(m, l, ti, k) && !qb_mem_level_confirmed(m, l, ti, k))
                want[si][k] = true;
        }
        for (int si = 0; si < m->nbw && !m->sweep_mode && m->pol->rounds >= 2; si++) {
            const qb_pooled *p = qb_mem_bw_pool(m, ti, si, k);
            if (p->rounds > 0 && !qb_mem_point_host_decides(m, si, ti, k) &&
                !qb_pooled_confirmed(p, QB_BETTER_HIGHER, QB_ROUNDS_DISAGREE))
                want[si][k] = true;
        }
    }
}

/* Whether any figure awaits confirmation; want[ti] gets each thread index's
 * points and kernels. */
static bool pending(const qb_mem_run *m, bool (*want)[QB_MEM_RUN_MAX_PTS][QB_MEM_RUN_MAX_K])
{
    bool any = false;
    for (int ti = 0; ti < m->nthreads; ti++) {
        to_confirm(m, ti, want[ti]);
        for (int si = 0; si < m->nbw; si++)
            for (int k = 0; k < qb_mem_kernel_count; k++) any |= want[ti][si][k];
    }
    return any;
}

/* Waits until `at` (qb_now_ns) in short sleeps, so SIGINT ends it
 * at once. */
static void wait_until(uint64_t at)
{
    for (uint64_t now = qb_now_ns(); now < at && !qb_interrupted(); now = qb_now_ns()) {
        const uint64_t ns = at - now < 50000000u ? at - now : 50000000u;
        const struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ns};
        nanosleep(&ts, NULL);
    }
}

/* Unconfirmed figures get more rounds, one point after another, until every
 * figure is confirmed, the extra rounds run out or the time budget is spent.
 * The rounds start evenly spaced over the budget, so a host spell of a few
 * seconds that spoiled the planned rounds does not also spoil every extra
 * one. With one round planned (qbench run's passes are its rounds) only a
 * level figure short of a ceiling (ports, scaling) gets more. Returns the
 * extra rounds run in *extra. */
static double confirm_budget(const qb_mem_opts *o)
{
    return (o->quick ? QB_MEM_QUICK_CONFIRM_BUDGET_S : QB_MEM_CONFIRM_BUDGET_S) / (o->passes > 1 ? o->passes : 1);
}

static int confirm_rounds(qb_mem_run *m, int *extra)
{
    *extra = 0;
    const double budget_s = confirm_budget(m->o);
    const uint64_t start = qb_now_ns(), end = start + (uint64_t)(1e9 * budget_s);
    const uint64_t spacing = (uint64_t)(1e9 * budget_s / QB_MEM_CONFIRM_ROUNDS);
    /* one run at a time, like qb_bw_measure */
    static bool want[QB_MEM_RUN_MAX_T][QB_MEM_RUN_MAX_PTS][QB_MEM_RUN_MAX_K];
    int rc = QB_OK;
    uint64_t round_start = start;
    for (int r = 0; r < QB_MEM_CONFIRM_ROUNDS && rc == QB_OK && !qb_interrupted(); r++) {
        if (!pending(m, want)) break;
        if (r > 0) {
            if (round_start + spacing >= end) break;
            wait_until(round_start + spacing);
        }
        round_start = qb_now_ns();
        char round[32];
        snprintf(round, sizeof round, "confirming round %d/%d", r + 1, QB_MEM_CONFIRM_ROUNDS);
        /* a round counts once it has measured a point: the budget may end
         * it part way, and the points it did measure have one more round */
        bool counted = false;
        for (int ti = 0; ti < m->nthreads && rc == QB_OK; ti++) {
            for (int si = 0; si < m->nbw && rc == QB_OK; si++) {
                bool some = false;
                for (int k = 0; k < qb_mem_kernel_count; k++) some |= want[ti][si][k];
                if (!some) continue;
                if (qb_now_ns() >= end || qb_interrupted()) return rc;
                if (!counted) (*extra)++;
                counted = true;
                rc = measure_point(m, ti, si, want[ti][si], round);
            }
        }
    }
    return rc;
}
static int settings(qb_results *res, const qb_mem_run *m)
{
    int rc = qb_settings_put(res, "probe.mem", "trial_us", m->trial_us);
    if (!rc)
        rc = qb_settings_put(res, "probe.mem", "llc_multiple", m->o->quick ? QB_MEM_QUICK_LLC_MULTIPLE : QB_MEM_LLC_MULTIPLE);
    if (!rc) rc = qb_settings_put(res, "probe.mem", "per_octave",
                                  m->o->per_octave ? m->o->per_octave
                                  : m->o->quick    ? QB_MEM_QUICK_PER_OCTAVE
                                                   : QB_MEM_PER_OCTAVE_DEFAULT);
    if (!rc) rc = qb_settings_put(res, "probe.mem", "free_fraction", QB_MEM_FREE_FRACTION);
    if (!rc) rc = qb_settings_put(res, "probe.mem", "chase_seed", QB_MEM_CHASE_SEED);
    if (!rc) rc = qb_settings_put(res, "probe.mem", "largest_bytes", (double)m->largest);
    if (!rc) rc = qb_settings_put(res, "probe.mem", "confirming_rounds_max", QB_MEM_CONFIRM_ROUNDS);
    const double budget_s = confirm_budget(m->o);
    if (!rc) rc = qb_settings_put(res, "probe.mem", "confirm_budget_s", budget_s);
    if (!rc) rc = qb_settings_put(res, "probe.mem", "confirm_spacing_s", budget_s / QB_MEM_CONFIRM_ROUNDS);
    return rc;
}

int qb_probe_mem_measure(qb_results *res, const qb_mem_opts *o, const qb_rep_policy *pol)
{
    qb_mem_run *m = calloc(1, sizeof *m);
    if (!m) return qb_fail(QB_ENOMEM, "out of memory");
    m->o = o;
    m->pol = pol;
    int rc = plan(m);
    if (rc) {
        free(m);
        return rc;
    }
    /* Room for the level-only points added once capacities are known. */
    m->lat_pool = calloc(QB_MEM_RUN_MAX_PTS, sizeof *m->lat_pool);
    m->bw_pool = calloc((size_t)m->nthreads * QB_MEM_RUN_MAX_PTS * QB_MEM_RUN_MAX_K, sizeof *m->bw_pool);
    m->cal_pool = calloc(QB_MEM_RUN_MAX_PTS, sizeof *m->cal_pool);
    cpu_set_t saved;
    bool pinned = false;
    if (!m->lat_pool || !m->bw_pool || !m->cal_pool) {
        rc = qb_fail(QB_ENOMEM, "out of memory");
        goto out;
    }
    rc = qb_pin_self(qb_cpu_nth(0), &saved);
    if (rc) goto out;
    pinned = true;
    const int maxt = qb_cpu_count();
    /* Pin every thread of the largest team once; OpenMP reuses the threads. */
#pragma omp parallel num_threads(maxt)
    qb_omp_pin_thread();
    rc = settings(res, m);
    if (rc) goto out;
    qb_spin_ns(20000000ull);
    (void)qb_core_ghz();

    if (m->want_lat) rc = latency_rounds(m, 0);
    if (rc == QB_OK && m->want_lat && m->sweep_mode && !qb_interrupted()) {
        rc = latency_capacities(m);
        const int first = add_latency_level_points(m);
        if (rc == QB_OK) rc = latency_rounds(m, first);
    }
    if (rc == QB_OK && m->want_bw && !qb_interrupted()) {
        /* The streaming capacity comes from the sweep's own one-thread read
         * when it has one, else from a read sweep of its own. */
        m->cal_ti = -1;
        for (int ti = 0; ti < m->nthreads && m->sel[0] && !o->levels_only; ti++)
            if (m->threads[ti] == 1) m->cal_ti = ti;
        if (!o->levels_only) {
            for (int si = 0; si < m->nbw; si++) m->bw[si].want = m->nthreads >= 32 ? ~0u : (1u << m->nthreads) - 1;
            rc = bandwidth_rounds(m);
        }
        if (rc == QB_OK && m->sweep_mode && m->cal_ti < 0) rc = calibration_rounds(m);
        if (rc == QB_OK && m->sweep_mode && !qb_interrupted()) {
            streaming_capacities(m);
            add_bandwidth_level_points(m);
            rc = bandwidth_rounds(m);
        }
        int extra = 0;
        if (rc == QB_OK) rc = confirm_rounds(m, &extra);
        if (rc == QB_OK) rc = qb_settings_put(res, "probe.mem", "confirming_rounds", extra);
    }
    qb_progress_done();
    const int keep = rc;
    if (rc == QB_OK || rc == QB_EINTR) {
        rc = qb_mem_records(res, m);
        if (rc == QB_OK) rc = keep;
    }
    if (rc == QB_OK && qb_interrupted()) rc = qb_fail(QB_EINTR, "probe mem: interrupted");
out:
    if (pinned) qb_unpin_self(&saved);
    if (m->lat_pool)
        for (int i = 0; i < QB_MEM_RUN_MAX_PTS; i++) qb_pooled_free(&m->lat_pool[i]);
    if (m->bw_pool)
        for (size_t i = 0; i < (size_t)m->nthreads * QB_MEM_RUN_MAX_PTS * QB_MEM_RUN_MAX_K; i++) qb_pooled_free(&m->bw_pool[i]);
    if (m->cal_pool)
        for (int i = 0; i < QB_MEM_RUN_MAX_PTS; i++) qb_pooled_free(&m->cal_pool[i]);
    free(m->lat_pool);
    free(m->bw_pool);
    free(m->cal_pool);
    free(m);
    return rc;
}
