/* The results history: every run added to one database (an SQLite file, or
 * PostgreSQL shared by many machines), and each metric's series read back
 * per machine, oldest run first. The schema is versioned and migrated when
 * the database is opened; a run is added in one transaction, whole or not
 * at all. */
#ifndef QB_HISTORY_DB_H
#define QB_HISTORY_DB_H

#include "results.h"

#include <stdbool.h>
#include <stddef.h>

/* The schema this qbench writes; a database of a later version is refused. */
#define QB_HISTORY_SCHEMA_VERSION 1

typedef struct qb_history qb_history;

/* Where the history lives when no --db is given:
 * $XDG_DATA_HOME/qbench/history.sqlite, else ~/.local/share/qbench/history.sqlite
 * (the folder is created). */
int qb_history_default_db(char *buf, size_t len);

/* Open (creating and migrating when needed) the database `db`:
 * "sqlite:PATH" or a plain PATH, "postgresql://..." or "postgres://..." (a
 * libpq URI), or "postgresql:KEY=VALUE ..." (a libpq keyword string, e.g.
 * host=/run/postgresql dbname=qb). A locked database is waited for wait_s
 * seconds. */
int qb_history_open(const char *db, double wait_s, qb_history **out);
void qb_history_close(qb_history *h);
/* How messages name the database. */
const char *qb_history_where(const qb_history *h);

/* The machine a results file comes from: a fingerprint (16 hex digits) of
 * what makes its figures comparable (CPU model and stepping, cores, threads,
 * caches, hypervisor) and a one-line description. */
void qb_history_fingerprint(const cJSON *machine, char *fp, size_t fplen, char *desc, size_t dlen);

/* A run's identity: a hash (16 hex digits) of its start, tool, machine,
 * settings and every record's id, parameters and figures. */
void qb_history_run_key(const qb_results *r, char *key, size_t len);


typedef struct {
    long run;
    char machine[17];
    size_t records, metrics;
} qb_history_added;

/* Add one run. commit/branch NULL: tool.git and tool.branch of the file. The
 * same run added twice is refused (QB_EINPUT) and nothing is stored. */
int qb_history_add(qb_history *h, const qb_results *r, const char *commit, const char *branch,
                   qb_history_added *out);

/* One run's figure in a series. lo/hi: the samples' quartiles (the value
 * when the metric kept no samples). */
typedef struct {
    long run;
    char *commit, *branch, *started;
    double value, lo, hi;
} qb_hpoint;

/* One metric of one record on one machine, oldest run first. */
typedef struct {
    char *machine, *id, *metric, *unit;
    int better;
    qb_hpoint *pts;
    size_t n;
} qb_hseries;

typedef struct {
    qb_hseries *s;
    size_t n;
} qb_hseries_list;

typedef struct {
    const char *filter;  /* ID[:METRIC] patterns as qbench compare takes them; NULL: all */
    const char *machine; /* fingerprint prefix; NULL: every machine */
    const char *metric;  /* exact metric name; NULL: every metric (or the primary one) */
    bool primary_only;   /* only each record's primary metric */
    long last;           /* keep each series' last N runs; 0: all */
} qb_hquery;

/* The series the query selects, sorted by machine, record id and metric. */
int qb_history_series(qb_history *h, const qb_hquery *q, qb_hseries_list *out);
void qb_hseries_list_free(qb_hseries_list *l);

#endif
