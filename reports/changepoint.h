/* Steps in a series of per-run figures: a penalised segmentation (optimal
 * partitioning with a robust L1 cost, the segments' medians as levels), each
 * step then judged by a permutation test of the ranks on either side and by
 * its size. */
#ifndef QB_CHANGEPOINT_H
#define QB_CHANGEPOINT_H

#include <stddef.h>
#include <stdint.h>

/* Points one series may have: the segment costs take (n + 1)^2 doubles. */
#define QB_CP_MAX_POINTS 2000

typedef struct {
    double penalty;     /* per change point, times ln(n), in units of the noise */
    size_t min_segment; /* points on each side of a step, at least 2 */
    double min_effect;  /* smallest |after/before - 1| reported */
    double alpha;       /* largest permutation p-value reported */
    int permutations;
    uint64_t seed;
} qb_cp_options;

void qb_cp_options_default(qb_cp_options *o);

typedef struct {
    size_t at;            /* index of the first point after the step */
    double before, after; /* medians of the segments on either side */
    double change;        /* after / before - 1 */
    double p;             /* permutation p-value of the rank sums on either side */
} qb_cp_step;

/* Steps of x[0..n) (n >= 1), at most max, oldest first. cost (may be NULL)
 * receives the segmentation's penalised cost in units of the noise, scale
 * the noise (the L1 scale of the points relative to their median): what
 * qb_trend_better compares a straight line against. */
int qb_changepoints(const double *x, size_t n, const qb_cp_options *o, qb_cp_step *steps, size_t max,
                    size_t *nsteps, double *cost, double *scale);

#endif
