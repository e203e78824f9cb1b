/* Numbers written for people. */
#ifndef QB_FMT_H
#define QB_FMT_H

#include <stddef.h>

/* A byte count in binary units: "512B", "16K", "5.75M" (whole numbers without
 * decimals, else three significant digits); "-" when b is not a positive
 * finite number, so a table cell shows a missing size as missing. */
void qb_fmt_bytes(char *buf, size_t len, double b);

/* v printed with fmt (one double conversion, e.g. "%.1f"), or "-" when v is
 * not finite: a table cell for a figure that may be missing. */
void qb_fmt_num(char *buf, size_t len, double v, const char *fmt);

#endif
