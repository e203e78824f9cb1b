/* Adding one run to the results history: its machine, its run row, the
 * series it adds, then every record, metric figure (points) and its samples
 * and round medians (as text) in batched inserts, all in one write
 * transaction. */
#include "history_backend.h"
#include "history_batch.h"
#include "history_db.h"

#include "error.h"
#include "textbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A number array as text, each figure read back exactly. */
static char *doubles_text(const double *x, size_t n)
{
    qb_buf b = {0};
    char num[40];
    for (size_t i = 0; i < n; i++) {
        qb_hfmt_double(num, sizeof num, x[i]);
        qb_buf_printf(&b, "%s%s", i ? " " : "", num);
    }
    if (b.oom) {
        qb_buf_free(&b);
        return NULL;
    }
    return b.s ? b.s : strdup("");
}

static char *sizes_text(const size_t *x, size_t n)
{
    qb_buf b = {0};
    for (size_t i = 0; i < n; i++) qb_buf_printf(&b, "%s%zu", i ? " " : "", x[i]);
    if (b.oom) {
        qb_buf_free(&b);
        return NULL;
    }
    return b.s ? b.s : strdup("");
}

static char *json_text(const cJSON *v)
{
    return v ? cJSON_PrintUnformatted(v) : strdup("null");
}

static char *num_text(double v)
{
    char buf[40];
    qb_hfmt_double(buf, sizeof buf, v);
    return strdup(buf);
}

/* ---- series: one per record id, metric and unit, shared by every run ---- */

typedef struct {
    char *key; /* rec_id US metric US unit */
    char id[24];
} series_id;

typedef struct {
    series_id *v;
    size_t n;
} series_map;

static int cmp_series(const void *a, const void *b)
{
    return strcmp(((const series_id *)a)->key, ((const series_id *)b)->key);
}

static char *series_key(const char *rec, const char *metric, const char *unit)
{
    const size_t n = strlen(rec) + strlen(metric) + strlen(unit) + 3;
    char *k = malloc(n);
    if (k) snprintf(k, n, "%s\x1f%s\x1f%s", rec, metric, unit);
    return k;
}

static void map_free(series_map *m)
{
    for (size_t i = 0; i < m->n; i++) free(m->v[i].key);
    free(m->v);
    memset(m, 0, sizeof *m);
}

static int map_load(qb_hbackend *b, series_map *m)
{
    map_free(m);
    qb_hrows rows;
    int rc = b->query(b, "SELECT id, rec_id, metric, unit FROM series", 0, NULL, NULL, &rows);
    if (rc) return rc;
    m->v = calloc(rows.nrows + 1, sizeof *m->v);
    if (!m->v) rc = qb_fail(QB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < rows.nrows; i++) {
        series_id *e = &m->v[m->n++];
        snprintf(e->id, sizeof e->id, "%s", qb_hrows_cell(&rows, i, 0));
        e->key = series_key(qb_hrows_cell(&rows, i, 1), qb_hrows_cell(&rows, i, 2), qb_hrows_cell(&rows, i, 3));
        if (!e->key) rc = qb_fail(QB_ENOMEM, "out of memory");
    }
    qb_hrows_free(&rows);
    if (!rc) qsort(m->v, m->n, sizeof *m->v, cmp_series);
    return rc;
}

static const char *map_find(const series_map *m, const char *key)
{
    const series_id k = {(char *)key, ""};
    const series_id *e = m->n ? bsearch(&k, m->v, m->n, sizeof *m->v, cmp_series) : NULL;
    return e ? e->id : NULL;
}

/* Create the series of this run that the database does not have yet, then
 * load every series id. */
