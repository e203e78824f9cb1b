/* Tables and JSON of the history's series and of what detect found. */
#include "history_format.h"

#include "fmt.h"

#include <math.h>

static const char *better_word(int b)
{
    return b < 0 ? "lower" : b > 0 ? "higher" : "none";
}

/* The quartiles' width relative to the median, in percent. */
static double spread_pct(const qb_hpoint *p)
{
    return p->value != 0 ? 100 * (p->hi - p->lo) / fabs(p->value) : NAN;
}

void qb_history_print_series(FILE *f, const qb_hseries_list *l)
{
    if (l->n == 0) {
        fprintf(f, "no series match (qbench history show --help)\n");
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        const qb_hseries *s = &l->s[i];
        fprintf(f, "%s%s %s [%s, %s is better] machine %.12s, %zu run%s\n", i ? "\n" : "", s->id, s->metric,
                s->unit, better_word(s->better), s->machine, s->n, s->n == 1 ? "" : "s");
        fprintf(f, "  %6s  %-14s %-12s %-20s %14s %8s\n", "run", "commit", "branch", "started", "median", "spread");
        for (size_t k = 0; k < s->n; k++) {
            const qb_hpoint *p = &s->pts[k];
            char sp[24];
            qb_fmt_num(sp, sizeof sp, spread_pct(p), "%.1f%%");
            fprintf(f, "  %6ld  %-14.14s %-12.12s %-20s %14.6g %8s\n", p->run, p->commit, p->branch, p->started,
                    p->value, sp);
        }
    }
}

static cJSON *point_ref(const qb_hpoint *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "run", (double)p->run);
    cJSON_AddStringToObject(o, "commit", p->commit);
    cJSON_AddStringToObject(o, "branch", p->branch);
    cJSON_AddStringToObject(o, "started", p->started);
    return o;
}

static cJSON *series_head(const qb_hseries *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "machine", s->machine);
    cJSON_AddStringToObject(o, "id", s->id);
    cJSON_AddStringToObject(o, "metric", s->metric);
    cJSON_AddStringToObject(o, "unit", s->unit);
    cJSON_AddStringToObject(o, "better", better_word(s->better));
    cJSON_AddNumberToObject(o, "runs", (double)s->n);
    return o;
}

cJSON *qb_history_series_json(const qb_hseries_list *l)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schema", "qbench.history.series/1");
    cJSON *arr = cJSON_AddArrayToObject(doc, "series");
    for (size_t i = 0; arr && i < l->n; i++) {
        const qb_hseries *s = &l->s[i];
        cJSON *o = series_head(s);
        cJSON *pts = cJSON_AddArrayToObject(o, "points");
        for (size_t k = 0; pts && k < s->n; k++) {
            cJSON *p = point_ref(&s->pts[k]);
            cJSON_AddNumberToObject(p, "value", s->pts[k].value);
            cJSON_AddNumberToObject(p, "p25", s->pts[k].lo);
            cJSON_AddNumberToObject(p, "p75", s->pts[k].hi);
            cJSON_AddItemToArray(pts, p);
        }
        cJSON_AddItemToArray(arr, o);
    }
    return doc;
}

static void settings_json(cJSON *doc, size_t nseries, const qb_cp_options *o)
{
    cJSON *set = cJSON_AddObjectToObject(doc, "settings");
    cJSON_AddStringToObject(set, "method", "optimal partitioning, L1 cost, permutation test; Mann-Kendall and Theil-Sen");
    cJSON_AddNumberToObject(set, "penalty", o->penalty);
    cJSON_AddNumberToObject(set, "min_effect", o->min_effect);
    cJSON_AddNumberToObject(set, "alpha", o->alpha);
    cJSON_AddNumberToObject(set, "min_segment", (double)o->min_segment);
    cJSON_AddNumberToObject(set, "permutations", o->permutations);
    cJSON_AddNumberToObject(doc, "series_checked", (double)nseries);
}

