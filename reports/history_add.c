/* Adding one run to the results history: its machine, its run row, the
 * series it adds, then every record, metric figure (points) and its samples
 * and round medians (as text) in batched inserts, all in one write
 * transaction. */
#include "history_backend.h"
#include "history_db.h"

#include "error.h"
#include "textbuf.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rows per INSERT: few round trips to a server, and well under either
 * database's limit on parameters per statement. */
#define ROWS_PER_INSERT 64

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define FNV_BASIS 0xcbf29ce484222325ull

static void add_item(qb_buf *b, const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v)) qb_buf_printf(b, "%s=%s;", key, v->valuestring);
    else if (cJSON_IsNumber(v)) qb_buf_printf(b, "%s=%.17g;", key, v->valuedouble);
    else if (cJSON_IsBool(v)) qb_buf_printf(b, "%s=%d;", key, cJSON_IsTrue(v));
}

void qb_history_fingerprint(const cJSON *machine, char *fp, size_t fplen, char *desc, size_t dlen)
{
    static const char *const keys[] = {"cpu", "vendor", "family", "model", "stepping", "cores",
                                       "threads", "threads_per_core", "virtualized", "hypervisor"};
    qb_buf b = {0};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) add_item(&b, machine, keys[i]);
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(machine, "caches"))
    {
        qb_buf_printf(&b, "cache:");
        add_item(&b, c, "level");
        add_item(&b, c, "type");
        add_item(&b, c, "bytes");
    }
    snprintf(fp, fplen, "%016llx", (unsigned long long)fnv1a(FNV_BASIS, b.s ? b.s : "", b.len));
    qb_buf_free(&b);
    const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(machine, "cpu");
    const cJSON *cores = cJSON_GetObjectItemCaseSensitive(machine, "cores");
    const cJSON *threads = cJSON_GetObjectItemCaseSensitive(machine, "threads");
    snprintf(desc, dlen, "%s, %d cores, %d threads", cJSON_IsString(cpu) ? cpu->valuestring : "unknown CPU",
             cJSON_IsNumber(cores) ? cores->valueint : 0, cJSON_IsNumber(threads) ? threads->valueint : 0);
}

size_t qb_history_primary_metric(const qb_record *rec)
{
    for (size_t i = 0; i < rec->nmetrics; i++)
        if (strcmp(rec->metrics[i].name, "time") == 0) return i;
    for (size_t i = 0; i < rec->nmetrics; i++)
        if (rec->metrics[i].better != QB_BETTER_NONE) return i;
    return 0;
}

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

/* Rows of ncols text cells, inserted ROWS_PER_INSERT at a time; the batch
 * owns its cells. */
typedef struct batch {
    const char *head; /* "INSERT INTO t (a, b) VALUES " */
    size_t ncols, nrows;
    struct batch *before; /* flushed first: the rows these rows refer to */
    const bool *col_double; /* ncols flags: which columns are doubles (NULL: none) */
    char *cells[ROWS_PER_INSERT * 16];
    bool dbl[ROWS_PER_INSERT * 16]; /* col_double repeated for each row */
    bool oom;
} batch;

static void batch_clear(batch *bt)
{
    for (size_t i = 0; i < bt->nrows * bt->ncols; i++) free(bt->cells[i]);
    bt->nrows = 0;
}

