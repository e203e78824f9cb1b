#include "export.h"

#include "compare.h"
#include "compare_format.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *better_name(int b)
{
    return b == QB_BETTER_LOWER ? "lower" : b == QB_BETTER_HIGHER ? "higher" : "none";
}

static bool is_time_unit(const char *u)
{
    return strcmp(u, "ns") == 0 || strcmp(u, "us") == 0 || strcmp(u, "ms") == 0 ||
           strcmp(u, "s") == 0;
}

static cJSON *gbench_context(const qb_results *r)
{
    cJSON *ctx = cJSON_CreateObject();
    if (!ctx) return NULL;
    const cJSON *m = r->machine;
    cJSON_AddStringToObject(ctx, "date", r->started);
    cJSON_AddStringToObject(ctx, "host_name", "");
    cJSON_AddStringToObject(ctx, "executable", "qbench");
    const cJSON *threads = cJSON_GetObjectItemCaseSensitive(m, "threads");
    const cJSON *cores = cJSON_GetObjectItemCaseSensitive(m, "cores");
    const cJSON *ncpu = cJSON_IsNumber(threads) ? threads : cores;
    cJSON_AddNumberToObject(ctx, "num_cpus", cJSON_IsNumber(ncpu) ? ncpu->valuedouble : 0);
    const cJSON *ghz = cJSON_GetObjectItemCaseSensitive(m, "core_ghz");
    cJSON_AddNumberToObject(ctx, "mhz_per_cpu", cJSON_IsNumber(ghz) ? round(ghz->valuedouble * 1000) : 0);
    cJSON_AddBoolToObject(ctx, "cpu_scaling_enabled", false);
    cJSON *caches = cJSON_AddArrayToObject(ctx, "caches");
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(m, "caches"))
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "type"));
        const cJSON *level = cJSON_GetObjectItemCaseSensitive(c, "level");
        const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(c, "bytes");
        const cJSON *shared = cJSON_GetObjectItemCaseSensitive(c, "shared_by");
        if (!caches || !type || !cJSON_IsNumber(level) || !cJSON_IsNumber(bytes)) continue;
        cJSON *o = cJSON_CreateObject();
        if (!o) break;
        cJSON_AddStringToObject(o, "type", strcmp(type, "data") == 0          ? "Data"
                                           : strcmp(type, "instruction") == 0 ? "Instruction"
                                                                              : "Unified");
        cJSON_AddNumberToObject(o, "level", level->valuedouble);
        cJSON_AddNumberToObject(o, "size", bytes->valuedouble);
        cJSON_AddNumberToObject(o, "num_sharing", cJSON_IsNumber(shared) ? shared->valuedouble : 1);
        cJSON_AddItemToArray(caches, o);
    }
    cJSON_AddArrayToObject(ctx, "load_avg");
    cJSON_AddStringToObject(ctx, "library_build_type", "release");
    cJSON_AddStringToObject(ctx, "library_version", "qbench");
    cJSON_AddItemToObject(ctx, "qbench_tool", cJSON_Duplicate(r->tool, 1));
    return ctx;
}

/* The record's time: its "time" metric, else its first lower-is-better
 * metric in a time unit; NULL when it has none. */
static const qb_metric *time_metric(const qb_record *rec)
{
    const qb_metric *t = qb_record_find_metric(rec, "time");
    if (t && t->better == QB_BETTER_LOWER && is_time_unit(t->unit)) return t;
    for (size_t i = 0; i < rec->nmetrics; i++)
        if (rec->metrics[i].better == QB_BETTER_LOWER && is_time_unit(rec->metrics[i].unit))
            return &rec->metrics[i];
    return NULL;
}

static double seconds_per(const char *unit)
{
    return strcmp(unit, "ns") == 0 ? 1e-9 : strcmp(unit, "us") == 0 ? 1e-6 : strcmp(unit, "ms") == 0 ? 1e-3 : 1;
}

/* The unit Google Benchmark shows a time of s seconds in: ns, us or ms, the
 * one that keeps its number between 1 and 1000 where it can. */
static const char *gbench_unit(double s)
{
    return s >= 1e-3 ? "ms" : s >= 1e-6 ? "us" : "ns";
}

