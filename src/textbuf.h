/* A growing text buffer: printf appends, and a failed allocation is kept as a
 * flag (oom) so a writer checks once at the end instead of after each line. */
#ifndef QB_TEXTBUF_H
#define QB_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *s;
    size_t len, cap;
    bool oom;
} qb_buf;

void qb_buf_printf(qb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void qb_buf_free(qb_buf *b);

#endif
