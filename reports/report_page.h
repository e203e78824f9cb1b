/* The HTML report while it is written: the state and helpers its sections
 * share (report.c writes the page, report_net.c the network section). */
#ifndef QB_REPORT_PAGE_H
#define QB_REPORT_PAGE_H

#include "report.h"
#include "textbuf.h"

#include <stdbool.h>

typedef struct {
    const qb_report_input *in;
    int nin;
    const char *dir;
    char chartdir[4096];
    qb_buf html;
    char warning[512]; /* the first chart failure's reason */
    int charts_made, charts_missing;
} qb_report_page;

bool qb_report_has_group(const qb_results *res, const char *group);

/* <h2 id=...>title</h2> and an optional introductory paragraph. */
void qb_report_section(qb_report_page *rp, const char *id, const char *title, const char *intro);

/* Put chart `name` (made with return code rc) into the page: its SVG
 * inline, or a line saying why not and where its data and script are. */
void qb_report_chart(qb_report_page *rp, const char *name, int rc);

/* The network section, when an input holds qbench net's records. */
void qb_report_net(qb_report_page *rp);

#endif
