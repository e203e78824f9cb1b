#include "output.h"

#include "defaults.h"
#include "error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void qb_run_opts_init(qb_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->warmup = o->reps = o->max_reps = o->rounds = -1;
    o->budget = o->target_cv = -1;
}

int qb_run_policy(const qb_run_opts *o, qb_rep_policy *p)
{
    *p = qb_rep_policy_default(o->quick);
    if (o->warmup >= 0) p->warmup = (int)o->warmup;
    if (o->reps >= 0) {
        p->min_reps = (int)o->reps;
        if (o->max_reps < 0 && p->max_reps < p->min_reps) p->max_reps = p->min_reps;
    }
    if (o->max_reps >= 0) p->max_reps = (int)o->max_reps;
    if (o->rounds >= 0) p->rounds = (int)o->rounds;
    if (o->budget >= 0) p->budget_s = o->budget;
    if (o->target_cv >= 0) p->target_cv = o->target_cv;
    return qb_rep_policy_check(p);
}

int qb_cli_parse_policy(const qb_cmd_spec *spec, int argc, char **argv, char **pos, int *npos,
                        const qb_run_opts *o, qb_rep_policy *p)
{
    const int rc = qb_cli_parse(spec, argc, argv, pos, npos);
    return rc ? rc : qb_run_policy(o, p);
}

int qb_settings_record(qb_results *res, const qb_rep_policy *p, bool quick)
{
    cJSON *s = res->settings;
    cJSON *pol = cJSON_CreateObject();
    if (!pol) return qb_fail(QB_ENOMEM, "out of memory");
    cJSON_AddBoolToObject(pol, "quick", quick);
    cJSON_AddNumberToObject(pol, "warmup", p->warmup);
    cJSON_AddNumberToObject(pol, "min_reps", p->min_reps);
    cJSON_AddNumberToObject(pol, "max_reps", p->max_reps);
    cJSON_AddNumberToObject(pol, "budget_s", p->budget_s);
    cJSON_AddNumberToObject(pol, "target_cv", p->target_cv);
    cJSON_AddNumberToObject(pol, "max_dropped", p->max_dropped);
    cJSON_AddNumberToObject(pol, "rounds", p->rounds);
    cJSON_DeleteItemFromObject(s, "repetition");
    cJSON_AddItemToObject(s, "repetition", pol);
    cJSON *cal = cJSON_CreateObject();
    if (!cal) return qb_fail(QB_ENOMEM, "out of memory");
    cJSON_AddStringToObject(cal, "method", "dependent 64-bit register add chain, 1 cycle per add");
    cJSON_AddNumberToObject(cal, "adds", QB_CALIB_ADDS_DEFAULT);
    cJSON_AddNumberToObject(cal, "bracket_adds", QB_BRACKET_ADDS_DEFAULT);
    cJSON_AddNumberToObject(cal, "bracket_best_of", QB_BRACKET_RUNS_DEFAULT);
    cJSON_AddNumberToObject(cal, "drift_max", QB_CALIB_DRIFT_MAX);
    cJSON_AddStringToObject(cal, "timer", "CLOCK_MONOTONIC_RAW");
    cJSON_DeleteItemFromObject(s, "calibration");
    cJSON_AddItemToObject(s, "calibration", cal);
    return QB_OK;
}

int qb_settings_put(qb_results *res, const char *section, const char *key, double value)
{
    cJSON *sec = cJSON_GetObjectItemCaseSensitive(res->settings, section);
    if (!sec) sec = cJSON_AddObjectToObject(res->settings, section);
    if (!sec) return qb_fail(QB_ENOMEM, "out of memory");
    cJSON_DeleteItemFromObjectCaseSensitive(sec, key);
    return cJSON_AddNumberToObject(sec, key, value) ? QB_OK : qb_fail(QB_ENOMEM, "out of memory");
}

int qb_emit(const qb_run_opts *o, const qb_results *res, void (*human)(const qb_results *))
{
    int rc = QB_OK;
    if (o->out) {
        rc = qb_results_write(res, o->out);
        if (rc) return rc;
    }
    if (o->json) return qb_results_write(res, NULL);
    if (human) human(res);
    if (o->out) printf("\nresults written to %s\n", o->out);
    fflush(stdout);
    return rc;
}

bool qb_note_is_no_gate(const char *note)
{
    return strncmp(note, QB_NO_GATE_NOTE, strlen(QB_NO_GATE_NOTE)) == 0;
}

void qb_print_no_gate(int n, const char *what)
{
    if (n)
        printf("note: %d %s are not regression gates by default: on this virtual machine other guests' "
               "load decides them (each record's note says why; qbench compare --fail-on makes them gates)\n",
               n, what);
}

