#include "results.h"

#include "error.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef QB_VERSION
#define QB_VERSION "0.0.0"
#endif
#include "qb_git.h" /* QB_GIT, stamped at build time (cmake/git_stamp.cmake) */
#ifndef QB_FLAGS
#define QB_FLAGS ""
#endif

const char *qb_tool_git(void)
{
    return QB_GIT;
}

static char *dupstr(const char *s)
{
    const size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int qb_results_init(qb_results *r)
{
    memset(r, 0, sizeof *r);
    r->tool = cJSON_CreateObject();
    r->machine = cJSON_CreateObject();
    r->settings = cJSON_CreateObject();
    if (!r->tool || !r->machine || !r->settings) goto nomem;
    char compiler[64];
#if defined(__clang__)
    snprintf(compiler, sizeof compiler, "clang %d.%d.%d", __clang_major__, __clang_minor__,
             __clang_patchlevel__);
#elif defined(__GNUC__)
    snprintf(compiler, sizeof compiler, "gcc %d.%d.%d", __GNUC__, __GNUC_MINOR__,
             __GNUC_PATCHLEVEL__);
#else
    snprintf(compiler, sizeof compiler, "unknown");
#endif
    if (!cJSON_AddStringToObject(r->tool, "name", "qbench") ||
        !cJSON_AddStringToObject(r->tool, "version", QB_VERSION) ||
        !cJSON_AddStringToObject(r->tool, "git", qb_tool_git()) ||
        !cJSON_AddStringToObject(r->tool, "compiler", compiler) ||
        !cJSON_AddStringToObject(r->tool, "flags", QB_FLAGS))
        goto nomem;
    const time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(r->started, sizeof r->started, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return QB_OK;
nomem:
    qb_results_free(r);
    return qb_fail(QB_ENOMEM, "out of memory");
}

static void metric_free(qb_metric *m)
{
    free(m->name);
    free(m->unit);
    free(m->samples);
    free(m->round_medians);
    free(m->round_sizes);
}

static void record_free(qb_record *rec)
{
    free(rec->id);
    free(rec->group);
    cJSON_Delete(rec->params);
    cJSON_Delete(rec->notes);
    for (size_t i = 0; i < rec->nmetrics; i++) metric_free(&rec->metrics[i]);
    free(rec->metrics);
}

void qb_results_free(qb_results *r)
{
    cJSON_Delete(r->tool);
    cJSON_Delete(r->machine);
    cJSON_Delete(r->settings);
    for (size_t i = 0; i < r->n; i++) record_free(&r->recs[i]);
    free(r->recs);
    memset(r, 0, sizeof *r);
}

/* Takes ownership of id and group on success. */
static qb_record *append(qb_results *r, char *id, char *group)
{
    if (!r->recs) {
        /* Reserved once so that record pointers stay valid while more records
         * are added; pages never touched cost no memory. */
        r->recs = calloc(QB_RESULTS_MAX_RECORDS, sizeof *r->recs);
        if (!r->recs) return NULL;
        r->cap = QB_RESULTS_MAX_RECORDS;
    }
    if (r->n == r->cap) {
        qb_fail(QB_EINPUT, "more than %d records in one document", QB_RESULTS_MAX_RECORDS);
        return NULL;
    }
    qb_record *rec = &r->recs[r->n];
    memset(rec, 0, sizeof *rec);
    rec->params = cJSON_CreateObject();
    rec->notes = cJSON_CreateArray();
    if (!rec->params || !rec->notes) {
        cJSON_Delete(rec->params);
        cJSON_Delete(rec->notes);
        return NULL;
    }
    rec->id = id;
    rec->group = group;
    r->n++;
    return rec;
}

qb_record *qb_results_add(qb_results *r, const char *group, const char *name)
{
    const size_t len = strlen(group) + strlen(name) + 2;
    char *id = malloc(len);
    char *g = dupstr(group);
    if (!id || !g) goto nomem;
    snprintf(id, len, "%s/%s", group, name);
    if (qb_results_find(r, id)) {
        qb_fail(QB_EINTERNAL, "duplicate result id '%s'", id);
        free(id);
        free(g);
        return NULL;
    }
    qb_record *rec = append(r, id, g);
    if (rec) return rec;
    if (r->n == QB_RESULTS_MAX_RECORDS) {
        free(id);
        free(g);
        return NULL;
    }
nomem:
    free(id);
    free(g);
    qb_fail(QB_ENOMEM, "out of memory");
    return NULL;
}

const qb_record *qb_results_find(const qb_results *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->recs[i].id, id) == 0) return &r->recs[i];
    return NULL;
}

