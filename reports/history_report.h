/* The history as an HTML page: each series charted over its runs (gnuplot),
 * the detected steps marked at their commits, and the table of findings. */
#ifndef QB_HISTORY_REPORT_H
#define QB_HISTORY_REPORT_H

#include "history_detect.h"

#include <stddef.h>

/* Series charted at most: those with a finding first, then the others. */
#define QB_HISTORY_REPORT_MAX_CHARTS 60

/* Write dir/history.html (atomically), charts in dir/charts/. db names the
 * database on the page; charts gnuplot could not make are counted in
 * *warning. */
int qb_history_report_write(const qb_hfinding *fd, size_t n, const char *db, const char *dir, char *warning,
                            size_t wlen);

#endif
