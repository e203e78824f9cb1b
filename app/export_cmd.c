/* qbench export: one results file in Google Benchmark's JSON or as CSV. */
#include "atomic_file.h"
#include "commands.h"
#include "compare.h"
#include "error.h"
#include "export.h"
#include "output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const qb_results *r;
    const char *filter;
} csv_args;

static int csv_into(FILE *f, const void *arg)
{
    const csv_args *a = arg;
    qb_export_csv(f, a->r, a->filter);
    return QB_OK;
}

static int write_out(const char *path, const qb_results *r, bool gbench, const char *filter)
{
    if (gbench) {
        cJSON *doc = qb_export_gbench(r, filter);
        const int rc = doc ? qb_json_write(doc, path) : qb_fail(QB_ENOMEM, "out of memory");
        cJSON_Delete(doc);
        return rc;
    }
    const csv_args a = {r, filter};
    if (path && strcmp(path, "-") != 0) return qb_write_file_rendered(path, csv_into, &a);
    csv_into(stdout, &a);
    if (ferror(stdout) || fflush(stdout) != 0) return qb_fail(QB_EIO, "cannot write to standard output");
    return QB_OK;
}

int qb_cmd_export(int argc, char **argv)
{
    const char *out = NULL, *format = "gbench", *filter = NULL;
    const qb_opt opts[] = {
        {"format", 0, QB_OPT_STRING, &format, "FMT", "gbench (Google Benchmark JSON) or csv", 0, 0},
        {"filter", 0, QB_OPT_STRING, &filter, "PATTERNS",
         "export only these ID[:METRIC] globs, comma separated (as in qbench compare)", 0, 0},
        {"output", 'o', QB_OPT_STRING, &out, "FILE", "write to FILE (atomically) instead of stdout", 0, 0},
    };
    const qb_cmd_spec spec = {
        .path = "export",
        .usage = "RESULTS.json [--format gbench|csv] [-o FILE]",
        .summary = "Convert a results file for other tools: Google Benchmark JSON or CSV.",
        .details =
            "gbench: one benchmark per record that has a time (ops records' time, a latency in\n"
            "ns), named by its id: real_time and cpu_time in ns, us or ms (whichever keeps the\n"
            "number readable), the record's rates and cycle counts as user counters, one\n"
            "iteration entry per sample (repetition_index) and the mean, median and stddev\n"
            "aggregates, as Google Benchmark writes with --benchmark_repetitions. Records\n"
            "without a time (instruction cycles, quantization error) are left out. Its\n"
            "tools/compare.py, github-action-benchmark (tool: googlecpp) and bencher (adapter\n"
            "cpp_google) read it.\n"
            "csv: one row per metric with its statistics, params as JSON and the samples.\n"
            "To gate CI on a regression, use qbench compare (statistics, directions, exit 1).",
        .examples = "  qbench export results.json --format gbench -o bench.json\n"
                    "  qbench export results.json --format csv -o results.csv\n"
                    "  qbench export results.json --filter 'probe.inst:latency' | jq '.benchmarks[0]'\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .max_positional = 1,
    };
    char *pos[1];
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return rc;
    if (npos != 1) return qb_fail(QB_EUSAGE, "qbench export: name one results file (see --help)");
    const bool gbench = strcmp(format, "gbench") == 0;
    if (!gbench && strcmp(format, "csv") != 0)
        return qb_fail(QB_EUSAGE, "qbench export --format: unknown format '%s' (gbench, csv)", format);
    rc = qb_cmp_check_patterns("qbench export --filter", filter);
    if (rc) return rc;
    qb_results r;
    rc = qb_results_read(pos[0], &r);
    if (rc) return rc;
    rc = write_out(out, &r, gbench, filter);
    qb_results_free(&r);
    if (!rc && out && strcmp(out, "-") != 0) fprintf(stderr, "exported %s to %s\n", pos[0], out);
    return rc;
}
