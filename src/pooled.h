/* Samples pooled over several interleaved rounds of a measurement.
 *
 * Interference on a shared machine (another workload on the SMT sibling of
 * this core, the hypervisor) only ever makes a kernel look slower, and it
 * comes and goes over seconds, so one round can be slow as a whole while its
 * spread looks tight. Measuring in rounds interleaved with the other kernels
 * and reporting the best round's median resists that; all samples are kept,
 * and rounds that disagree are said out loud. */
#ifndef QB_POOLED_H
#define QB_POOLED_H

#include "repeat.h"
#include "results.h"

typedef struct {
    double *all;
    double *aux; /* the trials' second quantities, beside all[] */
    int n, cap;
    double round_median[16];
    int round_start[16]; /* index in all[] where each round begins */
    int rounds;
    int added; /* rounds added, also past the 16 remembered */
    int dropped;
    bool target_missed;
    double worst_cv;
} qb_pooled;

/* Add one round's samples. */
int qb_pooled_add(qb_pooled *p, const qb_rep_result *r);

/* A metric of the trials' second quantities, valued at the median of the
 * round whose primary median was best. */
int qb_pooled_record_aux(qb_record *rec, const char *name, const char *unit, int better,
                         const qb_pooled *p, int primary_better);

/* The best round's median in the metric's direction. */
double qb_pooled_best(const qb_pooled *p, int better);

/* The median of the second quantities of the round whose primary median was
 * best (NAN without rounds). */
double qb_pooled_best_aux(const qb_pooled *p, int primary_better);

/* True when the best two rounds' medians agree within tol of the best: a
 * figure two rounds reached is the machine's, not one quiet moment's, and a
 * best round that a busy moment spoiled shows as a gap to the next. */
bool qb_pooled_confirmed(const qb_pooled *p, int better, double tol);

/* Add a metric holding every sample, valued at the best round's median, with
 * notes on dropped trials, missed spread targets and disagreeing rounds. */
int qb_pooled_record(qb_record *rec, const char *name, const char *unit, int better,
                     const qb_pooled *p, double target_cv);

/* The notes on a measurement's trials qb_pooled_record adds: a round's
 * spread above target_cv (worst_cv, when target_missed) and dropped trials. */
int qb_pooled_note_trials(qb_record *rec, const char *name, bool target_missed, double worst_cv,
                          double target_cv, int dropped);

void qb_pooled_free(qb_pooled *p);

/* Rounds disagreeing by more than this are reported. */
#define QB_ROUNDS_DISAGREE 0.03

#endif
