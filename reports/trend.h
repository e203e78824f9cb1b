/* A slow monotone drift in a series: the Mann-Kendall test and the
 * Theil-Sen slope, and whether a straight line explains the series better
 * than a staircase of steps. */
#ifndef QB_TREND_H
#define QB_TREND_H

#include <stddef.h>

typedef struct {
    double slope;  /* Theil-Sen slope per run, relative to the series' median */
    double total;  /* slope x (n - 1): the drift across the series */
    double s, z;   /* Mann-Kendall statistic and its normal score (tie-corrected variance) */
    double p;      /* two-sided p-value of z */
    double l1;     /* sum |residual| around the Theil-Sen line, relative to the median */
} qb_trend;

/* Trend of x[0..n); n < 3 gives p = 1 and no slope. */
int qb_trend_compute(const double *x, size_t n, qb_trend *out);

#endif
