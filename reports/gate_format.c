#include "gate_format.h"

#include "defaults.h"
#include "html.h"
#include "output.h"
#include "results.h"
#include "textbuf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared pieces ---- */

static void fmt_value(char *buf, size_t n, double v, const char *unit)
{
    if (isnan(v)) snprintf(buf, n, "-");
    else snprintf(buf, n, "%.4g %s", v, unit);
}

static void fmt_pct(char *buf, size_t n, double v)
{
    if (isnan(v)) snprintf(buf, n, "n/a");
    else if (isinf(v)) snprintf(buf, n, "none");
    else snprintf(buf, n, "%+.1f%%", 100 * v);
}

/* The smallest change this comparison could detect: "3.1%", or "none" when
 * its rounds cannot reach the significance level. */
static void fmt_mde(char *buf, size_t n, const qb_gate_metric *x)
{
    if (x->status != QB_GATE_UNCHANGED && x->status != QB_GATE_REGRESSED && x->status != QB_GATE_IMPROVED)
        snprintf(buf, n, "-");
    else if (isinf(x->mde)) snprintf(buf, n, "none");
    else if (isnan(x->mde)) snprintf(buf, n, "n/a");
    else snprintf(buf, n, "%.1f%%", 100 * x->mde);
}

static void fmt_conf(char *buf, size_t n, const qb_gate_metric *x)
{
    if (isnan(x->p)) snprintf(buf, n, "-");
    else if (x->p < 1e-4) snprintf(buf, n, ">99.99%%");
    else snprintf(buf, n, "%.2f%%", 100 * (1 - x->p));
}

static const char *verdict(const qb_gate_metric *x)
{
    if (x->status == QB_GATE_REGRESSED) return x->gating ? "REGRESSED" : "regressed (not gating)";
    if (x->status == QB_GATE_FEW_ROUNDS && !x->gating) return "few-rounds (not gating)";
    return qb_gate_status_name(x->status);
}

/* A metric's cells in the text and Markdown tables, between its id and
 * metric name and its verdict. */
typedef struct {
    char base[48], cur[48], change[24], mde[24], conf[24], rounds[48];
} row_cells;

static void fill_row(row_cells *r, const qb_gate_metric *x)
{
    fmt_value(r->base, sizeof r->base, x->base, x->unit);
    fmt_value(r->cur, sizeof r->cur, x->cur, x->unit);
    fmt_pct(r->change, sizeof r->change, x->change);
    fmt_mde(r->mde, sizeof r->mde, x);
    fmt_conf(r->conf, sizeof r->conf, x);
    snprintf(r->rounds, sizeof r->rounds, "%zu/%zu", x->n[0], x->n[1]);
}

static int cmp_worse_desc(const void *a, const void *b)
{
    const qb_gate_metric *x = *(const qb_gate_metric *const *)a, *y = *(const qb_gate_metric *const *)b;
    if (x->gating != y->gating) return x->gating ? -1 : 1;
    return x->worse > y->worse ? -1 : x->worse < y->worse ? 1 : 0;
}

/* The regressed metrics, gating ones first, each largest first. */
static const qb_gate_metric **regressions(const qb_gate *g, size_t *n)
{
    *n = 0;
    const qb_gate_metric **r = malloc((g->nm ? g->nm : 1) * sizeof *r);
    if (!r) return NULL;
    for (size_t i = 0; i < g->nm; i++)
        if (g->m[i].status == QB_GATE_REGRESSED) r[(*n)++] = &g->m[i];
    qsort(r, *n, sizeof *r, cmp_worse_desc);
    return r;
}

/* The groups of the primary metrics, in first-seen order. */
static const char **groups(const qb_gate *g, size_t *n)
{
    *n = 0;
    const char **gr = malloc((g->nm ? g->nm : 1) * sizeof *gr);
    if (!gr) return NULL;
    for (size_t i = 0; i < g->nm; i++) {
        if (!g->m[i].primary) continue;
        size_t k = 0;
        while (k < *n && strcmp(gr[k], g->m[i].group) != 0) k++;
        if (k == *n) gr[(*n)++] = g->m[i].group;
    }
    return gr;
}

