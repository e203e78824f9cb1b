/* qbench compare --history: new results files judged by the round-median
 * gate against the last runs of a branch on their machine, read from the
 * results history. */
#ifndef QB_COMPARE_HISTORY_H
#define QB_COMPARE_HISTORY_H

#include "gate.h"
#include "history_gate.h"

/* Read the files (every one a new run), fill the base side from the database
 * db (NULL: the default history), judge and print in format (text, markdown,
 * junit, json) to stdout or out. QB_EREGRESSION on a regression; QB_EINPUT
 * when the history holds no base run. */
int qb_compare_history(char **files, int nfiles, const char *db, const qb_hgate_query *q,
                       const qb_gate_options *go, const char *format, const char *out);

#endif
