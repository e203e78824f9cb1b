/* The regression gate: each record's primary metric judged on the medians of
 * the rounds it was measured in, base side against new side.
 *
 * A gate is filled run by run (qb_gate_add_run): each side may hold one
 * results file or many (the runs of qbench ab, several files, or earlier
 * runs kept elsewhere); every round median of every run adds one value to
 * its side. qb_gate_judge then decides, per record:
 *  - the primary metric is the record's time ("time", else the first
 *    lower-is-better metric in a time unit), else its first directed metric
 *    with samples; the record's other directed metrics (rates, GOP/s,
 *    bandwidth, derived from the same trials) are shown, never gated;
 *  - a side with fewer than min_rounds values leaves the metric unjudged
 *    (QB_GATE_FEW_ROUNDS) with a warning;
 *  - it regresses when the medians of the round medians moved the bad way by
 *    more than min_effect and the two-sided Mann-Whitney U test on the round
 *    medians gives p < alpha, moving the same way;
 *  - mde: the smallest relative change this comparison could detect (see
 *    qb_gate_mde). */
#ifndef QB_GATE_H
#define QB_GATE_H

#include "results.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    QB_GATE_UNCHANGED,  /* tested: no change past the minimum effect, or not significant */
    QB_GATE_IMPROVED,
    QB_GATE_REGRESSED,
    QB_GATE_FEW_ROUNDS, /* fewer than min_rounds on a side: not judged */
    QB_GATE_DERIVED,    /* not the record's primary metric: shown only */
    QB_GATE_ONE_SIDE,   /* found on one side only */
} qb_gate_status;
#define QB_GATE_NSTATUS (QB_GATE_ONE_SIDE + 1)

const char *qb_gate_status_name(qb_gate_status s);

typedef struct {
    double min_effect;   /* relative change below which nothing gates */
    double alpha;        /* significance level of the U test */
    long min_rounds;     /* per side */
    const char *filter;  /* "ID[:METRIC]" patterns as in qbench compare; NULL: all */
    const char *fail_on; /* patterns that gate; NULL: records not marked gate: false */
    bool any_machine;    /* runs of different machines: a warning instead of an error */
} qb_gate_options;

void qb_gate_options_default(qb_gate_options *o);

typedef struct {
    char *id, *group, *metric, *unit; /* group: the id up to its second '/' */
    int better;
    bool primary;       /* the record's gated metric */
    bool no_gate;       /* a record marked gate: false on some side, not named by fail_on */
    double *rounds[2];  /* round medians, [0] base, [1] new */
    size_t n[2], cap[2];
    /* filled by qb_gate_judge */
    double base, cur;   /* medians of the round medians; NAN when a side has none */
    double change;      /* (cur - base) / |base|; NAN when base is 0 or a side is empty */
    double worse;       /* the change in the bad direction: > 0 is worse */
    double p;           /* U test; NAN when not tested */
    double mde;         /* relative; INFINITY when the rounds cannot reach alpha */
    qb_gate_status status;
    bool gating;        /* a primary metric whose regression fails the gate */
} qb_gate_metric;

#define QB_GATE_MAX_WARNINGS 8

typedef struct {
    qb_gate_metric *m;
    size_t nm, cap;
    size_t runs[2];
    cJSON *machine;     /* the first run's, to check the others against */
    int quick;          /* -1 unknown, 0 full, 1 quick: the first run's */
    size_t values_hint; /* the entry qb_gate_add_values looks at first */
    char warnings[QB_GATE_MAX_WARNINGS][256];
    int nwarnings;
    /* filled by qb_gate_judge */
    size_t count[QB_GATE_NSTATUS];
    size_t gated, regressions; /* gating metrics tested; of them, regressed */
} qb_gate;

/* Add the records of one run to side 0 (base) or 1 (new); name (a file
 * name) is what messages call the run. QB_EINPUT when the run comes from
 * another machine than the first run (unless any_machine), or a metric's
 * unit or direction differs from an earlier run's; QB_EUSAGE for a
 * malformed pattern. */
int qb_gate_add_run(qb_gate *g, int side, const qb_results *r, const char *name,
                    const qb_gate_options *o);

/* Add values (round medians) of one metric to side 0 or 1 directly, for
 * runs kept in another form than a results document (a database of earlier
 * runs): id and metric name it, unit and better as in qb_metric; primary:
 * it is its record's gated metric; gate false: its record is marked gate:
 * false. Values that are not finite are skipped; better none is ignored.
 * QB_EINPUT when unit or better differ from values added before. Runs added
 * this way are not counted in runs[] and not checked for their machine: the
 * caller selects them by machine. */
int qb_gate_add_values(qb_gate *g, int side, const char *id, const char *metric, const char *unit, int better,
                       bool primary, bool gate, const double *v, size_t n);

/* Add a warning that the gate's output prints (beyond QB_GATE_MAX_WARNINGS
 * it is dropped): what a caller that filled a side found worth saying. */
void qb_gate_warn(qb_gate *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Judge every metric. QB_EINPUT when no primary metric is on both sides
 * (results of different suites). */
int qb_gate_judge(qb_gate *g, const qb_gate_options *o);

void qb_gate_free(qb_gate *g);

/* The smallest relative change, in a metric's bad direction, that the U
 * test at alpha on rounds of these counts and spreads finds with probability
 * QB_GATE_POWER: the normal approximation on the logarithms, with each
 * side's spread a robust standard deviation (1.4826 x the median absolute
 * deviation) and the U test's efficiency against the t test (3/pi) taken
 * into account. INFINITY when even the most extreme ordering of the rounds
 * cannot give p < alpha. */
double qb_gate_mde(const double *base, size_t nb, const double *cur, size_t nc, double alpha);

/* Geometric mean of new/base over the tested primary metrics of one group,
 * each oriented so that above 1 is better; NAN when none. n: metrics in it. */
double qb_gate_group_geomean(const qb_gate *g, const char *group, size_t *n);

#endif
