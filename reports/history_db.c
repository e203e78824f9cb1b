/* Opening the results history: which database a --db word names, and the
 * versioned schema, created or migrated inside one write transaction so that
 * processes opening a new database at once agree on it. */
#include "history_backend.h"
#include "history_db.h"

#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void qb_hrows_free(qb_hrows *r)
{
    for (size_t i = 0; r->cells && i < r->nrows * r->ncols; i++) free(r->cells[i]);
    free(r->cells);
    memset(r, 0, sizeof *r);
}

int qb_hexec(qb_hbackend *b, const char *sql)
{
    return b->query(b, sql, 0, NULL, NULL, NULL);
}

int qb_hrollback(qb_hbackend *b, int rc)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", qb_last_error(rc));
    (void)qb_hexec(b, "ROLLBACK");
    return qb_fail(rc, "%s", msg);
}

int qb_hfail(const qb_hbackend *b, qb_herr kind, const char *msg)
{
    switch (kind) {
    case QB_HERR_LOCKED:
        return qb_fail(QB_EINPUT, "history database %s is locked by another process (waited %g s)", b->where,
                       b->wait_s);
    case QB_HERR_READONLY: return qb_fail(QB_EINPUT, "history database %s is read-only: %s", b->where, msg);
    case QB_HERR_OTHER: break;
    }
    return qb_fail(QB_EIO, "history database %s: %s", b->where, msg);
}

void qb_hfmt_double(char *buf, size_t len, double v)
{
    /* most figures read from a results file need 15 digits at most */
    snprintf(buf, len, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, len, "%.17g", v);
}

/* ---- schema ---- */

/* Each migration takes the schema from version i to i + 1. "{ID}" is the
 * column type of an id the database assigns. */
static const char *const schema_v1[] = {
    "CREATE TABLE machines (fingerprint TEXT PRIMARY KEY, description TEXT NOT NULL, info TEXT NOT NULL)",
    "CREATE TABLE runs (id {ID}, run_key TEXT NOT NULL UNIQUE, machine TEXT NOT NULL "
    "REFERENCES machines(fingerprint), commit_id TEXT NOT NULL, branch TEXT NOT NULL, started TEXT NOT NULL, "
    "added TEXT NOT NULL, tool TEXT NOT NULL, settings TEXT NOT NULL)",
    "CREATE TABLE records (run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, pos INTEGER NOT NULL, "
    "rec_id TEXT NOT NULL, grp TEXT NOT NULL, params TEXT NOT NULL, notes TEXT, PRIMARY KEY (run_id, pos))",
    "CREATE TABLE series (id {ID}, rec_id TEXT NOT NULL, metric TEXT NOT NULL, unit TEXT NOT NULL, "
    "better INTEGER NOT NULL, is_primary INTEGER NOT NULL, UNIQUE (rec_id, metric, unit))",
    "CREATE TABLE points (run_id BIGINT NOT NULL, series_id BIGINT NOT NULL REFERENCES series(id), "
    "pos INTEGER NOT NULL, value DOUBLE PRECISION NOT NULL, lo DOUBLE PRECISION NOT NULL, "
    "hi DOUBLE PRECISION NOT NULL, PRIMARY KEY (run_id, series_id), "
    "FOREIGN KEY (run_id, pos) REFERENCES records(run_id, pos) ON DELETE CASCADE)",
    "CREATE INDEX points_by_series ON points (series_id)",
    "CREATE TABLE samples (run_id BIGINT NOT NULL, series_id BIGINT NOT NULL, samples TEXT, "
    "round_medians TEXT, round_sizes TEXT, PRIMARY KEY (run_id, series_id), "
    "FOREIGN KEY (run_id, series_id) REFERENCES points(run_id, series_id) ON DELETE CASCADE)",
};

static const struct {
    const char *const *stmts;
    size_t n;
} migrations[QB_HISTORY_SCHEMA_VERSION] = {
    {schema_v1, sizeof schema_v1 / sizeof schema_v1[0]},
};

/* The schema version, 0 when the database has none yet (or no meta table). */
static int read_version(qb_hbackend *b, long *v, bool must_exist)
{
    qb_hrows rows;
    int rc = b->query(b, "SELECT value FROM meta WHERE key = 'schema_version'", 0, NULL, NULL, &rows);
    if (rc) {
        if (must_exist) return rc;
        qb_clear_error();
        *v = 0;
        return QB_OK;
    }
    *v = 0;
    if (rows.nrows > 0) {
        const char *t = qb_hrows_cell(&rows, 0, 0);
        char *end;
        *v = t ? strtol(t, &end, 10) : -1;
        if (!t || *end || *v < 1)
            rc = qb_fail(QB_EINPUT, "history database %s: meta schema_version '%s' is not a version number",
                         b->where, t ? t : "NULL");
    }
    qb_hrows_free(&rows);
    return rc;
}

