/* qbench probe interp: what one addition costs in the CPython interpreter
 * (small ints and floats), the empty loop around it subtracted. */
#include "cli.h"
#include "commands.h"
#include "defaults.h"
#include "error.h"
#include "fmt.h"
#include "output.h"
#include "probes.h"
#include "suite.h"

#include <stdio.h>
#include <string.h>

static void print_interp(const qb_results *res)
{
    const char *python = "";
    for (size_t i = 0; i < res->n && !python[0]; i++)
        if (strcmp(res->recs[i].group, "probe.interp") == 0) python = qb_param_str(&res->recs[i], "python_version");
    printf("qbench probe interp: one interpreted addition in CPython %s\n\n", python);
    static const char *const head[] = {"kind", "cost ns", "cycles", "timeit ns", "loop ns/iter", "empty loop ns/iter"};
    qb_table t;
    qb_table_init(&t, 6, head);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "probe.interp") != 0) continue;
        const bool empty = strcmp(qb_param_str(r, "kind"), "empty-loop") == 0;
        char c[5][32];
        qb_fmt_num(c[0], sizeof c[0], empty ? qb_metric_value(r, "loop") : qb_metric_value(r, "add"), "%.2f");
        qb_fmt_num(c[1], sizeof c[1],
                   empty ? qb_metric_value(r, "loop_cycles") : qb_metric_value(r, "add_cycles"), "%.1f");
        qb_fmt_num(c[2], sizeof c[2], qb_metric_value(r, "loop"), "%.2f");
        qb_fmt_num(c[3], sizeof c[3], empty ? qb_metric_value(r, "loop") : qb_metric_value(r, "empty_loop"),
                   "%.2f");
        qb_fmt_num(c[4], sizeof c[4], qb_metric_value(r, "timeit"), "%.2f");
        qb_table_rowf(&t, "%s\t%s\t%s\t%s\t%s\t%s", qb_param_str(r, "kind"), c[0], c[1], c[4], c[2], c[3]);
    }
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    printf("\ncost = (loop - empty loop) / n for a + b on locals (LOAD_FAST), as\n"
           "'python3 -m timeit -s \"a=1; b=2\" \"a + b\"' less the same with \"pass\" (the empty loop's\n"
           "cost is one iteration of timeit's loop around \"pass\"). timeit ns: timeit itself, run in\n"
           "the same worker processes (fastest \"a + b\" less fastest \"pass\"), for reference.\n\n");
    qb_print_notes(res);
}

typedef struct {
    const char *filter;
    long iterations;
    long processes;
    qb_interp_opts o;
} interp_args;

static int check_interp(const qb_run_opts *ro, qb_rep_policy *pol, void *ctx)
{
    (void)pol;
    interp_args *a = ctx;
    if (!qb_probe_interp_available()) return qb_fail(QB_EUNSUPPORTED, QB_INTERP_UNAVAILABLE);
    qb_interp_opts_init(&a->o, ro->quick);
    a->o.filter = a->filter;
    a->o.iterations = a->iterations;
    a->o.processes = (int)a->processes;
    /* An unknown name fails here, before the machine is probed, naming the
     * choices (qbench list does not list them). */
    bool sel[2];
    static const char *const names[2] = {"add-int", "add-float"};
    const int rc = qb_filter_select("probe interp --filter", a->filter, names, 2, sel);
    if (rc == QB_EUSAGE && strstr(qb_last_error(rc), "unknown name"))
        return qb_fail(QB_EUSAGE, "qbench probe interp --filter: nothing matches '%s' (add-int, add-float)",
                       a->filter);
    return rc;
}

static int measure_interp(qb_results *res, const qb_rep_policy *pol, void *ctx)
{
    const interp_args *a = ctx;
    return qb_probe_interp_measure(res, &a->o, pol);
}

int qb_cmd_probe_interp(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    interp_args a = {0};
    const qb_opt opts[] = {
        {"filter", 'f', QB_OPT_STRING, &a.filter, "LIST", "add-int, add-float (default both)", 0, 0},
        {"iterations", 'n', QB_OPT_INT, &a.iterations, "N",
         "loop iterations per timed call (default: sized to the trial length)", 1000, 1000000000},
        {"processes", 'P', QB_OPT_INT, &a.processes, "N",
         "worker processes, each with an interpreter of its own (default " QB_STR(QB_INTERP_PROCESSES_DEFAULT) ", " QB_STR(
             QB_INTERP_QUICK_PROCESSES) " with --quick)",
         1, QB_INTERP_MAX_PROCESSES},
        QB_POLICY_OPTS(ro),
        QB_OUTPUT_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "probe interp",
        .summary = "The cost of one interpreted addition in CPython (ns and cycles).",
        .details =
            "CPython is embedded (libpython) and runs, in one function with a and b as locals,\n"
            "'for _ in repeat(None, n): a + b' on small ints (1 + 2) and on floats (1.0 + 2.0),\n"
            "and the empty loop 'for _ in repeat(None, n): pass', each body followed by its own\n"
            "'pass' line, as python3 -m timeit builds its function. An addition costs\n"
            "(loop - empty loop) / n, the two called back to back in each trial, the best\n"
            "round's median in each of several worker processes (each with an interpreter of\n"
            "its own: one process is one draw of where its objects lie in memory), and the\n"
            "median over the processes; every sample is kept. Each timed call lasts about "
            QB_STR(QB_INTERP_TRIAL_US_DEFAULT) " us (" QB_STR(QB_INTERP_QUICK_TRIAL_US) "\n"
            "with --quick). Not part of qbench run.",
        .examples = "  qbench probe interp --quick\n"
                    "  qbench probe interp --filter add-int --json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    return qb_cmd_parse_measure(&spec, argc, argv, &ro, check_interp, measure_interp, &a, print_interp);
}
