/* The results history's SQLite backend: one file, writers serialised by
 * BEGIN IMMEDIATE and a busy timeout, the last prepared statement kept for
 * the batched inserts that repeat it. */
#include "history_backend.h"

#include "error.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    qb_hbackend b; /* first: the interface the caller holds */
    sqlite3 *db;
    sqlite3_stmt *last; /* the statement of last_sql, ready to reset and rebind */
    char *last_sql;
} sq_backend;

static int sq_fail(sq_backend *s, int code)
{
    const int base = code & 0xff;
    if (base == SQLITE_BUSY || base == SQLITE_LOCKED) return qb_hfail(&s->b, QB_HERR_LOCKED, NULL);
    if (base == SQLITE_READONLY) return qb_hfail(&s->b, QB_HERR_READONLY, sqlite3_errmsg(s->db));
    if (base == SQLITE_NOTADB || base == SQLITE_CORRUPT)
        return qb_fail(QB_EINPUT, "history database %s is not an SQLite database or is damaged: %s",
                       s->b.where, sqlite3_errmsg(s->db));
    if (base == SQLITE_CANTOPEN)
        return qb_fail(QB_EINPUT, "history database %s cannot be opened: %s", s->b.where, sqlite3_errmsg(s->db));
    return qb_hfail(&s->b, QB_HERR_OTHER, sqlite3_errmsg(s->db));
}

/* A cell as text; a REAL printed to read back the same double. */
static char *cell_text(sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL: return NULL;
    case SQLITE_FLOAT: {
        char buf[40];
        snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(st, col));
        return strdup(buf);
    }
    default: {
        const unsigned char *t = sqlite3_column_text(st, col);
        return strdup(t ? (const char *)t : "");
    }
    }
}

static int sq_prepare(sq_backend *s, const char *sql, sqlite3_stmt **st)
{
    if (s->last && strcmp(s->last_sql, sql) == 0) {
        sqlite3_reset(s->last);
        sqlite3_clear_bindings(s->last);
        *st = s->last;
        return QB_OK;
    }
    sqlite3_finalize(s->last);
    free(s->last_sql);
    s->last = NULL;
    s->last_sql = NULL;
    const int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    if (rc != SQLITE_OK) return sq_fail(s, rc);
    s->last_sql = strdup(sql);
    if (!s->last_sql) {
        sqlite3_finalize(*st);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    s->last = *st;
    return QB_OK;
}

static int grow_rows(qb_hrows *r, size_t *cap)
{
    if ((r->nrows + 1) * r->ncols <= *cap) return QB_OK;
    const size_t ncap = *cap ? 2 * *cap : 64 * r->ncols;
    char **c = realloc(r->cells, ncap * sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    r->cells = c;
    *cap = ncap;
    return QB_OK;
}

static int sq_query(qb_hbackend *b, const char *sql, size_t np, const char *const *params, const bool *is_double,
                    qb_hrows *rows)
{
    sq_backend *s = (sq_backend *)b;
    sqlite3_stmt *st;
    int rc = sq_prepare(s, sql, &st);
    if (rc) return rc;
    for (size_t i = 0; i < np; i++) {
        /* SQLite's own text-to-real conversion may miss the nearest double
         * by one unit in the last place: numbers go in as doubles */
        const int brc = !params[i]                     ? sqlite3_bind_null(st, (int)i + 1)
                        : is_double && is_double[i] ? sqlite3_bind_double(st, (int)i + 1, strtod(params[i], NULL))
                                                    : sqlite3_bind_text(st, (int)i + 1, params[i], -1, SQLITE_STATIC);
        if (brc != SQLITE_OK) return sq_fail(s, brc);
    }
    if (rows) {
        memset(rows, 0, sizeof *rows);
        rows->ncols = (size_t)sqlite3_column_count(st);
    }
    size_t cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (!rows || rows->ncols == 0) continue;
        if ((rc = grow_rows(rows, &cap)) != QB_OK) break;
        for (size_t c = 0; c < rows->ncols; c++) {
            char *t = cell_text(st, (int)c);
            rows->cells[rows->nrows * rows->ncols + c] = t;
            if (!t && sqlite3_column_type(st, (int)c) != SQLITE_NULL) rc = qb_fail(QB_ENOMEM, "out of memory");
        }
        rows->nrows++;
        if (rc) break;
    }
    if (!rc && step != SQLITE_DONE) rc = sq_fail(s, step);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st); /* the parameters belong to the caller */
    if (rc && rows) qb_hrows_free(rows);
    return rc;
}

static int sq_begin_write(qb_hbackend *b)
{
    return qb_hexec(b, "BEGIN IMMEDIATE");
}

static void sq_close(qb_hbackend *b)
{
    sq_backend *s = (sq_backend *)b;
    sqlite3_finalize(s->last);
    free(s->last_sql);
    sqlite3_close(s->db);
    free(s);
}

int qb_hsqlite_open(const char *path, double wait_s, qb_hbackend **out)
{
    sq_backend *s = calloc(1, sizeof *s);
    if (!s) return qb_fail(QB_ENOMEM, "out of memory");
    s->b.name = "sqlite";
    s->b.id_column = "INTEGER PRIMARY KEY";
    s->b.begin_write = sq_begin_write;
    s->b.query = sq_query;
    s->b.close = sq_close;
    s->b.wait_s = wait_s;
    snprintf(s->b.where, sizeof s->b.where, "'%s'", path);
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        rc = s->db ? sq_fail(s, rc) : qb_fail(QB_ENOMEM, "out of memory");
        sqlite3_close(s->db);
        free(s);
        return rc;
    }
    sqlite3_busy_timeout(s->db, (int)fmin(wait_s * 1000, 1e9));
    sqlite3_extended_result_codes(s->db, 1);
    *out = &s->b;
    /* Foreign keys are checked, and a process killed mid-transaction leaves a
     * journal the next opener rolls back. */
    rc = qb_hexec(&s->b, "PRAGMA foreign_keys = ON");
    if (rc) {
        sq_close(&s->b);
        *out = NULL;
    }
    return rc;
}
