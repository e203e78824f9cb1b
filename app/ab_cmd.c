/* qbench ab: two qbench binaries measured alternately, group by group, as
 * children of this process, then judged by the round-median gate. */
#include "ab_child.h"
#include "commands.h"
#include "compare.h"
#include "defaults.h"
#include "error.h"
#include "gate_report.h"
#include "op.h"
#include "output.h"
#include "timer.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Does the --filter list select op, named "ops/NAME" (as its records are) or "NAME"? */
static bool group_selected(const char *filter, const char *op)
{
    char full[96];
    snprintf(full, sizeof full, "ops/%s", op);
    return qb_cmp_selects(filter, full, NULL) || qb_cmp_selects(filter, op, NULL);
}

/* The groups: the default operators, or every registered operator a
 * --filter glob selects. */
static int select_groups(const char *filter, const char **ops, int *n)
{
    *n = 0;
    if (!filter) {
        static char defaults[] = QB_AB_OPS_DEFAULT;
        static char copy[sizeof defaults];
        memcpy(copy, defaults, sizeof defaults);
        char *save = NULL;
        for (char *w = strtok_r(copy, ",", &save); w && *n < QB_MAX_OPS; w = strtok_r(NULL, ",", &save))
            ops[(*n)++] = w;
        return QB_OK;
    }
    int rc = qb_cmp_check_patterns("qbench ab --filter", filter);
    if (rc) return rc;
    for (int i = 0; qb_op_table[i] && *n < QB_MAX_OPS; i++)
        if (group_selected(filter, qb_op_table[i]->name)) ops[(*n)++] = qb_op_table[i]->name;
    if (*n == 0)
        return qb_fail(QB_EUSAGE, "qbench ab --filter: '%s' selects no operator group (qbench list names them)",
                       filter);
    return QB_OK;
}

typedef struct {
    const char *bin[2];  /* base, new */
    const char *dtypes;
    char dir[PATH_MAX];  /* the children's results and error files */
} ab_setup;

/* One child: side's binary on one group, its records added to that side. */
static int measure(const ab_setup *s, int side, const char *op, int pass, qb_gate *g, const qb_gate_options *go)
{
    static const char *const names[2] = {"base", "new"};
    char out[PATH_MAX + 32], err[PATH_MAX + 32], what[160];
    snprintf(out, sizeof out, "%s/%s.json", s->dir, names[side]);
    snprintf(err, sizeof err, "%s/%s.err", s->dir, names[side]);
    snprintf(what, sizeof what, "qbench ab: the %s binary on ops/%s (pass %d)", names[side], op, pass + 1);
    /* the first pass checks each variant against its reference; later passes only time */
    char *argv[] = {(char *)s->bin[side], "ops", "--op", (char *)op, "--dtype", (char *)s->dtypes,
                    "--threads", "1", "--quick", "--rounds", QB_AB_CHILD_ROUNDS, "-o", out,
                    pass ? "--no-verify" : NULL, NULL};
    qb_progress("ab: pass %d, ops/%s, %s", pass + 1, op, names[side]);
    int rc = qb_ab_run_child(s->bin[side], argv, err, what);
    if (rc) return rc;
    qb_results r;
    rc = qb_results_read(out, &r);
    if (rc) return rc;
    rc = qb_gate_add_run(g, side, &r, what, go);
    qb_results_free(&r);
    unlink(out);
    unlink(err);
    return rc;
}

/* Passes over the groups; within a pass the order of the two sides
 * alternates from group to group and from pass to pass (base, new, then new,
 * base), so a slow spell of the host falls on both alike. */
static int run_ab(const ab_setup *s, const char **ops, int nops, long passes, qb_gate *g,
                  const qb_gate_options *go)
{
    for (long p = 0; p < passes; p++)
        for (int i = 0; i < nops; i++) {
            const int first = (int)((p + i) % 2);
            int rc = measure(s, first, ops[i], (int)p, g, go);
            if (!rc) rc = measure(s, 1 - first, ops[i], (int)p, g, go);
            if (rc) return rc;
        }
    qb_progress_done();
    return QB_OK;
}