typedef struct {
    const qb_record *rec;
    const qb_metric *time;
    const char *unit;    /* time_unit */
    double scale;        /* from the metric's unit to time_unit */
    const qb_metric **counters;
    size_t ncounters;
    size_t reps;
    int family;
} bench_info;

/* One entry's common keys; the caller adds run_type and what follows it. */
static cJSON *entry(const bench_info *b, const char *name, double t)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    const cJSON *threads = cJSON_GetObjectItemCaseSensitive(b->rec->params, "threads");
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddNumberToObject(o, "family_index", b->family);
    cJSON_AddNumberToObject(o, "per_family_instance_index", 0);
    cJSON_AddStringToObject(o, "run_name", b->rec->id);
    cJSON_AddNumberToObject(o, "repetitions", (double)b->reps);
    cJSON_AddNumberToObject(o, "threads", cJSON_IsNumber(threads) ? threads->valuedouble : 1);
    cJSON_AddNumberToObject(o, "iterations", 1);
    cJSON_AddNumberToObject(o, "real_time", t);
    cJSON_AddNumberToObject(o, "cpu_time", t);
    cJSON_AddStringToObject(o, "time_unit", b->unit);
    return o;
}

/* Counter c's value in repetition i: its own sample when it has one per
 * time sample (a rate of the same trials), else its value. */
static double counter_at(const qb_metric *c, const bench_info *b, size_t i)
{
    return c->samples && c->nsamples == b->time->nsamples && i < c->nsamples ? c->samples[i] : c->value;
}

static void add_counter(cJSON *o, const char *name, double v)
{
    if (isfinite(v)) cJSON_AddNumberToObject(o, name, v);
}

static int add_iteration(cJSON *arr, const bench_info *b, size_t i, double t)
{
    cJSON *o = entry(b, b->rec->id, t);
    if (!o) return -1;
    cJSON_AddStringToObject(o, "run_type", "iteration");
    cJSON_AddNumberToObject(o, "repetition_index", (double)i);
    for (size_t k = 0; k < b->ncounters; k++) add_counter(o, b->counters[k]->name, counter_at(b->counters[k], b, i));
    cJSON_AddItemToArray(arr, o);
    return 0;
}

/* Which summary of a repetition's values an aggregate row holds. */
typedef enum { AGG_MEAN, AGG_MEDIAN, AGG_STDDEV } agg_kind;

static double pick(const qb_stats *st, agg_kind k)
{
    return k == AGG_MEAN ? st->mean : k == AGG_MEDIAN ? st->median : st->stddev;
}

/* The aggregate row of kind k over the repetitions; work holds reps doubles. */
static int add_aggregate(cJSON *arr, const bench_info *b, const double *times, agg_kind k, double *work)
{
    static const char *const names[] = {"mean", "median", "stddev"};
    qb_stats st;
    if (qb_stats_compute(times, b->reps, &st) != 0) return 0;
    char name[600];
    snprintf(name, sizeof name, "%s_%s", b->rec->id, names[k]);
    cJSON *o = entry(b, name, pick(&st, k));
    if (!o) return -1;
    cJSON_AddStringToObject(o, "run_type", "aggregate");
    cJSON_AddStringToObject(o, "aggregate_name", names[k]);
    cJSON_AddStringToObject(o, "aggregate_unit", "time");
    cJSON_ReplaceItemInObjectCaseSensitive(o, "iterations", cJSON_CreateNumber((double)b->reps));
    for (size_t c = 0; c < b->ncounters; c++) {
        size_t n = 0;
        for (size_t i = 0; i < b->reps; i++) {
            const double v = counter_at(b->counters[c], b, i);
            if (isfinite(v)) work[n++] = v;
        }
        if (n == b->reps && qb_stats_compute(work, n, &st) == 0) add_counter(o, b->counters[c]->name, pick(&st, k));
    }
    cJSON_AddItemToArray(arr, o);
    return 0;
}

/* One record as one benchmark: its time samples as repetitions, then the
 * aggregates when there are two or more. */
