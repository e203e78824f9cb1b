#include "chart_roofline.h"

#include "error.h"
#include "gnuplot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                     "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

int qb_chart_roofline(const char *dir, const char *name, const char *title, const qb_ceilings *c,
                      const char *const *dtypes, int ndtypes, const qb_rl_plot_point *pts, int npts)
{
    if (c->nmemory == 0) return qb_fail(QB_EINPUT, "roofline chart: no bandwidth ceilings");
    /* The x range covers every ridge point and every operator point. */
    double xmin = 1.0 / 64, xmax = 64, ymin = INFINITY, ymax = 0;
    for (int d = 0; d < ndtypes; d++) {
        const qb_rl_compute *cc = qb_ceilings_compute(c, dtypes[d]);
        if (!cc) continue;
        for (int l = 0; l < c->nmemory; l++) {
            const double ridge = cc->gops / c->memory[l].gbs;
            if (ridge * 4 > xmax) xmax = ridge * 4;
        (void)l;
        }
        if (cc->gops > ymax) ymax = cc->gops;
    }
    for (int i = 0; i < npts; i++) {
        if (pts[i].ai <= 0 || pts[i].gops <= 0) continue;
        if (pts[i].ai / 2 < xmin) xmin = pts[i].ai / 2;
        if (pts[i].ai * 8 > xmax) xmax = pts[i].ai * 8;
        if (pts[i].gops < ymin) ymin = pts[i].gops;
        if (pts[i].gops > ymax) ymax = pts[i].gops;
    }
    const double slowest = c->memory[c->nmemory - 1].gbs * xmin;
    if (slowest < ymin) ymin = slowest;
    if (!(ymax > 0)) return qb_fail(QB_EINPUT, "roofline chart: no compute ceiling to draw");

    qb_buf data = {0}, gp = {0};
    qb_buf_printf(&gp, QB_SVG_TERMINAL "set output '%s.svg'\n", name);
    qb_buf_printf(&gp, "set title '%s'\nset logscale xy\nset grid xtics ytics mxtics mytics lc '#dddddd'\n",
                  title);
    qb_buf_printf(&gp, "set xlabel 'arithmetic intensity (operations per byte)'\n"
                       "set ylabel 'performance (GOP/s)'\n"
                       "set xrange [%g:%g]\nset yrange [%g:%g]\n"
                       "set key outside right top box\nset format x '%%g'\nset format y '%%g'\n",
                  xmin, xmax, ymin / 2, ymax * 2);
    /* Each ceiling named on its own line, left of its ridge; each compute
     * ceiling at the right end of its line. */
    int tag = 1;
    /* the highest compute ceiling: the bandwidth lines end there */
    double top = 0;
    for (int d = 0; d < ndtypes; d++) {
        const qb_rl_compute *cc = qb_ceilings_compute(c, dtypes[d]);
        if (cc && cc->gops > top) top = cc->gops;
    }
    for (int l = 0; l < c->nmemory; l++) {
        /* one height per level, lower for each slower level, so no two meet */
        const double bw = c->memory[l].gbs, y = top / (3 * pow(2.5, l));
        const double x = y / bw > xmin * 1.5 ? y / bw : xmin * 1.5;
        qb_buf_printf(&gp, "set label %d '%s %.0f GB/s' at %g,%g left front font ',9' tc rgb '#444444'\n", tag++,
                      c->memory[l].level, bw, x * 1.15, x * bw);
    }
    for (int d = 0; d < ndtypes; d++) {
        const qb_rl_compute *cc = qb_ceilings_compute(c, dtypes[d]);
        if (cc)
            qb_buf_printf(&gp, "set label %d '%s %.0f GOP/s' at %g,%g right front font ',9' tc rgb '%s'\n", tag++,
                          dtypes[d], cc->gops, xmax / 1.3, cc->gops * 1.12, colors[d % 8]);
    }
    /* How quantization moves an operator: an arrow from its fp32 point to
     * each of its other points (right: fewer bytes; up: faster). */
    int arrow = 1;
    for (int i = 0; i < npts; i++) {
        if (!pts[i].base || pts[i].ai <= 0 || pts[i].gops <= 0) continue;
        for (int j = 0; j < npts; j++) {
            if (j == i || pts[j].base || strcmp(pts[j].group, pts[i].group) != 0 || pts[j].ai <= 0 ||
                pts[j].gops <= 0)
                continue;
            qb_buf_printf(&gp, "set arrow %d from %g,%g to %g,%g lc rgb '#999999' lw 1 back\n", arrow++,
                          pts[i].ai, pts[i].gops, pts[j].ai, pts[j].gops);
        }
    }
    qb_buf_printf(&gp, "plot \\\n");
    int block = 0;
    /* Bandwidth lines are the same for every data type: one per memory
     * level, up to the highest compute ceiling. Each data type then has its
     * compute ceiling from its first ridge point on, and its ridge points. */
    for (int l = 0; l < c->nmemory; l++) {
        const double bw = c->memory[l].gbs;
        qb_buf_printf(&data, "# %s bandwidth\n%g %g\n%g %g\n\n\n", c->memory[l].level, xmin,
                      xmin * bw, top / bw, top);
        qb_buf_printf(&gp, "%s'%s.dat' index %d using 1:2 with lines lw 2 lc rgb '#444444' dt %d title '%s %.0f GB/s'",
                      l ? ", \\\n  " : "  ", name, block++, l + 1, c->memory[l].level, bw);
    }
    for (int d = 0; d < ndtypes; d++) {
        const qb_rl_compute *cc = qb_ceilings_compute(c, dtypes[d]);
        if (!cc) continue;
        const char *color = colors[d % 8];
        const double first_ridge = cc->gops / c->memory[0].gbs;
        qb_buf_printf(&data, "# %s compute ceiling\n%g %g\n%g %g\n\n\n", dtypes[d], first_ridge,
                      cc->gops, xmax, cc->gops);
        qb_buf_printf(&gp, ", \\\n  '%s.dat' index %d using 1:2 with lines lw 3 lc rgb '%s' title '%s peak %.0f GOP/s'",
                      name, block++, color, dtypes[d], cc->gops);
        qb_buf_printf(&data, "# %s ridge points\n", dtypes[d]);
        for (int l = 0; l < c->nmemory; l++)
            qb_buf_printf(&data, "%g %g\n", cc->gops / c->memory[l].gbs, cc->gops);
        qb_buf_printf(&data, "\n\n");
        qb_buf_printf(&gp, ", \\\n  '%s.dat' index %d using 1:2 with points pt 6 ps 1.2 lc rgb '%s' title '%s ridge points'",
                      name, block++, color, dtypes[d]);
    }
    /* Points that sit on one spot share one label: "conv i8t" and "conv i8c"
     * become "conv i8t, i8c" on the first, and the second has none. */
    static char labels[256][160];
    const int nl = npts < 256 ? npts : 256;
    for (int i = 0; i < nl; i++) snprintf(labels[i], sizeof labels[i], "%s", pts[i].label);
    for (int i = 0; i < nl; i++) {
        if (!labels[i][0] || pts[i].ai <= 0 || pts[i].gops <= 0) continue;
        for (int j = i + 1; j < nl; j++) {
            if (!labels[j][0] || pts[j].ai <= 0 || pts[j].gops <= 0 || fabs(log(pts[j].ai / pts[i].ai)) > 0.15 ||
                fabs(log(pts[j].gops / pts[i].gops)) > 0.15)
                continue;
            const char *rest = strchr(pts[j].label, ' ');
            const bool same_op = rest && strncmp(pts[j].label, pts[i].label, (size_t)(rest - pts[j].label) + 1) == 0;
            const size_t at = strlen(labels[i]);
            snprintf(labels[i] + at, sizeof labels[i] - at, ", %s", same_op ? rest + 1 : pts[j].label);
            labels[j][0] = '\0';
        }
    }
    /* Operator points, labelled, coloured by their data type's roof. */
    for (int d = 0; d < ndtypes; d++) {
        bool any = false;
        for (int i = 0; i < npts; i++) {
            if (strcmp(pts[i].dtype, dtypes[d]) != 0 || pts[i].ai <= 0 || pts[i].gops <= 0) continue;
            if (!any) qb_buf_printf(&data, "# %s operator points\n", dtypes[d]);
            any = true;
            qb_buf_printf(&data, "%g %g \"%s\"\n", pts[i].ai, pts[i].gops, i < nl ? labels[i] : "");
        }
        if (!any) continue;
        qb_buf_printf(&data, "\n\n");
        qb_buf_printf(&gp, ", \\\n  '%s.dat' index %d using 1:2 with points pt 7 ps 1.3 lc rgb '%s' title '%s operators'",
                      name, block, colors[d % 8], dtypes[d]);
        /* Labels are readable up to a few dozen points; past that the table names them. */
        if (npts <= QB_RL_CHART_MAX_LABELS)
            qb_buf_printf(&gp, ", \\\n  '%s.dat' index %d using 1:2:3 with labels offset 1,0.7 left font ',10' tc rgb '%s' notitle",
                          name, block, colors[d % 8]);
        block++;
    }
    qb_buf_printf(&gp, "\n");
    const int rc = qb_chart_render(dir, name, &gp, &data);
    qb_buf_free(&gp);
    qb_buf_free(&data);
    return rc;
}