int qb_cmd_ab(int argc, char **argv)
{
    const char *base = NULL, *cur = NULL, *filter = NULL, *format = "text", *out = NULL;
    const char *dtypes = QB_AB_DTYPES;
    long passes = QB_AB_ROUNDS_DEFAULT;
    bool json = false;
    qb_gate_options go;
    qb_gate_options_default(&go);
    double min_effect_pct = 100 * go.min_effect;
    const qb_opt opts[] = {
        {"base", 0, QB_OPT_STRING, &base, "BUILD_OR_BIN", "the base qbench: a binary or a build folder", 0, 0},
        {"new", 0, QB_OPT_STRING, &cur, "BUILD_OR_BIN", "the new qbench: a binary or a build folder", 0, 0},
        {"filter", 0, QB_OPT_STRING, &filter, "GLOBS",
         "operator groups to measure, e.g. 'ops/conv*,gemm' (default " QB_AB_OPS_DEFAULT ")", 0, 0},
        {"rounds", 0, QB_OPT_INT, &passes, "N",
         "passes over the groups, each side measured once per group and pass (default " QB_STR(
             QB_AB_ROUNDS_DEFAULT) ")",
         1, 100},
        {"dtype", 0, QB_OPT_STRING, &dtypes, "LIST", "data types of each group (default " QB_AB_DTYPES ")", 0, 0},
        {"min-effect", 0, QB_OPT_DOUBLE, &min_effect_pct, "PCT", "a smaller change never gates (default 5)", 0,
         1000},
        {"min-rounds", 0, QB_OPT_INT, &go.min_rounds, "N",
         "rounds per side a metric needs to be judged (default " QB_STR(QB_GATE_MIN_ROUNDS_DEFAULT) ")", 2,
         1000000},
        {"alpha", 0, QB_OPT_DOUBLE, &go.alpha, "P",
         "significance level of the U test on the round medians (default " QB_STR(QB_GATE_ALPHA_DEFAULT) ")",
         1e-9, 0.5},
        {"fail-on", 0, QB_OPT_STRING, &go.fail_on, "PATTERNS",
         "only these ID[:METRIC] globs gate the exit status (as in qbench compare)", 0, 0},
        {"format", 0, QB_OPT_STRING, &format, "FMT", "text, markdown, junit or json", 0, 0},
        {"json", 0, QB_OPT_FLAG, &json, NULL, "same as --format json", 0, 0},
        {"output", 'o', QB_OPT_STRING, &out, "FILE",
         "write the --format output to FILE (atomically) and the text to stdout", 0, 0},
    };
    const qb_cmd_spec spec = {
        .path = "ab",
        .usage = "--base BUILD_OR_BIN --new BUILD_OR_BIN [--filter GLOBS] [--rounds N] [options]",
        .summary = "A/B regression check: two qbench builds measured alternately, then the gate.",
        .details =
            "Each benchmark group (one operator: qbench ops --op OP --dtype LIST --threads 1\n"
            "--quick --rounds " QB_AB_CHILD_ROUNDS ") runs as a child process of this one, once per side and\n"
            "pass, the order alternating (base, new on one group; new, base on the next; and\n"
            "the other way round on the next pass), so that a slow spell of the host falls on\n"
            "both sides alike. The first pass also checks every variant against its reference.\n"
            "Each side's round medians are then judged as qbench compare --gate judges files:\n"
            "each record's time regresses when the median of its round medians moved by more\n"
            "than --min-effect and a Mann-Whitney U test on the round medians gives p < --alpha;\n"
            "rates derived from the time are shown, not counted again; each metric shows the\n"
            "smallest change this check could have detected. The default groups take about\n"
            "1-2 minutes on a 2-core machine.\n"
            "\n"
            "Exit status: 0 no regression, 1 a gating metric regressed, 2 bad input or usage\n"
            "(a binary that does not exist or fails).",
        .examples = "  qbench ab --base ../main/build --new build\n"
                    "  qbench ab --base old/qbench --new build --filter 'ops/conv*,gemm' --rounds 6\n"
                    "  qbench ab --base ../main/build --new build --format junit -o gate.xml\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, NULL, &npos);
    if (rc) return rc;
    if (!base || !cur) return qb_fail(QB_EUSAGE, "qbench ab: name both --base and --new (see --help)");
    go.min_effect = min_effect_pct / 100;
    qb_gate_fmt fmt;
    rc = qb_gate_parse_format("qbench ab --format", json ? "json" : format, &fmt);
    if (!rc) rc = qb_cmp_check_patterns("qbench ab --fail-on", go.fail_on);
    if (rc) return rc;
    char bins[2][PATH_MAX];
    rc = qb_ab_resolve("qbench ab --base", base, bins[0], sizeof bins[0]);
    if (!rc) rc = qb_ab_resolve("qbench ab --new", cur, bins[1], sizeof bins[1]);
    if (rc) return rc;
    const char *ops[QB_MAX_OPS];
    int nops = 0;
    rc = select_groups(filter, ops, &nops);
    if (rc) return rc;

    ab_setup s = {{bins[0], bins[1]}, dtypes, ""};
    const char *tmp = getenv("TMPDIR");
    snprintf(s.dir, sizeof s.dir, "%s/qbench-ab-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s.dir)) return qb_fail(QB_EIO, "qbench ab: cannot create a folder in %s", tmp ? tmp : "/tmp");
    qb_gate g = {0};
    const uint64_t t0 = qb_now_ns();
    rc = run_ab(&s, ops, nops, passes, &g, &go);
    const double elapsed = (double)(qb_now_ns() - t0) * 1e-9;
    /* what a failed child leaves behind */
    static const char *const files[] = {"base.err", "new.err", "base.json", "new.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char leftover[PATH_MAX + 32];
        snprintf(leftover, sizeof leftover, "%s/%s", s.dir, files[i]);
        unlink(leftover);
    }
    rmdir(s.dir);
    if (rc == QB_OK) {
        fprintf(stderr, "qbench ab: %d group%s x %ld pass%s x 2 sides measured in %.0f s\n", nops,
                nops == 1 ? "" : "s", passes, passes == 1 ? "" : "es", elapsed);
        const qb_gate_context ctx = {"qbench ab", bins[0], bins[1], &go};
        rc = qb_gate_report(&g, &ctx, fmt, out);
    }
    qb_gate_free(&g);
    return rc;
}
