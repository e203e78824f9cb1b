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

typedef struct {
    long id;
    const char *rec, *metric, *unit;
    int better;
} series_row;

static int cmp_series_id(const void *a, const void *b)
{
    const long x = ((const series_row *)a)->id, y = ((const series_row *)b)->id;
    return (x > y) - (x < y);
}

/* Series ids per query when only some series are read. */
#define IDS_PER_QUERY 256

/* Append the points of `rows` (run_id, series_id, value, lo, hi) that belong
 * to a selected run and series. */
static void collect(const qb_hrows *rows, const run_row *rr, size_t nruns, const series_row *sr, size_t nser,
                    point_row *pr, size_t *npts)
{
    for (size_t i = 0; i < rows->nrows; i++) {
        const run_row rk = {strtol(qb_hrows_cell(rows, i, 0), NULL, 10), NULL, NULL, NULL, NULL};
        const run_row *run = bsearch(&rk, rr, nruns, sizeof *rr, cmp_run_id);
        const series_row sk = {strtol(qb_hrows_cell(rows, i, 1), NULL, 10), NULL, NULL, NULL, 0};
        const series_row *se = bsearch(&sk, sr, nser, sizeof *sr, cmp_series_id);
        if (!run || !se) continue; /* another machine, or a run added since the runs were read */
        const double v = num(qb_hrows_cell(rows, i, 2), 0);
        pr[(*npts)++] = (point_row){run, se->rec, se->metric, se->unit, se->better, v,
                                    num(qb_hrows_cell(rows, i, 3), v), num(qb_hrows_cell(rows, i, 4), v)};
    }
}

static int grow_points(point_row **pr, size_t *cap, size_t need)
{
    if (need <= *cap) return QB_OK;
    size_t ncap = *cap ? *cap : 1024;
    while (ncap < need) ncap *= 2;
    point_row *p = realloc(*pr, ncap * sizeof *p);
    if (!p) return qb_fail(QB_ENOMEM, "out of memory");
    *pr = p;
    *cap = ncap;
    return QB_OK;
}

int qb_history_series(qb_history *h, const qb_hquery *q, qb_hseries_list *out)
{
    qb_hbackend *b = h->b;
    memset(out, 0, sizeof *out);
    char like[80];
    if (q->machine) snprintf(like, sizeof like, "%s%%", q->machine);
    const char *rp[1] = {like};
    qb_hrows runs = {0}, ser = {0}, pts = {0};
    run_row *rr = NULL;
    series_row *sr = NULL;
    point_row *pr = NULL;
    size_t npts = 0, cap = 0, nsel = 0;
    int rc = b->query(b, q->machine ? "SELECT id, machine, commit_id, branch, started FROM runs WHERE machine LIKE ?"
                                    : "SELECT id, machine, commit_id, branch, started FROM runs",
                      q->machine ? 1 : 0, rp, NULL, &runs);
    if (!rc) rc = b->query(b, "SELECT id, rec_id, metric, unit, better, is_primary FROM series", 0, NULL, NULL, &ser);
    if (rc) goto out;
    rr = calloc(runs.nrows + 1, sizeof *rr);
    sr = calloc(ser.nrows + 1, sizeof *sr);
    if (!rr || !sr) {
        rc = qb_fail(QB_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < runs.nrows; i++)
        rr[i] = (run_row){strtol(qb_hrows_cell(&runs, i, 0), NULL, 10), qb_hrows_cell(&runs, i, 1),
                          qb_hrows_cell(&runs, i, 2), qb_hrows_cell(&runs, i, 3), qb_hrows_cell(&runs, i, 4)};
    qsort(rr, runs.nrows, sizeof *rr, cmp_run_id);
    for (size_t i = 0; i < ser.nrows; i++) {
        const char *rec = qb_hrows_cell(&ser, i, 1), *metric = qb_hrows_cell(&ser, i, 2);
        if (q->metric ? strcmp(metric, q->metric) != 0
                      : q->primary_only && strcmp(qb_hrows_cell(&ser, i, 5), "1") != 0)
            continue;
        if (!qb_cmp_selects(q->filter, rec, metric)) continue;
        sr[nsel++] = (series_row){strtol(qb_hrows_cell(&ser, i, 0), NULL, 10), rec, metric,
                                  qb_hrows_cell(&ser, i, 3), (int)strtol(qb_hrows_cell(&ser, i, 4), NULL, 10)};
    }
    qsort(sr, nsel, sizeof *sr, cmp_series_id);
    if (nsel == ser.nrows) {
        /* every series: one pass over the points */
        rc = b->query(b, "SELECT run_id, series_id, value, lo, hi FROM points", 0, NULL, NULL, &pts);
        if (!rc) rc = grow_points(&pr, &cap, pts.nrows + 1);
        if (!rc) collect(&pts, rr, runs.nrows, sr, nsel, pr, &npts);
        qb_hrows_free(&pts);
    }
    for (size_t from = 0; nsel < ser.nrows && from < nsel && !rc; from += IDS_PER_QUERY) {
        const size_t k = nsel - from < IDS_PER_QUERY ? nsel - from : IDS_PER_QUERY;
        char ids[IDS_PER_QUERY][24];
        const char *params[IDS_PER_QUERY];
        qb_buf sql = {0};
        qb_buf_printf(&sql, "SELECT run_id, series_id, value, lo, hi FROM points WHERE series_id IN (");
        for (size_t i = 0; i < k; i++) {
            snprintf(ids[i], sizeof ids[i], "%ld", sr[from + i].id);
            params[i] = ids[i];
            qb_buf_printf(&sql, "%s?", i ? ", " : "");
        }
        qb_buf_printf(&sql, ")");
        rc = sql.oom ? qb_fail(QB_ENOMEM, "out of memory") : b->query(b, sql.s, k, params, NULL, &pts);
        qb_buf_free(&sql);
        if (!rc) rc = grow_points(&pr, &cap, npts + pts.nrows + 1);
        if (!rc) collect(&pts, rr, runs.nrows, sr, nsel, pr, &npts);
        qb_hrows_free(&pts);
    }
    if (!rc) {
        if (npts) qsort(pr, npts, sizeof *pr, cmp_point);
        rc = group(pr, npts, q->last, out);
        if (rc) qb_hseries_list_free(out);
    }
out:
    free(rr);
    free(sr);
    free(pr);
    qb_hrows_free(&runs);
    qb_hrows_free(&ser);
    return rc;
}
