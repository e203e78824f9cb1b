#include "mannwhitney.h"

#include "error.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double qb_normal_sf(double z) { return 0.5 * erfc(z / sqrt(2.0)); }

/* Counts of the arrangements of n1 x's and n2 y's by their U (pairs with the
 * x above the y), out[0..n1*n2]. The largest element is either an x, which
 * beats all n y's below it, or a y, which beats none:
 *   f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u).
 * Only additions of positive terms, so doubles keep full relative precision
 * even where the counts pass 2^53. Row m needs only row m-1. */
static int exact_counts(size_t n1, size_t n2, double **out)
{
    *out = NULL;
    size_t *off = malloc((n2 + 2) * sizeof *off);
    if (!off) return qb_fail(QB_ENOMEM, "out of memory");
    off[0] = 0;
    for (size_t n = 0; n <= n2; n++) off[n + 1] = off[n] + n1 * n + 1;
    const size_t total = off[n2 + 1];
    double *prev = calloc(total, sizeof *prev), *cur = calloc(total, sizeof *cur);
    double *res = malloc((n1 * n2 + 1) * sizeof *res);
    int rc = QB_OK;
    if (!prev || !cur || !res) {
        rc = qb_fail(QB_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t n = 0; n <= n2; n++) prev[off[n]] = 1; /* m = 0: U is 0 */
    for (size_t m = 1; m <= n1; m++) {
        cur[off[0]] = 1; /* n = 0: U is 0 */
        for (size_t n = 1; n <= n2; n++) {
            double *c = cur + off[n];
            const double *a = prev + off[n];    /* f(m-1, n, .), u up to (m-1)n */
            const double *b = cur + off[n - 1]; /* f(m, n-1, .), u up to m(n-1) */
            for (size_t u = 0; u <= m * n; u++) {
                double v = 0;
                if (u >= n && u - n <= (m - 1) * n) v += a[u - n];
                if (u <= m * (n - 1)) v += b[u];
                c[u] = v;
            }
        }
        double *t = prev;
        prev = cur;
        cur = t;
    }
    memcpy(res, prev + off[n2], (n1 * n2 + 1) * sizeof *res);
    *out = res;
    res = NULL;
out:
    free(off);
    free(prev);
    free(cur);
    free(res);
    return rc;
}

int qb_mwu_exact_cdf(size_t n1, size_t n2, double u, double *p)
{
    if (n1 == 0 || n2 == 0 || n1 >= QB_MWU_EXACT_MAX || n2 >= QB_MWU_EXACT_MAX || isnan(u))
        return qb_fail(QB_EINPUT, "exact U distribution: sizes %zu and %zu are outside 1..%d", n1,
                       n2, QB_MWU_EXACT_MAX - 1);
    if (u < 0) {
        *p = 0;
        return QB_OK;
    }
    const size_t umax = n1 * n2;
    if (u >= (double)umax) {
        *p = 1;
        return QB_OK;
    }
    double *f;
    /* The distribution is the same with the samples swapped; the smaller one
     * as n1 keeps the work arrays small. */
    const int rc = n1 <= n2 ? exact_counts(n1, n2, &f) : exact_counts(n2, n1, &f);
    if (rc) return rc;
    const size_t k = (size_t)floor(u);
    double below = 0, all = 0;
    for (size_t i = 0; i <= umax; i++) {
        all += f[i];
        if (i <= k) below += f[i];
    }
    free(f);
    *p = below / all;
    return QB_OK;
}

int qb_mwu_test_sorted(const double *x, size_t n1, const double *y, size_t n2, qb_mwu_result *out)
{
    memset(out, 0, sizeof *out);
    if (n1 == 0 || n2 == 0) return qb_fail(QB_EINPUT, "U test: a sample is empty");
    /* Walk both sorted samples together: each run of equal values shares the
     * average of the ranks it spans; x's share goes to its rank sum, and the
     * run adds t^3 - t to the tie correction of the variance. */
    double rank_sum_x = 0, tie_term = 0, pos = 0;
    size_t i = 0, j = 0;
    while (i < n1 || j < n2) {
        const double v = j >= n2 || (i < n1 && x[i] <= y[j]) ? x[i] : y[j];
        if (!isfinite(v)) return qb_fail(QB_EINPUT, "U test: a sample is not a finite number");
        size_t tx = 0, ty = 0;
        while (i < n1 && x[i] == v) i++, tx++;
        while (j < n2 && y[j] == v) j++, ty++;
        if (tx + ty == 0) return qb_fail(QB_EINPUT, "U test: samples are not sorted");
        const double t = (double)(tx + ty);
        rank_sum_x += (double)tx * (pos + (t + 1) / 2);
        if (t > 1) {
            out->ties = true;
            tie_term += t * t * t - t;
        }
        pos += t;
    }
    const double nn1 = (double)n1, nn2 = (double)n2, nn = (double)(n1 + n2);
    out->n1 = n1;
    out->n2 = n2;
    out->u1 = rank_sum_x - nn1 * (nn1 + 1) / 2;
    out->u2 = nn1 * nn2 - out->u1;
    if (!out->ties && n1 < QB_MWU_EXACT_MAX && n2 < QB_MWU_EXACT_MAX) {
        double lower;
        const int rc = qb_mwu_exact_cdf(n1, n2, fmin(out->u1, out->u2), &lower);
        if (rc) return rc;
        out->exact = true;
        out->p = fmin(1.0, 2 * lower);
        return QB_OK;
    }
    const double mu = nn1 * nn2 / 2;
    const double var = nn1 * nn2 / 12 * ((nn + 1) - tie_term / (nn * (nn - 1)));
    if (!(var > 0)) { /* every value equal: nothing tells the samples apart */
        out->p = 1;
        return QB_OK;
    }
    const double d = fmax(0.0, fabs(out->u1 - mu) - 0.5);
    out->z = copysign(d / sqrt(var), out->u1 - mu);
    out->p = fmin(1.0, 2 * qb_normal_sf(fabs(out->z)));
    return QB_OK;
}

int qb_mwu_test(const double *x, size_t n1, const double *y, size_t n2, qb_mwu_result *out)
{
    memset(out, 0, sizeof *out);
    if (n1 == 0 || n2 == 0) return qb_fail(QB_EINPUT, "U test: a sample is empty");
    for (size_t i = 0; i < n1 + n2; i++)
        if (!isfinite(i < n1 ? x[i] : y[i - n1]))
            return qb_fail(QB_EINPUT, "U test: sample %zu is not a finite number", i);
    double *s = malloc((n1 + n2) * sizeof *s);
    if (!s) return qb_fail(QB_ENOMEM, "out of memory for %zu samples", n1 + n2);
    memcpy(s, x, n1 * sizeof *s);
    memcpy(s + n1, y, n2 * sizeof *s);
    qb_sort_doubles(s, n1);
    qb_sort_doubles(s + n1, n2);
    const int rc = qb_mwu_test_sorted(s, n1, s + n1, n2, out);
    free(s);
    return rc;
}
