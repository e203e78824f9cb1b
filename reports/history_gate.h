/* The base side of the regression gate read from the results history: the
 * last runs of one branch on the machine the new runs come from, every run's
 * round medians added to the gate's base side as a results file's would be. */
#ifndef QB_HISTORY_GATE_H
#define QB_HISTORY_GATE_H

#include "gate.h"
#include "history_db.h"

#include <stddef.h>

typedef struct {
    /* NULL: QB_HISTORY_GATE_BRANCH_DEFAULT; when the machine has no run of
     * it, the branch the history holds the first new run under, else that
     * run's tool.branch. */
    const char *branch;
    long last; /* base runs, the latest by start time */
} qb_hgate_query;

typedef struct {
    char machine[17];                /* fingerprint of the first new run's machine */
    char branch[128];                /* the branch the base runs are of */
    size_t runs;                     /* base runs found, at most last */
    char oldest[48], newest[48];     /* their first and last commits */
} qb_hgate_base;

/* Fill side 0 of g from the history h: the last q->last runs of the branch
 * on the machine of news[0], leaving out any of the new runs that the
 * history holds itself. Each run adds, per metric o->filter selects, its
 * round medians (else the median of its samples, else its value), with the
 * metric's unit, direction, primary flag and its record's gate flag as
 * stored. Call it after the new runs are on side 1, so that base metrics are
 * added in the order of the gate's entries. QB_EINPUT, one line, when the
 * history holds no such run; a warning in g when fewer than q->last. */
int qb_history_gate_base(qb_history *h, const qb_results *news, size_t nnew, const qb_hgate_query *q,
                         qb_gate *g, const qb_gate_options *o, qb_hgate_base *out);

#endif
