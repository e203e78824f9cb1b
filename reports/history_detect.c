/* One series judged: its steps, and a trend when a line fits it at least as
 * well as the staircase the segmentation found (a slow drift is otherwise cut
 * into small steps, none of which passes alone). */
#include "history_detect.h"

#include "error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *qb_history_direction(int better, double change)
{
    if (better == 0 || change == 0 || !isfinite(change)) return "change";
    return (change > 0) == (better > 0) ? "improvement" : "regression";
}

int qb_history_detect(const qb_hseries *s, const qb_cp_options *o, qb_hfinding *out)
{
    memset(out, 0, sizeof *out);
    out->series = s;
    if (s->n == 0) return QB_OK;
    double *x = malloc(s->n * sizeof *x);
    if (!x) return qb_fail(QB_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n; i++) x[i] = s->pts[i].value;
    double seg_cost = 0, scale = 1;
    int rc = qb_changepoints(x, s->n, o, out->steps, QB_HISTORY_MAX_STEPS, &out->nsteps, &seg_cost, &scale);
    if (!rc) rc = qb_trend_compute(x, s->n, &out->trend);
    free(x);
    if (rc) return rc;
    const double beta = o->penalty * log((double)(s->n > 2 ? s->n : 2));
    /* the line: one parameter more than a flat segment */
    const double line_cost = out->trend.l1 / scale + beta;
    const bool drift = out->trend.p <= o->alpha && fabs(out->trend.total) >= o->min_effect;
    if (drift && (out->nsteps == 0 || line_cost <= seg_cost)) {
        out->has_trend = true;
        out->nsteps = 0;
    }
    return QB_OK;
}
