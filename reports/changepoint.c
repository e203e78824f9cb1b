/* Change points by optimal partitioning: the segmentation of the series that
 * minimises the sum of each segment's L1 cost around its median, divided by
 * the noise scale, plus a penalty per change point. Every segment cost comes
 * from a running median (two heaps) as the segment grows, so a series of n
 * points costs O(n^2 log n). Each step found is then tested: the difference
 * of ranks on either side (the Mann-Whitney statistic) against random
 * shuffles of those points. */
#include "changepoint.h"

#include "defaults.h"
#include "error.h"
#include "stats.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void qb_cp_options_default(qb_cp_options *o)
{
    o->penalty = QB_HISTORY_PENALTY_DEFAULT;
    o->min_segment = QB_HISTORY_MIN_SEGMENT;
    o->min_effect = QB_HISTORY_MIN_EFFECT_DEFAULT;
    o->alpha = QB_HISTORY_ALPHA_DEFAULT;
    o->permutations = QB_HISTORY_PERMUTATIONS;
    o->seed = QB_HISTORY_SEED;
}

/* ---- running median: a max-heap of the lower half, a min-heap of the upper ---- */

typedef struct {
    double *lo, *hi; /* lo stores negated values, so both are min-heaps */
    size_t nlo, nhi;
    double sum_lo, sum_hi;
} run_median;