static int add_record(cJSON *arr, bench_info *b, const char *filter)
{
    const qb_record *rec = b->rec;
    const qb_metric *t = b->time;
    b->counters = malloc((rec->nmetrics ? rec->nmetrics : 1) * sizeof *b->counters);
    double *times = malloc(2 * (t->nsamples ? t->nsamples : 1) * sizeof *times);
    int bad = !b->counters || !times;
    b->ncounters = 0;
    for (size_t k = 0; !bad && k < rec->nmetrics; k++) {
        const qb_metric *m = &rec->metrics[k];
        if (m != t && m->better != QB_BETTER_NONE && qb_cmp_selects(filter, rec->id, m->name))
            b->counters[b->ncounters++] = m;
    }
    b->reps = 0;
    if (!bad && t->samples) {
        for (size_t i = 0; i < t->nsamples; i++)
            if (isfinite(t->samples[i])) times[b->reps++] = t->samples[i] * b->scale;
        /* a rate follows its time sample by index: only when none was dropped */
        if (b->reps != t->nsamples) b->ncounters = 0;
    } else if (!bad && isfinite(t->value)) {
        times[b->reps++] = t->value * b->scale;
    }
    for (size_t i = 0; !bad && i < b->reps; i++) bad = add_iteration(arr, b, i, times[i]);
    if (!bad && b->reps >= 2)
        for (int k = AGG_MEAN; k <= AGG_STDDEV && !bad; k++)
            bad = add_aggregate(arr, b, times, (agg_kind)k, times + t->nsamples);
    free(b->counters);
    free(times);
    return bad ? -1 : 0;
}

cJSON *qb_export_gbench(const qb_results *r, const char *filter)
{
    cJSON *doc = cJSON_CreateObject();
    if (!doc) return NULL;
    cJSON_AddItemToObject(doc, "context", gbench_context(r));
    cJSON *arr = cJSON_AddArrayToObject(doc, "benchmarks");
    if (!arr) goto fail;
    int family = 0;
    for (size_t i = 0; i < r->n; i++) {
        const qb_record *rec = &r->recs[i];
        const qb_metric *t = time_metric(rec);
        if (!t || !qb_cmp_selects(filter, rec->id, t->name)) continue;
        const double secs = (t->has_stats ? t->st.median : t->value) * seconds_per(t->unit);
        if (!isfinite(secs)) continue;
        const char *unit = gbench_unit(secs);
        bench_info b = {.rec = rec, .time = t, .unit = unit,
                        .scale = seconds_per(t->unit) / seconds_per(unit), .family = family++};
        if (add_record(arr, &b, filter)) goto fail;
    }
    return doc;
fail:
    cJSON_Delete(doc);
    return NULL;
}

void qb_export_csv(FILE *f, const qb_results *r, const char *filter)
{
    fprintf(f, "id,group,metric,unit,better,value,n,median,min,max,mean,stddev,cv,p25,p75,params,samples\n");
    for (size_t i = 0; i < r->n; i++) {
        const qb_record *rec = &r->recs[i];
        char *params = cJSON_PrintUnformatted(rec->params);
        for (size_t k = 0; k < rec->nmetrics; k++) {
            const qb_metric *m = &rec->metrics[k];
            if (!qb_cmp_selects(filter, rec->id, m->name)) continue;
            qb_csv_field(f, rec->id);
            fputc(',', f);
            qb_csv_field(f, rec->group);
            fputc(',', f);
            qb_csv_field(f, m->name);
            fputc(',', f);
            qb_csv_field(f, m->unit);
            fprintf(f, ",%s,%.15g,%zu,", better_name(m->better), m->value, m->nsamples);
            if (m->has_stats)
                fprintf(f, "%.15g,%.15g,%.15g,%.15g,%.15g,%.15g,%.15g,%.15g,", m->st.median,
                        m->st.min, m->st.max, m->st.mean, m->st.stddev, m->st.cv, m->st.p25,
                        m->st.p75);
            else
                fputs(",,,,,,,,", f);
            qb_csv_field(f, params ? params : "{}");
            fputc(',', f);
            for (size_t s = 0; s < m->nsamples; s++) fprintf(f, "%s%.10g", s ? " " : "", m->samples[s]);
            fputc('\n', f);
        }
        free(params);
    }
}
