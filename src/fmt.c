#include "fmt.h"

#include <math.h>
#include <stdio.h>

void qb_fmt_num(char *buf, size_t len, double v, const char *fmt)
{
    if (isfinite(v))
        snprintf(buf, len, fmt, v);
    else
        snprintf(buf, len, "-");
}

void qb_fmt_bytes(char *buf, size_t len, double b)
{
    if (!isfinite(b) || b <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    static const char *const unit[] = {"B", "K", "M", "G", "T"};
    int u = 0;
    while (b >= 1024 && u < 4) {
        b /= 1024;
        u++;
    }
    if (b == floor(b)) snprintf(buf, len, "%.0f%s", b, unit[u]);
    else snprintf(buf, len, "%.3g%s", b, unit[u]);
}
