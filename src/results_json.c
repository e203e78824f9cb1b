/* JSON reader and writer of the results model (results.h): one document per run. */
#include "results.h"

#include "atomic_file.h"
#include "error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QB_JSON_MAX_BYTES (1ull << 30)

static const char *better_str(int b)
{
    return b == QB_BETTER_LOWER ? "lower" : b == QB_BETTER_HIGHER ? "higher" : "none";
}

static cJSON *metric_to_json(const qb_metric *m)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "value", m->value);
    cJSON_AddStringToObject(o, "unit", m->unit);
    cJSON_AddStringToObject(o, "better", better_str(m->better));
    if (m->has_stats) {
        cJSON_AddNumberToObject(o, "n", (double)m->st.n);
        cJSON_AddNumberToObject(o, "min", m->st.min);
        cJSON_AddNumberToObject(o, "max", m->st.max);
        cJSON_AddNumberToObject(o, "mean", m->st.mean);
        cJSON_AddNumberToObject(o, "median", m->st.median);
        cJSON_AddNumberToObject(o, "stddev", m->st.stddev);
        cJSON_AddNumberToObject(o, "cv", m->st.cv);
        cJSON_AddNumberToObject(o, "p25", m->st.p25);
        cJSON_AddNumberToObject(o, "p75", m->st.p75);
    }
    if (m->samples) {
        cJSON *a = cJSON_CreateDoubleArray(m->samples, (int)m->nsamples);
        if (!a || !cJSON_AddItemToObject(o, "samples", a)) {
            cJSON_Delete(a);
            cJSON_Delete(o);
            return NULL;
        }
    }
    if (m->nrounds > 0) {
        cJSON *med = cJSON_CreateDoubleArray(m->round_medians, (int)m->nrounds);
        if (!med || !cJSON_AddItemToObject(o, "round_medians", med)) {
            cJSON_Delete(med);
            cJSON_Delete(o);
            return NULL;
        }
        cJSON *sz = cJSON_AddArrayToObject(o, "round_sizes");
        for (size_t i = 0; sz && i < m->nrounds; i++) {
            cJSON *x = cJSON_CreateNumber((double)m->round_sizes[i]);
            if (!x || !cJSON_AddItemToArray(sz, x)) {
                cJSON_Delete(x);
                sz = NULL;
            }
        }
        if (!sz) {
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

static cJSON *record_to_json(const qb_record *rec)
{
    cJSON *o = cJSON_CreateObject(), *metrics = NULL;
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "id", rec->id);
    cJSON_AddStringToObject(o, "group", rec->group);
    cJSON_AddItemToObject(o, "params", cJSON_Duplicate(rec->params, 1));
    metrics = cJSON_AddObjectToObject(o, "metrics");
    if (!metrics) goto fail;
    for (size_t i = 0; i < rec->nmetrics; i++) {
        cJSON *m = metric_to_json(&rec->metrics[i]);
        if (!m) goto fail;
        cJSON_AddItemToObject(metrics, rec->metrics[i].name, m);
    }
    if (cJSON_GetArraySize(rec->notes) > 0)
        cJSON_AddItemToObject(o, "notes", cJSON_Duplicate(rec->notes, 1));
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

cJSON *qb_results_to_json(const qb_results *r)
{
    cJSON *doc = cJSON_CreateObject();
    if (!doc) return NULL;
    cJSON_AddStringToObject(doc, "schema", QB_SCHEMA);
    cJSON_AddItemToObject(doc, "tool", cJSON_Duplicate(r->tool, 1));
    cJSON_AddItemToObject(doc, "machine", cJSON_Duplicate(r->machine, 1));
    cJSON_AddItemToObject(doc, "settings", cJSON_Duplicate(r->settings, 1));
    cJSON_AddStringToObject(doc, "started", r->started);
    cJSON *arr = cJSON_AddArrayToObject(doc, "results");
    if (!arr) goto fail;
    for (size_t i = 0; i < r->n; i++) {
        cJSON *rec = record_to_json(&r->recs[i]);
        if (!rec) goto fail;
        cJSON_AddItemToArray(arr, rec);
    }
    return doc;
fail:
    cJSON_Delete(doc);
    return NULL;
}

/* ---- reader ---- */

static const cJSON *need(const cJSON *o, const char *key, int type, const char *where, int *rc)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        *rc = qb_fail(QB_EINPUT, "%s: missing key '%s'", where, key);
        return NULL;
    }
    if ((v->type & 0xff) != type) {
        *rc = qb_fail(QB_EINPUT, "%s: key '%s' has the wrong type", where, key);
        return NULL;
    }
    return v;
}

