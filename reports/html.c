#include "html.h"

#include "atomic_file.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

void qb_html_text(qb_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': qb_buf_printf(b, "&lt;"); break;
        case '>': qb_buf_printf(b, "&gt;"); break;
        case '&': qb_buf_printf(b, "&amp;"); break;
        case '"': qb_buf_printf(b, "&quot;"); break;
        default: qb_buf_printf(b, "%c", *s);
        }
    }
}

int qb_html_inline_svg(qb_buf *b, const char *path)
{
    char *svg = NULL;
    size_t len = 0;
    const int rc = qb_read_file(path, 8u << 20, &svg, &len);
    if (rc) return rc;
    const char *start = strstr(svg, "<svg");
    if (!start) {
        free(svg);
        return qb_fail(QB_EINPUT, "'%s' is not an SVG file", path);
    }
    qb_buf_printf(b, "<div class=\"chart\">%s</div>\n", start);
    free(svg);
    return QB_OK;
}
