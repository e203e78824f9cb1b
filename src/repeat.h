/* The repetition policy every measurement uses: warm up, then repeat until
 * enough samples are kept and either the spread target is met or the time
 * budget is spent; trials that were preempted are dropped. */
#ifndef QB_REPEAT_H
#define QB_REPEAT_H

#include "stats.h"

#include <stdbool.h>

typedef struct {
    int warmup;
    int min_reps;
    int max_reps;
    double budget_s;
    double target_cv;
    int max_dropped;
    int rounds; /* interleaved rounds, for probes that measure in rounds (pooled.h) */
} qb_rep_policy;

/* The defaults of defaults.h, or their --quick variant. */
qb_rep_policy qb_rep_policy_default(bool quick);

/* Validates a policy (for values that came from the command line). */
int qb_rep_policy_check(const qb_rep_policy *p);

/* A trial measures once and stores its value in v[0] (and, if it has one, a
 * second quantity measured in the same trial in v[1]). It returns QB_OK, a negative
 * QB_E* code to abort, or QB_TRIAL_DROP when it knows the sample is bad (the
 * clock changed under it, another thread was preempted). */
#define QB_TRIAL_DROP 2
typedef int (*qb_trial_fn)(void *ctx, double v[2]);

typedef struct {
    double *samples; /* kept samples, in the order measured (caller frees) */
    double *aux;     /* v[1] of the kept trials */
    int n;
    int dropped;     /* preempted or self-dropped trials */
    bool target_met; /* cv <= target_cv */
    bool budget_hit; /* stopped by the time budget before the target */
    double elapsed_s;
    qb_stats st;
} qb_rep_result;

int qb_repeat(const qb_rep_policy *p, qb_trial_fn fn, void *ctx, qb_rep_result *out);

void qb_rep_result_free(qb_rep_result *r);

#endif
