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
        const int rc = doc ? qb_json_print(f, doc) : qb_fail(QB_ENOMEM, "out of memory");
        cJSON_Delete(doc);
        return rc;
    }
    }
    return QB_OK;
}

typedef struct {
    qb_gate_fmt fmt;
    const qb_gate_context *ctx;
    const qb_gate *g;
} render_args;

static int render_into(FILE *f, const void *arg)
{
    const render_args *a = arg;
    return render(f, a->fmt, a->ctx, a->g);
}

int qb_gate_report(qb_gate *g, const qb_gate_context *ctx, qb_gate_fmt fmt, const char *out)
{
    int rc = qb_gate_judge(g, ctx->opt);
    if (rc) return rc;
    if (out && strcmp(out, "-") != 0) {
        const render_args a = {fmt, ctx, g};
        rc = qb_write_file_rendered(out, render_into, &a);
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
