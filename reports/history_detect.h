/* Steps and trends in the history's series: change points (changepoint.h)
 * and a Mann-Kendall trend (trend.h) on each series, the trend reported
 * when a straight line explains the series at least as well as the steps. */
#ifndef QB_HISTORY_DETECT_H
#define QB_HISTORY_DETECT_H

#include "changepoint.h"
#include "history_db.h"
#include "trend.h"

#include <stdbool.h>

#define QB_HISTORY_MAX_STEPS 16

typedef struct {
    const qb_hseries *series;
    qb_cp_step steps[QB_HISTORY_MAX_STEPS];
    size_t nsteps;
    bool has_trend;
    qb_trend trend;
} qb_hfinding;

/* Analyse one series with the options' penalty, minimum effect and alpha. */
int qb_history_detect(const qb_hseries *s, const qb_cp_options *o, qb_hfinding *out);

/* "regression", "improvement" or "change" (a metric without a direction)
 * for a relative change of a metric that is better `better`. */
const char *qb_history_direction(int better, double change);

#endif