static int add_series(qb_hbackend *b, const qb_results *r, series_map *m)
{
    int rc = map_load(b, m);
    if (rc) return rc;
    qb_hbatch *bt = calloc(1, sizeof *bt);
    if (!bt) return qb_fail(QB_ENOMEM, "out of memory");
    bt->head = "INSERT INTO series (rec_id, metric, unit, better, is_primary) VALUES ";
    bt->ncols = 5;
    static const bool need[5] = {true, true, true, true, true};
    size_t created = 0;
    for (size_t i = 0; i < r->n && !rc; i++) {
        const qb_record *rec = &r->recs[i];
        const qb_metric *primary = qb_record_primary_metric(rec);
        for (size_t k = 0; k < rec->nmetrics && !rc; k++) {
            const qb_metric *mt = &rec->metrics[k];
            char *key = series_key(rec->id, mt->name, mt->unit);
            if (!key) {
                rc = qb_fail(QB_ENOMEM, "out of memory");
                break;
            }
            const bool known = map_find(m, key) != NULL;
            free(key);
            if (known) continue;
            char better[8];
            snprintf(better, sizeof better, "%d", mt->better);
            char *row[5] = {strdup(rec->id), strdup(mt->name), strdup(mt->unit), strdup(better),
                            strdup(mt == primary ? "1" : "0")};
            rc = qb_hbatch_row(b, bt, row, need);
            created++;
        }
    }
    if (!rc) rc = qb_hbatch_flush(b, bt);
    qb_hbatch_clear(bt);
    free(bt);
    if (!rc && created) rc = map_load(b, m);
    return rc;
}

static int add_records(qb_hbackend *b, const qb_results *r, const char *run, const series_map *map)
{
    qb_hbatch *recs = calloc(1, sizeof *recs), *pts = calloc(1, sizeof *pts), *smp = calloc(1, sizeof *smp);
    int rc = recs && pts && smp ? QB_OK : qb_fail(QB_ENOMEM, "out of memory");
    if (rc) goto out;
    recs->head = "INSERT INTO records (run_id, pos, rec_id, grp, params, notes) VALUES ";
    recs->ncols = 6;
    pts->head = "INSERT INTO points (run_id, series_id, pos, value, lo, hi) VALUES ";
    pts->ncols = 6;
    pts->before = recs;
    static const bool pt_double[6] = {false, false, false, true, true, true};
    pts->col_double = pt_double;
    smp->head = "INSERT INTO samples (run_id, series_id, samples, round_medians, round_sizes) VALUES ";
    smp->ncols = 5;
    smp->before = pts;
    static const bool rec_need[6] = {true, true, true, true, true, false};
    static const bool pt_need[6] = {true, true, true, true, true, true};
    static const bool smp_need[5] = {true, true, false, false, false};
    for (size_t i = 0; i < r->n && !rc; i++) {
        const qb_record *rec = &r->recs[i];
        char pos[24];
        snprintf(pos, sizeof pos, "%zu", i);
        char *row[6] = {strdup(run), strdup(pos), strdup(rec->id), strdup(rec->group), json_text(rec->params),
                        cJSON_GetArraySize(rec->notes) > 0 ? json_text(rec->notes) : NULL};
        if (cJSON_GetArraySize(rec->notes) > 0 && !row[5]) recs->oom = true;
        rc = qb_hbatch_row(b, recs, row, rec_need);
        for (size_t k = 0; k < rec->nmetrics && !rc; k++) {
            const qb_metric *m = &rec->metrics[k];
            char *key = series_key(rec->id, m->name, m->unit);
            const char *sid = key ? map_find(map, key) : NULL;
            free(key);
            if (!sid) {
                rc = key ? qb_fail(QB_EINTERNAL, "history add: no series for %s %s", rec->id, m->name)
                         : qb_fail(QB_ENOMEM, "out of memory");
                break;
            }
            double lo = m->value, hi = m->value;
            if (m->nsamples > 0) {
                double *s = malloc(m->nsamples * sizeof *s);
                if (!s) {
                    rc = qb_fail(QB_ENOMEM, "out of memory");
                    break;
                }
                memcpy(s, m->samples, m->nsamples * sizeof *s);
                qb_sort_doubles(s, m->nsamples);
                lo = qb_percentile_sorted(s, m->nsamples, 25);
                hi = qb_percentile_sorted(s, m->nsamples, 75);
                free(s);
            }
            char *prow[6] = {strdup(run), strdup(sid), strdup(pos), num_text(m->value), num_text(lo), num_text(hi)};
            rc = qb_hbatch_row(b, pts, prow, pt_need);
            if (rc || (!m->nsamples && !m->nrounds)) continue;
            char *srow[5] = {strdup(run), strdup(sid), m->nsamples ? doubles_text(m->samples, m->nsamples) : NULL,
                             m->nrounds ? doubles_text(m->round_medians, m->nrounds) : NULL,
                             m->nrounds ? sizes_text(m->round_sizes, m->nrounds) : NULL};
            if ((m->nsamples && !srow[2]) || (m->nrounds && (!srow[3] || !srow[4]))) smp->oom = true;
            rc = qb_hbatch_row(b, smp, srow, smp_need);
        }
    }
    if (!rc) rc = qb_hbatch_flush(b, smp); /* and the points and records before them */
    if (!rc) rc = qb_hbatch_flush(b, pts);
    if (!rc) rc = qb_hbatch_flush(b, recs);
out:
    if (recs) qb_hbatch_clear(recs);
    if (pts) qb_hbatch_clear(pts);
    if (smp) qb_hbatch_clear(smp);
    free(recs);
    free(pts);
    free(smp);
    return rc;
}

