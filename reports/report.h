/* The HTML report: one self-contained page (SVG inline, no script, no
 * network) from one or more results files, side by side. */
#ifndef QB_REPORT_H
#define QB_REPORT_H

#include "results.h"

#define QB_REPORT_MAX_INPUTS 8

typedef struct {
    const char *path;
    char label[64]; /* column heading: the file name */
    qb_results res;
} qb_report_input;

/* Write dir/report.html (atomically) with charts made in dir/charts/. Charts
 * that gnuplot could not make are listed in *chart_warning (may be NULL). */
int qb_report_write(const qb_report_input *in, int nin, const char *dir, char *chart_warning,
                    size_t wlen);

#endif
