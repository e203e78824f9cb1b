/* Writing a gate's verdict out, for a CI log, a pull-request comment, a CI
 * system's test report or a tool: text, Markdown, JUnit XML and JSON. Every
 * format says the verdict first, then the regressions largest first with
 * their confidence, then one geometric mean per benchmark group. */
#ifndef QB_GATE_FORMAT_H
#define QB_GATE_FORMAT_H

#include "gate.h"

#include <cjson/cJSON.h>
#include <stdio.h>

typedef struct {
    const char *command;            /* "qbench ab", "qbench compare --gate" */
    const char *base_label, *new_label; /* what each side is: file names, binaries */
    const qb_gate_options *opt;
} qb_gate_context;

void qb_gate_print_text(FILE *f, const qb_gate_context *ctx, const qb_gate *g);
/* At most QB_COMPARE_MD_CHARS characters: lists that do not fit end in
 * "... N more". */
void qb_gate_print_markdown(FILE *f, const qb_gate_context *ctx, const qb_gate *g);
/* One testcase per gating metric: a failure for a regression, skipped when
 * it had too few rounds. */
void qb_gate_print_junit(FILE *f, const qb_gate_context *ctx, const qb_gate *g);
/* Schema "qbench.gate/1"; NULL when out of memory. */
cJSON *qb_gate_to_json(const qb_gate_context *ctx, const qb_gate *g);

#endif
