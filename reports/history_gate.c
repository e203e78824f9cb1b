/* The gate's base side from the results history: which runs (machine,
 * branch, the latest ones), then their figures per metric, added in the
 * order of the gate's entries. Rows are sorted here, byte by byte, so that
 * every database gives the gate the same values in the same order. */
#include "history_gate.h"

#include "history_backend.h"

#include "compare.h"
#include "defaults.h"
#include "error.h"
#include "stats.h"
#include "textbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    long id;
    const char *key, *commit, *branch, *started;
} run_row;

static int cmp_run_time(const void *a, const void *b)
{
    const run_row *p = a, *q = b;
    const int c = strcmp(p->started, q->started);
    return c ? c : (p->id > q->id) - (p->id < q->id);
}

static const char *cell(const qb_hrows *r, size_t row, size_t col)
{
    const char *s = qb_hrows_cell(r, row, col);
    return s ? s : "";
}

static bool is_new(const char (*keys)[20], size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i], key) == 0) return true;
    return false;
}

/* The branch the base runs are of (see qb_hgate_query). */
static const char *pick_branch(const qb_hgate_query *q, const run_row *rr, size_t n, const char *new_branch,
                               const qb_results *first)
{
    if (q->branch) return q->branch;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rr[i].branch, QB_HISTORY_GATE_BRANCH_DEFAULT) == 0) return QB_HISTORY_GATE_BRANCH_DEFAULT;
    if (new_branch && *new_branch) return new_branch;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(first->tool, "branch");
    return cJSON_IsString(t) && *t->valuestring ? t->valuestring : QB_HISTORY_GATE_BRANCH_DEFAULT;
}

/* The runs of the base side in *sel (oldest first), from the runs of the
 * machine (rows: id, run_key, commit_id, branch, started). */
static int select_runs(const qb_hrows *rows, const char (*keys)[20], size_t nnew, const qb_results *first,
                       const qb_hgate_query *q, run_row **sel, size_t *nsel, qb_hgate_base *out)
{
    run_row *rr = calloc(rows->nrows + 1, sizeof *rr);
    if (!rr) return qb_fail(QB_ENOMEM, "out of memory");
    size_t n = 0;
    const char *new_branch = NULL;
    for (size_t i = 0; i < rows->nrows; i++) {
        const run_row r = {strtol(cell(rows, i, 0), NULL, 10), cell(rows, i, 1), cell(rows, i, 2),
                           cell(rows, i, 3), cell(rows, i, 4)};
        if (strcmp(r.key, keys[0]) == 0) new_branch = r.branch;
        if (!is_new(keys, nnew, r.key)) rr[n++] = r;
    }
    snprintf(out->branch, sizeof out->branch, "%s", pick_branch(q, rr, n, new_branch, first));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rr[i].branch, out->branch) == 0) rr[k++] = rr[i];
    qsort(rr, k, sizeof *rr, cmp_run_time);
    const size_t from = q->last > 0 && k > (size_t)q->last ? k - (size_t)q->last : 0;
    memmove(rr, rr + from, (k - from) * sizeof *rr);
    *sel = rr;
    *nsel = k - from;
    return QB_OK;
}

typedef struct {
    long id;
    const char *rec, *metric, *unit;
    int better;
    bool primary;
    size_t order; /* where the gate has it; past its entries when it has none */
} series_row;

static int cmp_series_id(const void *a, const void *b)
{
    const long x = ((const series_row *)a)->id, y = ((const series_row *)b)->id;
    return (x > y) - (x < y);
}

typedef struct {
    const char *id, *metric;
    size_t index;
} entry_key;

static int cmp_entry(const void *a, const void *b)
{
    const entry_key *p = a, *q = b;
    const int c = strcmp(p->id, q->id);
    return c ? c : strcmp(p->metric, q->metric);
}

