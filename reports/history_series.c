/* Reading the results history back as series: one per machine, record and
 * metric, oldest run first. Rows are sorted here, byte by byte, so that every
 * database answers in the same order whatever its collation. */
#include "history_backend.h"
#include "history_db.h"

#include "compare.h"
#include "error.h"
#include "textbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    long id;
    const char *machine, *commit, *branch, *started;
} run_row;

typedef struct {
    const run_row *run;
    const char *id, *metric, *unit;
    int better;
    double value, lo, hi;
} point_row;

static int cmp_run_id(const void *a, const void *b)
{
    const long x = ((const run_row *)a)->id, y = ((const run_row *)b)->id;
    return (x > y) - (x < y);
}

static int cmp_point(const void *a, const void *b)
{
    const point_row *p = a, *q = b;
    int c = strcmp(p->run->machine, q->run->machine);
    if (!c) c = strcmp(p->id, q->id);
    if (!c) c = strcmp(p->metric, q->metric);
    if (!c) c = strcmp(p->run->started, q->run->started);
    if (!c) c = (p->run->id > q->run->id) - (p->run->id < q->run->id);
    return c;
}

static double num(const char *s, double fallback)
{
    return s ? strtod(s, NULL) : fallback;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

void qb_hseries_list_free(qb_hseries_list *l)
{
    for (size_t i = 0; l->s && i < l->n; i++) {
        qb_hseries *s = &l->s[i];
        for (size_t k = 0; s->pts && k < s->n; k++) {
            free(s->pts[k].commit);
            free(s->pts[k].branch);
            free(s->pts[k].started);
        }
        free(s->pts);
        free(s->machine);
        free(s->id);
        free(s->metric);
        free(s->unit);
    }
    free(l->s);
    memset(l, 0, sizeof *l);
}

static bool same_series(const point_row *a, const point_row *b)
{
    return !strcmp(a->run->machine, b->run->machine) && !strcmp(a->id, b->id) && !strcmp(a->metric, b->metric);
}

/* Turn sorted points into series, each keeping its last `last` points. */
static int group(const point_row *p, size_t n, long last, qb_hseries_list *out)
{
    size_t nser = 0;
    for (size_t i = 0; i < n; i++) nser += i == 0 || !same_series(&p[i - 1], &p[i]);
    out->s = nser ? calloc(nser, sizeof *out->s) : NULL;
    if (nser && !out->s) return qb_fail(QB_ENOMEM, "out of memory");
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && same_series(&p[i], &p[j])) j++;
        const size_t from = last > 0 && j - i > (size_t)last ? j - (size_t)last : i;
        qb_hseries *s = &out->s[out->n++];
        s->machine = strdup(p[i].run->machine);
        s->id = strdup(p[i].id);
        s->metric = strdup(p[i].metric);
        s->unit = strdup(p[j - 1].unit);
        s->better = p[j - 1].better;
        s->pts = calloc(j - from, sizeof *s->pts);
        if (!s->machine || !s->id || !s->metric || !s->unit || !s->pts) return qb_fail(QB_ENOMEM, "out of memory");
        for (size_t k = from; k < j; k++) {
            qb_hpoint *q = &s->pts[s->n++];
            q->run = p[k].run->id;
            q->commit = dup_or_empty(p[k].run->commit);
            q->branch = dup_or_empty(p[k].run->branch);
            q->started = dup_or_empty(p[k].run->started);
            q->value = p[k].value;
            q->lo = p[k].lo;
            q->hi = p[k].hi;
            if (!q->commit || !q->branch || !q->started) return qb_fail(QB_ENOMEM, "out of memory");
        }
        i = j;
    }
    return QB_OK;
}

int qb_history_series(qb_history *h, const qb_hquery *q, qb_hseries_list *out)
{
    qb_hbackend *b = h->b;
    memset(out, 0, sizeof *out);
    char like[80];
    if (q->machine) snprintf(like, sizeof like, "%s%%", q->machine);
    const char *rp[1] = {like};
    qb_hrows runs = {0}, mets = {0};
    int rc = b->query(b, q->machine ? "SELECT id, machine, commit_id, branch, started FROM runs WHERE machine LIKE ?"
                                    : "SELECT id, machine, commit_id, branch, started FROM runs",
                      q->machine ? 1 : 0, rp, &runs);
    if (rc) return rc;
    qb_buf sql = {0};
    const char *mp[2];
    size_t np = 0;
    qb_buf_printf(&sql, "SELECT m.run_id, m.rec_id, m.name, m.unit, m.better, m.value, m.lo, m.hi FROM metrics m");
    if (q->machine) {
        qb_buf_printf(&sql, " JOIN runs r ON r.id = m.run_id WHERE r.machine LIKE ?");
        mp[np++] = like;
    }
    if (q->metric) {
        qb_buf_printf(&sql, "%s m.name = ?", np ? " AND" : " WHERE");
        mp[np++] = q->metric;
    }
    if (q->primary_only && !q->metric) qb_buf_printf(&sql, "%s m.is_primary = 1", np ? " AND" : " WHERE");
    rc = sql.oom ? qb_fail(QB_ENOMEM, "out of memory") : b->query(b, sql.s, np, mp, &mets);
    qb_buf_free(&sql);
    run_row *rr = calloc(runs.nrows + 1, sizeof *rr);
    point_row *pr = calloc(mets.nrows + 1, sizeof *pr);
    if (!rc && (!rr || !pr)) rc = qb_fail(QB_ENOMEM, "out of memory");
    size_t npts = 0;
    if (!rc) {
        for (size_t i = 0; i < runs.nrows; i++)
            rr[i] = (run_row){strtol(qb_hrows_cell(&runs, i, 0), NULL, 10), qb_hrows_cell(&runs, i, 1),
                              qb_hrows_cell(&runs, i, 2), qb_hrows_cell(&runs, i, 3), qb_hrows_cell(&runs, i, 4)};
        qsort(rr, runs.nrows, sizeof *rr, cmp_run_id);
        for (size_t i = 0; i < mets.nrows; i++) {
            const char *id = qb_hrows_cell(&mets, i, 1), *name = qb_hrows_cell(&mets, i, 2);
            if (!qb_cmp_selects(q->filter, id, name)) continue;
            const run_row key = {strtol(qb_hrows_cell(&mets, i, 0), NULL, 10), NULL, NULL, NULL, NULL};
            const run_row *run = bsearch(&key, rr, runs.nrows, sizeof *rr, cmp_run_id);
            if (!run) continue; /* a run added after the runs were read */
            const double v = num(qb_hrows_cell(&mets, i, 5), 0);
            pr[npts++] = (point_row){run, id, name, qb_hrows_cell(&mets, i, 3),
                                     (int)strtol(qb_hrows_cell(&mets, i, 4), NULL, 10), v,
                                     num(qb_hrows_cell(&mets, i, 6), v), num(qb_hrows_cell(&mets, i, 7), v)};
        }
        qsort(pr, npts, sizeof *pr, cmp_point);
        rc = group(pr, npts, q->last, out);
        if (rc) qb_hseries_list_free(out);
    }
    free(rr);
    free(pr);
    qb_hrows_free(&runs);
    qb_hrows_free(&mets);
    return rc;
}
