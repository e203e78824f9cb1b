/* Adding one run to the results history: its machine, its run row, then
 * every record and metric (samples and round medians as text) in batched
 * inserts, all in one write transaction. */
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
    char *cells[ROWS_PER_INSERT * 16];
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
                     : b->query(b, sql.s, bt->nrows * bt->ncols, (const char *const *)bt->cells, NULL);
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
        if (!row[c] && need[c]) bt->oom = true;
    }
    bt->nrows++;
    return bt->nrows == ROWS_PER_INSERT ? batch_flush(b, bt) : QB_OK;
}

static int add_records(qb_hbackend *b, const qb_results *r, const char *run)
{
    batch *recs = calloc(1, sizeof *recs), *mets = calloc(1, sizeof *mets);
    int rc = recs && mets ? QB_OK : qb_fail(QB_ENOMEM, "out of memory");
    if (rc) goto out;
    recs->head = "INSERT INTO records (run_id, pos, rec_id, grp, params, notes) VALUES ";
    recs->ncols = 6;
    mets->head = "INSERT INTO metrics (run_id, pos, name, rec_id, unit, better, is_primary, value, lo, hi, "
                 "samples, round_medians, round_sizes) VALUES ";
    mets->ncols = 13;
    mets->before = recs;
    static const bool rec_need[6] = {true, true, true, true, true, false};
    static const bool met_need[13] = {true, true, true, true, true, true, true, true, true, true};
    for (size_t i = 0; i < r->n && !rc; i++) {
        const qb_record *rec = &r->recs[i];
        char pos[24];
        snprintf(pos, sizeof pos, "%zu", i);
        char *row[13] = {strdup(run), strdup(pos), strdup(rec->id), strdup(rec->group), json_text(rec->params),
                         cJSON_GetArraySize(rec->notes) > 0 ? json_text(rec->notes) : NULL};
        if (rec->notes && cJSON_GetArraySize(rec->notes) > 0 && !row[5]) recs->oom = true;
        rc = batch_row(b, recs, row, rec_need);
        const size_t primary = qb_history_primary_metric(rec);
        for (size_t k = 0; k < rec->nmetrics && !rc; k++) {
            const qb_metric *m = &rec->metrics[k];
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
            char better[8], prim[4];
            snprintf(better, sizeof better, "%d", m->better);
            snprintf(prim, sizeof prim, "%d", k == primary);
            char *mrow[13] = {strdup(run), strdup(pos), strdup(m->name), strdup(rec->id), strdup(m->unit),
                              strdup(better), strdup(prim), num_text(m->value), num_text(lo), num_text(hi),
                              m->nsamples ? doubles_text(m->samples, m->nsamples) : NULL,
                              m->nrounds ? doubles_text(m->round_medians, m->nrounds) : NULL,
                              m->nrounds ? sizes_text(m->round_sizes, m->nrounds) : NULL};
            if ((m->nsamples && !mrow[10]) || (m->nrounds && (!mrow[11] || !mrow[12]))) mets->oom = true;
            rc = batch_row(b, mets, mrow, met_need);
        }
    }
    if (!rc) rc = batch_flush(b, recs);
    if (!rc) rc = batch_flush(b, mets);
out:
    if (recs) batch_clear(recs);
    if (mets) batch_clear(mets);
    free(recs);
    free(mets);
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
    rc = b->query(b, "SELECT id, added FROM runs WHERE run_key = ?", 1, kp, &rows);
    if (!rc) {
        if (rows.nrows > 0)
            rc = qb_fail(QB_EINPUT, "history add: this run (started %s) is already in %s as run %s, added %s",
                         r->started, b->where, qb_hrows_cell(&rows, 0, 0), qb_hrows_cell(&rows, 0, 1));
        qb_hrows_free(&rows);
    }
    const char *mp[] = {out->machine, desc, machine};
    if (!rc)
        rc = b->query(b, "INSERT INTO machines (fingerprint, description, info) VALUES (?, ?, ?) "
                         "ON CONFLICT (fingerprint) DO NOTHING", 3, mp, NULL);
    const char *rp[] = {key, out->machine, commit ? commit : tool_str(r, "git"),
                        branch ? branch : tool_str(r, "branch"), r->started, added, tool, settings};
    if (!rc)
        rc = b->query(b, "INSERT INTO runs (run_key, machine, commit_id, branch, started, added, tool, settings) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", 8, rp, &rows);
    if (!rc) {
        const char *id = rows.nrows == 1 ? qb_hrows_cell(&rows, 0, 0) : NULL;
        out->run = id ? strtol(id, NULL, 10) : 0;
        if (out->run <= 0) rc = qb_fail(QB_EINTERNAL, "history add: %s gave the run no id", b->where);
        if (!rc) rc = add_records(b, r, id);
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
