/* The two-sided Mann-Whitney U test (Wilcoxon rank-sum): do two samples come
 * from the same distribution, or does one tend to be larger? It assumes
 * nothing about the shape of the distribution, which suits timings: skewed,
 * with a long tail from interference.
 *
 * Small samples without ties use the exact null distribution of U; otherwise
 * the normal approximation with the tie-corrected variance and a continuity
 * correction (the conventions of R's wilcox.test and SciPy's mannwhitneyu). */
#ifndef QB_MANNWHITNEY_H
#define QB_MANNWHITNEY_H

#include <stdbool.h>
#include <stddef.h>

/* The exact distribution is used while both samples are smaller than this and
 * no value is tied; beyond it the normal approximation is within 1e-3 of it. */
#define QB_MWU_EXACT_MAX 50

typedef struct {
    size_t n1, n2;
    double u1;     /* pairs (x_i, y_j) with x_i > y_j, a tie counting one half */
    double u2;     /* n1 * n2 - u1: pairs with y_j > x_i */
    double z;      /* standardised statistic of the normal approximation; 0 when exact */
    double p;      /* two-sided p-value */
    bool exact;    /* the exact null distribution gave p */
    bool ties;     /* some value occurs in both or twice in one sample */
} qb_mwu_result;

/* Test x[0..n1) against y[0..n2). QB_EINPUT when a sample is empty or holds a
 * value that is not finite; QB_ENOMEM when the work arrays do not fit. */
int qb_mwu_test(const double *x, size_t n1, const double *y, size_t n2, qb_mwu_result *out);

/* The same on samples already sorted ascending (no copy, no sort). */
int qb_mwu_test_sorted(const double *x, size_t n1, const double *y, size_t n2, qb_mwu_result *out);

/* P(U <= u) when the two samples of sizes n1 and n2 (each below
 * QB_MWU_EXACT_MAX) come from one continuous distribution. */
int qb_mwu_exact_cdf(size_t n1, size_t n2, double u, double *p);

/* P(Z > z) for a standard normal Z. */
double qb_normal_sf(double z);

#endif