static int better_from_str(const char *s, int *out)
{
    if (strcmp(s, "lower") == 0) *out = QB_BETTER_LOWER;
    else if (strcmp(s, "higher") == 0) *out = QB_BETTER_HIGHER;
    else if (strcmp(s, "none") == 0) *out = QB_BETTER_NONE;
    else return -1;
    return 0;
}

/* Optional round_medians + round_sizes: the sizes must add up to the samples. */
static int rounds_from_json(qb_metric *out, const cJSON *m, const char *where)
{
    const cJSON *med = cJSON_GetObjectItemCaseSensitive(m, "round_medians");
    const cJSON *sz = cJSON_GetObjectItemCaseSensitive(m, "round_sizes");
    if (!med && !sz) return QB_OK;
    if (!cJSON_IsArray(med) || !cJSON_IsArray(sz) || cJSON_GetArraySize(med) != cJSON_GetArraySize(sz))
        return qb_fail(QB_EINPUT, "%s: round_medians and round_sizes must be arrays of one length", where);
    const int n = cJSON_GetArraySize(med);
    if (n == 0) return QB_OK;
    if ((size_t)n > out->nsamples)
        return qb_fail(QB_EINPUT, "%s: more rounds than samples", where);
    double *v = malloc((size_t)n * sizeof *v);
    size_t *z = malloc((size_t)n * sizeof *z);
    int rc = v && z ? QB_OK : qb_fail(QB_ENOMEM, "out of memory");
    size_t total = 0;
    for (int i = 0; i < n && rc == QB_OK; i++) {
        const cJSON *a = cJSON_GetArrayItem(med, i), *b = cJSON_GetArrayItem(sz, i);
        if (!cJSON_IsNumber(a) || !isfinite(a->valuedouble) || !cJSON_IsNumber(b) ||
            !(b->valuedouble >= 1 && b->valuedouble <= (double)out->nsamples) ||
            b->valuedouble != floor(b->valuedouble)) {
            rc = qb_fail(QB_EINPUT, "%s: round %d needs a finite median and a whole size of 1..%zu",
                         where, i, out->nsamples);
            break;
        }
        v[i] = a->valuedouble;
        z[i] = (size_t)b->valuedouble;
        total += z[i];
    }
    /* checked here so the message names the record once (set_rounds checks again) */
    if (rc == QB_OK && total != out->nsamples)
        rc = qb_fail(QB_EINPUT, "%s: round_sizes add up to %zu, the metric has %zu samples", where, total,
                     out->nsamples);
    if (rc == QB_OK) rc = qb_metric_set_rounds(out, v, z, (size_t)n);
    free(v);
    free(z);
    return rc;
}

