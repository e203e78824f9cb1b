/* qbench probe peak: options and the table of peak compute per data type. */
#include "commands.h"
#include "cli.h"
#include "error.h"
#include "output.h"
#include "probes.h"
#include "pin.h"
#include "suite.h"
#include "sysinfo.h"
#include <stdio.h>

static void print_peak(const qb_results *res)
{
    printf("Peak compute per data type (%s, %s), GOP/s and ops per cycle per core\n\n",
           cJSON_GetStringValue(cJSON_GetObjectItem(res->machine, "cpu")), qb_sysinfo_uarch());
    static const char *const head[] = {"dtype", "threads", "GOP/s", "cv", "ops/cycle/core",
                                       "port model", "instructions"};
    qb_table t;
    qb_table_init(&t, 7, head);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        const char *dt = cJSON_GetStringValue(cJSON_GetObjectItem(r->params, "dtype"));
        const int th = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(r->params, "threads"));
        const qb_metric *g = qb_record_find_metric(r, "gops");
        const qb_metric *pc = qb_record_find_metric(r, "ops_per_cycle");
        const cJSON *pub = cJSON_GetObjectItem(r->params, "model_ops_per_cycle");
        char pubs[16] = "-";
        if (cJSON_IsNumber(pub)) snprintf(pubs, sizeof pubs, "%.0f", pub->valuedouble);
        if (!g || !pc) {
            qb_table_rowf(&t, "%s\t%d\tunsupported\t\t\t\t%s", dt, th,
                          cJSON_GetStringValue(cJSON_GetObjectItem(r->params, "requires")));
            continue;
        }
        qb_table_rowf(&t, "%s\t%d\t%.1f\t%.1f%%\t%.1f\t%s\t%s", dt, th, g->value, 100 * g->st.cv,
                      pc->value, pubs, cJSON_GetStringValue(cJSON_GetObjectItem(r->params, "instructions")));
    }
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    qb_print_notes(res);
}

typedef struct {
    const char *filter, *threads_s;
    int threads[32], nthreads;
} peak_args;

static int check_peak(const qb_run_opts *ro, qb_rep_policy *pol, void *ctx)
{
    (void)ro, (void)pol;
    peak_args *a = ctx;
    if (a->threads_s)
        return qb_parse_threads("qbench probe peak --threads", a->threads_s, a->threads, 32,
                                &a->nthreads);
    a->threads[a->nthreads++] = 1;
    if (qb_cpu_count() > 1) a->threads[a->nthreads++] = qb_cpu_count();
    return QB_OK;
}

static int measure_peak(qb_results *res, const qb_rep_policy *pol, void *ctx)
{
    const peak_args *a = ctx;
    return qb_probe_peak_measure(res, a->filter, a->threads, a->nthreads, pol);
}

int qb_cmd_probe_peak(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    peak_args a = {0};
    const qb_opt opts[] = {
        {"filter", 0, QB_OPT_STRING, &a.filter, "LIST",
         "data types: names or patterns, comma-separated", 0, 0},
        {"threads", 't', QB_OPT_STRING, &a.threads_s, "LIST",
         "thread counts, e.g. 1,2 or all (default: 1 and all CPUs)", 0, 0},
        QB_POLICY_OPTS(ro),
        QB_OUTPUT_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "probe peak",
        .summary = "Peak compute per data type (GOP/s, ops per cycle per core) on 1..N threads.",
        .details = "Each data type runs the instruction mix a real kernel uses: fp32 FMA; fp16 as\n"
                   "storage (F16C conversion, fp32 FMA); int8 as u8 x s8 VPMADDUBSW + VPMADDWD +\n"
                   "VPADDD; int16 VPMADDWD. A multiply-add counts 2 operations. Data types that\n"
                   "need an extension this CPU lacks are listed as unsupported.",
        .examples = "  qbench probe peak\n  qbench probe peak --filter fp32,int8 --threads 1\n"
                    "  qbench probe peak --quick --json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    return qb_cmd_parse_measure(&spec, argc, argv, &ro, check_peak, measure_peak, &a, print_peak);
}
