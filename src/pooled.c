#include "pooled.h"

#include "error.h"
#include "grow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int qb_pooled_add(qb_pooled *p, const qb_rep_result *r)
{
    size_t cap = (size_t)p->cap;
    const int rc = qb_grow_two(&p->all, &p->aux, (size_t)(p->n + r->n), &cap);
    if (rc) return rc;
    p->cap = (int)cap;
    memcpy(p->all + p->n, r->samples, (size_t)r->n * sizeof *r->samples);
    memcpy(p->aux + p->n, r->aux, (size_t)r->n * sizeof *r->aux);
    if (p->rounds < (int)(sizeof p->round_start / sizeof p->round_start[0]))
        p->round_start[p->rounds] = p->n;
    p->n += r->n;
    if (p->rounds < (int)(sizeof p->round_median / sizeof p->round_median[0]))
        p->round_median[p->rounds++] = r->st.median;
    p->added++;
    p->dropped += r->dropped;
    p->target_missed |= !r->target_met;
    if (r->st.cv > p->worst_cv) p->worst_cv = r->st.cv;
    return QB_OK;
}

static int best_round(const qb_pooled *p, int better)
{
    int best = 0;
    for (int i = 1; i < p->rounds; i++) {
        const double v = p->round_median[i], b = p->round_median[best];
        if (better == QB_BETTER_LOWER ? v < b : v > b) best = i;
    }
    return best;
}

double qb_pooled_best(const qb_pooled *p, int better)
{
    return p->rounds ? p->round_median[best_round(p, better)] : NAN;
}

bool qb_pooled_confirmed(const qb_pooled *p, int better, double tol)
{
    if (p->rounds < 2) return false;
    const int b = best_round(p, better);
    double second = NAN;
    for (int i = 0; i < p->rounds; i++) {
        const double v = p->round_median[i];
        if (i != b && (isnan(second) || (better == QB_BETTER_LOWER ? v < second : v > second))) second = v;
    }
    const double best = p->round_median[b];
    return fabs(best - second) <= tol * fabs(best);
}

/* Each round's median and size into the metric just added from data[]
 * (all[], whose round medians are kept already, or aux[]), when every round
 * was remembered. */
static int set_rounds(qb_record *rec, const double *data, const qb_pooled *p)
{
    if (p->added != p->rounds) return QB_OK;
    double med[16];
    size_t sz[16], n = 0;
    for (int i = 0; i < p->rounds; i++) {
        const int from = p->round_start[i], to = i + 1 < p->rounds ? p->round_start[i + 1] : p->n;
        if (to <= from) continue;
        if (data == p->all) {
            med[n] = p->round_median[i];
        } else {
            qb_stats st;
            const int rc = qb_stats_compute(data + from, (size_t)(to - from), &st);
            if (rc) return rc;
            med[n] = st.median;
        }
        sz[n++] = (size_t)(to - from);
    }
    return qb_metric_set_rounds(&rec->metrics[rec->nmetrics - 1], med, sz, n);
}

int qb_pooled_record_aux(qb_record *rec, const char *name, const char *unit, int better,
                         const qb_pooled *p, int primary_better)
{
    if (p->n == 0) return qb_fail(QB_EINTERNAL, "%s: no samples for %s", rec->id, name);
    int rc = qb_record_metric_samples(rec, name, unit, better, p->aux, (size_t)p->n);
    if (rc) return rc;
    rec->metrics[rec->nmetrics - 1].value = qb_pooled_best_aux(p, primary_better);
    return set_rounds(rec, p->aux, p);
}

double qb_pooled_best_aux(const qb_pooled *p, int primary_better)
{
    if (p->rounds == 0) return NAN;
    const int b = best_round(p, primary_better);
    const int from = p->round_start[b], to = b + 1 < p->rounds ? p->round_start[b + 1] : p->n;
    return qb_median_of(p->aux + from, (size_t)(to - from));
}

int qb_pooled_record(qb_record *rec, const char *name, const char *unit, int better,
                     const qb_pooled *p, double target_cv)
{
    if (p->n == 0) return qb_fail(QB_EINTERNAL, "%s: no samples for %s", rec->id, name);
    int rc = qb_record_metric_samples(rec, name, unit, better, p->all, (size_t)p->n);
    if (rc) return rc;
    rc = set_rounds(rec, p->all, p);
    if (rc) return rc;
    const double best = qb_pooled_best(p, better);
    rec->metrics[rec->nmetrics - 1].value = best;
    double lo = best, hi = best;
    for (int i = 0; i < p->rounds; i++) {
        if (p->round_median[i] < lo) lo = p->round_median[i];
        if (p->round_median[i] > hi) hi = p->round_median[i];
    }
    if (p->rounds > 1 && best != 0 && (hi - lo) / fabs(best) > QB_ROUNDS_DISAGREE)
        rc = qb_record_note(rec,
                            "%s: round medians range %.3g..%.3g %s: something else used this core "
                            "(SMT sibling or host); the best round is reported",
                            name, lo, hi, unit);
    if (!rc) rc = qb_pooled_note_trials(rec, name, p->target_missed, p->worst_cv, target_cv, p->dropped);
    return rc;
}

int qb_pooled_note_trials(qb_record *rec, const char *name, bool target_missed, double worst_cv,
                          double target_cv, int dropped)
{
    int rc = QB_OK;
    if (target_missed)
        rc = qb_record_note(rec, "%s: spread up to %.2f%% within a round, above the %.2f%% target",
                            name, 100 * worst_cv, 100 * target_cv);
    if (!rc && dropped > 0)
        rc = qb_record_note(rec, "%s: %d trials dropped (preempted, clock changed or core shared)", name,
                            dropped);
    return rc;
}

void qb_pooled_free(qb_pooled *p)
{
    free(p->all);
    free(p->aux);
    memset(p, 0, sizeof *p);
}