static int metric_from_json(qb_record *rec, const cJSON *m)
{
    int rc = QB_OK;
    char where[300];
    snprintf(where, sizeof where, "record '%s' metric '%s'", rec->id, m->string ? m->string : "?");
    if (!cJSON_IsObject(m)) return qb_fail(QB_EINPUT, "%s: not an object", where);
    const cJSON *value = need(m, "value", cJSON_Number, where, &rc);
    const cJSON *unit = value ? need(m, "unit", cJSON_String, where, &rc) : NULL;
    const cJSON *better = unit ? need(m, "better", cJSON_String, where, &rc) : NULL;
    if (!better) return rc;
    int b;
    if (better_from_str(better->valuestring, &b) != 0)
        return qb_fail(QB_EINPUT, "%s: 'better' must be lower, higher or none", where);
    if (!isfinite(value->valuedouble)) return qb_fail(QB_EINPUT, "%s: value is not finite", where);
    const cJSON *samples = cJSON_GetObjectItemCaseSensitive(m, "samples");
    if (samples) {
        if (!cJSON_IsArray(samples)) return qb_fail(QB_EINPUT, "%s: samples is not an array", where);
        const int n = cJSON_GetArraySize(samples);
        if (n == 0) return qb_fail(QB_EINPUT, "%s: samples is empty", where);
        double *x = malloc((size_t)n * sizeof *x);
        if (!x) return qb_fail(QB_ENOMEM, "out of memory");
        int i = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, samples)
        {
            if (!cJSON_IsNumber(s) || !isfinite(s->valuedouble)) {
                free(x);
                return qb_fail(QB_EINPUT, "%s: sample %d is not a finite number", where, i);
            }
            x[i++] = s->valuedouble;
        }
        rc = qb_record_metric_samples(rec, m->string, unit->valuestring, b, x, (size_t)n);
        free(x);
        if (rc) return rc;
        /* Keep the stored summary: the writer may have chosen another aggregate. */
        rec->metrics[rec->nmetrics - 1].value = value->valuedouble;
        return rounds_from_json(&rec->metrics[rec->nmetrics - 1], m, where);
    }
    return qb_record_metric(rec, m->string, unit->valuestring, b, value->valuedouble);
}

static int record_from_json(qb_results *out, const cJSON *o, int idx)
{
    int rc = QB_OK;
    char where[64];
    snprintf(where, sizeof where, "results[%d]", idx);
    if (!cJSON_IsObject(o)) return qb_fail(QB_EINPUT, "%s: not an object", where);
    const cJSON *id = need(o, "id", cJSON_String, where, &rc);
    const cJSON *group = id ? need(o, "group", cJSON_String, where, &rc) : NULL;
    const cJSON *params = group ? need(o, "params", cJSON_Object, where, &rc) : NULL;
    const cJSON *metrics = params ? need(o, "metrics", cJSON_Object, where, &rc) : NULL;
    if (!metrics) return rc;
    const char *slash = strchr(id->valuestring, '/');
    const size_t glen = strlen(group->valuestring);
    if (!slash || (size_t)(slash - id->valuestring) < glen ||
        strncmp(id->valuestring, group->valuestring, glen) != 0 || id->valuestring[glen] != '/')
        return qb_fail(QB_EINPUT, "%s: id '%s' is not '%s/<name>'", where, id->valuestring,
                       group->valuestring);
    if (qb_results_find(out, id->valuestring))
        return qb_fail(QB_EINPUT, "%s: duplicate id '%s'", where, id->valuestring);
    qb_record *rec = qb_results_add(out, group->valuestring, id->valuestring + glen + 1);
    if (!rec) return qb_fail(QB_ENOMEM, "out of memory");
    cJSON_Delete(rec->params);
    rec->params = cJSON_Duplicate(params, 1);
    const cJSON *notes = cJSON_GetObjectItemCaseSensitive(o, "notes");
    if (cJSON_IsArray(notes)) {
        cJSON_Delete(rec->notes);
        rec->notes = cJSON_Duplicate(notes, 1);
    }
    if (!rec->params || !rec->notes) return qb_fail(QB_ENOMEM, "out of memory");
    const cJSON *m;
    cJSON_ArrayForEach(m, metrics)
    {
        rc = metric_from_json(rec, m);
        if (rc) return rc;
    }
    return QB_OK;
}