static int batch_flush(qb_hbackend *b, batch *bt)
{
    if (bt->oom) {
        batch_clear(bt);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    if (bt->nrows == 0) return QB_OK;
    if (bt->before) {
        const int rc = batch_flush(b, bt->before);
        if (rc) {
            batch_clear(bt);
            return rc;
        }
    }
    qb_buf sql = {0};
    qb_buf_printf(&sql, "%s", bt->head);
    for (size_t r = 0; r < bt->nrows; r++) {
        qb_buf_printf(&sql, "%s(", r ? ", " : "");
        for (size_t c = 0; c < bt->ncols; c++) qb_buf_printf(&sql, "%s?", c ? ", " : "");
        qb_buf_printf(&sql, ")");
    }
    int rc = sql.oom ? qb_fail(QB_ENOMEM, "out of memory")
                     : b->query(b, sql.s, bt->nrows * bt->ncols, (const char *const *)bt->cells, bt->dbl, NULL);
    qb_buf_free(&sql);
    batch_clear(bt);
    return rc;
}

/* Append one row (ncols cells, taken over; NULL is SQL NULL unless the
 * matching `need` flag says an allocation failed). */
static int batch_row(qb_hbackend *b, batch *bt, char **row, const bool *need)
{
    for (size_t c = 0; c < bt->ncols; c++) {
        bt->cells[bt->nrows * bt->ncols + c] = row[c];
        bt->dbl[bt->nrows * bt->ncols + c] = bt->col_double && bt->col_double[c];
        if (!row[c] && need[c]) bt->oom = true;
    }
    bt->nrows++;
    return bt->nrows == ROWS_PER_INSERT ? batch_flush(b, bt) : QB_OK;
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
    batch *bt = calloc(1, sizeof *bt);
    if (!bt) return qb_fail(QB_ENOMEM, "out of memory");
    bt->head = "INSERT INTO series (rec_id, metric, unit, better, is_primary) VALUES ";
    bt->ncols = 5;
    static const bool need[5] = {true, true, true, true, true};
    size_t created = 0;
    for (size_t i = 0; i < r->n && !rc; i++) {
        const qb_record *rec = &r->recs[i];
        const size_t primary = qb_history_primary_metric(rec);
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
                            strdup(k == primary ? "1" : "0")};
            rc = batch_row(b, bt, row, need);
            created++;
        }
    }
    if (!rc) rc = batch_flush(b, bt);
    batch_clear(bt);
    free(bt);
    if (!rc && created) rc = map_load(b, m);
    return rc;
}

static int add_records(qb_hbackend *b, const qb_results *r, const char *run, const series_map *map)
{
    batch *recs = calloc(1, sizeof *recs), *pts = calloc(1, sizeof *pts), *smp = calloc(1, sizeof *smp);
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
        rc = batch_row(b, recs, row, rec_need);
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
            rc = batch_row(b, pts, prow, pt_need);
            if (rc || (!m->nsamples && !m->nrounds)) continue;
            char *srow[5] = {strdup(run), strdup(sid), m->nsamples ? doubles_text(m->samples, m->nsamples) : NULL,
                             m->nrounds ? doubles_text(m->round_medians, m->nrounds) : NULL,
                             m->nrounds ? sizes_text(m->round_sizes, m->nrounds) : NULL};
            if ((m->nsamples && !srow[2]) || (m->nrounds && (!srow[3] || !srow[4]))) smp->oom = true;
            rc = batch_row(b, smp, srow, smp_need);
        }
    }
    if (!rc) rc = batch_flush(b, smp); /* and the points and records before them */
    if (!rc) rc = batch_flush(b, pts);
    if (!rc) rc = batch_flush(b, recs);
out:
    if (recs) batch_clear(recs);
    if (pts) batch_clear(pts);
    if (smp) batch_clear(smp);
    free(recs);
    free(pts);
    free(smp);
    return rc;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return fnv1a(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static uint64_t fnv_json(uint64_t h, const cJSON *v)
{
    char *t = v ? cJSON_PrintUnformatted(v) : NULL;
    h = fnv_str(h, t);
    free(t);
    return h;
}

/* A run's identity: a hash of its start, tool, machine, settings and every
 * record's id, parameters and figures (the doubles' bytes), so the same file
 * added again (under any commit) is recognised. */
static void run_key(const qb_results *r, char *key, size_t len)
{
    uint64_t h = fnv_str(FNV_BASIS, r->started);
    h = fnv_json(h, r->tool);
    h = fnv_json(h, r->machine);
    h = fnv_json(h, r->settings);
    for (size_t i = 0; i < r->n; i++) {
        const qb_record *rec = &r->recs[i];
        h = fnv_str(h, rec->id);
        h = fnv_json(h, rec->params);
        for (size_t k = 0; k < rec->nmetrics; k++) {
            const qb_metric *m = &rec->metrics[k];
            h = fnv_str(h, m->name);
            h = fnv1a(h, (const char *)&m->value, sizeof m->value);
            if (m->nsamples) h = fnv1a(h, (const char *)m->samples, m->nsamples * sizeof *m->samples);
        }
    }
    snprintf(key, len, "%016llx", (unsigned long long)h);
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
    run_key(r, key, sizeof key);
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
