#include "gate_report.h"

#include "atomic_file.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int qb_gate_parse_format(const char *option, const char *s, qb_gate_fmt *out)
{
    if (strcmp(s, "text") == 0) *out = QB_GATE_TEXT;
    else if (strcmp(s, "markdown") == 0 || strcmp(s, "md") == 0) *out = QB_GATE_MARKDOWN;
    else if (strcmp(s, "junit") == 0) *out = QB_GATE_JUNIT;
    else if (strcmp(s, "json") == 0) *out = QB_GATE_JSON;
    else return qb_fail(QB_EUSAGE, "%s: unknown format '%s' (text, markdown, junit, json)", option, s);
    return QB_OK;
}

static int render(FILE *f, qb_gate_fmt fmt, const qb_gate_context *ctx, const qb_gate *g)
{
    switch (fmt) {
    case QB_GATE_TEXT: qb_gate_print_text(f, ctx, g); break;
    case QB_GATE_MARKDOWN: qb_gate_print_markdown(f, ctx, g); break;
    case QB_GATE_JUNIT: qb_gate_print_junit(f, ctx, g); break;
    case QB_GATE_JSON: {
        cJSON *doc = qb_gate_to_json(ctx, g);
        char *text = doc ? cJSON_Print(doc) : NULL;
        cJSON_Delete(doc);
        if (!text) return qb_fail(QB_ENOMEM, "out of memory");
        fprintf(f, "%s\n", text);
        free(text);
        break;
    }
    }
    return QB_OK;
}

/* In memory first, so the file is replaced whole or not at all. */
static int render_to_file(const char *path, qb_gate_fmt fmt, const qb_gate_context *ctx, const qb_gate *g)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = render(m, fmt, ctx, g);
    if (fclose(m) != 0 && !rc) rc = qb_fail(QB_ENOMEM, "out of memory");
    if (!rc) rc = qb_write_file_atomic(path, buf, len);
    free(buf);
    return rc;
}

int qb_gate_report(qb_gate *g, const qb_gate_context *ctx, qb_gate_fmt fmt, const char *out)
{
    int rc = qb_gate_judge(g, ctx->opt);
    if (rc) return rc;
    if (out && strcmp(out, "-") != 0) {
        rc = render_to_file(out, fmt, ctx, g);
        if (!rc) rc = render(stdout, QB_GATE_TEXT, ctx, g);
        if (!rc) printf("\n%s written to %s\n", fmt == QB_GATE_JUNIT ? "JUnit report" : "verdict", out);
    } else {
        rc = render(stdout, fmt, ctx, g);
    }
    fflush(stdout);
    if (!rc && g->regressions)
        rc = qb_fail(QB_EREGRESSION, "%s: %zu gating metric%s regressed", ctx->command, g->regressions,
                     g->regressions == 1 ? "" : "s");
    return rc;
}