/* Each series' place among the gate's entries. */
static int order_series(const qb_gate *g, series_row *sr, size_t n)
{
    entry_key *ek = calloc(g->nm + 1, sizeof *ek);
    if (!ek) return qb_fail(QB_ENOMEM, "out of memory");
    for (size_t i = 0; i < g->nm; i++) ek[i] = (entry_key){g->m[i].id, g->m[i].metric, i};
    qsort(ek, g->nm, sizeof *ek, cmp_entry);
    for (size_t i = 0; i < n; i++) {
        const entry_key k = {sr[i].rec, sr[i].metric, 0};
        const entry_key *e = g->nm ? bsearch(&k, ek, g->nm, sizeof *ek, cmp_entry) : NULL;
        sr[i].order = e ? e->index : SIZE_MAX;
    }
    free(ek);
    return QB_OK;
}

/* A base run's id and its place among the base runs, oldest first. */
typedef struct {
    long id;
    size_t rank;
} run_rank;

static int cmp_rank(const void *a, const void *b)
{
    const long x = ((const run_rank *)a)->id, y = ((const run_rank *)b)->id;
    return (x > y) - (x < y);
}

/* One run's figure of one metric: a row of the points query. */
typedef struct {
    const series_row *s;
    size_t run;     /* the run's place among the base runs, oldest first */
    size_t row;
    bool gate;
} value_row;

static int cmp_value(const void *a, const void *b)
{
    const value_row *p = a, *q = b;
    if (p->s->order != q->s->order) return p->s->order < q->s->order ? -1 : 1;
    int c = strcmp(p->s->rec, q->s->rec);
    if (!c) c = strcmp(p->s->metric, q->s->metric);
    if (!c) c = (p->run > q->run) - (p->run < q->run);
    return c;
}

/* "run_id pos" pairs of records marked gate: false, sorted. */
typedef struct {
    long run, pos;
} rec_key;

static int cmp_rec(const void *a, const void *b)
{
    const rec_key *p = a, *q = b;
    if (p->run != q->run) return (p->run > q->run) - (p->run < q->run);
    return (p->pos > q->pos) - (p->pos < q->pos);
}

static int push_value(double x, double **v, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        const size_t nc = *cap ? 2 * *cap : 32;
        double *nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return qb_fail(QB_ENOMEM, "out of memory");
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = x;
    return QB_OK;
}

/* Append the numbers of a space-separated list to v. */
static int parse_list(const char *s, double **v, size_t *n, size_t *cap)
{
    for (;;) {
        char *end;
        const double x = strtod(s, &end);
        if (end == s) return QB_OK;
        const int rc = push_value(x, v, n, cap);
        if (rc) return rc;
        s = end;
    }
}

/* A run's values of one metric, as a results file's would be: its round
 * medians, else the median of its samples, else its value (row: run_id,
 * series_id, pos, value, round_medians, samples when there are no rounds). */
static int row_values(const qb_hrows *pts, size_t row, double **v, size_t *n, size_t *cap)
{
    const char *rounds = qb_hrows_cell(pts, row, 4), *samples = qb_hrows_cell(pts, row, 5);
    if (rounds && *rounds) return parse_list(rounds, v, n, cap);
    if (samples && *samples) {
        double *s = NULL;
        size_t ns = 0, cs = 0;
        int rc = parse_list(samples, &s, &ns, &cs);
        if (!rc && ns) {
            qb_sort_doubles(s, ns);
            const double med = qb_percentile_sorted(s, ns, 50);
            rc = push_value(med, v, n, cap);
        }
        free(s);
        if (rc || ns) return rc;
    }
    const size_t before = *n;
    int rc = parse_list(cell(pts, row, 3), v, n, cap);
    if (!rc && *n == before) rc = qb_fail(QB_EINPUT, "history: a stored figure is not a number");
    return rc;
}

/* "?, ?, ..." for the run ids, in sql; ids keeps their text. */
static int in_list(qb_buf *sql, const run_row *rr, size_t n, char (*ids)[24], const char **params)
{
    qb_buf_printf(sql, " IN (");
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "%ld", rr[i].id);
        params[i] = ids[i];
        qb_buf_printf(sql, "%s?", i ? ", " : "");
    }
    qb_buf_printf(sql, ")");
    return sql->oom ? qb_fail(QB_ENOMEM, "out of memory") : QB_OK;
}

