/* Byte counts for people: 4096 -> "4K", 1.5 MiB -> "1.5M" (powers of 1024). */
#ifndef QB_FMT_H
#define QB_FMT_H

#include <stddef.h>

/* Whole multiples print without decimals, others with three significant digits. */
void qb_fmt_bytes(char *buf, size_t len, double bytes);

#endif
