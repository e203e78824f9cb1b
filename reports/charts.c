#include "charts.h"

#include "error.h"
#include "gnuplot.h"

#include <math.h>

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                                      "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#393b79", "#637939"};

/* Labels go into the data file between double quotes; drop any quote in them. */
static void put_label(qb_buf *b, const char *s)
{
    qb_buf_printf(b, "\"");
    for (; *s; s++)
        if (*s != '"' && *s != '\n') qb_buf_printf(b, "%c", *s);
    qb_buf_printf(b, "\"");
}

int qb_chart_bars(const char *dir, const char *name, const qb_bar_chart *c)
{
    if (c->ncat <= 0 || c->nser <= 0) return qb_fail(QB_EINPUT, "chart %s has no data", name);
    qb_buf data = {0}, gp = {0};
    qb_buf_printf(&data, "category");
    for (int s = 0; s < c->nser; s++) {
        qb_buf_printf(&data, " ");
        put_label(&data, c->series[s]);
    }
    qb_buf_printf(&data, "\n");
    for (int k = 0; k < c->ncat; k++) {
        put_label(&data, c->cats[k]);
        for (int s = 0; s < c->nser; s++) {
            const double v = c->values[k * c->nser + s];
            if (isfinite(v)) qb_buf_printf(&data, " %.6g", v);
            else qb_buf_printf(&data, " NaN");
        }
        qb_buf_printf(&data, "\n");
    }
    bool negative = false;
    for (int i = 0; i < c->ncat * c->nser; i++) negative |= c->values[i] < 0;
    qb_buf_printf(&gp, QB_SVG_TERMINAL "set output '%s.svg'\n", name);
    qb_buf_printf(&gp, "set title '%s'\nset ylabel '%s'\nset style data histograms\n"
                       "set style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
                       "set boxwidth 0.9\nset grid ytics lc '#dddddd'\nset key outside right top\n"
                       "set xtics rotate by -40 left\nset datafile missing 'NaN'\nset yrange [%s:*]\n%s",
                  c->title, c->ylabel, c->logy || negative ? "*" : "0", c->logy ? "set logscale y\n" : "");
    qb_buf_printf(&gp, "plot ");
    for (int s = 0; s < c->nser; s++)
        qb_buf_printf(&gp, "%s'%s.dat' using %d:xtic(1) title columnheader(%d) lc rgb '%s'",
                      s ? ", " : "", name, s + 2, s + 2, palette[s % QB_CHART_MAX_SERIES]);
    qb_buf_printf(&gp, "\n");
    const int rc = qb_chart_render(dir, name, &gp, &data);
    qb_buf_free(&gp);
    qb_buf_free(&data);
    return rc;
}

int qb_chart_lines(const char *dir, const char *name, const qb_line_chart *c)
{
    if (c->nser <= 0) return qb_fail(QB_EINPUT, "chart %s has no data", name);
    qb_buf data = {0}, gp = {0};
    qb_buf_printf(&gp, QB_SVG_TERMINAL "set output '%s.svg'\n", name);
    qb_buf_printf(&gp, "set title '%s'\nset xlabel '%s'\nset ylabel '%s'\n%s%s"
                       "set grid xtics ytics lc '#dddddd'\nset key outside right top\n",
                  c->title, c->xlabel, c->ylabel, c->logx ? "set logscale x 2\n" : "",
                  c->logy ? "set logscale y\n" : "");
    for (int m = 0; m < c->nmarks; m++)
        qb_buf_printf(&gp, "set arrow from %g, graph 0 to %g, graph 1 nohead dt 3 lc rgb '#888888'\n"
                           "set label '%s' at %g, graph 0.97 left offset 0.3,0 font ',9' tc rgb '#555555'\n",
                      c->marks[m], c->marks[m], c->mark_labels[m], c->marks[m]);
    qb_buf_printf(&gp, "plot ");
    for (int s = 0; s < c->nser; s++) {
        qb_buf_printf(&data, "# %s\n", c->series[s]);
        for (int i = 0; i < c->n[s]; i++) qb_buf_printf(&data, "%.9g %.9g\n", c->x[s][i], c->y[s][i]);
        qb_buf_printf(&data, "\n\n");
        qb_buf_printf(&gp, "%s'%s.dat' index %d using 1:2 with linespoints pt 7 ps 0.6 lw 2 lc rgb '%s' title '%s'",
                      s ? ", " : "", name, s, palette[s % QB_CHART_MAX_SERIES], c->series[s]);
    }
    qb_buf_printf(&gp, "\n");
    const int rc = qb_chart_render(dir, name, &gp, &data);
    qb_buf_free(&gp);
    qb_buf_free(&data);
    return rc;
}
