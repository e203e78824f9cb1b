#include "mem_levels.h"

#include "defaults.h"
#include "mem_sizes.h"
#include "sysinfo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cmp_point(const void *a, const void *b)
{
    const double x = ((const qb_mem_point *)a)->bytes, y = ((const qb_mem_point *)b)->bytes;
    return x < y ? -1 : x > y;
}

void qb_mem_points_sort(qb_mem_point *p, int n)
{
    qsort(p, (size_t)n, sizeof *p, cmp_point);
}

double qb_mem_plateau(const qb_mem_point *p, int n, double lo, double hi)
{
    double best = NAN;
    for (int i = 0; i < n; i++)
        if (p[i].bytes >= lo && p[i].bytes <= hi && isfinite(p[i].value) && !(p[i].value >= best))
            best = p[i].value;
    return best;
}

bool qb_mem_bracket(const qb_mem_point *p, int n, double from, double thr, double *a, double *b)
{
    for (int i = 1; i < n; i++) {
        if (p[i - 1].bytes < from) continue;
        if (p[i - 1].value < thr && p[i].value >= thr) {
            *a = p[i - 1].bytes;
            *b = p[i].bytes;
            return true;
        }
    }
    return false;
}

double qb_mem_crossing(const qb_mem_point *p, int n, double from, double thr)
{
    for (int i = 1; i < n; i++) {
        if (p[i - 1].bytes < from) continue;
        const double v0 = p[i - 1].value, v1 = p[i].value;
        if (!(v0 < thr && v1 >= thr)) continue;
        const double f = (thr - v0) / (v1 - v0);
        return exp(log(p[i - 1].bytes) + f * (log(p[i].bytes) - log(p[i - 1].bytes)));
    }
    return NAN;
}

int qb_mem_levels_from_sysfs(qb_mem_level *out, int max)
{
    qb_cache c[QB_MAX_CACHES];
    const int nc = qb_sysinfo_caches(c, QB_MAX_CACHES);
    int n = 0;
    for (int lvl = 1; lvl <= QB_MEM_MAX_LEVELS && n < max - 1; lvl++) {
        for (int i = 0; i < nc; i++) {
            if (c[i].level != lvl || strcasecmp(c[i].type, "instruction") == 0 || c[i].bytes <= 0)
                continue;
            qb_mem_level *l = &out[n++];
            memset(l, 0, sizeof *l);
            snprintf(l->name, sizeof l->name, "L%d", lvl);
            l->sysfs_bytes = (double)c[i].bytes;
            l->per_core = c[i].shared_by <= 1;
            break;
        }
    }
    qb_mem_level *d = &out[n++];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "DRAM");
    return n;
}

/* What the levels above `which` hold on `threads` threads, by sysfs. */
static double held_above(const qb_mem_level *lv, int which, int threads)
{
    double above = 0;
    for (int k = 0; k < which; k++) above += lv[k].sysfs_bytes * (lv[k].per_core ? threads : 1);
    return above;
}

size_t qb_mem_level_point(const qb_mem_level *lv, int n, int which, int threads, size_t largest,
                          bool streaming)
{
    if (which < 0 || which >= n) return 0;
    const qb_mem_level *l = &lv[which];
    if (l->sysfs_bytes <= 0) return largest; /* DRAM */
    if (l->per_core) return qb_mem_round_size((which == 0 ? 0.5 : 0.25) * l->sysfs_bytes * threads);
    const double lo = QB_MEM_RANGE_START * held_above(lv, which, threads);
    const double measured = streaming ? l->streaming_bytes : l->measured_bytes;
    const double hi = measured > 0 ? measured : l->sysfs_bytes;
    if (lo <= 0) return qb_mem_round_size(0.5 * hi);
    const size_t p = qb_mem_round_size(hi > lo ? sqrt(lo * hi) : lo);
    return p < largest ? p : 0;
}

double qb_mem_level_floor(const qb_mem_level *lv, int n, int which, int threads, size_t largest)
{
    if (which < 0 || which >= n || lv[which].sysfs_bytes <= 0) return (double)largest;
    return which == 0 ? 0 : QB_MEM_RANGE_START * held_above(lv, which, threads);
}

bool qb_mem_level_scales(const qb_mem_level *l, double tn, double t1, int threads)
{
    if (!l->per_core || threads < 2 || !(t1 > 0)) return true;
    return tn >= QB_MEM_SCALE_MIN * threads * t1;
}

void qb_mem_plateau_range(const qb_mem_level *lv, int n, int which, size_t largest, double *lo,
                          double *hi)
{
    if (which >= n - 1 || lv[which].sysfs_bytes <= 0) { /* DRAM: the largest working set */
        *lo = *hi = (double)largest;
        return;
    }
    *lo = which == 0 ? 0 : QB_MEM_RANGE_START * lv[which - 1].sysfs_bytes;
    *hi = lv[which].sysfs_bytes;
}
