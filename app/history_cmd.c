/* qbench history add | show | detect: the results history in a database. */
#include "commands.h"
#include "compare.h"
#include "defaults.h"
#include "error.h"
#include "history_detect.h"
#include "history_format.h"
#include "output.h"
#include "timer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_HELP                                                                                          \
    "sqlite:PATH (or a PATH), postgresql://USER@HOST/DB, or postgresql:KEY=VALUE ... (a libpq keyword " \
    "string, e.g. host=/run/postgresql dbname=qb); default $XDG_DATA_HOME/qbench/history.sqlite"

#define DB_DETAILS                                                                                         \
    "The history is one database: an SQLite file by default, or a PostgreSQL database every\n"             \
    "CI runner of a fleet writes to (same schema). Series are kept per machine: a fingerprint\n"           \
    "of the results file's machine (CPU model and stepping, cores, threads, caches, hypervisor).\n"

int qb_cmd_history_add(int argc, char **argv)
{
    const char *db = NULL, *commit = NULL, *branch = NULL;
    double wait_s = QB_HISTORY_WAIT_S_DEFAULT;
    bool json = false;
    const qb_opt opts[] = {
        {"db", 0, QB_OPT_STRING, &db, "URL", DB_HELP, 0, 0},
        {"commit", 0, QB_OPT_STRING, &commit, "SHA", "the commit the run measured (default: the file's tool.git)", 0, 0},
        {"branch", 0, QB_OPT_STRING, &branch, "NAME", "its branch (default: the file's tool.branch, else empty)", 0, 0},
        {"wait", 0, QB_OPT_DOUBLE, &wait_s, "S",
         "seconds to wait for a database another writer holds (default " QB_STR(QB_HISTORY_WAIT_S_DEFAULT) ")", 0, 3600},
        {"json", 0, QB_OPT_FLAG, &json, NULL, "print what was added as JSON", 0, 0},
    };
    const qb_cmd_spec spec = {
        .path = "history add",
        .usage = "RESULTS.json [options]",
        .summary = "Store one run (machine, commit, branch, time, settings, every record, metric and sample) in the history.",
        .details = DB_DETAILS
        "The run goes in in one transaction: a run is stored whole or not at all, and several\n"
        "processes may add at once. The same run added twice is refused. A locked or read-only\n"
        "database, a database of a newer schema or a results file that does not parse: exit 2.",
        .examples = "  qbench run --quick -o r.json && qbench history add r.json\n"
                    "  qbench history add r.json --db sqlite:ci/history.sqlite --commit $GITHUB_SHA --branch main\n"
                    "  qbench history add r.json --db postgresql://ci@db.example/qbench\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .max_positional = 1,
    };
    char *pos[1];
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return rc;
    if (npos != 1) return qb_fail(QB_EUSAGE, "qbench history add: name one results file (see --help)");
    const uint64_t t0 = qb_now_ns();
    qb_results r;
    if ((rc = qb_results_read(pos[0], &r)) != QB_OK) return rc;
    if (r.n == 0) {
        qb_results_free(&r);
        return qb_fail(QB_EINPUT, "qbench history add: '%s' holds no records (an empty run)", pos[0]);
    }
    qb_history *h = NULL;
    qb_history_added a;
    rc = qb_history_open(db, wait_s, &h);
    if (!rc) rc = qb_history_add(h, &r, commit, branch, &a);
    if (!rc) {
        const double secs = (double)(qb_now_ns() - t0) * 1e-9;
        if (json)
            printf("{\"run\": %ld, \"machine\": \"%s\", \"records\": %zu, \"metrics\": %zu, \"seconds\": %.3f}\n",
                   a.run, a.machine, a.records, a.metrics, secs);
        else
            printf("added run %ld (machine %.12s, %zu records, %zu metrics) to %s in %.2f s\n", a.run, a.machine,
                   a.records, a.metrics, qb_history_where(h), secs);
    }
    qb_history_close(h);
    qb_results_free(&r);
    return rc;
}

/* Print JSON to stdout or write it atomically to out. */
static int emit_json(cJSON *doc, const char *out)
{
    if (!doc) return qb_fail(QB_ENOMEM, "out of memory");
    const int rc = qb_json_write(doc, out);
    cJSON_Delete(doc);
    if (!rc && out && strcmp(out, "-") != 0) printf("written to %s\n", out);
    return rc;
}