void qb_results_keep_if(qb_results *r, bool (*keep)(const qb_record *rec, void *ctx), void *ctx)
{
    size_t w = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (keep(&r->recs[i], ctx)) r->recs[w++] = r->recs[i];
        else record_free(&r->recs[i]);
    }
    r->n = w;
}

int qb_record_param_num(qb_record *rec, const char *key, double v)
{
    if (!isfinite(v)) return qb_fail(QB_EINTERNAL, "%s: parameter %s is not finite", rec->id, key);
    return cJSON_AddNumberToObject(rec->params, key, v) ? QB_OK
                                                        : qb_fail(QB_ENOMEM, "out of memory");
}

int qb_record_param_str(qb_record *rec, const char *key, const char *v)
{
    return cJSON_AddStringToObject(rec->params, key, v) ? QB_OK
                                                        : qb_fail(QB_ENOMEM, "out of memory");
}

int qb_record_note(qb_record *rec, const char *fmt, ...)
{
    /* Notes are whole sentences of any length: sized first, never cut. */
    va_list ap;
    va_start(ap, fmt);
    const int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0) return qb_fail(QB_EINTERNAL, "%s: a note could not be formatted", rec->id);
    char *buf = malloc((size_t)len + 1);
    if (!buf) return qb_fail(QB_ENOMEM, "out of memory");
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)len + 1, fmt, ap);
    va_end(ap);
    cJSON *s = cJSON_CreateString(buf);
    free(buf);
    if (!s || !cJSON_AddItemToArray(rec->notes, s)) {
        cJSON_Delete(s);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    return QB_OK;
}

static qb_metric *new_metric(qb_record *rec, const char *name, const char *unit, int better)
{
    qb_metric *nm = realloc(rec->metrics, (rec->nmetrics + 1) * sizeof *nm);
    if (!nm) return NULL;
    rec->metrics = nm;
    qb_metric *m = &nm[rec->nmetrics];
    memset(m, 0, sizeof *m);
    m->name = dupstr(name);
    m->unit = dupstr(unit);
    if (!m->name || !m->unit) {
        metric_free(m);
        return NULL;
    }
    m->better = better;
    rec->nmetrics++;
    return m;
}

int qb_record_metric(qb_record *rec, const char *name, const char *unit, int better, double value)
{
    if (!isfinite(value))
        return qb_fail(QB_EINTERNAL, "%s: metric %s is not a finite number", rec->id, name);
    qb_metric *m = new_metric(rec, name, unit, better);
    if (!m) return qb_fail(QB_ENOMEM, "out of memory");
    m->value = value;
    return QB_OK;
}

