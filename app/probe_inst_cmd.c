/* qbench probe inst: options and the table of instruction latency and throughput. */
#include "commands.h"
#include "cli.h"
#include "counters.h"
#include "output.h"
#include "probes.h"
#include "suite.h"
#include "sysinfo.h"
#include <stdio.h>

static void fmt_ref(char *buf, size_t n, const cJSON *params, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(params, key);
    if (cJSON_IsNumber(v)) snprintf(buf, n, "%.2f", v->valuedouble);
    else snprintf(buf, n, "-");
}

static void fmt_dev(char *buf, size_t n, double meas, const cJSON *params, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(params, key);
    if (cJSON_IsNumber(v) && v->valuedouble > 0)
        snprintf(buf, n, "%+.1f%%", 100 * (meas - v->valuedouble) / v->valuedouble);
    else snprintf(buf, n, "-");
}

static void print_inst(const qb_results *res)
{
    const cJSON *m = res->machine;
    printf("Instruction latency and throughput, %s (%s), core clock %.3f GHz\n",
           cJSON_GetStringValue(cJSON_GetObjectItem(m, "cpu")), qb_sysinfo_uarch(),
           cJSON_GetNumberValue(cJSON_GetObjectItem(m, "core_ghz")));
    printf("cycles: %s; published: uops.info for the same core (-: none)\n\n",
           qb_counters_hw_available() ? "hardware counter PAPI_TOT_CYC"
                                      : "calibrated core clock (no hardware counters on this machine)");
    static const char *const head[] = {"instruction", "latency", "cv",  "published", "dev",
                                       "tput/cycle",  "cv",      "published", "dev"};
    qb_table t;
    qb_table_init(&t, 9, head);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        const qb_metric *l = qb_record_find_metric(r, "latency");
        const qb_metric *tp = qb_record_find_metric(r, "throughput");
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(r->params, "instruction"));
        if (!l || !tp) {
            qb_table_rowf(&t, "%s\tunsupported\t\t\t\t\t\t\t", name);
            continue;
        }
        char pl[16], pt[16], dl[16], dt[16];
        fmt_ref(pl, sizeof pl, r->params, "published_latency");
        fmt_ref(pt, sizeof pt, r->params, "published_throughput");
        fmt_dev(dl, sizeof dl, l->value, r->params, "published_latency");
        fmt_dev(dt, sizeof dt, tp->value, r->params, "published_throughput");
        qb_table_rowf(&t, "%s\t%.2f\t%.1f%%\t%s\t%s\t%.2f\t%.1f%%\t%s\t%s", name, l->value,
                      100 * l->st.cv, pl, dl, tp->value, 100 * tp->st.cv, pt, dt);
    }
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    qb_print_notes(res);
}

typedef struct {
    const char *filter;
    long cpu;
} inst_args;

static int measure_inst(qb_results *res, const qb_rep_policy *pol, void *ctx)
{
    const inst_args *a = ctx;
    return qb_probe_inst_measure(res, a->filter, (int)a->cpu, pol);
}

int qb_cmd_probe_inst(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    inst_args a = {.filter = NULL, .cpu = -1};
    const qb_opt opts[] = {
        {"filter", 0, QB_OPT_STRING, &a.filter, "LIST",
         "instructions to measure: names or patterns, comma-separated", 0, 0},
        {"cpu", 0, QB_OPT_INT, &a.cpu, "N", "pin to this CPU (default: the one qbench starts on)",
         0, 4095},
        QB_POLICY_OPTS(ro),
        QB_OUTPUT_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "probe inst",
        .summary = "Instruction latency (cycles) and throughput (instructions per cycle).",
        .details =
            "Latency: one dependency chain of the instruction. Throughput: independent chains,\n"
            "more than latency x ports. Cycles come from hardware counters when they work,\n"
            "else from the core clock calibrated around every trial (calibrate, test,\n"
            "calibrate; a trial whose clock moved is dropped). Instructions the CPU lacks are\n"
            "listed as unsupported and never executed. 'qbench list' names them all.",
        .examples = "  qbench probe inst\n  qbench probe inst --filter 'vfmadd*,imul-r64' --json\n"
                    "  qbench probe inst --quick -o out/inst.json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    return qb_cmd_parse_measure(&spec, argc, argv, &ro, NULL, measure_inst, &a, print_inst);
}
