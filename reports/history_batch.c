/* Batched inserts: one INSERT with a row of placeholders per row gathered. */
#include "history_batch.h"

#include "error.h"
#include "textbuf.h"

#include <stdlib.h>

void qb_hbatch_clear(qb_hbatch *bt)
{
    for (size_t i = 0; i < bt->nrows * bt->ncols; i++) free(bt->cells[i]);
    bt->nrows = 0;
}

int qb_hbatch_flush(qb_hbackend *b, qb_hbatch *bt)
{
    if (bt->oom) {
        qb_hbatch_clear(bt);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    if (bt->nrows == 0) return QB_OK;
    if (bt->before) {
        const int rc = qb_hbatch_flush(b, bt->before);
        if (rc) {
            qb_hbatch_clear(bt);
            return rc;
        }
    }
    qb_buf sql = {0};
    qb_buf_printf(&sql, "%s", bt->head);
    for (size_t r = 0; r < bt->nrows; r++) {
        qb_buf_printf(&sql, "%s(", r ? ", " : "");
        for (size_t c = 0; c < bt->ncols; c++) qb_buf_printf(&sql, "%s?", c ? ", " : "");
        qb_buf_printf(&sql, ")");
    }
    int rc = sql.oom ? qb_fail(QB_ENOMEM, "out of memory")
                     : b->query(b, sql.s, bt->nrows * bt->ncols, (const char *const *)bt->cells, bt->dbl, NULL);
    qb_buf_free(&sql);
    qb_hbatch_clear(bt);
    return rc;
}

int qb_hbatch_row(qb_hbackend *b, qb_hbatch *bt, char **row, const bool *need)
{
    for (size_t c = 0; c < bt->ncols; c++) {
        bt->cells[bt->nrows * bt->ncols + c] = row[c];
        bt->dbl[bt->nrows * bt->ncols + c] = bt->col_double && bt->col_double[c];
        if (!row[c] && need[c]) bt->oom = true;
    }
    bt->nrows++;
    return bt->nrows == QB_HBATCH_ROWS ? qb_hbatch_flush(b, bt) : QB_OK;
}

