/* Batched inserts for the results history: rows of text cells gathered and
 * sent as one multi-row INSERT, so a run of thousands of records takes tens
 * of statements, not thousands of round trips to a server. */
#ifndef QB_HISTORY_BATCH_H
#define QB_HISTORY_BATCH_H

#include "history_backend.h"

#include <stdbool.h>
#include <stddef.h>

/* Rows per INSERT: few round trips to a server, and well under either
 * database's limit on parameters per statement. */
#define QB_HBATCH_ROWS 64
#define QB_HBATCH_COLS 16

/* Rows of ncols (at most QB_HBATCH_COLS) text cells, inserted
 * QB_HBATCH_ROWS at a time; the batch owns its cells. */
typedef struct qb_hbatch {
    const char *head; /* "INSERT INTO t (a, b) VALUES " */
    size_t ncols, nrows;
    struct qb_hbatch *before; /* flushed first: the rows these rows refer to */
    const bool *col_double; /* ncols flags: which columns are doubles (NULL: none) */
    char *cells[QB_HBATCH_ROWS * QB_HBATCH_COLS];
    bool dbl[QB_HBATCH_ROWS * QB_HBATCH_COLS]; /* col_double repeated for each row */
    bool oom;
} qb_hbatch;

/* Free the cells gathered and not sent. */
void qb_hbatch_clear(qb_hbatch *bt);
/* Send the rows gathered (after bt->before's); the cells are freed either way. */
int qb_hbatch_flush(qb_hbackend *b, qb_hbatch *bt);
/* Append one row (ncols cells, taken over; NULL is SQL NULL unless the
 * matching `need` flag says an allocation failed), sending a full batch. */
int qb_hbatch_row(qb_hbackend *b, qb_hbatch *bt, char **row, const bool *need);

#endif