static void verdict_line(qb_buf *b, const qb_gate_context *ctx, const qb_gate *g, bool md)
{
    const char *em = md ? "**" : "";
    if (g->regressions)
        qb_buf_printf(b, "%s: %sREGRESSION%s in %zu of %zu gated metric%s (exit 1)", ctx->command, em, em,
                      g->regressions, g->gated, g->gated == 1 ? "" : "s");
    else
        qb_buf_printf(b, "%s: no regression in %zu gated metric%s (exit 0)", ctx->command, g->gated,
                      g->gated == 1 ? "" : "s");
}

static void regression_line(qb_buf *b, const qb_gate_metric *x, bool md)
{
    char ch[24], bv[48], cv[48], conf[24], mde[24];
    fmt_pct(ch, sizeof ch, x->worse);
    fmt_value(bv, sizeof bv, x->base, x->unit);
    fmt_value(cv, sizeof cv, x->cur, x->unit);
    fmt_conf(conf, sizeof conf, x);
    fmt_mde(mde, sizeof mde, x);
    const char *q = md ? "`" : "";
    qb_buf_printf(b, "%s%s%s:%s%s %s worse (%s -> %s), confidence %s, %zu base and %zu new rounds, "
                     "detectable %s%s",
                  md ? "- " : "  ", q, x->id, x->metric, q, ch, bv, cv, conf, x->n[0], x->n[1], mde,
                  x->gating ? "" : " (not gating)");
}

static void group_line(qb_buf *b, const qb_gate *g, const char *group, bool md)
{
    size_t n = 0;
    const double gm = qb_gate_group_geomean(g, group, &n);
    const char *q = md ? "`" : "";
    if (n == 0) {
        qb_buf_printf(b, "%s%s%s%s: no metric on both sides", md ? "- " : "  ", q, group, q);
        return;
    }
    const double pct = 100 * (gm - 1);
    qb_buf_printf(b, "%s%s%s%s: %.3fx, %.1f%% %s (geometric mean over %zu metric%s)", md ? "- " : "  ", q,
                  group, q, gm, fabs(pct), pct >= 0 ? "better" : "worse", n, n == 1 ? "" : "s");
}

static void settings_line(qb_buf *b, const qb_gate_context *ctx, const qb_gate *g)
{
    const qb_gate_options *o = ctx->opt;
    qb_buf_printf(b, "base: %s (%zu run%s); new: %s (%zu run%s); minimum effect %.3g%%, alpha %.3g, "
                     "at least %ld rounds per side, per-round medians of each record's primary metric",
                  ctx->base_label, g->runs[0], g->runs[0] == 1 ? "" : "s", ctx->new_label, g->runs[1],
                  g->runs[1] == 1 ? "" : "s", 100 * o->min_effect, o->alpha, o->min_rounds);
    if (o->fail_on) qb_buf_printf(b, ", gating: %s", o->fail_on);
}

/* ---- text ---- */

void qb_gate_print_text(FILE *f, const qb_gate_context *ctx, const qb_gate *g)
{
    qb_buf b = {0};
    verdict_line(&b, ctx, g, false);
    qb_buf_printf(&b, "\n");
    size_t nr = 0, ng = 0;
    const qb_gate_metric **reg = regressions(g, &nr);
    const char **gr = groups(g, &ng);
    if (nr && reg) {
        qb_buf_printf(&b, "regressions, largest first:\n");
        for (size_t i = 0; i < nr; i++) {
            regression_line(&b, reg[i], false);
            qb_buf_printf(&b, "\n");
        }
    }
    if (ng && gr) {
        qb_buf_printf(&b, "groups (new against base, above 1x is better):\n");
        for (size_t i = 0; i < ng; i++) {
            group_line(&b, g, gr[i], false);
            qb_buf_printf(&b, "\n");
        }
    }
    for (int i = 0; i < g->nwarnings; i++) qb_buf_printf(&b, "warning: %s\n", g->warnings[i]);
    settings_line(&b, ctx, g);
    qb_buf_printf(&b, "\n\n");
    free(reg);
    free(gr);
    if (b.s) fputs(b.s, f);
    qb_buf_free(&b);

    static const char *const head[] = {"id", "metric", "base", "new", "change", "detectable",
                                       "confidence", "rounds", "verdict"};
    qb_table t;
    qb_table_init(&t, 9, head);
    for (size_t i = 0; i < g->nm; i++) {
        const qb_gate_metric *x = &g->m[i];
        row_cells r;
        fill_row(&r, x);
        const char *cells[] = {x->id, x->metric, r.base, r.cur, r.change, r.mde, r.conf, r.rounds, verdict(x)};
        qb_table_row(&t, cells);
    }
    qb_table_print(&t, f);
    qb_table_free(&t);
}

