/* qbench compare: the regression gate between two results files. */
#include "atomic_file.h"
#include "commands.h"
#include "compare.h"
#include "compare_format.h"
#include "defaults.h"
#include "error.h"
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
        char *text = doc ? cJSON_Print(doc) : NULL;
        cJSON_Delete(doc);
        if (!text) return qb_fail(QB_ENOMEM, "out of memory");
        fprintf(f, "%s\n", text);
        free(text);
        break;
    }
    }
    return QB_OK;
}

/* Render into memory first so FILE is replaced whole or not at all. */
static int render_to_file(const char *path, out_format fmt, const qb_cmp_context *ctx,
                          const qb_comparison *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = render(m, fmt, ctx, c);
    if (fclose(m) != 0 && !rc) rc = qb_fail(QB_ENOMEM, "out of memory");
    if (!rc) rc = qb_write_file_atomic(path, buf, len);
    free(buf);
    return rc;
}

int qb_cmd_compare(int argc, char **argv)
{
    bool json = false;
    const char *out = NULL, *format = "text";
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    double threshold_pct = 100 * o.threshold;
    const qb_opt opts[] = {
        {"threshold", 't', QB_OPT_DOUBLE, &threshold_pct, "PCT",
         "relative change that counts, in percent of the base value", 0, 1000},
        {"alpha", 0, QB_OPT_DOUBLE, &o.alpha, "P", "significance level of the U test", 1e-9, 0.5},
        {"noise", 0, QB_OPT_DOUBLE, &o.noise_k, "K",
         "noise floor: K times both files' p10..p90 widths relative to their values, in quadrature (0: off)", 0, 100},
        {"min-samples", 0, QB_OPT_INT, &o.min_samples, "N",
         "samples per file needed to test; fewer makes a change 'unreliable'", 2, 1000000},
        {"filter", 0, QB_OPT_STRING, &o.filter, "PATTERNS",
         "compare only these ID[:METRIC] globs, comma separated", 0, 0},
        {"fail-on", 0, QB_OPT_STRING, &o.fail_on, "PATTERNS",
         "only these ID[:METRIC] globs gate the exit status (default: every metric of a record not marked gate: false)", 0, 0},
        {"format", 0, QB_OPT_STRING, &format, "FMT", "text, markdown, json or csv", 0, 0},
        {"json", 0, QB_OPT_FLAG, &json, NULL, "same as --format json", 0, 0},
        {"output", 'o', QB_OPT_STRING, &out, "FILE",
         "write the --format output to FILE (atomically) and the text table to stdout", 0, 0},
    };
    const qb_cmd_spec spec = {
        .path = "compare",
        .usage = "BASE.json NEW.json [options]",
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
            "Exit status: 0 no regression, 1 a gating metric regressed, 2 bad input or usage.",
        .examples = "  qbench compare base.json new.json\n"
                    "  qbench compare base.json new.json --format markdown -o comment.md\n"
                    "  qbench compare base.json new.json --threshold 10 --fail-on 'ops/*:time,probe.*'\n"
                    "  qbench compare base.json new.json --json | jq '.metrics[] | select(.status==\"regressed\")'\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .max_positional = 2,
    };
    char *pos[2];
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return rc;
    if (npos != 2) return qb_fail(QB_EUSAGE, "qbench compare: name two results files, BASE and NEW (see --help)");
    out_format fmt = FMT_TEXT;
    rc = parse_format(json ? "json" : format, &fmt);
    o.threshold = threshold_pct / 100;
    if (!rc) rc = qb_cmp_check_patterns("qbench compare --filter", o.filter);
    if (!rc) rc = qb_cmp_check_patterns("qbench compare --fail-on", o.fail_on);
    if (rc) return rc;

    qb_results base, cur;
    rc = qb_results_read(pos[0], &base);
    if (rc) return rc;
    rc = qb_results_read(pos[1], &cur);
    if (rc) {
        qb_results_free(&base);
        return rc;
    }
    qb_comparison c;
    rc = qb_compare(&base, &cur, &o, &c);
    if (rc == QB_OK) {
        const qb_cmp_context ctx = {pos[0], pos[1], &base, &cur, &o};
        if (out) {
            rc = render_to_file(out, fmt, &ctx, &c);
            if (!rc) rc = render(stdout, FMT_TEXT, &ctx, &c);
            if (!rc) printf("\ncomparison written to %s\n", out);
        } else {
            rc = render(stdout, fmt, &ctx, &c);
        }
        fflush(stdout);
        if (!rc && c.gating_regressions)
            rc = qb_fail(QB_EREGRESSION, "qbench compare: %zu gating metric%s regressed",
                         c.gating_regressions, c.gating_regressions == 1 ? "" : "s");
        qb_comparison_free(&c);
    }
    qb_results_free(&base);
    qb_results_free(&cur);
    return rc;
}
