/* The interpreter probe's worker processes (interp_worker.c) and what each
 * sends its parent (interp.c) through a pipe: a head, then per kind it
 * measured a report followed by the report's samples. */
#ifndef QB_INTERP_WORKER_H
#define QB_INTERP_WORKER_H

#include "repeat.h"

#include <stdbool.h>

enum { QB_IK_EMPTY, QB_IK_ADD_INT, QB_IK_ADD_FLOAT, QB_IK_N };
/* The records' names of the kinds: empty-loop, add-int, add-float. */
extern const char *const qb_interp_kind_names[QB_IK_N];

/* What a worker sends first. */
typedef struct {
    int rc;        /* its outcome: QB_OK, QB_EINTR (it kept what it finished) or an error */
    long n;        /* the loop count it ran */
    char msg[240]; /* the error's line */
} qb_interp_head;

/* What a worker sends per kind after its head: this, then nsamples trials'
 * ns per iteration and nsamples cycles. kind -1 ends the report. */
typedef struct {
    int kind, nsamples, dropped, target_missed;
    double worst_cv;
    double fig, fig_cycles; /* its best round's medians */
    double loop, empty;     /* an addition's halves' medians (NAN for the empty loop) */
    double timeit;          /* timeit's figure in the same process (NAN for the empty loop, and
                             * when the worker was interrupted before any round's timeit) */
} qb_interp_report;

/* The worker: in a forked child, start an interpreter, measure the kinds
 * sel[] names in rounds (pol), each round followed by timeit, and report through
 * fd; n is the loop count, or 0 to size it to trial_us. Worker `worker` of
 * `workers` (numbered from 0) shifts its heap by its own amount first. It
 * ends the process. */
_Noreturn void qb_interp_worker(long n, const bool sel[QB_IK_N], const qb_rep_policy *pol, double trial_us,
                                int fd, int worker, int workers);

#endif
