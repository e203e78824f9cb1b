/* The results history's PostgreSQL backend (libpq): '?' placeholders become
 * $1, $2, ...; writers are serialised by a transaction-scoped advisory lock,
 * so a run is added whole or not at all, as with SQLite. Built without libpq,
 * opening says so. */
#include "history_backend.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef QB_HAVE_LIBPQ
#include <libpq-fe.h>

/* The advisory lock every history writer takes: an arbitrary constant that
 * names this use of the lock space. */
#define HISTORY_LOCK_KEY 0x71626e68

typedef struct {
    qb_hbackend b; /* first: the interface the caller holds */
    PGconn *conn;
    char *sql;      /* the last statement rewritten with $n */
    char *sql_from; /* ... and its '?' form */
} pg_backend;

/* libpq's messages end in a newline and may span lines: one line. */
static void fold_lines(char *msg)
{
    for (char *c = msg; *c; c++)
        if (*c == '\n') *c = *(c + 1) ? ' ' : '\0';
}

static int pg_fail(pg_backend *p, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char msg[400];
    snprintf(msg, sizeof msg, "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(p->conn));
    fold_lines(msg);
    if (state && strcmp(state, "55P03") == 0) return qb_hfail(&p->b, QB_HERR_LOCKED, msg);
    if (state && strcmp(state, "25006") == 0) return qb_hfail(&p->b, QB_HERR_READONLY, msg);
    return qb_hfail(&p->b, QB_HERR_OTHER, msg);
}

/* '?' -> $n (the statements hold no '?' inside quotes). */
static const char *rewrite(pg_backend *p, const char *sql)
{
    if (p->sql_from && strcmp(p->sql_from, sql) == 0) return p->sql;
    size_t marks = 0;
    for (const char *c = sql; *c; c++) marks += *c == '?';
    char *out = malloc(strlen(sql) + marks * 8 + 1), *from = strdup(sql);
    if (!out || !from) {
        free(out);
        free(from);
        return NULL;
    }
    char *o = out;
    size_t n = 0;
    for (const char *c = sql; *c; c++)
        if (*c == '?') o += sprintf(o, "$%zu", ++n);
        else *o++ = *c;
    *o = '\0';
    free(p->sql);
    free(p->sql_from);
    p->sql = out;
    p->sql_from = from;
    return out;
}

static int pg_query(qb_hbackend *b, const char *sql, size_t np, const char *const *params, const bool *is_double,
                    qb_hrows *rows)
{
    (void)is_double; /* the server reads numbers with a correctly rounded conversion */
    pg_backend *p = (pg_backend *)b;
    const char *q = rewrite(p, sql);
    if (!q) return qb_fail(QB_ENOMEM, "out of memory");
    PGresult *res = PQexecParams(p->conn, q, (int)np, NULL, params, NULL, NULL, 0);
    const ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const int rc = pg_fail(p, res);
        PQclear(res);
        return rc;
    }
    int rc = QB_OK;
    if (rows) {
        memset(rows, 0, sizeof *rows);
        rows->nrows = (size_t)PQntuples(res);
        rows->ncols = (size_t)PQnfields(res);
        if (rows->nrows > 0 && rows->ncols > 0) {
            rows->cells = calloc(rows->nrows * rows->ncols, sizeof *rows->cells);
            if (!rows->cells) rc = qb_fail(QB_ENOMEM, "out of memory");
        }
        for (size_t r = 0; !rc && r < rows->nrows; r++)
            for (size_t c = 0; !rc && c < rows->ncols; c++) {
                if (PQgetisnull(res, (int)r, (int)c)) continue;
                char *t = strdup(PQgetvalue(res, (int)r, (int)c));
                if (!t) rc = qb_fail(QB_ENOMEM, "out of memory");
                rows->cells[r * rows->ncols + c] = t;
            }
        if (rc) qb_hrows_free(rows);
    }
    PQclear(res);
    return rc;
}

static int pg_begin_write(qb_hbackend *b)
{
    int rc = qb_hexec(b, "BEGIN");
    char sql[80];
    snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%d)", HISTORY_LOCK_KEY);
    if (!rc) rc = b->query(b, sql, 0, NULL, NULL, NULL);
    return rc ? qb_hrollback(b, rc) : QB_OK;
}

static void pg_close(qb_hbackend *b)
{
    pg_backend *p = (pg_backend *)b;
    PQfinish(p->conn);
    free(p->sql);
    free(p->sql_from);
    free(p);
}

int qb_hpg_open(const char *conninfo, double wait_s, qb_hbackend **out)
{
    pg_backend *p = calloc(1, sizeof *p);
    if (!p) return qb_fail(QB_ENOMEM, "out of memory");
    p->b.name = "postgresql";
    p->b.id_column = "BIGSERIAL PRIMARY KEY";
    p->b.begin_write = pg_begin_write;
    p->b.query = pg_query;
    p->b.close = pg_close;
    p->b.wait_s = wait_s;
    p->conn = PQconnectdb(conninfo);
    if (!p->conn) {
        free(p);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    /* Name the database without its password. */
    snprintf(p->b.where, sizeof p->b.where, "'postgresql: %s%s%s'", PQdb(p->conn) ? PQdb(p->conn) : "?",
             PQhost(p->conn) ? " on " : "", PQhost(p->conn) ? PQhost(p->conn) : "");
    if (PQstatus(p->conn) != CONNECTION_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(p->conn));
        fold_lines(msg);
        pg_close(&p->b);
        return qb_fail(QB_EINPUT, "history database: cannot connect to PostgreSQL: %s", msg);
    }
    *out = &p->b;
    /* Floats printed to read back the same double; lock waits bounded;
     * notices (CREATE ... IF NOT EXISTS) kept off the terminal. */
    char timeout[80];
    snprintf(timeout, sizeof timeout, "SET lock_timeout = %ld",
             (long)(wait_s * 1000) > 0 ? (long)(wait_s * 1000) : 1);
    int rc = qb_hexec(&p->b, "SET extra_float_digits = 3");
    if (!rc) rc = qb_hexec(&p->b, "SET client_min_messages = warning");
    if (!rc) rc = qb_hexec(&p->b, timeout);
    if (rc) {
        pg_close(&p->b);
        *out = NULL;
    }
    return rc;
}

#else

int qb_hpg_open(const char *conninfo, double wait_s, qb_hbackend **out)
{
    (void)conninfo;
    (void)wait_s;
    *out = NULL;
    return qb_fail(QB_EUSAGE, "history database: qbench was built without libpq, so PostgreSQL is "
                              "unavailable (apt-get install libpq-dev and rebuild)");
}

#endif
