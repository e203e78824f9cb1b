/* Mann-Kendall: S counts the pairs i < j that rise minus those that fall;
 * under no trend S has mean 0 and variance n(n-1)(2n+5)/18 less a term per
 * group of tied values, and (S - sign(S)) / sqrt(var) is close to normal.
 * Theil-Sen: the median of the pairwise slopes, a line that outliers barely
 * move. */
#include "trend.h"

#include "changepoint.h"
#include "error.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int qb_trend_compute(const double *x, size_t n, qb_trend *out)
{
    memset(out, 0, sizeof *out);
    out->p = 1;
    if (n < 3) return QB_OK;
    const double med = qb_median_of(x, n);
    const double norm = med != 0 && isfinite(med) ? fabs(med) : 1;
    const size_t npairs = n * (n - 1) / 2;
    double *slopes = malloc(npairs * sizeof *slopes), *sorted = malloc(n * sizeof *sorted);
    if (!slopes || !sorted) {
        free(slopes);
        free(sorted);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            const double dx = x[j] - x[i];
            s += (dx > 0) - (dx < 0);
            slopes[k++] = dx / (double)(j - i);
        }
    /* tie groups */
    memcpy(sorted, x, n * sizeof *sorted);
    qb_sort_doubles(sorted, n);
    double var = (double)n * (double)(n - 1) * (2.0 * (double)n + 5) / 18;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && sorted[j] == sorted[i]) j++;
        const double t = (double)(j - i);
        var -= t * (t - 1) * (2 * t + 5) / 18;
        i = j;
    }
    out->s = s;
    out->z = var > 0 ? (s - (s > 0) + (s < 0)) / sqrt(var) : 0;
    out->p = erfc(fabs(out->z) / sqrt(2.0));
    const double slope = qb_median_of(slopes, npairs);
    for (size_t i = 0; i < n; i++) sorted[i] = x[i] - slope * (double)i;
    const double icpt = qb_median_of(sorted, n);
    double l1 = 0;
    for (size_t i = 0; i < n; i++) l1 += fabs(x[i] - (icpt + slope * (double)i));
    out->slope = slope / norm;
    out->total = out->slope * (double)(n - 1);
    out->l1 = l1 / norm;
    free(slopes);
    free(sorted);
    return QB_OK;
}
