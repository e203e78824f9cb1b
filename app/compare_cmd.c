/* qbench compare: the regression gate between two results files. */
#include "atomic_file.h"
#include "commands.h"
#include "compare.h"
#include "compare_format.h"
#include "compare_history.h"
#include "defaults.h"
#include "error.h"
#include "gate_report.h"
#include "output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { FMT_TEXT, FMT_MARKDOWN, FMT_JSON, FMT_CSV } out_format;

static int parse_format(const char *s, out_format *f)
{
    if (strcmp(s, "text") == 0) *f = FMT_TEXT;
    else if (strcmp(s, "markdown") == 0 || strcmp(s, "md") == 0) *f = FMT_MARKDOWN;
    else if (strcmp(s, "json") == 0) *f = FMT_JSON;
    else if (strcmp(s, "csv") == 0) *f = FMT_CSV;
    else if (strcmp(s, "gbench") == 0)
        return qb_fail(QB_EUSAGE, "qbench compare --format: 'gbench' converts one results file: "
                                  "use qbench export FILE --format gbench");
    else
        return qb_fail(QB_EUSAGE, "qbench compare --format: unknown format '%s' (text, markdown, json, csv)", s);
    return QB_OK;
}

static int render(FILE *f, out_format fmt, const qb_cmp_context *ctx, const qb_comparison *c)
{
    switch (fmt) {
    case FMT_TEXT: qb_compare_print_text(f, ctx, c); break;
    case FMT_MARKDOWN: qb_compare_print_markdown(f, ctx, c); break;
    case FMT_CSV: qb_compare_print_csv(f, c); break;
    case FMT_JSON: {
        cJSON *doc = qb_compare_to_json(ctx, c);
        const int rc = doc ? qb_json_print(f, doc) : qb_fail(QB_ENOMEM, "out of memory");
        cJSON_Delete(doc);
        return rc;
    }
    }
    return QB_OK;
}

typedef struct {
    out_format fmt;
    const qb_cmp_context *ctx;
    const qb_comparison *c;
} render_args;

static int render_into(FILE *f, const void *arg)
{
    const render_args *a = arg;
    return render(f, a->fmt, a->ctx, a->c);
}

/* --gate: every BASE file on side 0, every NEW file on side 1, judged by
 * the gate on per-round medians (reports/gate.h). */
static int run_gate(char **pos, int npos, const qb_gate_options *go, const char *format, const char *out)
{
    qb_gate_fmt fmt;
    int rc = qb_gate_parse_format("qbench compare --format", format, &fmt);
    if (rc) return rc;
    qb_gate g = {0};
    char labels[2][160] = {"", ""};
    for (int i = 0; i < npos && rc == QB_OK; i++) {
        qb_results r;
        rc = qb_results_read(pos[i], &r);
        if (rc) break;
        rc = qb_gate_add_run(&g, i % 2, &r, pos[i], go);
        qb_results_free(&r);
    }
    if (rc == QB_OK) {
        snprintf(labels[0], sizeof labels[0], npos > 2 ? "%s and %d more" : "%s", pos[0], npos / 2 - 1);
        snprintf(labels[1], sizeof labels[1], npos > 2 ? "%s and %d more" : "%s", pos[1], npos / 2 - 1);
        const qb_gate_context ctx = {"qbench compare --gate", labels[0], labels[1], go};
        rc = qb_gate_report(&g, &ctx, fmt, out);
    }
    qb_gate_free(&g);
    return rc;
}