/* ---- Markdown ---- */

/* A table cell: '|' escaped, line breaks folded. */
static void md_cell(qb_buf *b, const char *s)
{
    qb_buf_printf(b, "| ");
    for (; *s; s++) {
        if (*s == '|') qb_buf_printf(b, "\\|");
        else qb_buf_printf(b, "%c", *s == '\n' ? ' ' : *s);
    }
    qb_buf_printf(b, " ");
}

static void md_row(qb_buf *b, const qb_gate_metric *x)
{
    row_cells r;
    fill_row(&r, x);
    char v[64];
    snprintf(v, sizeof v, x->status == QB_GATE_REGRESSED && x->gating ? "**%s**" : "%s", verdict(x));
    const char *cells[] = {x->id, x->metric, r.base, r.cur, r.change, r.mde, r.conf, r.rounds, v};
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) md_cell(b, cells[i]);
    qb_buf_printf(b, "|\n");
}

/* Room kept for the lines after a truncated list. */
#define MD_TAIL 2000

/* Append line (one list item or row) to b while b stays within limit chars;
 * false when it does not fit. */
static bool md_fits(qb_buf *b, const qb_buf *line, size_t limit)
{
    if (b->len + line->len > limit) return false;
    if (line->s) qb_buf_printf(b, "%s", line->s);
    return true;
}

void qb_gate_print_markdown(FILE *f, const qb_gate_context *ctx, const qb_gate *g)
{
    const size_t limit = QB_COMPARE_MD_CHARS - MD_TAIL;
    qb_buf b = {0}, line = {0};
    qb_buf_printf(&b, "### ");
    verdict_line(&b, ctx, g, true);
    qb_buf_printf(&b, "\n\n");
    size_t nr = 0, ng = 0;
    const qb_gate_metric **reg = regressions(g, &nr);
    const char **gr = groups(g, &ng);
    if (nr && reg) {
        qb_buf_printf(&b, "Regressions, largest first:\n\n");
        size_t i = 0;
        for (; i < nr; i++) {
            qb_buf_free(&line);
            regression_line(&line, reg[i], true);
            qb_buf_printf(&line, "\n");
            if (!md_fits(&b, &line, limit / 2)) break;
        }
        if (i < nr) qb_buf_printf(&b, "- ... %zu more\n", nr - i);
        qb_buf_printf(&b, "\n");
    }
    if (ng && gr) {
        qb_buf_printf(&b, "Groups (new against base, above 1x is better):\n\n");
        size_t i = 0;
        for (; i < ng; i++) {
            qb_buf_free(&line);
            group_line(&line, g, gr[i], true);
            qb_buf_printf(&line, "\n");
            if (!md_fits(&b, &line, limit * 3 / 4)) break;
        }
        if (i < ng) qb_buf_printf(&b, "- ... %zu more\n", ng - i);
        qb_buf_printf(&b, "\n");
    }
    for (int i = 0; i < g->nwarnings; i++) qb_buf_printf(&b, "> **Warning:** %s\n\n", g->warnings[i]);
    settings_line(&b, ctx, g);
    qb_buf_printf(&b, ".\n\n");
    /* every primary metric, worst first as listed above, then in run order */
    size_t shown = 0, nprim = 0;
    for (size_t i = 0; i < g->nm; i++) nprim += g->m[i].primary;
    if (nprim) {
        qb_buf_printf(&b, "<details><summary>All %zu gated metrics</summary>\n\n", nprim);
        qb_buf_printf(&b, "| id | metric | base | new | change | detectable | confidence | rounds | verdict |\n"
                          "|---|---|--:|--:|--:|--:|--:|--:|---|\n");
        bool full = false;
        for (size_t i = 0; i < g->nm && !full; i++) {
            if (!g->m[i].primary) continue;
            qb_buf_free(&line);
            md_row(&line, &g->m[i]);
            if (md_fits(&b, &line, limit)) shown++;
            else full = true;
        }
        if (shown < nprim)
            qb_buf_printf(&b, "\n... %zu more (the comment would pass %d characters; --format json lists every metric)\n",
                          nprim - shown, QB_COMPARE_MD_CHARS);
        qb_buf_printf(&b, "\n</details>\n");
    }
    free(reg);
    free(gr);
    qb_buf_free(&line);
    if (b.oom) fprintf(f, "### %s: out of memory while writing the comment\n", ctx->command);
    else if (b.s) fputs(b.s, f);
    qb_buf_free(&b);
}

