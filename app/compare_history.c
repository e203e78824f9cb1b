#include "compare_history.h"

#include "defaults.h"
#include "error.h"
#include "gate_report.h"

#include <stdio.h>
#include <stdlib.h>

int qb_compare_history(char **files, int nfiles, const char *db, const qb_hgate_query *q,
                       const qb_gate_options *go, const char *format, const char *out)
{
    qb_gate_fmt fmt;
    int rc = qb_gate_parse_format("qbench compare --format", format, &fmt);
    if (rc) return rc;
    qb_results *news = calloc((size_t)nfiles, sizeof *news);
    if (!news) return qb_fail(QB_ENOMEM, "out of memory");
    qb_gate g = {0};
    int nread = 0;
    /* the new runs first: the base side then follows the order of their records */
    for (; rc == QB_OK && nread < nfiles; nread++) {
        if ((rc = qb_results_read(files[nread], &news[nread])) != QB_OK) break;
        rc = qb_gate_add_run(&g, 1, &news[nread], files[nread], go);
    }
    qb_history *h = NULL;
    qb_hgate_base base;
    if (!rc) rc = qb_history_open(db, QB_HISTORY_WAIT_S_DEFAULT, &h);
    if (!rc) rc = qb_history_gate_base(h, news, (size_t)nfiles, q, &g, go, &base);
    if (!rc) {
        char labels[2][320];
        snprintf(labels[0], sizeof labels[0], "the history's last runs of %s on machine %.12s, %s..%s",
                 base.branch, base.machine, base.oldest, base.newest);
        snprintf(labels[1], sizeof labels[1], nfiles > 1 ? "%s and %d more" : "%s", files[0], nfiles - 1);
        const qb_gate_context ctx = {"qbench compare --history", labels[0], labels[1], go};
        rc = qb_gate_report(&g, &ctx, fmt, out);
    }
    qb_history_close(h);
    qb_gate_free(&g);
    for (int i = 0; i < nread; i++) qb_results_free(&news[i]);
    free(news);
    return rc;
}
