/* The results model: one document per run (tool, machine, settings, records). Probes and
 * benchmarks add records; report, compare and roofline only read them. */
#ifndef QB_RESULTS_H
#define QB_RESULTS_H

#include "stats.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define QB_SCHEMA "qbench.results/1"

enum { QB_BETTER_NONE = 0, QB_BETTER_LOWER = -1, QB_BETTER_HIGHER = 1 };

typedef struct {
    char *name;
    char *unit;
    int better;
    double value;     /* the summary: the median when samples exist */
    double *samples;  /* may be NULL */
    size_t nsamples;
    bool has_stats;
    qb_stats st;
    /* The samples' timed groups in sample order (the rounds of a measurement,
     * the passes of a run): each group's median and size. A shared host moves
     * whole groups, so compare reads how far apart they are. 0: not recorded. */
    double *round_medians;
    size_t *round_sizes;
    size_t nrounds;
} qb_metric;

typedef struct {
    char *id;    /* group/name */
    char *group;
    cJSON *params;  /* object */
    qb_metric *metrics;
    size_t nmetrics;
    cJSON *notes;   /* array of strings: warnings about this record, e.g. spread not reached */
} qb_record;

/* Records are stored in one block reserved at the first add, so a record
 * pointer returned by qb_results_add stays valid for the document's life. */
#define QB_RESULTS_MAX_RECORDS 65536

typedef struct {
    cJSON *tool;     /* object */
    cJSON *machine;  /* object */
    cJSON *settings; /* object: the defaults and options the run used */
    char started[32];
    qb_record *recs;
    size_t n, cap;
} qb_results;

/* An empty document with tool info filled in and the start time set to now. */
int qb_results_init(qb_results *r);

/* The commit that built this binary (`git describe`, stamped at build time). */
const char *qb_tool_git(void);
void qb_results_free(qb_results *r);

/* Append a record with id "group/name". Returns NULL (and sets the error) on failure. */
qb_record *qb_results_add(qb_results *r, const char *group, const char *name);
const qb_record *qb_results_find(const qb_results *r, const char *id);
/* Drop (and free) every record for which keep() is false; order is kept. */
void qb_results_keep_if(qb_results *r, bool (*keep)(const qb_record *rec, void *ctx), void *ctx);

int qb_record_param_num(qb_record *rec, const char *key, double v);
int qb_record_param_str(qb_record *rec, const char *key, const char *v);
int qb_record_note(qb_record *rec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Add a metric with a plain value. */
int qb_record_metric(qb_record *rec, const char *name, const char *unit, int better, double value);
/* Add a metric from samples: value is their median; samples are copied and kept. */
int qb_record_metric_samples(qb_record *rec, const char *name, const char *unit, int better,
                             const double *samples, size_t n);
/* Metric dst of rec, added or replaced, is metric src times scale (value,
 * samples, rounds and statistics) in its own unit and direction: a unit
 * change fixed after the measurement, such as bytes per cycle at the run's
 * clock. Nothing happens when src is missing. */
int qb_record_derive_metric(qb_record *rec, const char *dst, const char *unit, int better,
                            const char *src, double scale);
/* Metric dst of rec, added or replaced, is amount divided by each value of
 * metric `of` (value, samples, rounds and statistics); `of` is another
 * metric of rec or a metric of another record. A rate such as bytes per
 * second so keeps the samples of the time it comes from, and qbench compare
 * tests it as it tests the time. Nothing happens when `of` is NULL. */
int qb_record_rate_metric(qb_record *rec, const char *dst, const char *unit, int better,
                          const qb_metric *of, double amount);

const qb_metric *qb_record_find_metric(const qb_record *rec, const char *name);
/* The one metric a record is judged and tracked on: its time (a lower-is-better
 * metric named "time", else one in s, ms, us or ns), else its first directed
 * metric with samples, else its first directed metric. Rates, GOP/s and
 * bandwidth derived from the time are so never counted twice. NULL when no
 * metric has a direction. */
const qb_metric *qb_record_primary_metric(const qb_record *rec);
/* Mark a record as no default regression gate (params.gate = false) and say
 * why in a note: a figure the host decides more than the code. qbench compare
 * still judges and shows it; --fail-on naming it makes it gate. */
int qb_record_no_gate(qb_record *rec, const char *why);

/* How the note qb_record_no_gate adds begins. */
#define QB_NO_GATE_NOTE "not a regression gate by default"
/* Record the timed groups of m's samples: sizes must add up to its sample count. */
int qb_metric_set_rounds(qb_metric *m, const double *medians, const size_t *sizes, size_t n);

/* Readers' shortcuts: a string param ("" when absent), a number param and a
 * metric's value (NAN when absent, or when rec is NULL: a lookup that found
 * no record reads as a missing figure). */
const char *qb_param_str(const qb_record *rec, const char *key);
double qb_param_num(const qb_record *rec, const char *key);
double qb_metric_value(const qb_record *rec, const char *name);

/* Serialise / parse. The reader validates the schema and every required key. */
cJSON *qb_results_to_json(const qb_results *r);
int qb_results_from_json(const cJSON *doc, qb_results *out);

/* Write atomically (temporary file in the same folder, fsync, rename). */
int qb_results_write(const qb_results *r, const char *path);
int qb_results_read(const char *path, qb_results *out);

/* Write or print a JSON value: path NULL or "-" means stdout. Atomic for files. */
int qb_json_write(const cJSON *v, const char *path);
/* Print a JSON value, indented, and a newline to f. */
int qb_json_print(FILE *f, const cJSON *v);
/* Add key: v to object o, or key: null where v is not finite (JSON has no
 * NaN or infinity). */
void qb_json_add_number(cJSON *o, const char *key, double v);
/* Read and parse a JSON file; a parse error names the line and column. */
int qb_json_read(const char *path, cJSON **out);

#endif