int qb_cmd_compare(int argc, char **argv)
{
    bool json = false;
    const char *out = NULL, *format = "text";
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    double threshold_pct = 100 * o.threshold;
    o.noise_k = -1; /* the default depends on how many pairs vote */
    long quorum = -1; /* default: more than half of the pairs */
    bool gate = false, history = false;
    qb_hgate_query hq = {NULL, QB_HISTORY_GATE_LAST_DEFAULT};
    const char *db = NULL;
    qb_gate_options go;
    qb_gate_options_default(&go);
    double min_effect_pct = 100 * go.min_effect;
    o.alpha = -1; /* the default depends on --gate */
    const qb_opt opts[] = {
        {"threshold", 't', QB_OPT_DOUBLE, &threshold_pct, "PCT",
         "relative change that counts, in percent of the base value", 0, 1000},
        {"alpha", 0, QB_OPT_DOUBLE, &o.alpha, "P",
         "significance level of the U test (default " QB_STR(QB_COMPARE_ALPHA_DEFAULT) ", "
         QB_STR(QB_GATE_ALPHA_DEFAULT) " with --gate)", 1e-9, 0.5},
        {"gate", 0, QB_OPT_FLAG, &gate, NULL,
         "judge with the round-median gate: every BASE file is one side, every NEW file the other", 0, 0},
        {"history", 0, QB_OPT_FLAG, &history, NULL,
         "the gate against the results history: every file is a NEW run, the base is the history's last runs "
         "of --branch on the same machine", 0, 0},
        {"db", 0, QB_OPT_STRING, &db, "URL",
         "with --history: the database, as qbench history takes it (default $XDG_DATA_HOME/qbench/history.sqlite)", 0, 0},
        {"branch", 0, QB_OPT_STRING, &hq.branch, "NAME",
         "with --history: the base branch (default " QB_HISTORY_GATE_BRANCH_DEFAULT ", else the new run's branch when "
         "the machine has no run of " QB_HISTORY_GATE_BRANCH_DEFAULT ")", 0, 0},
        {"last", 0, QB_OPT_INT, &hq.last, "N",
         "with --history: the base is this many latest runs (default " QB_STR(QB_HISTORY_GATE_LAST_DEFAULT) ")", 1, 1000},
        {"min-effect", 0, QB_OPT_DOUBLE, &min_effect_pct, "PCT",
         "with --gate or --history: a smaller change never gates (default 5)", 0, 1000},
        {"min-rounds", 0, QB_OPT_INT, &go.min_rounds, "N",
         "with --gate or --history: rounds per side a metric needs to be judged (default " QB_STR(QB_GATE_MIN_ROUNDS_DEFAULT) ")",
         2, 1000000},
        {"any-machine", 0, QB_OPT_FLAG, &go.any_machine, NULL,
         "with --gate: compare runs of different machines with a warning instead of refusing", 0, 0},
        {"noise", 0, QB_OPT_DOUBLE, &o.noise_k, "K",
         "noise floor: K times both files' p10..p90 widths relative to their values, in quadrature (0: off; "
         "default " QB_STR(QB_COMPARE_NOISE_DEFAULT) ", " QB_STR(QB_COMPARE_NOISE_VOTE_DEFAULT) " when 3 or more pairs vote)", 0, 100},
        {"quorum", 0, QB_OPT_INT, &quorum, "M",
         "with several BASE NEW pairs: pairs in which a metric must regress (default: more than half)", 1,
         QB_COMPARE_MAX_PAIRS},
        {"min-samples", 0, QB_OPT_INT, &o.min_samples, "N",
         "samples per file needed to test; fewer makes a change 'unreliable'", 2, 1000000},
        {"filter", 0, QB_OPT_STRING, &o.filter, "PATTERNS",
         "compare only these ID[:METRIC] globs, comma separated", 0, 0},
        {"fail-on", 0, QB_OPT_STRING, &o.fail_on, "PATTERNS",
         "only these ID[:METRIC] globs gate the exit status (default: every metric of a record not marked gate: false)", 0, 0},
        {"format", 0, QB_OPT_STRING, &format, "FMT", "text, markdown, json or csv; with --gate text, markdown, junit or json", 0, 0},
        {"json", 0, QB_OPT_FLAG, &json, NULL, "same as --format json", 0, 0},
        {"output", 'o', QB_OPT_STRING, &out, "FILE",
         "write the --format output to FILE (atomically) and the text table to stdout", 0, 0},
    };
    const qb_cmd_spec spec = {
        .path = "compare",
        .usage = "BASE.json NEW.json [BASE2.json NEW2.json ...] [options]\n"
                 "       qbench compare --history NEW.json [NEW2.json ...] [--db URL] [--branch B] [--last N] [options]",
        .summary = "Regression gate: compare two results files metric by metric, each in its own direction.",
        .details =
            "Records are paired by id. For each metric the change is that of the reported values\n"
            "(the best round's median), judged in the metric's direction (better: lower or higher;\n"
            "'none' is shown as info). A metric REGRESSES when the change is worse than the limit,\n"
            "the larger of --threshold and the noise floor (--noise times the p10..p90 widths of\n"
            "its samples in the two files, each relative to its file's value, added in\n"
            "quadrature: how far this host moved the number within a run), AND a two-sided Mann-Whitney U test on all samples\n"
            "of both files gives p < --alpha with the samples moving the same way (exact\n"
            "distribution for small samples without ties, normal approximation with tie\n"
            "correction otherwise). Beyond the limit without significance is 'noise'; with fewer\n"
            "than --min-samples samples in a file it is 'unreliable'. Records or metrics found\n"
            "in one file only are listed as added or removed. The overall line is the geometric\n"
            "mean of new/base over all judged metrics, each oriented so that above 1 is better.\n"
            "A record whose params say \"gate\": false (on a virtual machine: switches across\n"
            "CPUs, and memory-bound figures on every vCPU, which other guests move) is judged and\n"
            "shown but does not gate unless --fail-on names it.\n"
            "\n"
            "PATTERNS is a comma list of ID[:METRIC]: ID is a glob on the record id or a group\n"
            "or id prefix ('ops', 'probe.peak/fp32'), METRIC a glob on the metric name.\n"
            "A different machine is a warning; a metric whose unit or direction differs between\n"
            "the files is an error. To convert one results file for Google Benchmark tools or a\n"
            "spreadsheet, use qbench export FILE --format gbench|csv.\n"
            "\n"
            "Several pairs BASE NEW (runs taken alternately on the same machine) vote: each pair is judged as above, and a metric\n"
            "regresses only when it does in at least --quorum pairs; base, new and change are\n"
            "medians over the pairs. A host that slows a run now and then makes a metric regress\n"
            "in one pair, rarely in most, while a real change shows in every pair, so with 3 or\n"
            "more pairs each pair's noise floor is tighter (--noise "
            QB_STR(QB_COMPARE_NOISE_VOTE_DEFAULT) ").\n"
            "\n"
            "--gate judges otherwise: every BASE file's rounds form one side and\n"
            "every NEW file's the other; each record's primary metric (its time; rates derived\n"
            "from it are shown, not counted again) regresses when the median of its per-round\n"
            "medians moved the bad way by more than --min-effect and a Mann-Whitney U test on the\n"
            "round medians gives p < --alpha. A metric with fewer than --min-rounds rounds on a\n"
            "side is not judged (a warning). Each metric shows the smallest change this\n"
            "comparison could have detected. Files of different machines are refused (exit 2)\n"
            "unless --any-machine; files sharing no record are refused.\n"
            "\n"
            "--history judges as --gate does, every file named being a NEW run: the base side is\n"
            "the last --last runs (by start time) of --branch in the results history (--db, as\n"
            "qbench history add stored them) on the machine of the first file (the same\n"
            "fingerprint), each run's per-round medians; a new run the history already holds is\n"
            "left out of the base. A quick run has " QB_STR(QB_RUN_QUICK_PASSES) " rounds (passes): name several new\n"
            "files, run with --interleave 5, or lower --min-rounds. No such run in the history: exit 2.\n"
            "\n"
            "Exit status: 0 no regression, 1 a gating metric regressed, 2 bad input or usage.",
        .examples = "  qbench compare base.json new.json\n"
                    "  qbench compare base.json new.json --format markdown -o comment.md\n"
                    "  qbench compare base.json new.json --threshold 10 --fail-on 'ops/*:time,probe.*'\n"
                    "  qbench compare base.json new.json --json | jq '.metrics[] | select(.status==\"regressed\")'\n"
                    "  qbench compare b1.json n1.json b2.json n2.json b3.json n3.json b4.json n4.json b5.json n5.json\n"
                    "  qbench compare --gate b1.json n1.json b2.json n2.json --format junit -o gate.xml\n"
                    "  qbench compare --history new.json --db sqlite:ci/history.sqlite --branch main --last 5\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .max_positional = 2 * QB_COMPARE_MAX_PAIRS,
        .positional_limit = "at most " QB_STR(QB_COMPARE_MAX_PAIRS) " pairs of files",
    };
    char *pos[2 * QB_COMPARE_MAX_PAIRS];
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return rc;
    go.min_effect = min_effect_pct / 100;
    if (history) {
        if (gate) return qb_fail(QB_EUSAGE, "qbench compare: --gate and --history exclude each other");
        if (npos < 1) return qb_fail(QB_EUSAGE, "qbench compare --history: name the new results files (see --help)");
        go.alpha = o.alpha > 0 ? o.alpha : QB_GATE_ALPHA_DEFAULT;
        go.filter = o.filter;
        go.fail_on = o.fail_on;
        return qb_compare_history(pos, npos, db, &hq, &go, json ? "json" : format, out);
    }
    if (db || hq.branch || hq.last != QB_HISTORY_GATE_LAST_DEFAULT)
        return qb_fail(QB_EUSAGE, "qbench compare: --db, --branch and --last go with --history");
    if (npos < 2 || npos % 2)
        return qb_fail(QB_EUSAGE, "qbench compare: name results files in pairs, BASE NEW [BASE2 NEW2 ...] (see --help)");
    const int npairs = npos / 2;
    if (gate) {
        go.alpha = o.alpha > 0 ? o.alpha : QB_GATE_ALPHA_DEFAULT;
        go.filter = o.filter;
        go.fail_on = o.fail_on;
        return run_gate(pos, npos, &go, json ? "json" : format, out);
    }
    if (o.alpha < 0) o.alpha = QB_COMPARE_ALPHA_DEFAULT;
    if (quorum > npairs)
        return qb_fail(QB_EUSAGE, "qbench compare --quorum: %ld is more than the %d pairs given", quorum, npairs);
    if (quorum < 0) quorum = npairs / 2 + 1;
    if (o.noise_k < 0) o.noise_k = npairs >= 3 ? QB_COMPARE_NOISE_VOTE_DEFAULT : QB_COMPARE_NOISE_DEFAULT;
    out_format fmt = FMT_TEXT;
    rc = parse_format(json ? "json" : format, &fmt);
    o.threshold = threshold_pct / 100;
    if (!rc) rc = qb_cmp_check_patterns("qbench compare --filter", o.filter);
    if (!rc) rc = qb_cmp_check_patterns("qbench compare --fail-on", o.fail_on);
    if (rc) return rc;

    qb_results *files = calloc((size_t)npos, sizeof *files);
    qb_comparison *cmp = calloc((size_t)npairs, sizeof *cmp);
    int nread = 0, ncmp = 0;
    rc = files && cmp ? QB_OK : qb_fail(QB_ENOMEM, "out of memory");
    /* a failed read or comparison leaves nothing to free, so it is not counted */
    for (; rc == QB_OK && nread < npos; nread++)
        if ((rc = qb_results_read(pos[nread], &files[nread])) != QB_OK) break;
    for (; rc == QB_OK && ncmp < npairs; ncmp++)
        if ((rc = qb_compare(&files[2 * ncmp], &files[2 * ncmp + 1], &o, &cmp[ncmp])) != QB_OK) break;
    if (rc == QB_OK && npairs > 1) rc = qb_compare_vote(&cmp[0], cmp + 1, npairs - 1, (int)quorum);
    if (rc == QB_OK) {
        const qb_cmp_context ctx = {pos[0], pos[1], &files[0], &files[1], &o, npairs, (int)quorum};
        const qb_comparison *c = &cmp[0];
        if (out) {
            const render_args a = {fmt, &ctx, c};
            rc = qb_write_file_rendered(out, render_into, &a);
            if (!rc) rc = render(stdout, FMT_TEXT, &ctx, c);
            if (!rc) printf("\ncomparison written to %s\n", out);
        } else {
            rc = render(stdout, fmt, &ctx, c);
        }
        fflush(stdout);
        if (!rc && c->gating_regressions)
            rc = qb_fail(QB_EREGRESSION, "qbench compare: %zu gating metric%s regressed%s",
                         c->gating_regressions, c->gating_regressions == 1 ? "" : "s",
                         npairs > 1 ? " in a quorum of the pairs" : "");
    }
    for (int i = 0; i < ncmp; i++) qb_comparison_free(&cmp[i]);
    for (int i = 0; i < nread; i++) qb_results_free(&files[i]);
    free(cmp);
    free(files);
    return rc;
}