cJSON *qb_history_findings_json(const qb_hfinding *fd, size_t n, size_t nseries, const qb_cp_options *o)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schema", "qbench.history.detect/1");
    settings_json(doc, nseries, o);
    cJSON *arr = cJSON_AddArrayToObject(doc, "findings");
    for (size_t i = 0; arr && i < n; i++) {
        const qb_hfinding *f = &fd[i];
        if (f->nsteps == 0 && !f->has_trend) continue;
        const qb_hseries *s = f->series;
        cJSON *o2 = series_head(s);
        cJSON *steps = cJSON_AddArrayToObject(o2, "steps");
        for (size_t k = 0; steps && k < f->nsteps; k++) {
            const qb_cp_step *st = &f->steps[k];
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "kind", qb_history_direction(s->better, st->change));
            cJSON_AddItemToObject(j, "last_before", point_ref(&s->pts[st->at - 1]));
            cJSON_AddItemToObject(j, "first_after", point_ref(&s->pts[st->at]));
            cJSON_AddNumberToObject(j, "before", st->before);
            cJSON_AddNumberToObject(j, "after", st->after);
            cJSON_AddNumberToObject(j, "change", st->change);
            cJSON_AddNumberToObject(j, "p", st->p);
            cJSON_AddItemToArray(steps, j);
        }
        if (f->has_trend) {
            cJSON *t = cJSON_AddObjectToObject(o2, "trend");
            cJSON_AddStringToObject(t, "kind", qb_history_direction(s->better, f->trend.total));
            cJSON_AddItemToObject(t, "from", point_ref(&s->pts[0]));
            cJSON_AddItemToObject(t, "to", point_ref(&s->pts[s->n - 1]));
            cJSON_AddNumberToObject(t, "slope_per_run", f->trend.slope);
            cJSON_AddNumberToObject(t, "total", f->trend.total);
            cJSON_AddNumberToObject(t, "mann_kendall_z", f->trend.z);
            cJSON_AddNumberToObject(t, "p", f->trend.p);
        } else {
            cJSON_AddNullToObject(o2, "trend");
        }
        cJSON_AddItemToArray(arr, o2);
    }
    return doc;
}

static void print_ref(FILE *f, const qb_hpoint *p)
{
    fprintf(f, "%s (run %ld, %s)", p->commit[0] ? p->commit : "?", p->run, p->started);
}

void qb_history_print_findings(FILE *f, const qb_hfinding *fd, size_t n, size_t nseries, const qb_cp_options *o)
{
    size_t nsteps = 0, ntrends = 0;
    for (size_t i = 0; i < n; i++) {
        const qb_hfinding *x = &fd[i];
        const qb_hseries *s = x->series;
        for (size_t k = 0; k < x->nsteps; k++) {
            const qb_cp_step *st = &x->steps[k];
            fprintf(f, "STEP  %-11s %+7.1f%%  %s %s (machine %.12s)\n      between ",
                    qb_history_direction(s->better, st->change), 100 * st->change, s->id, s->metric, s->machine);
            print_ref(f, &s->pts[st->at - 1]);
            fprintf(f, " and ");
            print_ref(f, &s->pts[st->at]);
            fprintf(f, "\n      median %.6g -> %.6g %s, permutation p = %.3g\n", st->before, st->after, s->unit, st->p);
            nsteps++;
        }
        if (x->has_trend) {
            fprintf(f, "TREND %-11s %+7.2f%% per run (%+.1f%% over %zu runs)  %s %s (machine %.12s)\n      from ",
                    qb_history_direction(s->better, x->trend.total), 100 * x->trend.slope, 100 * x->trend.total, s->n,
                    s->id, s->metric, s->machine);
            print_ref(f, &s->pts[0]);
            fprintf(f, " to ");
            print_ref(f, &s->pts[s->n - 1]);
            fprintf(f, "\n      Mann-Kendall z = %.2f, p = %.3g\n", x->trend.z, x->trend.p);
            ntrends++;
        }
    }
    fprintf(f, "%s%zu series checked: %zu step%s, %zu trend%s (steps and trends of at least %.3g%%, p <= %.3g)\n",
            nsteps + ntrends ? "\n" : "", nseries, nsteps, nsteps == 1 ? "" : "s", ntrends, ntrends == 1 ? "" : "s",
            100 * o->min_effect, o->alpha);
}