/* ---- JUnit ---- */

void qb_gate_print_junit(FILE *f, const qb_gate_context *ctx, const qb_gate *g)
{
    qb_buf b = {0};
    size_t tests = 0, skipped = 0;
    for (size_t i = 0; i < g->nm; i++)
        if (g->m[i].gating) {
            tests++;
            skipped += g->m[i].status == QB_GATE_FEW_ROUNDS || g->m[i].status == QB_GATE_ONE_SIDE;
        }
    qb_buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    qb_buf_printf(&b, "<testsuites name=\"%s\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n",
                  QB_GATE_JUNIT_NAME, tests, g->regressions, skipped);
    qb_buf_printf(&b, "  <testsuite name=\"");
    qb_html_text(&b, ctx->command);
    qb_buf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n", tests, g->regressions, skipped);
    for (size_t i = 0; i < g->nm; i++) {
        const qb_gate_metric *x = &g->m[i];
        if (!x->gating) continue;
        char ch[24], conf[24], mde[24], bv[48], cv[48];
        fmt_pct(ch, sizeof ch, x->worse);
        fmt_conf(conf, sizeof conf, x);
        fmt_mde(mde, sizeof mde, x);
        fmt_value(bv, sizeof bv, x->base, x->unit);
        fmt_value(cv, sizeof cv, x->cur, x->unit);
        qb_buf_printf(&b, "    <testcase classname=\"");
        qb_html_text(&b, x->group);
        qb_buf_printf(&b, "\" name=\"");
        qb_html_text(&b, x->id);
        qb_buf_printf(&b, ":");
        qb_html_text(&b, x->metric);
        qb_buf_printf(&b, "\" time=\"0\"");
        if (x->status == QB_GATE_REGRESSED) {
            qb_buf_printf(&b, ">\n      <failure message=\"%s worse, confidence %s\" type=\"regression\">", ch, conf);
            qb_html_text(&b, x->id);
            qb_buf_printf(&b, " %s: %s -> %s (%s worse), confidence %s, %zu base and %zu new rounds, "
                              "detectable %s</failure>\n    </testcase>\n",
                          x->metric, bv, cv, ch, conf, x->n[0], x->n[1], mde);
        } else if (x->status == QB_GATE_FEW_ROUNDS || x->status == QB_GATE_ONE_SIDE) {
            qb_buf_printf(&b, ">\n      <skipped message=\"%s: %zu base and %zu new rounds\"/>\n    </testcase>\n",
                          qb_gate_status_name(x->status), x->n[0], x->n[1]);
        } else {
            qb_buf_printf(&b, "/>\n");
        }
    }
    qb_buf_printf(&b, "  </testsuite>\n</testsuites>\n");
    if (!b.oom && b.s) fputs(b.s, f);
    qb_buf_free(&b);
}

/* ---- JSON ---- */

