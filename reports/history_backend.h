/* The small interface the results history talks to a database through: one
 * implementation per database (history_sqlite.c, history_pg.c). Statements
 * are written once with '?' placeholders; every parameter and every cell is
 * text (SQL NULL is a NULL pointer), and a backend prints floating-point cells
 * with enough digits to read back the same double, so both databases give the
 * same answers. */
#ifndef QB_HISTORY_BACKEND_H
#define QB_HISTORY_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

/* A query's answer: nrows x ncols cells, row-major. */
typedef struct {
    size_t nrows, ncols;
    char **cells;
} qb_hrows;

static inline const char *qb_hrows_cell(const qb_hrows *r, size_t row, size_t col)
{
    return r->cells[row * r->ncols + col];
}

void qb_hrows_free(qb_hrows *r);

typedef struct qb_hbackend {
    const char *name;      /* "sqlite" or "postgresql" */
    const char *id_column; /* the column type of an id the database assigns */
    /* Start a write transaction that serialises with every other writer. */
    int (*begin_write)(struct qb_hbackend *b);
    /* Run one statement with np text parameters; rows (may be NULL) receives
     * the answer. is_double (may be NULL) marks the parameters that are
     * numbers printed to read back exactly, which a backend whose own text
     * conversion is not correctly rounded binds as doubles. Errors are one
     * line naming the database. */
    int (*query)(struct qb_hbackend *b, const char *sql, size_t np, const char *const *params,
                 const bool *is_double, qb_hrows *rows);
    void (*close)(struct qb_hbackend *b);
    char where[160]; /* how messages name the database */
    double wait_s;   /* how long a writer waits for another's lock */
} qb_hbackend;

/* Open by location: a file path for SQLite (wait_s: how long a locked file
 * is waited for), a libpq connection string for PostgreSQL. */
int qb_hsqlite_open(const char *path, double wait_s, qb_hbackend **out);
int qb_hpg_open(const char *conninfo, double wait_s, qb_hbackend **out);

/* Run a statement without parameters or answer: DDL, COMMIT, ROLLBACK. */
int qb_hexec(qb_hbackend *b, const char *sql);

/* What a qb_history handle (history_db.h) holds. */
struct qb_history {
    qb_hbackend *b;
};

/* Print v with the fewest digits that read back the same double. */
void qb_hfmt_double(char *buf, size_t len, double v);

/* Roll back the open transaction, keeping the error that made it fail. */
int qb_hrollback(qb_hbackend *b, int rc);

/* What a backend's error is, as both databases report it. */
typedef enum { QB_HERR_LOCKED, QB_HERR_READONLY, QB_HERR_OTHER } qb_herr;

/* Report a database error naming the database: a lock another writer held
 * past wait_s and a read-only database are bad input (QB_EINPUT), anything
 * else QB_EIO; msg is the database's own one-line message. */
int qb_hfail(const qb_hbackend *b, qb_herr kind, const char *msg);

#endif