int qb_record_metric_samples(qb_record *rec, const char *name, const char *unit, int better,
                             const double *samples, size_t n)
{
    qb_stats st;
    int rc = qb_stats_compute(samples, n, &st);
    if (rc) return rc;
    double *copy = malloc(n * sizeof *copy);
    if (!copy) return qb_fail(QB_ENOMEM, "out of memory");
    memcpy(copy, samples, n * sizeof *copy);
    qb_metric *m = new_metric(rec, name, unit, better);
    if (!m) {
        free(copy);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    m->samples = copy;
    m->nsamples = n;
    m->has_stats = true;
    m->st = st;
    m->value = st.median;
    return QB_OK;
}

int qb_record_no_gate(qb_record *rec, const char *why)
{
    cJSON_DeleteItemFromObjectCaseSensitive(rec->params, "gate");
    if (!cJSON_AddBoolToObject(rec->params, "gate", false)) return qb_fail(QB_ENOMEM, "out of memory");
    return qb_record_note(rec, QB_NO_GATE_NOTE ": %s (qbench compare --fail-on '%s' gates it)", why, rec->id);
}

int qb_metric_set_rounds(qb_metric *m, const double *medians, const size_t *sizes, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (sizes[i] == 0 || !isfinite(medians[i]))
            return qb_fail(QB_EINPUT, "metric %s: round %zu is empty or not finite", m->name, i);
        total += sizes[i];
    }
    if (n > 0 && total != m->nsamples)
        return qb_fail(QB_EINPUT, "metric %s: rounds hold %zu samples, the metric has %zu", m->name,
                       total, m->nsamples);
    double *v = n ? malloc(n * sizeof *v) : NULL;
    size_t *z = n ? malloc(n * sizeof *z) : NULL;
    if (n && (!v || !z)) {
        free(v);
        free(z);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    if (n) {
        memcpy(v, medians, n * sizeof *v);
        memcpy(z, sizes, n * sizeof *z);
    }
    free(m->round_medians);
    free(m->round_sizes);
    m->round_medians = v;
    m->round_sizes = z;
    m->nrounds = n;
    return QB_OK;
}

/* Metric dst of rec, added or replaced, from metric s (which may be rec's
 * own): each value times k, or k divided by it when `per`. */
static int derive(qb_record *rec, const char *dst, const char *unit, int better, const qb_metric *s,
                  double k, bool per)
{
    /* The derived copies first: removing dst and adding it again moves rec's metrics. */
    const size_t n = s->nsamples, nr = s->nrounds;
    double *v = malloc((n + nr + 1) * sizeof *v);
    size_t *sizes = malloc((nr + 1) * sizeof *sizes);
    if (!v || !sizes) {
        free(v);
        free(sizes);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n + nr + 1; i++) {
        const double x = i < n ? s->samples[i] : i < n + nr ? s->round_medians[i - n] : s->value;
        v[i] = per ? k / x : x * k;
        if (!isfinite(v[i])) {
            free(v);
            free(sizes);
            return qb_fail(QB_EINTERNAL, "%s: %s from %s: %g %s %g is not finite", rec->id, dst, s->name,
                           per ? k : x, per ? "/" : "x", per ? x : k);
        }
    }
    for (size_t i = 0; i < nr; i++) sizes[i] = s->round_sizes[i];
    for (size_t i = 0; i < rec->nmetrics; i++) {
        if (strcmp(rec->metrics[i].name, dst) != 0) continue;
        metric_free(&rec->metrics[i]);
        memmove(&rec->metrics[i], &rec->metrics[i + 1], (rec->nmetrics - i - 1) * sizeof *rec->metrics);
        rec->nmetrics--;
        break;
    }
    const double value = v[n + nr];
    int rc = n ? qb_record_metric_samples(rec, dst, unit, better, v, n) : qb_record_metric(rec, dst, unit, better, value);
    if (!rc) rec->metrics[rec->nmetrics - 1].value = value;
    if (!rc && nr) rc = qb_metric_set_rounds(&rec->metrics[rec->nmetrics - 1], v + n, sizes, nr);
    free(v);
    free(sizes);
    return rc;
}

int qb_record_derive_metric(qb_record *rec, const char *dst, const char *unit, int better,
                            const char *src, double scale)
{
    const qb_metric *s = qb_record_find_metric(rec, src);
    if (!s || strcmp(src, dst) == 0) return QB_OK;
    return derive(rec, dst, unit, better, s, scale, false);
}

int qb_record_rate_metric(qb_record *rec, const char *dst, const char *unit, int better,
                          const qb_metric *of, double amount)
{
    return of ? derive(rec, dst, unit, better, of, amount, true) : QB_OK;
}

const qb_metric *qb_record_find_metric(const qb_record *rec, const char *name)
{
    for (size_t i = 0; i < rec->nmetrics; i++)
        if (strcmp(rec->metrics[i].name, name) == 0) return &rec->metrics[i];
    return NULL;
}

static bool is_time_unit(const char *u)
{
    return strcmp(u, "s") == 0 || strcmp(u, "ms") == 0 || strcmp(u, "us") == 0 || strcmp(u, "ns") == 0;
}

const qb_metric *qb_record_primary_metric(const qb_record *rec)
{
    const qb_metric *t = qb_record_find_metric(rec, "time");
    if (t && t->better == QB_BETTER_LOWER) return t;
    const qb_metric *sampled = NULL, *any = NULL;
    for (size_t i = 0; i < rec->nmetrics; i++) {
        const qb_metric *m = &rec->metrics[i];
        if (m->better == QB_BETTER_NONE) continue;
        if (m->better == QB_BETTER_LOWER && is_time_unit(m->unit)) return m;
        if (!sampled && m->samples) sampled = m;
        if (!any) any = m;
    }
    return sampled ? sampled : any;
}

const char *qb_param_str(const qb_record *rec, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec->params, key));
    return s ? s : "";
}

double qb_param_num(const qb_record *rec, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec->params, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

double qb_metric_value(const qb_record *rec, const char *name)
{
    const qb_metric *m = rec ? qb_record_find_metric(rec, name) : NULL;
    return m ? m->value : NAN;
}
