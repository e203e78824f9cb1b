/* What every measuring command shares: the output options (--json, -o), the
 * repetition-policy options, a plain-text table, and progress on a TTY. */
#ifndef QB_OUTPUT_H
#define QB_OUTPUT_H

#include "cli.h"
#include "defaults.h"
#include "repeat.h"
#include "results.h"

#include <stdbool.h>
#include <stdio.h>

#define QB_STR_(x) #x
#define QB_STR(x) QB_STR_(x)

typedef struct {
    bool json;
    const char *out;
    bool quick;
    long warmup, reps, max_reps, rounds; /* -1: the policy default */
    double budget, target_cv;    /* -1: the policy default */
} qb_run_opts;

void qb_run_opts_init(qb_run_opts *o);

/* Option table entries for qb_run_opts; use inside a qb_opt array initialiser. */
#define QB_OUTPUT_OPTS(r)                                                                          \
    {"json", 0, QB_OPT_FLAG, &(r).json, NULL, "print the JSON results to stdout, no table", 0, 0}, \
    {                                                                                              \
        "output", 'o', QB_OPT_STRING, &(r).out, "FILE",                                            \
            "also write the JSON results to FILE (atomically)", 0, 0                               \
    }
#define QB_POLICY_OPTS(r)                                                                          \
    {"quick", 0, QB_OPT_FLAG, &(r).quick, NULL, "fewer repetitions and a smaller time budget", 0,  \
     0},                                                                                           \
        {"warmup", 0, QB_OPT_INT, &(r).warmup, "N",                                                \
         "discarded warm-up trials (default " QB_STR(QB_WARMUP_DEFAULT) ")", 0, 1000},             \
        {"reps", 0, QB_OPT_INT, &(r).reps, "N",                                                    \
         "kept samples at least (default " QB_STR(QB_MIN_REPS_DEFAULT) ", " QB_STR(                \
             QB_QUICK_MIN_REPS) " with --quick)",                                                  \
         1, 100000},                                                                               \
        {"max-reps", 0, QB_OPT_INT, &(r).max_reps, "N",                                            \
         "kept samples at most (default " QB_STR(QB_MAX_REPS_DEFAULT) ", " QB_STR(                 \
             QB_QUICK_MAX_REPS) " with --quick)",                                                  \
         1, 100000},                                                                               \
        {"rounds", 0, QB_OPT_INT, &(r).rounds, "N",                                                \
         "interleaved rounds; the best round's median is reported (default " QB_STR(              \
             QB_ROUNDS_DEFAULT) ", " QB_STR(QB_QUICK_ROUNDS) " with --quick)",                     \
         1, 16},                                                                                   \
        {"budget", 0, QB_OPT_DOUBLE, &(r).budget, "SEC",                                           \
         "time budget per measurement (default " QB_STR(QB_BUDGET_S_DEFAULT) ", " QB_STR(          \
             QB_QUICK_BUDGET_S) " with --quick)",                                                  \
         1e-6, 3600},                                                                              \
    {                                                                                              \
        "target-cv", 0, QB_OPT_DOUBLE, &(r).target_cv, "X",                                        \
            "stop repeating once stddev/mean is below X (default " QB_STR(                         \
                QB_TARGET_CV_DEFAULT) ")",                                                         \
            0, 10                                                                                  \
    }

/* The policy the options ask for. Fails with QB_EUSAGE on an inconsistent pair. */
int qb_run_policy(const qb_run_opts *o, qb_rep_policy *p);

/* The prologue of a measuring command: parse argv by spec (whose options fill
 * *o through QB_POLICY_OPTS / QB_OUTPUT_OPTS), then the policy they ask for. */
int qb_cli_parse_policy(const qb_cmd_spec *spec, int argc, char **argv, char **pos, int *npos,
                        const qb_run_opts *o, qb_rep_policy *p);

/* Record the policy and the calibration defaults in results->settings. */
int qb_settings_record(qb_results *res, const qb_rep_policy *p, bool quick);

/* Record a probe's own tunable default in results->settings[section][key]. */
int qb_settings_put(qb_results *res, const char *section, const char *key, double value);

/* End a measuring command: on QB_OK or QB_EINTR emit what was measured (an
 * interrupted run keeps its finished records), then return rc. */
int qb_finish(const qb_run_opts *o, const qb_results *res, void (*human)(const qb_results *), int rc);

/* Finish a command: write -o FILE, print JSON (--json) or call human(res). */
int qb_emit(const qb_run_opts *o, const qb_results *res, void (*human)(const qb_results *));

/* After a table: the notes that change how a number reads (unsupported,
 * disagreeing rounds), and a count of the routine ones (dropped trials,
 * spread targets missed) that the JSON keeps in full. */
void qb_print_notes(const qb_results *res);

/* Whether a note is the one qb_record_no_gate adds: printers count those and
 * say the reason once (qb_print_no_gate) instead of once per record. */
bool qb_note_is_no_gate(const char *note);

/* The one line for n no-gate notes on `what` ("records", "level figures ..."). */
void qb_print_no_gate(int n, const char *what);

/* Progress lines on stderr, only when stderr is a terminal. */
void qb_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void qb_progress_done(void);

/* A plain-text table: add rows of cells, print with aligned columns. */
#define QB_TABLE_MAX_COLS 16
typedef struct {
    int ncols;
    const char *head[QB_TABLE_MAX_COLS];
    char **cells; /* rows * ncols */
    int rows, cap;
} qb_table;

void qb_table_init(qb_table *t, int ncols, const char *const *head);
/* Add a row: one string per column (copied). */
int qb_table_row(qb_table *t, const char *const *cells);
/* Convenience: one row from a format with '\t' between cells. */
int qb_table_rowf(qb_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void qb_table_print(const qb_table *t, FILE *f);
void qb_table_free(qb_table *t);

#endif
