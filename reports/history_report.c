/* The history page: findings first (a table, then their charts), then the
 * quiet series until the chart budget is spent. A step is a dotted line
 * between the last run before it and the first run after, labelled with
 * the first commit after. */
#include "history_report.h"

#include "atomic_file.h"
#include "charts.h"
#include "error.h"
#include "html.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char style[] =
    "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
    "th{background:#f3f3f3}.bad{color:#b00}.good{color:#070}.warn{color:#a60}svg{max-width:100%;height:auto}";

typedef struct {
    qb_buf *h;
    const char *chartdir;
    int made, missing;
    char why[300];
} page;

static int chart(page *pg, const qb_hfinding *f, size_t idx)
{
    const qb_hseries *s = f->series;
    double *x = malloc(s->n * sizeof *x), *y = malloc(s->n * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < s->n; i++) {
        x[i] = (double)(i + 1);
        y[i] = s->pts[i].value;
    }
    char title[400], ylabel[80], name[32];
    snprintf(title, sizeof title, "%s %s (machine %.12s)%s", s->id, s->metric, s->machine,
             f->has_trend ? ", trend" : "");
    for (char *c = title; *c; c++)
        if (*c == '\'') *c = ' ';
    snprintf(ylabel, sizeof ylabel, "%s (%s is better)", s->unit, s->better < 0 ? "lower" : s->better > 0 ? "higher" : "none");
    snprintf(name, sizeof name, "history-%zu", idx);
    qb_line_chart c = {.title = title, .xlabel = "run (oldest first)", .ylabel = ylabel, .nser = 1};
    c.series[0] = "median";
    c.x[0] = x;
    c.y[0] = y;
    c.n[0] = (int)s->n;
    char labels[8][48];
    for (size_t k = 0; k < f->nsteps && k < 8; k++) {
        const qb_cp_step *st = &f->steps[k];
        c.marks[c.nmarks] = (double)st->at + 0.5;
        snprintf(labels[k], sizeof labels[k], "%+.1f%% %.10s", 100 * st->change, s->pts[st->at].commit);
        for (char *p = labels[k]; *p; p++)
            if (*p == '\'') *p = ' ';
        c.mark_labels[c.nmarks++] = labels[k];
    }
    const int rc = qb_chart_lines(pg->chartdir, name, &c);
    free(x);
    free(y);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.svg", pg->chartdir, name);
    if (rc == QB_OK && qb_html_inline_svg(pg->h, path) == QB_OK) {
        pg->made++;
        return QB_OK;
    }
    if (rc == QB_ENOMEM) return rc;
    if (!pg->missing++) snprintf(pg->why, sizeof pg->why, "%s", qb_last_error(rc));
    qb_buf_printf(pg->h, "<p class=\"warn\">Chart %s not drawn (data and script in charts/).</p>\n", name);
    return QB_OK;
}

static void ref(qb_buf *h, const qb_hpoint *p)
{
    qb_buf_printf(h, "<code>");
    qb_html_text(h, p->commit[0] ? p->commit : "?");
    qb_buf_printf(h, "</code> (run %ld, ", p->run);
    qb_html_text(h, p->started);
    qb_buf_printf(h, ")");
}

static void findings_table(qb_buf *h, const qb_hfinding *fd, size_t n)
{
    qb_buf_printf(h, "<table><tr><th>record</th><th>metric</th><th>finding</th><th>size</th>"
                     "<th>between</th><th>p</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        const qb_hfinding *f = &fd[i];
        const qb_hseries *s = f->series;
        for (size_t k = 0; k < f->nsteps + (f->has_trend ? 1 : 0); k++) {
            const bool trend = k == f->nsteps;
            const double change = trend ? f->trend.total : f->steps[k].change;
            const char *dir = qb_history_direction(s->better, change);
            qb_buf_printf(h, "<tr><td>");
            qb_html_text(h, s->id);
            qb_buf_printf(h, "</td><td>");
            qb_html_text(h, s->metric);
            qb_buf_printf(h, "</td><td class=\"%s\">%s %s</td><td>%+.1f%%%s</td><td>",
                          strcmp(dir, "regression") == 0 ? "bad" : strcmp(dir, "improvement") == 0 ? "good" : "",
                          trend ? "trend" : "step", dir, 100 * change, trend ? " over the runs" : "");
            ref(h, trend ? &s->pts[0] : &s->pts[f->steps[k].at - 1]);
            qb_buf_printf(h, " and ");
            ref(h, trend ? &s->pts[s->n - 1] : &s->pts[f->steps[k].at]);
            qb_buf_printf(h, "</td><td>%.2g</td></tr>\n", trend ? f->trend.p : f->steps[k].p);
        }
    }
    qb_buf_printf(h, "</table>\n");
}

int qb_history_report_write(const qb_hfinding *fd, size_t n, const char *db, const char *dir, char *warning,
                            size_t wlen)
{
    char chartdir[4200];
    snprintf(chartdir, sizeof chartdir, "%s/charts", dir);
    if (mkdir(chartdir, 0755) != 0 && errno != EEXIST)
        return qb_fail(QB_EIO, "cannot create '%s': %s", chartdir, strerror(errno));
    qb_buf h = {0};
    page pg = {.h = &h, .chartdir = chartdir};
    size_t nfind = 0;
    for (size_t i = 0; i < n; i++) nfind += fd[i].nsteps > 0 || fd[i].has_trend;
    qb_buf_printf(&h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>qbench history</title>"
                      "<style>%s</style></head><body>\n<h1>qbench history</h1>\n<p>Database <code>", style);
    qb_html_text(&h, db);
    qb_buf_printf(&h, "</code>: %zu series, %zu with a step or a trend.</p>\n", n, nfind);
    if (nfind) {
        qb_buf_printf(&h, "<h2>Steps and trends</h2>\n");
        findings_table(&h, fd, n);
    }
    int rc = QB_OK;
    size_t charted = 0;
    /* two passes: the series with findings, then the quiet ones */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        if (pass == 1 && n > nfind && charted < QB_HISTORY_REPORT_MAX_CHARTS) qb_buf_printf(&h, "<h2>Series without a finding</h2>\n");
        else if (pass == 0 && nfind) qb_buf_printf(&h, "<h2>Series with a finding</h2>\n");
        for (size_t i = 0; i < n && !rc && charted < QB_HISTORY_REPORT_MAX_CHARTS; i++) {
            const bool found = fd[i].nsteps > 0 || fd[i].has_trend;
            if (found != (pass == 0) || fd[i].series->n == 0) continue;
            rc = chart(&pg, &fd[i], i);
            charted++;
        }
    }
    if (!rc && charted < n)
        qb_buf_printf(&h, "<p>%zu more series not charted (qbench history show lists them).</p>\n", n - charted);
    qb_buf_printf(&h, "</body></html>\n");
    if (!rc && h.oom) rc = qb_fail(QB_ENOMEM, "out of memory building the history page");
    if (!rc) {
        char path[4200];
        snprintf(path, sizeof path, "%s/history.html", dir);
        rc = qb_write_file_atomic(path, h.s, h.len);
    }
    if (warning && wlen) {
        if (pg.missing) snprintf(warning, wlen, "%d chart(s) not drawn: %s", pg.missing, pg.why);
        else warning[0] = '\0';
    }
    qb_buf_free(&h);
    return rc;
}
