/* Generic charts on top of gnuplot.h: grouped bars and x-y lines. Every
 * report chart is one of these, fed from results records. */
#ifndef QB_CHARTS_H
#define QB_CHARTS_H

#include <stdbool.h>

#define QB_CHART_MAX_SERIES 12

/* Grouped bars: ncat categories (x labels), nser series; values[c * nser + s],
 * NAN for a missing bar. */
typedef struct {
    const char *title, *ylabel;
    bool logy;
    int ncat, nser;
    const char *const *cats;
    const char *const *series;
    const double *values;
} qb_bar_chart;

int qb_chart_bars(const char *dir, const char *name, const qb_bar_chart *c);

/* Lines: nser series of n[s] points (x[s][i], y[s][i]); optional vertical
 * markers (e.g. cache sizes) at marks[] with mark_labels[]. */
typedef struct {
    const char *title, *xlabel, *ylabel;
    bool logx, logy;
    int nser;
    const char *series[QB_CHART_MAX_SERIES];
    const double *x[QB_CHART_MAX_SERIES];
    const double *y[QB_CHART_MAX_SERIES];
    int n[QB_CHART_MAX_SERIES];
    int nmarks;
    double marks[8];
    const char *mark_labels[8];
} qb_line_chart;

int qb_chart_lines(const char *dir, const char *name, const qb_line_chart *c);

#endif