static int newer(qb_hbackend *b, long v)
{
    return qb_fail(QB_EINPUT, "history database %s has schema version %ld; this qbench knows versions up to %d "
                              "(use a newer qbench)", b->where, v, QB_HISTORY_SCHEMA_VERSION);
}

static int run_migration(qb_hbackend *b, long from)
{
    for (size_t i = 0; i < migrations[from].n; i++) {
        const char *s = migrations[from].stmts[i];
        const char *id = strstr(s, "{ID}");
        char sql[1024];
        if (id)
            snprintf(sql, sizeof sql, "%.*s%s%s", (int)(id - s), s, b->id_column, id + 4);
        else
            snprintf(sql, sizeof sql, "%s", s);
        const int rc = qb_hexec(b, sql);
        if (rc) return rc;
    }
    return QB_OK;
}

static int migrate(qb_hbackend *b)
{
    long v;
    int rc = read_version(b, &v, false);
    if (rc) return rc;
    if (v > QB_HISTORY_SCHEMA_VERSION) return newer(b, v);
    if (v == QB_HISTORY_SCHEMA_VERSION) return QB_OK;
    /* Read again under the write lock: another process may have migrated. */
    if ((rc = b->begin_write(b)) != QB_OK) return rc;
    rc = qb_hexec(b, "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    if (!rc) rc = read_version(b, &v, true);
    if (!rc && v > QB_HISTORY_SCHEMA_VERSION) rc = newer(b, v);
    const long from = v;
    for (; !rc && v < QB_HISTORY_SCHEMA_VERSION; v++) rc = run_migration(b, v);
    if (!rc && from < QB_HISTORY_SCHEMA_VERSION) {
        char ver[24];
        snprintf(ver, sizeof ver, "%d", QB_HISTORY_SCHEMA_VERSION);
        const char *p[] = {ver};
        rc = b->query(b, from == 0 ? "INSERT INTO meta (key, value) VALUES ('schema_version', ?)"
                                   : "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                      1, p, NULL, NULL);
    }
    if (!rc) rc = qb_hexec(b, "COMMIT");
    return rc ? qb_hrollback(b, rc) : QB_OK;
}

/* ---- opening ---- */

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        const int bad = mkdir(path, 0755) != 0 && errno != EEXIST;
        *p = '/';
        if (bad) return -1;
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int qb_history_default_db(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    char dir[4096];
    if (xdg && *xdg) snprintf(dir, sizeof dir, "%s/qbench", xdg);
    else if (home && *home) snprintf(dir, sizeof dir, "%s/.local/share/qbench", home);
    else return qb_fail(QB_EUSAGE, "history: neither XDG_DATA_HOME nor HOME is set: name the database with --db");
    if (mkdirs(dir) != 0) return qb_fail(QB_EIO, "cannot create '%s': %s", dir, strerror(errno));
    if ((size_t)snprintf(buf, len, "%s/history.sqlite", dir) >= len)
        return qb_fail(QB_EUSAGE, "history: the default database path is too long");
    return QB_OK;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int qb_history_open(const char *db, double wait_s, qb_history **out)
{
    *out = NULL;
    char def[4200];
    if (!db) {
        const int rc = qb_history_default_db(def, sizeof def);
        if (rc) return rc;
        db = def;
    }
    qb_hbackend *b = NULL;
    int rc;
    if (starts(db, "postgresql://") || starts(db, "postgres://"))
        rc = qb_hpg_open(db, wait_s, &b);
    else if (starts(db, "postgresql:") || starts(db, "postgres:"))
        rc = qb_hpg_open(strchr(db, ':') + 1, wait_s, &b);
    else if (starts(db, "sqlite:") || !strstr(db, "://"))
        rc = starts(db, "sqlite:") && !db[7]
                 ? qb_fail(QB_EUSAGE, "history --db: 'sqlite:' needs a file path")
                 : qb_hsqlite_open(starts(db, "sqlite:") ? db + 7 : db, wait_s, &b);
    else
        rc = qb_fail(QB_EUSAGE, "history --db: unknown database '%s' (sqlite:PATH, postgresql://..., "
                                "postgresql:KEY=VALUE ...)", db);
    if (rc) return rc;
    if ((rc = migrate(b)) != QB_OK) {
        b->close(b);
        return rc;
    }
    qb_history *h = calloc(1, sizeof *h);
    if (!h) {
        b->close(b);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    h->b = b;
    *out = h;
    return QB_OK;
}

void qb_history_close(qb_history *h)
{
    if (!h) return;
    h->b->close(h->b);
    free(h);
}

const char *qb_history_where(const qb_history *h)
{
    return h->b->where;
}
