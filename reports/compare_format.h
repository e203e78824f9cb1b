/* Writing a comparison out: a text table for a terminal or CI log, Markdown
 * for a pull-request comment, JSON for tools, CSV for spreadsheets. */
#ifndef QB_COMPARE_FORMAT_H
#define QB_COMPARE_FORMAT_H

#include "compare.h"

#include <cjson/cJSON.h>
#include <stdio.h>

typedef struct {
    const char *base_path, *cur_path;
    const qb_results *base, *cur;
    const qb_cmp_options *opt;
    int pairs;  /* base/new pairs voting (1: a plain comparison) */
    int quorum; /* pairs a verdict needs */
} qb_cmp_context;

void qb_compare_print_text(FILE *f, const qb_cmp_context *ctx, const qb_comparison *c);
void qb_compare_print_markdown(FILE *f, const qb_cmp_context *ctx, const qb_comparison *c);
void qb_compare_print_csv(FILE *f, const qb_comparison *c);
/* Schema "qbench.compare/1"; NULL when out of memory. */
cJSON *qb_compare_to_json(const qb_cmp_context *ctx, const qb_comparison *c);

/* One CSV field, quoted when it holds a comma, quote or line break. */
void qb_csv_field(FILE *f, const char *s);

#endif