int qb_cmd_history_show(int argc, char **argv)
{
    const char *db = NULL, *out = NULL;
    qb_hquery q = {0};
    bool json = false;
    const qb_opt opts[] = {
        {"db", 0, QB_OPT_STRING, &db, "URL", DB_HELP, 0, 0},
        {"filter", 0, QB_OPT_STRING, &q.filter, "PATTERNS",
         "only these ID[:METRIC] globs, comma separated (as qbench compare takes them)", 0, 0},
        {"machine", 0, QB_OPT_STRING, &q.machine, "FP", "only this machine (a prefix of its fingerprint)", 0, 0},
        {"metric", 0, QB_OPT_STRING, &q.metric, "NAME", "only this metric", 0, 0},
        {"last", 0, QB_OPT_INT, &q.last, "N", "each series' last N runs (default: all)", 1, 1e9},
        {"json", 0, QB_OPT_FLAG, &json, NULL, "print the series as JSON", 0, 0},
        {"output", 'o', QB_OPT_STRING, &out, "FILE", "write the JSON to FILE (atomically)", 0, 0},
    };
    const qb_cmd_spec spec = {
        .path = "history show",
        .usage = "[options]",
        .summary = "Each metric's series in the history: commit, time, median and spread per run.",
        .details = DB_DETAILS
        "A series is one metric of one record on one machine, oldest run first; the spread is\n"
        "the width between the samples' quartiles relative to the median.",
        .examples = "  qbench history show --filter 'ops/conv/*' --last 20\n"
                    "  qbench history show --filter 'ops/gemm/*:time' --machine 3fa2 --json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, NULL, &npos);
    if (rc) return rc;
    if ((rc = qb_cmp_check_patterns("qbench history show --filter", q.filter)) != QB_OK) return rc;
    qb_history *h = NULL;
    qb_hseries_list l = {0};
    rc = qb_history_open(db, QB_HISTORY_WAIT_S_DEFAULT, &h);
    if (!rc) rc = qb_history_series(h, &q, &l);
    if (!rc) {
        if (json || out) rc = emit_json(qb_history_series_json(&l), out);
        else qb_history_print_series(stdout, &l);
    }
    qb_hseries_list_free(&l);
    qb_history_close(h);
    return rc;
}

/* "5%", "5" or "0.5%": a percentage, returned as a fraction. */
static int parse_pct(const char *what, const char *s, double *out)
{
    char buf[32];
    const size_t n = strlen(s);
    if (n == 0 || n >= sizeof buf) return qb_fail(QB_EUSAGE, "%s: '%s' is not a percentage", what, s);
    memcpy(buf, s, n + 1);
    if (buf[n - 1] == '%') buf[n - 1] = '\0';
    double v;
    const int rc = qb_parse_double(what, buf, 0, 1000, &v);
    if (!rc) *out = v / 100;
    return rc;
}

int qb_cmd_history_detect(int argc, char **argv)
{
    const char *db = NULL, *out = NULL, *min_effect = NULL;
    qb_hquery q = {.primary_only = true, .last = QB_HISTORY_LAST_DEFAULT};
    qb_cp_options o;
    qb_cp_options_default(&o);
    bool json = false;
    const qb_opt opts[] = {
        {"db", 0, QB_OPT_STRING, &db, "URL", DB_HELP, 0, 0},
        {"filter", 0, QB_OPT_STRING, &q.filter, "PATTERNS", "only these ID[:METRIC] globs, comma separated", 0, 0},
        {"machine", 0, QB_OPT_STRING, &q.machine, "FP", "only this machine (a prefix of its fingerprint)", 0, 0},
        {"metric", 0, QB_OPT_STRING, &q.metric, "NAME",
         "judge this metric (default: each record's primary one: time, else its first metric with a direction)", 0, 0},
        {"last", 0, QB_OPT_INT, &q.last, "N",
         "each series' last N runs (default " QB_STR(QB_HISTORY_LAST_DEFAULT) ")", 3, QB_CP_MAX_POINTS},
        {"min-effect", 0, QB_OPT_STRING, &min_effect, "PCT",
         "smallest step or drift reported, e.g. 5% (default 5%)", 0, 0},
        {"alpha", 0, QB_OPT_DOUBLE, &o.alpha, "P",
         "largest p-value reported (permutation test of a step, Mann-Kendall of a trend)", 1e-9, 0.5},
        {"penalty", 0, QB_OPT_DOUBLE, &o.penalty, "K",
         "cost of one more change point: K x ln(runs), in units of the noise", 0.1, 100},
        {"json", 0, QB_OPT_FLAG, &json, NULL, "print the findings as JSON", 0, 0},
        {"output", 'o', QB_OPT_STRING, &out, "FILE", "write the JSON to FILE (atomically)", 0, 0},
    };
    const qb_cmd_spec spec = {
        .path = "history detect",
        .usage = "[options]",
        .summary = "Steps and slow drifts in the history's series, each pinned to its commits with a confidence.",
        .details = DB_DETAILS
        "Each series (one record's primary metric on one machine, its last N runs) is cut into\n"
        "segments by optimal partitioning: the cut that minimises the segments' L1 distance to\n"
        "their medians, in units of the run-to-run noise, plus a penalty per change point. A\n"
        "step is reported with the last run before and the first run after it, the change of\n"
        "the segments' medians and a permutation p-value, when it is at least --min-effect and\n"
        "p <= --alpha. A drift no single step explains (Mann-Kendall test, Theil-Sen slope, and\n"
        "a straight line that fits at least as well as the steps) is reported as a trend.",
        .examples = "  qbench history detect\n"
                    "  qbench history detect --filter 'ops/conv/*' --last 30 --min-effect 3%\n"
                    "  qbench history detect --json | jq '.findings[] | select(.steps[].kind == \"regression\")'\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, NULL, &npos);
    if (rc) return rc;
    if (min_effect && (rc = parse_pct("qbench history detect --min-effect", min_effect, &o.min_effect)) != QB_OK)
        return rc;
    if ((rc = qb_cmp_check_patterns("qbench history detect --filter", q.filter)) != QB_OK) return rc;
    qb_history *h = NULL;
    qb_hseries_list l = {0};
    qb_hfinding *fd = NULL;
    rc = qb_history_open(db, QB_HISTORY_WAIT_S_DEFAULT, &h);
    if (!rc) rc = qb_history_series(h, &q, &l);
    if (!rc && l.n > 0 && !(fd = calloc(l.n, sizeof *fd))) rc = qb_fail(QB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < l.n; i++) rc = qb_history_detect(&l.s[i], &o, &fd[i]);
    if (!rc) {
        if (json || out) rc = emit_json(qb_history_findings_json(fd, l.n, l.n, &o), out);
        else qb_history_print_findings(stdout, fd, l.n, l.n, &o);
    }
    free(fd);
    qb_hseries_list_free(&l);
    qb_history_close(h);
    return rc;
}
