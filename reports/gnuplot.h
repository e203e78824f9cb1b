/* Charts through gnuplot, an external program: qbench writes the data file
 * and the script, then runs gnuplot to make an SVG. Without gnuplot the data
 * and script stay, and the caller is told why no SVG was made. */
#ifndef QB_GNUPLOT_H
#define QB_GNUPLOT_H

#include "textbuf.h"

#include <stdbool.h>
#include <stddef.h>

/* The program to run: $QB_GNUPLOT if set (tests point it at a missing path),
 * else "gnuplot" from PATH. */
const char *qb_gnuplot_program(void);

/* True when the program runs; else why in `why`. */
bool qb_gnuplot_available(char *why, size_t len);

/* The SVG terminal settings every chart uses: noenhanced so names with
 * underscores come out as written. */
#define QB_SVG_TERMINAL "set terminal svg size 900,560 dynamic noenhanced font 'sans,12' background '#ffffff'\n"

/* Write dir/name.dat and dir/name.gp (the script reads name.dat and writes
 * name.svg), then run gnuplot in dir. Returns QB_OK when name.svg was made,
 * QB_EUNSUPPORTED (data and script kept) when gnuplot is missing or failed. */
int qb_chart_render(const char *dir, const char *name, const qb_buf *script, const qb_buf *data);

#endif