static void heap_push(double *h, size_t *n, double v)
{
    size_t i = (*n)++;
    h[i] = v;
    while (i > 0 && h[(i - 1) / 2] > h[i]) {
        const double t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static double heap_pop(double *h, size_t *n)
{
    const double top = h[0];
    h[0] = h[--*n];
    for (size_t i = 0;;) {
        size_t m = i;
        const size_t l = 2 * i + 1, r = l + 1;
        if (l < *n && h[l] < h[m]) m = l;
        if (r < *n && h[r] < h[m]) m = r;
        if (m == i) break;
        const double t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
    return top;
}

static void rm_add(run_median *r, double v)
{
    if (r->nlo == 0 || v <= -r->lo[0]) {
        heap_push(r->lo, &r->nlo, -v);
        r->sum_lo += v;
    } else {
        heap_push(r->hi, &r->nhi, v);
        r->sum_hi += v;
    }
    if (r->nlo > r->nhi + 1) {
        const double m = -heap_pop(r->lo, &r->nlo);
        r->sum_lo -= m;
        heap_push(r->hi, &r->nhi, m);
        r->sum_hi += m;
    } else if (r->nhi > r->nlo) {
        const double m = heap_pop(r->hi, &r->nhi);
        r->sum_hi -= m;
        heap_push(r->lo, &r->nlo, -m);
        r->sum_lo += m;
    }
}

/* Sum of |x - median| over the points added so far. */
static double rm_l1(const run_median *r)
{
    const double m = -r->lo[0];
    return (m * (double)r->nlo - r->sum_lo) + (r->sum_hi - m * (double)r->nhi);
}

/* ---- the permutation test ---- */

static uint64_t next_rand(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

typedef struct {
    double v;
    size_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const double x = ((const ranked *)a)->v, y = ((const ranked *)b)->v;
    return (x > y) - (x < y);
}

/* Permutation p-value of the rank-sum of x[na..n) against x[0..na): the
 * Mann-Whitney statistic, with mid-ranks for ties, over shuffles of the
 * ranks. Ranks keep one outlier from deciding, and ties from hiding a
 * clean split. */
static double perm_p(const double *x, size_t na, size_t n, const qb_cp_options *o, uint64_t seed)
{
    ranked *r = malloc(n * sizeof *r);
    double *rank = malloc(n * sizeof *rank);
    if (!r || !rank) {
        free(r);
        free(rank);
        return NAN;
    }
    for (size_t i = 0; i < n; i++) r[i] = (ranked){x[i], i};
    qsort(r, n, sizeof *r, cmp_ranked);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && r[j].v == r[i].v) j++;
        for (size_t k = i; k < j; k++) rank[r[k].i] = 0.5 * (double)(i + j + 1);
        i = j;
    }
    const double expect = (double)(n - na) * (double)(n + 1) / 2;
    double sum = 0;
    for (size_t i = na; i < n; i++) sum += rank[i];
    const double obs = fabs(sum - expect);
    int hits = 0;
    for (int k = 0; k < o->permutations; k++) {
        /* a random choice of the n - na "after" ranks: a partial shuffle */
        double s = 0;
        for (size_t i = n - 1; i + 1 > na; i--) {
            const size_t j = (size_t)(next_rand(&seed) % (i + 1));
            const double t = rank[i];
            rank[i] = rank[j];
            rank[j] = t;
            s += rank[i];
            if (i == 0) break;
        }
        /* a tolerance so that ties with the observed split count as hits */
        hits += fabs(s - expect) >= obs - 1e-9;
    }
    free(r);
    free(rank);
    return (1.0 + hits) / (1.0 + o->permutations);
}

/* ---- segmentation ---- */

/* Optimal partitioning of y[0..n): cut[] receives the change points (the
 * first index of each new segment), their count is returned, total the
 * penalised cost. c[s * (n + 1) + t] is the cost of segment [s, t). */
static size_t segment(const double *y, size_t n, size_t minseg, double beta, double scale, double *c,
                      double *f, size_t *from, size_t *cut, double *total, run_median *rm)
{
    const size_t w = n + 1;
    for (size_t s = 0; s < n; s++) {
        rm->nlo = rm->nhi = 0;
        rm->sum_lo = rm->sum_hi = 0;
        for (size_t t = s + 1; t <= n; t++) {
            rm_add(rm, y[t - 1]);
            c[s * w + t] = rm_l1(rm) / scale;
        }
    }
    f[0] = -beta;
    for (size_t t = 1; t <= n; t++) {
        f[t] = INFINITY;
        from[t] = 0;
        for (size_t s = 0; s + minseg <= t; s++) {
            if (s > 0 && s < minseg) continue;
            if (!isfinite(f[s])) continue;
            const double v = f[s] + c[s * w + t] + beta;
            if (v < f[t]) {
                f[t] = v;
                from[t] = s;
            }
        }
    }
    if (!isfinite(f[n])) { /* shorter than two segments: one segment */
        *total = c[0 * w + n];
        return 0;
    }
    *total = f[n];
    size_t k = 0;
    for (size_t t = n; from[t] > 0; t = from[t]) cut[k++] = from[t];
    for (size_t i = 0; i < k / 2; i++) {
        const size_t tmp = cut[i];
        cut[i] = cut[k - 1 - i];
        cut[k - 1 - i] = tmp;
    }
    return k;
}

/* Median and p-value of the step at cut[i] between its neighbouring cuts. */
static void judge(const double *x, size_t n, const size_t *cut, size_t k, size_t i, const qb_cp_options *o,
                  qb_cp_step *st)
{
    const size_t a = i > 0 ? cut[i - 1] : 0, m = cut[i], b = i + 1 < k ? cut[i + 1] : n;
    st->at = m;
    st->before = qb_median_of(x + a, m - a);
    st->after = qb_median_of(x + m, b - m);
    st->change = st->before != 0 ? st->after / st->before - 1 : NAN;
    st->p = perm_p(x + a, m - a, b - a, o, o->seed + m);
}

int qb_changepoints(const double *x, size_t n, const qb_cp_options *o, qb_cp_step *steps, size_t max,
                    size_t *nsteps, double *cost, double *scale)
{
    *nsteps = 0;
    if (n == 0) return qb_fail(QB_EINPUT, "change points of an empty series");
    if (n > QB_CP_MAX_POINTS)
        return qb_fail(QB_EUSAGE, "change points: %zu runs in one series, at most %d", n, QB_CP_MAX_POINTS);
    const size_t minseg = o->min_segment < 2 ? 2 : o->min_segment;
    /* Relative to the median, so the noise scale is a fraction. */
    const double med = qb_median_of(x, n);
    const double norm = med != 0 && isfinite(med) ? fabs(med) : 1;
    double *y = malloc(n * sizeof *y), *d = malloc(n * sizeof *d);
    double *c = malloc((n + 1) * (n + 1) * sizeof *c), *f = malloc((n + 1) * sizeof *f);
    double *lo = malloc(n * sizeof *lo), *hi = malloc(n * sizeof *hi);
    size_t *from = malloc((n + 1) * sizeof *from), *cut = malloc((n + 1) * sizeof *cut);
    int rc = y && d && c && f && lo && hi && from && cut ? QB_OK : qb_fail(QB_ENOMEM, "out of memory");
    if (rc) goto out;
    for (size_t i = 0; i < n; i++) y[i] = x[i] / norm;
    /* The noise: the L1 scale of the points around a local level, from the
     * median absolute difference of neighbours (steps and drifts barely move
     * it). For Gaussian noise of deviation s that median is 0.954 s and the
     * mean absolute deviation 0.798 s. */
    double b = 0;
    if (n >= 2) {
        for (size_t i = 1; i < n; i++) d[i - 1] = fabs(y[i] - y[i - 1]);
        b = qb_median_of(d, n - 1) * (0.798 / 0.954);
    }
    if (!(b > 1e-6)) b = 1e-6;
    if (scale) *scale = b;
    const double beta = o->penalty * log((double)(n > 2 ? n : 2));
    run_median rm = {lo, hi, 0, 0, 0, 0};
    double total = 0;
    size_t k = segment(y, n, minseg, beta, b, c, f, from, cut, &total, &rm);
    if (cost) *cost = total;
    /* Drop the weakest step that fails the test or is too small, re-judging
     * its neighbours over the merged segments, until every step stands. */
    qb_cp_step *st = malloc((k + 1) * sizeof *st);
    if (!st) {
        rc = qb_fail(QB_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < k; i++) judge(x, n, cut, k, i, o, &st[i]);
    for (;;) {
        size_t worst = k;
        double worst_score = 0;
        for (size_t i = 0; i < k; i++) {
            const bool fails = !(st[i].p <= o->alpha) || !(fabs(st[i].change) >= o->min_effect);
            /* the least significant, then the smallest */
            const double score = (st[i].p) * 1e6 - fabs(st[i].change);
            if (fails && (worst == k || score > worst_score)) {
                worst = i;
                worst_score = score;
            }
        }
        if (worst == k) break;
        memmove(&cut[worst], &cut[worst + 1], (k - worst - 1) * sizeof *cut);
        memmove(&st[worst], &st[worst + 1], (k - worst - 1) * sizeof *st);
        k--;
        if (worst > 0) judge(x, n, cut, k, worst - 1, o, &st[worst - 1]);
        if (worst < k) judge(x, n, cut, k, worst, o, &st[worst]);
    }
    for (size_t i = 0; i < k && *nsteps < max; i++) steps[(*nsteps)++] = st[i];
    free(st);
out:
    free(y);
    free(d);
    free(c);
    free(f);
    free(lo);
    free(hi);
    free(from);
    free(cut);
    return rc;
}
