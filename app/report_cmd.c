/* qbench report: results files -> one self-contained HTML page. */
#include "commands.h"
#include "error.h"
#include "output.h"
#include "report.h"
#include "timer.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int qb_cmd_report(int argc, char **argv)
{
    const char *dir = NULL;
    const qb_opt opts[] = {
        {"output", 'o', QB_OPT_STRING, &dir, "DIR", "folder for report.html and charts/ (required)", 0, 0},
    };
    const qb_cmd_spec spec = {
        .path = "report",
        .usage = "RESULTS.json [MORE.json ...] -o DIR",
        .summary = "Turn results files into one self-contained HTML page with charts.",
        .details = "Several files (machines, commits) are put side by side. Charts are drawn with\n"
                   "gnuplot; without it the page still has every table, and the chart data and\n"
                   "scripts stay in DIR/charts/. The page needs no network and no JavaScript.",
        .examples = "  qbench run --quick -o out/results.json && qbench report out/results.json -o out/report\n"
                    "  qbench report base.json new.json -o out/compare-report\n",
        .opts = opts,
        .nopts = 1,
        .max_positional = QB_REPORT_MAX_INPUTS,
    };
    char *pos[QB_REPORT_MAX_INPUTS];
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return rc;
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
