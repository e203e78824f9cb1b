/* The report page's shared pieces (report_page.h): sections, inline charts
 * and the group lookup every section of the page uses. */
#include "report_page.h"

#include "error.h"
#include "html.h"

#include <stdio.h>
#include <string.h>

bool qb_report_has_group(const qb_results *res, const char *group)
{
    for (size_t i = 0; i < res->n; i++)
        if (strcmp(res->recs[i].group, group) == 0) return true;
    return false;
}

/* Put a chart into the page: its SVG inline, or a line saying why not. */
void qb_report_chart(qb_report_page *rp, const char *name, int rc)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.svg", rp->chartdir, name);
    if (rc == QB_OK && qb_html_inline_svg(&rp->html, path) == QB_OK) {
        rp->charts_made++;
        return;
    }
    rp->charts_missing++;
    if (!rp->warning[0]) snprintf(rp->warning, sizeof rp->warning, "%s", qb_last_error(rc));
    qb_buf_printf(&rp->html, "<p class=\"warn\">Chart %s not drawn: ", name);
    qb_html_text(&rp->html, qb_last_error(rc));
    qb_buf_printf(&rp->html, " (data and gnuplot script are in charts/%s.dat and .gp).</p>\n", name);
}

void qb_report_section(qb_report_page *rp, const char *id, const char *title, const char *intro)
{
    qb_buf_printf(&rp->html, "<h2 id=\"%s\">", id);
    qb_html_text(&rp->html, title);
    qb_buf_printf(&rp->html, "</h2>\n");
    if (intro) {
        qb_buf_printf(&rp->html, "<p>");
        qb_html_text(&rp->html, intro);
        qb_buf_printf(&rp->html, "</p>\n");
    }
}