/* The records of these runs marked gate: false. */
static int no_gate_records(qb_hbackend *b, const run_row *rr, size_t n, char (*ids)[24], const char **params,
                           rec_key **out, size_t *nout)
{
    qb_buf sql = {0};
    qb_buf_printf(&sql, "SELECT run_id, pos, params FROM records WHERE params LIKE ? AND run_id");
    params[0] = "%\"gate\"%";
    int rc = in_list(&sql, rr, n, ids + 1, params + 1);
    qb_hrows rows = {0};
    if (!rc) rc = b->query(b, sql.s, n + 1, params, NULL, &rows);
    qb_buf_free(&sql);
    if (rc) return rc;
    *out = calloc(rows.nrows + 1, sizeof **out);
    *nout = 0;
    if (!*out) rc = qb_fail(QB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < rows.nrows; i++) {
        cJSON *p = cJSON_Parse(cell(&rows, i, 2));
        if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(p, "gate")))
            (*out)[(*nout)++] = (rec_key){strtol(cell(&rows, i, 0), NULL, 10), strtol(cell(&rows, i, 1), NULL, 10)};
        cJSON_Delete(p);
    }
    qb_hrows_free(&rows);
    if (!rc) qsort(*out, *nout, sizeof **out, cmp_rec);
    return rc;
}

/* Add the base runs' figures to side 0, one call per metric. */
static int add_values(qb_hbackend *b, const run_row *rr, size_t n, qb_gate *g, const qb_gate_options *o)
{
    char(*ids)[24] = calloc(n + 1, sizeof *ids);
    const char **params = calloc(n + 1, sizeof *params);
    qb_hrows ser = {0}, pts = {0};
    series_row *sr = NULL;
    value_row *vr = NULL;
    rec_key *nogate = NULL;
    double *v = NULL;
    size_t nser = 0, nvr = 0, nnogate = 0, nv = 0, cap = 0;
    qb_buf sql = {0};
    run_rank *ranks = calloc(n + 1, sizeof *ranks);
    int rc = ids && params && ranks ? QB_OK : qb_fail(QB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) ranks[i] = (run_rank){rr[i].id, i};
    if (!rc) qsort(ranks, n, sizeof *ranks, cmp_rank);
    if (!rc) rc = b->query(b, "SELECT id, rec_id, metric, unit, better, is_primary FROM series", 0, NULL, NULL, &ser);
    if (!rc && !(sr = calloc(ser.nrows + 1, sizeof *sr))) rc = qb_fail(QB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < ser.nrows; i++) {
        const series_row s = {strtol(cell(&ser, i, 0), NULL, 10), cell(&ser, i, 1), cell(&ser, i, 2),
                              cell(&ser, i, 3), (int)strtol(cell(&ser, i, 4), NULL, 10),
                              strcmp(cell(&ser, i, 5), "1") == 0, 0};
        if (s.better != QB_BETTER_NONE && qb_cmp_selects(o->filter, s.rec, s.metric)) sr[nser++] = s;
    }
    if (!rc) {
        qsort(sr, nser, sizeof *sr, cmp_series_id);
        rc = order_series(g, sr, nser);
    }
    if (!rc) rc = no_gate_records(b, rr, n, ids, params, &nogate, &nnogate);
    if (!rc) {
        qb_buf_printf(&sql, "SELECT p.run_id, p.series_id, p.pos, p.value, s.round_medians, "
                            "CASE WHEN s.round_medians IS NULL THEN s.samples END FROM points p "
                            "LEFT JOIN samples s ON s.run_id = p.run_id AND s.series_id = p.series_id WHERE p.run_id");
        rc = in_list(&sql, rr, n, ids, params);
    }
    if (!rc) rc = b->query(b, sql.s, n, params, NULL, &pts);
    if (!rc && !(vr = calloc(pts.nrows + 1, sizeof *vr))) rc = qb_fail(QB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < pts.nrows; i++) {
        const series_row sk = {.id = strtol(cell(&pts, i, 1), NULL, 10)};
        const series_row *s = nser ? bsearch(&sk, sr, nser, sizeof *sr, cmp_series_id) : NULL;
        if (!s) continue; /* not selected, or without a direction */
        const run_rank rk = {strtol(cell(&pts, i, 0), NULL, 10), 0};
        const run_rank *r = bsearch(&rk, ranks, n, sizeof *ranks, cmp_rank);
        const rec_key ck = {rk.id, strtol(cell(&pts, i, 2), NULL, 10)};
        const bool gate = !(nnogate && bsearch(&ck, nogate, nnogate, sizeof *nogate, cmp_rec));
        if (r) vr[nvr++] = (value_row){s, r->rank, i, gate};
    }
    if (!rc) qsort(vr, nvr, sizeof *vr, cmp_value);
    for (size_t i = 0; !rc && i < nvr;) {
        size_t j = i;
        bool gate = true;
        nv = 0;
        for (; !rc && j < nvr && vr[j].s == vr[i].s; j++) {
            gate &= vr[j].gate;
            rc = row_values(&pts, vr[j].row, &v, &nv, &cap);
        }
        const series_row *s = vr[i].s;
        if (!rc) rc = qb_gate_add_values(g, 0, s->rec, s->metric, s->unit, s->better, s->primary, gate, v, nv);
        i = j;
    }
    qb_buf_free(&sql);
    qb_hrows_free(&ser);
    qb_hrows_free(&pts);
    free(ids);
    free(params);
    free(ranks);
    free(sr);
    free(vr);
    free(nogate);
    free(v);
    return rc;
}

