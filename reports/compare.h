/* Comparing two results files: pair records by id, judge each metric in its
 * own direction, and say which changed beyond chance. The command
 * (compare_cmd.c) parses options and picks a formatter (compare_format.c);
 * this part only decides.
 *
 * A metric regresses when all of these hold:
 *  - its reported value (the best round's median) moved in the bad direction
 *    by more than the limit: the larger of --threshold and the noise floor,
 *    the noise floor being --noise times the relative p10..p90 spreads of the
 *    samples of the two files added in quadrature. On a shared machine the
 *    spread within a run says how far the host moves a number, and a whole
 *    run can sit in a slow period, so a change inside it is not evidence even
 *    when the test on the samples (which assumes independent samples) says
 *    "significant";
 *  - the two-sided Mann-Whitney U test on all samples of both files gives
 *    p < --alpha, and the samples moved the same way as the value;
 *  - both files hold at least --min-samples samples of it.
 * With fewer samples a change beyond the limit is "unreliable", not judged. */
#ifndef QB_COMPARE_H
#define QB_COMPARE_H

#include "mannwhitney.h"
#include "results.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    QB_CMP_UNCHANGED,  /* within the limit */
    QB_CMP_NOISE,      /* beyond the limit but not significant, or the samples disagree */
    QB_CMP_IMPROVED,
    QB_CMP_REGRESSED,
    QB_CMP_UNRELIABLE, /* beyond the limit with too few samples to test */
    QB_CMP_INFO,       /* better = none: shown, never judged */
} qb_cmp_status;

const char *qb_cmp_status_name(qb_cmp_status s);

typedef struct {
    double threshold;   /* relative change that matters, e.g. 0.05 */
    double alpha;       /* significance level of the U test */
    double noise_k;     /* noise floor = noise_k * hypot of the relative p10..p90 spreads; 0: off */
    long min_samples;   /* per file, to run the test */
    const char *filter; /* compare only these "ID[:METRIC]" patterns (NULL: all) */
    const char *fail_on; /* these patterns gate the exit status (NULL: all) */
} qb_cmp_options;

void qb_cmp_options_default(qb_cmp_options *o);

typedef struct {
    const qb_record *rec; /* the base file's record */
    const qb_metric *base, *cur;
    double base_value, cur_value; /* the reported values; with pairs voting, their medians over the pairs */
    double change;      /* (cur - base) / |base| of the reported values; NAN when base is 0 */
    double base_median, cur_median; /* of the samples, NAN without them */
    double noise;       /* hypot of both files' relative p10..p90 spreads; 0 without samples */
    double limit;       /* the limit applied: max(threshold, noise_k * noise) */
    bool tested;        /* the U test ran (enough samples on both sides) */
    qb_mwu_result mwu;  /* u1 counts pairs with the new sample above the base one */
    qb_cmp_status status;
    bool gating;        /* matched by --fail-on; without it, no record says gate: false */
    int pairs;          /* base/new pairs that judged it: 1 unless pairs vote */
    int votes;          /* pairs that found its verdict (regressed or improved); 0 otherwise */
} qb_cmp_metric;

#define QB_CMP_MAX_WARNINGS 8

typedef struct {
    qb_cmp_metric *m;
    size_t nm;
    char **added, **removed; /* "id" for whole records, "id:metric" for single metrics */
    size_t nadded, nremoved;
    char warnings[QB_CMP_MAX_WARNINGS][256]; /* machines or settings differ */
    int nwarnings;
    size_t count[QB_CMP_INFO + 1]; /* metrics by status */
    size_t gating_regressions;
    double geomean;  /* geometric mean of the oriented ratios, above 1 is better; NAN if none */
    size_t ngeomean; /* metrics in it */
} qb_comparison;

/* Compare cur against base. QB_EINPUT when a metric has a different unit or
 * direction in the two files, QB_EUSAGE for a malformed pattern. The result
 * points into base and cur, which must outlive it. */
int qb_compare(const qb_results *base, const qb_results *cur, const qb_cmp_options *o,
               qb_comparison *out);

void qb_comparison_free(qb_comparison *c);

/* Pairs of runs (base_i, new_i) taken alternately on the same machine vote: a
 * metric regresses (improves) only when it does in at least quorum of the
 * pairs that hold it. A host that slows one run now and then makes a metric
 * regress in one pair, rarely in most; a real change shows in every pair, so
 * each pair's noise floor can be tighter. first is pair 1's comparison and
 * becomes the voted one: statuses, votes and pairs by the vote, base_value,
 * cur_value and change the medians of the pairs', the overall line the
 * geometric mean of the pairs'; the other fields stay pair 1's. QB_EUSAGE
 * when quorum is not in 1..pairs. */
int qb_compare_vote(qb_comparison *first, const qb_comparison *others, int nothers, int quorum);

/* Does "ID[:METRIC],..." select this record's metric? An ID pattern is a glob
 * (fnmatch) on the id, or a group or id prefix ending at a '/'; METRIC is a
 * glob on the metric name, every metric when absent. NULL selects all. */
bool qb_cmp_selects(const char *patterns, const char *id, const char *metric);

/* Check a pattern list for empty or overlong items; QB_EUSAGE names the
 * option, given in full ("qbench compare --filter"). */
int qb_cmp_check_patterns(const char *option, const char *patterns);

#endif
