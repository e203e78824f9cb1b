/* qbench report: results files -> one self-contained HTML page. */
#include "commands.h"
#include "compare.h"
#include "defaults.h"
#include "error.h"
#include "history_report.h"
#include "output.h"
#include "report.h"
#include "timer.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* report --history: the series of the database, their steps marked. */
static int history_page(const char *db, const char *filter, long last, const char *dir)
{
    const uint64_t t0 = qb_now_ns();
    int rc = qb_cmp_check_patterns("qbench report --filter", filter);
    if (rc) return rc;
    qb_history *h = NULL;
    qb_hseries_list l = {0};
    qb_hfinding *fd = NULL;
    qb_cp_options o;
    qb_cp_options_default(&o);
    const qb_hquery q = {.filter = filter, .primary_only = true, .last = last};
    rc = qb_history_open(db, QB_HISTORY_WAIT_S_DEFAULT, &h);
    if (!rc) rc = qb_history_series(h, &q, &l);
    if (!rc && l.n == 0) rc = qb_fail(QB_EINPUT, "qbench report: no series in %s%s", qb_history_where(h),
                                      filter ? " match --filter" : "");
    if (!rc && !(fd = calloc(l.n, sizeof *fd))) rc = qb_fail(QB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < l.n; i++) rc = qb_history_detect(&l.s[i], &o, &fd[i]);
    if (!rc && mkdir(dir, 0755) != 0 && errno != EEXIST)
        rc = qb_fail(QB_EIO, "cannot create '%s': %s", dir, strerror(errno));
    char warning[600] = "";
    if (!rc) rc = qb_history_report_write(fd, l.n, qb_history_where(h), dir, warning, sizeof warning);
    free(fd);
    qb_hseries_list_free(&l);
    qb_history_close(h);
    if (rc) return rc;
    if (warning[0]) fprintf(stderr, "qbench: %s\n", warning);
    printf("history report written to %s/history.html (%.2f s)\n", dir, (double)(qb_now_ns() - t0) * 1e-9);
    return QB_OK;
}

int qb_cmd_report(int argc, char **argv)
{
    const char *dir = NULL, *history = NULL, *filter = NULL;
    long last = QB_HISTORY_LAST_DEFAULT;
    const qb_opt opts[] = {
        {"output", 'o', QB_OPT_STRING, &dir, "DIR", "folder for report.html and charts/ (required)", 0, 0},
        {"history", 0, QB_OPT_STRING, &history, "DB",
         "instead of results files: the series of a history database (see qbench history add) charted, "
         "with the steps qbench history detect finds marked, into DIR/history.html", 0, 0},
        {"filter", 0, QB_OPT_STRING, &filter, "PATTERNS", "with --history: only these ID[:METRIC] globs", 0, 0},
        {"last", 0, QB_OPT_INT, &last, "N", "with --history: each series' last N runs", 3, QB_CP_MAX_POINTS},
    };
    const qb_cmd_spec spec = {
        .path = "report",
        .usage = "RESULTS.json [MORE.json ...] -o DIR  |  --history DB -o DIR",
        .summary = "Turn results files into one self-contained HTML page with charts.",
        .details = "Several files (machines, commits) are put side by side, and files of different\n"
                   "commands are read together: a qbench net file adds the network section (the\n"
                   "answer line, top layers, layers on the roofline, latency against throughput).\n"
                   "Charts are drawn with gnuplot; without it the page still has every table, and\n"
                   "the chart data and scripts stay in DIR/charts/. The page needs no network and\n"
                   "no JavaScript.",
        .examples = "  qbench run --quick -o out/results.json && qbench report out/results.json -o out/report\n"
                    "  qbench net --model mobilenet-v2 --quick -o out/net.json\n"
                    "  qbench report out/results.json out/net.json -o out/report\n"
                    "  qbench report --history sqlite:ci/history.sqlite --filter 'ops/*' -o out/history\n"
                    "  qbench report base.json new.json -o out/compare-report\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .max_positional = QB_REPORT_MAX_INPUTS,
    };
    char *pos[QB_REPORT_MAX_INPUTS];
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return rc;
    if (history) {
        if (npos > 0) return qb_fail(QB_EUSAGE, "qbench report: --history takes no results files ('%s')", pos[0]);
        if (!dir) return qb_fail(QB_EUSAGE, "qbench report: -o DIR is required");
        return history_page(history, filter, last, dir);
    }
    if (filter) return qb_fail(QB_EUSAGE, "qbench report: --filter goes with --history");
    if (npos == 0) return qb_fail(QB_EUSAGE, "qbench report: name at least one results file (see --help)");
    if (!dir) return qb_fail(QB_EUSAGE, "qbench report: -o DIR is required");
    const uint64_t t0 = qb_now_ns();
    /* Every input is read and checked before anything is written. */
    qb_report_input in[QB_REPORT_MAX_INPUTS];
    memset(in, 0, sizeof in);
    int nread = 0;
    size_t records = 0;
    for (int i = 0; i < npos && rc == QB_OK; i++) {
        in[i].path = pos[i];
        rc = qb_results_read(pos[i], &in[i].res);
        if (rc) break;
        nread++;
        records += in[i].res.n;
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", pos[i]);
        snprintf(in[i].label, sizeof in[i].label, "%s", basename(tmp));
        for (int j = 0; j < i; j++)
            if (strcmp(in[j].label, in[i].label) == 0) {
                char lab[64];
                snprintf(lab, sizeof lab, "%.50s #%d", in[i].label, i + 1);
                snprintf(in[i].label, sizeof in[i].label, "%s", lab);
            }
    }
    if (rc == QB_OK && records == 0)
        rc = qb_fail(QB_EINPUT, "qbench report: the results hold no records (an empty run)");
    if (rc == QB_OK && mkdir(dir, 0755) != 0 && errno != EEXIST)
        rc = qb_fail(QB_EIO, "cannot create '%s': %s", dir, strerror(errno));
    char warning[600] = "";
    if (rc == QB_OK) rc = qb_report_write(in, npos, dir, warning, sizeof warning);
    for (int i = 0; i < nread; i++) qb_results_free(&in[i].res);
    if (rc) return rc;
    if (warning[0]) fprintf(stderr, "qbench: %s\n", warning);
    printf("report written to %s/report.html (%.2f s)\n", dir, (double)(qb_now_ns() - t0) * 1e-9);
    return QB_OK;
}