int qb_history_gate_base(qb_history *h, const qb_results *news, size_t nnew, const qb_hgate_query *q,
                         qb_gate *g, const qb_gate_options *o, qb_hgate_base *out)
{
    qb_hbackend *b = h->b;
    memset(out, 0, sizeof *out);
    if (nnew == 0) return qb_fail(QB_EUSAGE, "history gate: no new run");
    char desc[300];
    qb_history_fingerprint(news[0].machine, out->machine, sizeof out->machine, desc, sizeof desc);
    char(*keys)[20] = calloc(nnew, sizeof *keys);
    if (!keys) return qb_fail(QB_ENOMEM, "out of memory");
    for (size_t i = 0; i < nnew; i++) qb_history_run_key(&news[i], keys[i], sizeof keys[i]);
    qb_hrows runs = {0};
    run_row *sel = NULL;
    size_t nsel = 0;
    const char *mp[] = {out->machine};
    int rc = b->query(b, "SELECT id, run_key, commit_id, branch, started FROM runs WHERE machine = ?", 1, mp, NULL,
                      &runs);
    if (!rc) rc = select_runs(&runs, keys, nnew, &news[0], q, &sel, &nsel, out);
    if (!rc && nsel == 0)
        rc = qb_fail(QB_EINPUT, "history %s holds no run of branch '%s' on machine %s (%s) to compare with",
                     b->where, out->branch, out->machine, desc);
    if (!rc) {
        out->runs = nsel;
        snprintf(out->oldest, sizeof out->oldest, "%s", sel[0].commit);
        snprintf(out->newest, sizeof out->newest, "%s", sel[nsel - 1].commit);
        if (q->last > 0 && nsel < (size_t)q->last)
            qb_gate_warn(g, "the history holds %zu run%s of branch '%s' on this machine, fewer than the %ld asked for",
                         nsel, nsel == 1 ? "" : "s", out->branch, q->last);
        rc = add_values(b, sel, nsel, g, o);
        if (!rc) g->runs[0] += nsel;
    }
    free(sel);
    free(keys);
    qb_hrows_free(&runs);
    return rc;
}