static const char *tool_str(const qb_results *r, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->tool, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

int qb_history_add(qb_history *h, const qb_results *r, const char *commit, const char *branch,
                   qb_history_added *out)
{
    qb_hbackend *b = h->b;
    memset(out, 0, sizeof *out);
    char key[20], desc[300], added[32];
    int rc = QB_OK;
    qb_history_run_key(r, key, sizeof key);
    qb_history_fingerprint(r->machine, out->machine, sizeof out->machine, desc, sizeof desc);
    const time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(added, sizeof added, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char *machine = json_text(r->machine), *tool = json_text(r->tool), *settings = json_text(r->settings);
    if (!machine || !tool || !settings) rc = qb_fail(QB_ENOMEM, "out of memory");
    if (!rc) rc = b->begin_write(b);
    if (rc) goto out;
    qb_hrows rows;
    const char *kp[] = {key};
    rc = b->query(b, "SELECT id, added FROM runs WHERE run_key = ?", 1, kp, NULL, &rows);
    if (!rc) {
        if (rows.nrows > 0)
            rc = qb_fail(QB_EINPUT, "history add: this run (started %s) is already in %s as run %s, added %s",
                         r->started, b->where, qb_hrows_cell(&rows, 0, 0), qb_hrows_cell(&rows, 0, 1));
        qb_hrows_free(&rows);
    }
    const char *mp[] = {out->machine, desc, machine};
    if (!rc)
        rc = b->query(b, "INSERT INTO machines (fingerprint, description, info) VALUES (?, ?, ?) "
                         "ON CONFLICT (fingerprint) DO NOTHING", 3, mp, NULL, NULL);
    const char *rp[] = {key, out->machine, commit ? commit : tool_str(r, "git"),
                        branch ? branch : tool_str(r, "branch"), r->started, added, tool, settings};
    if (!rc)
        rc = b->query(b, "INSERT INTO runs (run_key, machine, commit_id, branch, started, added, tool, settings) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", 8, rp, NULL, &rows);
    if (!rc) {
        const char *id = rows.nrows == 1 ? qb_hrows_cell(&rows, 0, 0) : NULL;
        out->run = id ? strtol(id, NULL, 10) : 0;
        if (out->run <= 0) rc = qb_fail(QB_EINTERNAL, "history add: %s gave the run no id", b->where);
        series_map map = {0};
        if (!rc) rc = add_series(b, r, &map);
        if (!rc) rc = add_records(b, r, id, &map);
        map_free(&map);
        qb_hrows_free(&rows);
    }
    if (!rc) rc = qb_hexec(b, "COMMIT");
    if (rc) {
        rc = qb_hrollback(b, rc);
        goto out;
    }
    out->records = r->n;
    for (size_t i = 0; i < r->n; i++) out->metrics += r->recs[i].nmetrics;
out:
    free(machine);
    free(tool);
    free(settings);
    return rc;
}
