#include "export.h"

#include "compare.h"
#include "compare_format.h"

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

typedef struct {
    const qb_record *rec;
    const qb_metric *m;
    const char *name; /* "<id>/<metric>" */
    int family;
    long reps;
} bench_info;

static cJSON *entry(const bench_info *b, const char *name, double v)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    const bool timed = is_time_unit(b->m->unit);
    char label[160];
    snprintf(label, sizeof label, "%s, %s is better", b->m->unit, better_name(b->m->better));
    const cJSON *threads = cJSON_GetObjectItemCaseSensitive(b->rec->params, "threads");
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddNumberToObject(o, "family_index", b->family);
    cJSON_AddNumberToObject(o, "per_family_instance_index", 0);
    cJSON_AddStringToObject(o, "run_name", b->name);
    cJSON_AddNumberToObject(o, "repetitions", (double)b->reps);
    cJSON_AddNumberToObject(o, "threads", cJSON_IsNumber(threads) ? threads->valuedouble : 1);
    cJSON_AddNumberToObject(o, "iterations", 1);
    cJSON_AddNumberToObject(o, "real_time", v);
    cJSON_AddNumberToObject(o, "cpu_time", v);
    cJSON_AddStringToObject(o, "time_unit", timed ? b->m->unit : "ns");
    cJSON_AddStringToObject(o, "label", label);
    cJSON_AddStringToObject(o, "qbench_unit", b->m->unit);
    cJSON_AddStringToObject(o, "qbench_better", better_name(b->m->better));
    return o;
}

static int add_iteration(cJSON *arr, const bench_info *b, long idx, double v)
{
    cJSON *o = entry(b, b->name, v);
    if (!o) return -1;
    cJSON_AddStringToObject(o, "run_type", "iteration");
    cJSON_AddNumberToObject(o, "repetition_index", (double)idx);
    cJSON_AddItemToArray(arr, o);
    return 0;
}

static int add_aggregate(cJSON *arr, const bench_info *b, const char *agg, double v, bool pct)
{
    char name[600];
    snprintf(name, sizeof name, "%s_%s", b->name, agg);
    cJSON *o = entry(b, name, v);
    if (!o) return -1;
    cJSON_AddStringToObject(o, "run_type", "aggregate");
    cJSON_AddStringToObject(o, "aggregate_name", agg);
    cJSON_AddStringToObject(o, "aggregate_unit", pct ? "percentage" : "time");
    cJSON_ReplaceItemInObjectCaseSensitive(o, "iterations", cJSON_CreateNumber((double)b->reps));
    cJSON_AddItemToArray(arr, o);
    return 0;
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
        for (size_t k = 0; k < rec->nmetrics; k++) {
            const qb_metric *m = &rec->metrics[k];
            if (m->better == QB_BETTER_NONE || !qb_cmp_selects(filter, rec->id, m->name)) continue;
            char name[512];
            snprintf(name, sizeof name, "%s/%s", rec->id, m->name);
            const bench_info b = {rec, m, name, family++, m->samples ? (long)m->nsamples : 1};
            int bad = 0;
            if (!m->samples) {
                bad = add_iteration(arr, &b, 0, m->value);
            } else {
                for (size_t s = 0; s < m->nsamples && !bad; s++)
                    bad = add_iteration(arr, &b, (long)s, m->samples[s]);
            }
            if (!bad && m->samples && m->nsamples >= 2 && m->has_stats) {
                bad = add_aggregate(arr, &b, "mean", m->st.mean, false);
                if (!bad) bad = add_aggregate(arr, &b, "median", m->st.median, false);
                if (!bad) bad = add_aggregate(arr, &b, "stddev", m->st.stddev, false);
                if (!bad) bad = add_aggregate(arr, &b, "cv", m->st.cv, true);
            }
            if (bad) goto fail;
        }
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
