/* The roofline chart: log-log, one roof per data type (its compute ceiling
 * with the bandwidth line of each memory level, drawn as explicit segments
 * through the ridge points), the ridge points marked, every ceiling labelled
 * on its line, operator points labelled, and an arrow from each operator's
 * fp32 point to its fp16 and int8 points: how quantization moves it. */
#ifndef QB_CHART_ROOFLINE_H
#define QB_CHART_ROOFLINE_H

#include "roofline_model.h"

#include <stdbool.h>

typedef struct {
    char label[96]; /* short: "relu f32", "conv i8c" */
    char dtype[24]; /* the roof it belongs to */
    char group[96]; /* one operator at one size and thread count: its dtypes are joined by arrows */
    bool base;      /* the group's fp32 point, where its arrows start */
    double ai;      /* ops per byte; points with ai <= 0 cannot sit on a log axis and are skipped */
    double gops;
} qb_rl_plot_point;

/* More operator points than this are drawn without labels (the table names them). */
#define QB_RL_CHART_MAX_LABELS 24

/* Write dir/name.{dat,gp} and run gnuplot (see gnuplot.h for the return codes). */
int qb_chart_roofline(const char *dir, const char *name, const char *title, const qb_ceilings *c,
                      const char *const *dtypes, int ndtypes, const qb_rl_plot_point *pts, int npts);

#endif
