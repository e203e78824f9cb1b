/* What the commands that gate (qbench compare --gate, qbench ab) share once
 * their gate is judged: write the chosen format to stdout or a file and turn
 * the verdict into the command's status. */
#ifndef QB_GATE_REPORT_H
#define QB_GATE_REPORT_H

#include "gate_format.h"

/* The output formats of a gate. */
typedef enum { QB_GATE_TEXT, QB_GATE_MARKDOWN, QB_GATE_JUNIT, QB_GATE_JSON } qb_gate_fmt;

/* "text", "markdown" (or "md"), "junit", "json"; QB_EUSAGE naming option otherwise. */
int qb_gate_parse_format(const char *option, const char *s, qb_gate_fmt *out);

/* Judge g, then print it in fmt to stdout or, with out, write it to that
 * file atomically and print the text to stdout. QB_EREGRESSION when a gating
 * metric regressed. */
int qb_gate_report(qb_gate *g, const qb_gate_context *ctx, qb_gate_fmt fmt, const char *out);

#endif