static cJSON *metric_json(const qb_gate_metric *x)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "id", x->id);
    cJSON_AddStringToObject(o, "group", x->group);
    cJSON_AddStringToObject(o, "metric", x->metric);
    cJSON_AddStringToObject(o, "unit", x->unit);
    cJSON_AddStringToObject(o, "better", x->better < 0 ? "lower" : "higher");
    cJSON_AddBoolToObject(o, "primary", x->primary);
    cJSON_AddBoolToObject(o, "gating", x->gating);
    qb_json_add_number(o, "base", x->base);
    qb_json_add_number(o, "new", x->cur);
    qb_json_add_number(o, "change", x->change);
    qb_json_add_number(o, "worse", x->worse);
    qb_json_add_number(o, "p", x->p);
    qb_json_add_number(o, "confidence", isnan(x->p) ? NAN : 1 - x->p);
    qb_json_add_number(o, "detectable", x->mde); /* null: none (too few rounds) or not tested */
    cJSON_AddNumberToObject(o, "base_rounds", (double)x->n[0]);
    cJSON_AddNumberToObject(o, "new_rounds", (double)x->n[1]);
    cJSON_AddStringToObject(o, "status", qb_gate_status_name(x->status));
    return o;
}

cJSON *qb_gate_to_json(const qb_gate_context *ctx, const qb_gate *g)
{
    const qb_gate_options *o = ctx->opt;
    cJSON *doc = cJSON_CreateObject();
    if (!doc) return NULL;
    cJSON_AddStringToObject(doc, "schema", "qbench.gate/1");
    cJSON_AddStringToObject(doc, "command", ctx->command);
    cJSON_AddBoolToObject(doc, "regression", g->regressions > 0);
    cJSON_AddNumberToObject(doc, "regressions", (double)g->regressions);
    cJSON_AddNumberToObject(doc, "gated", (double)g->gated);
    cJSON *s = cJSON_AddObjectToObject(doc, "settings");
    if (s) {
        cJSON_AddStringToObject(s, "base", ctx->base_label);
        cJSON_AddStringToObject(s, "new", ctx->new_label);
        cJSON_AddNumberToObject(s, "base_runs", (double)g->runs[0]);
        cJSON_AddNumberToObject(s, "new_runs", (double)g->runs[1]);
        cJSON_AddNumberToObject(s, "min_effect", o->min_effect);
        cJSON_AddNumberToObject(s, "alpha", o->alpha);
        cJSON_AddNumberToObject(s, "min_rounds", (double)o->min_rounds);
    }
    cJSON *counts = cJSON_AddObjectToObject(doc, "counts");
    for (int st = 0; counts && st < QB_GATE_NSTATUS; st++)
        cJSON_AddNumberToObject(counts, qb_gate_status_name((qb_gate_status)st), (double)g->count[st]);
    cJSON *w = cJSON_AddArrayToObject(doc, "warnings");
    for (int i = 0; w && i < g->nwarnings; i++) cJSON_AddItemToArray(w, cJSON_CreateString(g->warnings[i]));
    cJSON *gj = cJSON_AddArrayToObject(doc, "groups");
    size_t ng = 0;
    const char **gr = groups(g, &ng);
    for (size_t i = 0; gj && gr && i < ng; i++) {
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        size_t n = 0;
        const double gm = qb_gate_group_geomean(g, gr[i], &n);
        cJSON_AddStringToObject(e, "group", gr[i]);
        qb_json_add_number(e, "geomean", gm);
        cJSON_AddNumberToObject(e, "metrics", (double)n);
        cJSON_AddItemToArray(gj, e);
    }
    free(gr);
    cJSON *arr = cJSON_AddArrayToObject(doc, "metrics");
    if (!arr || !s || !counts || !w || !gj) goto fail;
    for (size_t i = 0; i < g->nm; i++) {
        cJSON *m = metric_json(&g->m[i]);
        if (!m) goto fail;
        cJSON_AddItemToArray(arr, m);
    }
    return doc;
fail:
    cJSON_Delete(doc);
    return NULL;
}