int qb_results_from_json(const cJSON *doc, qb_results *out)
{
    memset(out, 0, sizeof *out);
    int rc = QB_OK;
    if (!cJSON_IsObject(doc)) return qb_fail(QB_EINPUT, "not a qbench results document");
    const cJSON *schema = need(doc, "schema", cJSON_String, "document", &rc);
    if (!schema) return rc;
    if (strcmp(schema->valuestring, QB_SCHEMA) != 0)
        return qb_fail(QB_EINPUT, "schema '%s' is not '%s'", schema->valuestring, QB_SCHEMA);
    const cJSON *tool = need(doc, "tool", cJSON_Object, "document", &rc);
    const cJSON *machine = tool ? need(doc, "machine", cJSON_Object, "document", &rc) : NULL;
    const cJSON *started = machine ? need(doc, "started", cJSON_String, "document", &rc) : NULL;
    const cJSON *results = started ? need(doc, "results", cJSON_Array, "document", &rc) : NULL;
    if (!results) return rc;
    out->tool = cJSON_Duplicate(tool, 1);
    out->machine = cJSON_Duplicate(machine, 1);
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(doc, "settings");
    out->settings = cJSON_IsObject(settings) ? cJSON_Duplicate(settings, 1) : cJSON_CreateObject();
    if (!out->tool || !out->machine || !out->settings) {
        rc = qb_fail(QB_ENOMEM, "out of memory");
        goto fail;
    }
    snprintf(out->started, sizeof out->started, "%s", started->valuestring);
    int i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, results)
    {
        rc = record_from_json(out, o, i++);
        if (rc) goto fail;
    }
    return QB_OK;
fail:
    qb_results_free(out);
    return rc;
}

/* ---- files ---- */

void qb_json_add_number(cJSON *o, const char *key, double v)
{
    if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

int qb_json_print(FILE *f, const cJSON *v)
{
    char *text = cJSON_Print(v);
    if (!text) return qb_fail(QB_ENOMEM, "out of memory serialising JSON");
    const int bad = fputs(text, f) < 0 || fputc('\n', f) == EOF;
    free(text);
    return bad ? qb_fail(QB_EIO, "cannot write %s", f == stdout ? "to standard output" : "JSON") : QB_OK;
}

static int print_json(FILE *f, const void *v)
{
    return qb_json_print(f, v);
}

int qb_json_write(const cJSON *v, const char *path)
{
    if (path && strcmp(path, "-") != 0) return qb_write_file_rendered(path, print_json, v);
    int rc = qb_json_print(stdout, v);
    if (!rc && fflush(stdout) != 0) rc = qb_fail(QB_EIO, "cannot write to standard output");
    return rc;
}

int qb_json_read(const char *path, cJSON **out)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = qb_read_file(path, QB_JSON_MAX_BYTES, &text, &len);
    if (rc) return rc;
    if (memchr(text, '\0', len)) {
        free(text);
        return qb_fail(QB_EINPUT, "'%s' is not JSON: it contains a NUL byte", path);
    }
    const char *end = NULL;
    /* cJSON 1.7.15's require_null_terminated misfires at the end of a
     * length-limited buffer, so trailing bytes are checked here instead. */
    cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (doc && end) {
        while (end < text + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
            end++;
        if (end < text + len) {
            cJSON_Delete(doc);
            doc = NULL;
        }
    }
    if (!doc) {
        /* cJSON reports the spot where parsing stopped; turn it into line:column. */
        const char *at = end ? end : cJSON_GetErrorPtr();
        int line = 1, col = 1;
        for (const char *p = text; at && p < at && p < text + len; p++) {
            if (*p == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        const bool truncated = at && at >= text + len;
        rc = qb_fail(QB_EINPUT, "'%s' is not valid JSON (%s at line %d, column %d)", path,
                     truncated ? "truncated" : "syntax error", line, col);
    }
    free(text);
    *out = doc;
    return rc;
}

int qb_results_write(const qb_results *r, const char *path)
{
    cJSON *doc = qb_results_to_json(r);
    if (!doc) return qb_fail(QB_ENOMEM, "out of memory serialising results");
    const int rc = qb_json_write(doc, path);
    cJSON_Delete(doc);
    return rc;
}

int qb_results_read(const char *path, qb_results *out)
{
    memset(out, 0, sizeof *out);
    cJSON *doc;
    int rc = qb_json_read(path, &doc);
    if (rc) return rc;
    rc = qb_results_from_json(doc, out);
    cJSON_Delete(doc);
    if (rc) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", qb_last_error(rc));
        return qb_fail(rc, "'%s': %s", path, msg);
    }
    return QB_OK;
}
