/* Writing HTML into a qb_buf: escaping, tables, and inline SVG. */
#ifndef QB_HTML_H
#define QB_HTML_H

#include "textbuf.h"

void qb_html_text(qb_buf *b, const char *s); /* escaped */
/* Inline the SVG file at path (its XML prolog dropped); returns 0 if it was read. */
int qb_html_inline_svg(qb_buf *b, const char *path);

#endif
