/* qbench probe ctx: what the operating system charges: a syscall, a vdso
 * call, a thread handoff and a process switch, on one CPU and across CPUs. */
#include "cli.h"
#include "commands.h"
#include "ctx_switches.h"
#include "defaults.h"
#include "error.h"
#include "fmt.h"
#include "mem_sizes.h"
#include "output.h"
#include "suite.h"
#include "probes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_ctx(const qb_results *res)
{
    printf("qbench probe ctx: the price of the operating system (%s)\n\n",
           cJSON_GetStringValue(cJSON_GetObjectItem(res->machine, "cpu")));
    static const char *const head[] = {"kind", "placement", "working set", "cost ns", "cycles",
                                       "raw ns", "overhead ns", "switches/hop", "counted by", ""};
    qb_table t;
    qb_table_init(&t, 10, head);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "probe.ctx") != 0) continue;
        char c[6][32], ws[32];
        qb_fmt_num(c[0], sizeof c[0], qb_metric_value(r, "latency"), "%.1f");
        qb_fmt_num(c[1], sizeof c[1], qb_metric_value(r, "latency_cycles"), "%.0f");
        qb_fmt_num(c[2], sizeof c[2], qb_metric_value(r, "raw_latency"), "%.1f");
        qb_fmt_num(c[3], sizeof c[3], qb_metric_value(r, "overhead"), "%.1f");
        qb_fmt_num(c[4], sizeof c[4], qb_metric_value(r, "switches_per_op"), "%.2f");
        const double w = cJSON_GetNumberValue(cJSON_GetObjectItem(r->params, "working_set_bytes"));
        if (w > 0) snprintf(ws, sizeof ws, "%.0fK", w / 1024);
        else snprintf(ws, sizeof ws, "-");
        const bool clamped = cJSON_IsTrue(cJSON_GetObjectItem(r->params, "clamped"));
        const char *by = qb_param_str(r, "switch_counter");
        by = !by[0] ? "-" : strcmp(by, QB_CTX_SWITCH_EVENT) == 0 ? "perf event" : by;
        qb_table_rowf(&t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", qb_param_str(r, "kind"),
                      qb_param_str(r, "placement"), ws, c[0], c[1], c[2], c[3], c[4], by,
                      clamped ? "clamped at 0" : "");
    }
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    printf("\ncost = raw - overhead: a thread hop or process hop (one switch) less the same work\n"
           "without a switch (futex calls; pipe write+read and the working-set touch), never below 0.\n");
    printf("switches/hop: counted in every member; \"perf event\" is PAPI " QB_CTX_SWITCH_EVENT " in a\n"
           "separate untimed run (a counting event makes each switch dearer), getrusage counts the timed runs.\n");
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        const qb_metric *m = qb_record_find_metric(r, "round_trip");
        const cJSON *p = cJSON_GetObjectItem(r->params, "processes");
        if (m && strcmp(qb_param_str(r, "placement"), "same-cpu") == 0 &&
            cJSON_GetNumberValue(p) == 2 &&
            cJSON_GetNumberValue(cJSON_GetObjectItem(r->params, "working_set_bytes")) == 0)
            printf("process round trip on one CPU (2 processes, nothing subtracted; compare with "
                   "'taskset -c 0 perf bench sched pipe'): %.2f us\n", m->value / 1000);
    }
    printf("\n");
    qb_print_notes(res);
}

/* A comma list of working sets: 0 or sizes such as 16K. */
static int parse_ws(const char *s, size_t *out, int max, int *n)
{
    char *copy = strdup(s);
    if (!copy) return qb_fail(QB_ENOMEM, "out of memory");
    char *items[64];
    const int k = qb_split_list(copy, items, max < 64 ? max : 64);
    int rc = k < 0 ? qb_fail(QB_EUSAGE, "qbench probe ctx --ws: malformed list '%s' (at most %d)", s, max) : QB_OK;
    for (int i = 0; i < k && rc == QB_OK; i++) {
        if (strcmp(items[i], "0") == 0) out[i] = 0;
        else rc = qb_mem_parse_size("qbench probe ctx --ws", items[i], &out[i]);
    }
    if (rc == QB_OK) *n = k;
    free(copy);
    return rc;
}

typedef struct {
    const char *kinds, *places, *ws_s;
    long procs;
    qb_ctx_opts o;
    size_t ws[16];
} ctx_args;

static int check_ctx(const qb_run_opts *ro, qb_rep_policy *pol, void *ctx)
{
    (void)pol;
    ctx_args *a = ctx;
    qb_ctx_opts *o = &a->o;
    qb_ctx_opts_init(o, ro->quick);
    o->kinds = a->kinds;
    o->placements = a->places;
    o->procs = (int)a->procs;
    if (a->ws_s) {
        int rc = parse_ws(a->ws_s, a->ws, 16, &o->nws);
        if (rc) return rc;
        o->ws = a->ws;
    }
    return QB_OK;
}

static int measure_ctx(qb_results *res, const qb_rep_policy *pol, void *ctx)
{
    const ctx_args *a = ctx;
    return qb_probe_ctx_measure(res, &a->o, pol);
}

int qb_cmd_probe_ctx(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    ctx_args a = {0};
    const qb_opt opts[] = {
        {"kinds", 'k', QB_OPT_STRING, &a.kinds, "LIST",
         "syscall, vdso, thread, process (default all)", 0, 0},
        {"placements", 'p', QB_OPT_STRING, &a.places, "LIST",
         "same-cpu, cross-cpu, unpinned (default all)", 0, 0},
        {"ws", 0, QB_OPT_STRING, &a.ws_s, "LIST",
         "per-process working sets touched at each hop (default " QB_CTX_WS_DEFAULT ")", 0, 0},
        {"procs", 0, QB_OPT_INT, &a.procs, "N",
         "processes in the ring (default " QB_STR(QB_CTX_PROCS_DEFAULT) ")", 2, 64},
        QB_POLICY_OPTS(ro),
        QB_OUTPUT_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "probe ctx",
        .summary = "Syscall, vdso call, thread handoff and process switch costs (ns and cycles).",
        .details =
            "syscall: syscall(SYS_getppid); vdso: clock_gettime(CLOCK_MONOTONIC).\n"
            "thread: two threads pass the turn through a futex (FUTEX_WAIT/FUTEX_WAKE).\n"
            "process: a ring of processes passes a token through pipes, each touching its own\n"
            "working set at every hop (lmbench lat_ctx); this shows the cache-rebuild cost.\n"
            "Placements: same-cpu (all on the first CPU), cross-cpu (alternating the first two),\n"
            "unpinned. The same work without a switch is measured and subtracted; a cost is\n"
            "never negative (clamped at 0 and flagged). Each record keeps latency (the cost),\n"
            "raw_latency and the overhead subtracted (information: compare does not judge it).\n"
            "Switches per hop are counted in every member with PAPI\n"
            QB_CTX_SWITCH_EVENT " where it opens, else getrusage.\n"
            "Trial length " QB_STR(QB_CTX_TRIAL_US_DEFAULT) " us (" QB_STR(QB_CTX_QUICK_TRIAL_US) " with --quick).",
        .examples = "  qbench probe ctx --quick\n"
                    "  qbench probe ctx --kinds process --placements same-cpu --ws 0\n"
                    "  qbench probe ctx --kinds process --ws 0,1M --procs 4 --json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    return qb_cmd_parse_measure(&spec, argc, argv, &ro, check_ctx, measure_ctx, &a, print_ctx);
}
