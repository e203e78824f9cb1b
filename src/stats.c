#include "stats.h"

#include "error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void qb_sort_doubles(double *x, size_t n) { qsort(x, n, sizeof *x, cmp_double); }

double qb_percentile_sorted(const double *s, size_t n, double p)
{
    if (n == 0) return NAN;
    if (p <= 0) return s[0];
    if (p >= 100) return s[n - 1];
    const double h = (double)(n - 1) * p / 100.0;
    const size_t lo = (size_t)floor(h);
    const size_t hi = lo + 1 < n ? lo + 1 : lo;
    return s[lo] + (h - (double)lo) * (s[hi] - s[lo]);
}

int qb_stats_compute(const double *x, size_t n, qb_stats *st)
{
    memset(st, 0, sizeof *st);
    if (n == 0) return qb_fail(QB_EINPUT, "statistics of an empty sample");
    double *s = malloc(n * sizeof *s);
    if (!s) return qb_fail(QB_ENOMEM, "out of memory for %zu samples", n);
    int rc = QB_OK;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            rc = qb_fail(QB_EINPUT, "sample %zu is not a finite number", i);
            goto out;
        }
        s[i] = x[i];
        sum += x[i];
    }
    qb_sort_doubles(s, n);
    st->n = n;
    st->min = s[0];
    st->max = s[n - 1];
    st->mean = sum / (double)n;
    st->median = qb_percentile_sorted(s, n, 50);
    st->p25 = qb_percentile_sorted(s, n, 25);
    st->p75 = qb_percentile_sorted(s, n, 75);
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (x[i] - st->mean) * (x[i] - st->mean);
    st->stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
    st->cv = st->mean != 0 ? st->stddev / fabs(st->mean) : 0;
    for (size_t i = 0; i < n; i++) s[i] = fabs(x[i] - st->median);
    qb_sort_doubles(s, n);
    st->mad = qb_percentile_sorted(s, n, 50);
out:
    free(s);
    return rc;
}

/* The k-th smallest of a[0..n) (Hoare's selection; a is reordered). */
static double select_kth(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        const double pivot = a[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                const double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return a[k];
    }
    return a[k];
}

double qb_median_of(const double *x, size_t n)
{
    if (n == 0) return NAN;
    double small[64], *s = n <= 64 ? small : malloc(n * sizeof *s);
    if (!s) return NAN;
    memcpy(s, x, n * sizeof *s);
    double m = select_kth(s, n, n / 2);
    if (n % 2 == 0) {
        /* the lower middle is the largest of the lower half */
        double lower = s[0];
        for (size_t i = 1; i < n / 2; i++)
            if (s[i] > lower) lower = s[i];
        m = 0.5 * (lower + m);
    }
    if (s != small) free(s);
    return m;
}
