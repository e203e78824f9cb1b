/* Summary statistics of a sample. */
#ifndef QB_STATS_H
#define QB_STATS_H

#include <stddef.h>

typedef struct {
    size_t n;
    double min, max, mean, median;
    double stddev; /* sample standard deviation (n - 1); 0 when n < 2 */
    double cv;     /* stddev / |mean|; 0 when the mean is 0 */
    double p25, p75;
    double mad;    /* median absolute deviation from the median */
} qb_stats;

/* Percentile p in [0, 100] of a sorted array, linear interpolation between
 * closest ranks (the common "type 7" definition). */
double qb_percentile_sorted(const double *sorted, size_t n, double p);

/* Fill st from x[0..n). Returns QB_OK, or QB_EINPUT when n == 0 or a value is not finite. */
int qb_stats_compute(const double *x, size_t n, qb_stats *st);

/* Sort a copy-free array of doubles ascending. */
void qb_sort_doubles(double *x, size_t n);

/* The median of x[0..n), x left unchanged: the middle value, or the mean of
 * the two middle ones; NAN when n is 0. */
double qb_median_of(const double *x, size_t n);

#endif
