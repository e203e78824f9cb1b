/* The history's answers for people (tables) and for tools (JSON). */
#ifndef QB_HISTORY_FORMAT_H
#define QB_HISTORY_FORMAT_H

#include "history_detect.h"

#include <cjson/cJSON.h>
#include <stdio.h>

void qb_history_print_series(FILE *f, const qb_hseries_list *l);
cJSON *qb_history_series_json(const qb_hseries_list *l);

/* nseries: how many series were checked; only findings with a step or a
 * trend are printed. */
void qb_history_print_findings(FILE *f, const qb_hfinding *fd, size_t n, size_t nseries,
                               const qb_cp_options *o);
cJSON *qb_history_findings_json(const qb_hfinding *fd, size_t n, size_t nseries, const qb_cp_options *o);

#endif