void qb_print_notes(const qb_results *res)
{
    int routine = 0, nogate = 0;
    for (size_t i = 0; i < res->n; i++) {
        const cJSON *n;
        cJSON_ArrayForEach(n, res->recs[i].notes)
        {
            const char *s = n->valuestring;
            if (strstr(s, "dropped") || strstr(s, "within a round") || strstr(s, "target after"))
                routine++;
            else if (qb_note_is_no_gate(s))
                nogate++;
            else
                printf("note: %s: %s\n", res->recs[i].id, s);
        }
    }
    qb_print_no_gate(nogate, "records");
    if (routine)
        printf("(%d more notes on dropped trials and spread targets are in the JSON output)\n",
               routine);
}

int qb_finish(const qb_run_opts *o, const qb_results *res, void (*human)(const qb_results *), int rc)
{
    if (rc != QB_OK && rc != QB_EINTR) return rc;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", qb_last_error(rc));
    const int erc = qb_emit(o, res, human);
    if (erc) return erc;
    if (rc == QB_EINTR) return qb_fail(QB_EINTR, "%s (finished records were saved)", msg);
    return QB_OK;
}

static bool progress_shown;

void qb_progress(const char *fmt, ...)
{
    if (!isatty(STDERR_FILENO)) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("\r\033[K", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
    progress_shown = true;
}

void qb_progress_done(void)
{
    if (!progress_shown) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    progress_shown = false;
}

/* ---- table ---- */

void qb_table_init(qb_table *t, int ncols, const char *const *head)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols < QB_TABLE_MAX_COLS ? ncols : QB_TABLE_MAX_COLS;
    for (int i = 0; i < t->ncols; i++) t->head[i] = head[i];
}

int qb_table_row(qb_table *t, const char *const *cells)
{
    if (t->rows == t->cap) {
        const int cap = t->cap ? t->cap * 2 : 16;
        char **nc = realloc(t->cells, (size_t)cap * (size_t)t->ncols * sizeof *nc);
        if (!nc) return qb_fail(QB_ENOMEM, "out of memory");
        t->cells = nc;
        t->cap = cap;
    }
    for (int i = 0; i < t->ncols; i++) {
        const char *c = cells[i] ? cells[i] : "";
        char *d = malloc(strlen(c) + 1);
        if (!d) return qb_fail(QB_ENOMEM, "out of memory");
        strcpy(d, c);
        t->cells[(size_t)t->rows * (size_t)t->ncols + (size_t)i] = d;
    }
    t->rows++;
    return QB_OK;
}

int qb_table_rowf(qb_table *t, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *cells[QB_TABLE_MAX_COLS] = {0};
    char *p = buf;
    for (int i = 0; i < t->ncols; i++) {
        char *tab = strchr(p, '\t');
        cells[i] = p;
        if (!tab) break;
        *tab = '\0';
        p = tab + 1;
    }
    return qb_table_row(t, cells);
}

static bool numeric_cell(const char *s)
{
    if (*s == '-' || *s == '+') s++;
    return isdigit((unsigned char)*s) != 0;
}

void qb_table_print(const qb_table *t, FILE *f)
{
    size_t w[QB_TABLE_MAX_COLS];
    for (int c = 0; c < t->ncols; c++) {
        w[c] = strlen(t->head[c]);
        for (int r = 0; r < t->rows; r++) {
            const size_t l = strlen(t->cells[(size_t)r * (size_t)t->ncols + (size_t)c]);
            if (l > w[c]) w[c] = l;
        }
    }
    for (int c = 0; c < t->ncols; c++)
        fprintf(f, "%s%-*s", c ? "  " : "", c == t->ncols - 1 ? 0 : (int)w[c], t->head[c]);
    fputc('\n', f);
    for (int c = 0; c < t->ncols; c++) {
        fprintf(f, "%s", c ? "  " : "");
        for (size_t i = 0; i < w[c]; i++) fputc('-', f);
    }
    fputc('\n', f);
    for (int r = 0; r < t->rows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = t->cells[(size_t)r * (size_t)t->ncols + (size_t)c];
            const bool last = c == t->ncols - 1;
            if (numeric_cell(s) && c > 0)
                fprintf(f, "%s%*s", c ? "  " : "", (int)w[c], s);
            else
                fprintf(f, "%s%-*s", c ? "  " : "", last ? 0 : (int)w[c], s);
        }
        fputc('\n', f);
    }
}

void qb_table_free(qb_table *t)
{
    for (int i = 0; i < t->rows * t->ncols; i++) free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}
