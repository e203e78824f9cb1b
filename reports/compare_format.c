#include "compare_format.h"

#include "defaults.h"
#include "output.h"
#include "results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fmt_value(char *buf, size_t n, double v, const char *unit)
{
    snprintf(buf, n, "%.4g %s", v, unit);
}

static void fmt_change(char *buf, size_t n, double change)
{
    if (isnan(change)) snprintf(buf, n, "n/a");
    else snprintf(buf, n, "%+.1f%%", 100 * change);
}

static void fmt_p(char *buf, size_t n, const qb_cmp_metric *x)
{
    if (!x->tested) snprintf(buf, n, "-");
    else if (x->mwu.p < 1e-4) snprintf(buf, n, "<1e-4");
    else snprintf(buf, n, "%.4f", x->mwu.p);
}

static const char *verdict(const qb_cmp_metric *x, bool loud)
{
    switch (x->status) {
    case QB_CMP_REGRESSED:
        if (!x->gating) return "regressed (not gating)";
        return loud ? "REGRESSED" : "regressed";
    case QB_CMP_IMPROVED: return "improved";
    case QB_CMP_UNCHANGED: return "unchanged";
    case QB_CMP_NOISE: return "noise";
    case QB_CMP_UNRELIABLE: return "unreliable";
    case QB_CMP_INFO: return "info";
    }
    return "?";
}

/* The verdict, with the pairs that found it when pairs vote: "REGRESSED (4/5)". */
static const char *verdict_votes(char *buf, size_t n, const qb_cmp_metric *x, bool loud)
{
    if (x->pairs <= 1 || x->votes == 0) return verdict(x, loud);
    snprintf(buf, n, "%s (%d/%d)", verdict(x, loud), x->votes, x->pairs);
    return buf;
}

static const char *str_or(const cJSON *o, const char *key, const char *dflt)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    return s ? s : dflt;
}

static void describe_file(FILE *f, const char *label, const char *path, const qb_results *r,
                          bool md)
{
    const char *q = md ? "`" : "";
    fprintf(f, "%s%s%s%s (git %s, started %s, %zu records)", label, q, path, q,
            str_or(r->tool, "git", "unknown"), r->started, r->n);
}

static void overall(FILE *f, const qb_comparison *c)
{
    if (c->ngeomean == 0) {
        fprintf(f, "overall: no metric with positive values on both sides to average\n");
        return;
    }
    const double pct = 100 * (c->geomean - 1);
    char what[48];
    if (fabs(pct) < 0.05) snprintf(what, sizeof what, "no change");
    else snprintf(what, sizeof what, "%.1f%% %s", fabs(pct), pct > 0 ? "better" : "worse");
    fprintf(f, "overall: %.4fx, %s (geometric mean over %zu metrics, each in its own direction)\n",
            c->geomean, what, c->ngeomean);
}

static void summary_counts(FILE *f, const qb_comparison *c)
{
    fprintf(f, "%zu regressed, %zu improved, %zu unchanged, %zu noise, %zu unreliable, %zu info; "
               "%zu added, %zu removed",
            c->count[QB_CMP_REGRESSED], c->count[QB_CMP_IMPROVED], c->count[QB_CMP_UNCHANGED],
            c->count[QB_CMP_NOISE], c->count[QB_CMP_UNRELIABLE], c->count[QB_CMP_INFO], c->nadded,
            c->nremoved);
}

static void settings_line(FILE *f, const qb_cmp_context *ctx)
{
    const qb_cmp_options *o = ctx->opt;
    fprintf(f, "threshold %.3g%%, alpha %.3g, noise floor %.3gx the p10..p90 widths, at least %ld samples per file",
            100 * o->threshold, o->alpha, o->noise_k, o->min_samples);
    if (o->fail_on) fprintf(f, ", gating: %s", o->fail_on);
    if (ctx->pairs > 1)
        fprintf(f, "; %d pairs vote, a verdict needs %d (base, new, change: medians over the pairs; limit, p: "
                   "pair 1's, whose files are named above)",
                ctx->pairs, ctx->quorum);
}

static void name_list(FILE *f, const char *what, char *const *names, size_t n, size_t max)
{
    if (n == 0) return;
    fprintf(f, "%s (%zu):", what, n);
    for (size_t i = 0; i < n && i < max; i++) fprintf(f, "%s %s", i ? "," : "", names[i]);
    if (n > max) fprintf(f, ", ... (%zu more in --json)", n - max);
    fprintf(f, "\n");
}

void qb_compare_print_text(FILE *f, const qb_cmp_context *ctx, const qb_comparison *c)
{
    describe_file(f, "base: ", ctx->base_path, ctx->base, false);
    fprintf(f, "\n");
    describe_file(f, "new:  ", ctx->cur_path, ctx->cur, false);
    fprintf(f, "\n");
    settings_line(f, ctx);
    fprintf(f, "\n\n");
    static const char *const head[] = {"id", "metric", "base", "new", "change", "limit", "p", "verdict"};
    qb_table t;
    qb_table_init(&t, 8, head);
    for (size_t i = 0; i < c->nm; i++) {
        const qb_cmp_metric *x = &c->m[i];
        char b[48], n[48], ch[24], lim[24], p[24], v[48];
        fmt_value(b, sizeof b, x->base_value, x->base->unit);
        fmt_value(n, sizeof n, x->cur_value, x->cur->unit);
        fmt_change(ch, sizeof ch, x->change);
        snprintf(lim, sizeof lim, "%.1f%%", 100 * x->limit);
        fmt_p(p, sizeof p, x);
        const char *cells[] = {x->rec->id, x->base->name, b, n, ch, lim, p, verdict_votes(v, sizeof v, x, true)};
        qb_table_row(&t, cells);
    }
    if (c->nm) qb_table_print(&t, f);
    else fprintf(f, "(no metric in both files)\n");
    qb_table_free(&t);
    fprintf(f, "\n");
    name_list(f, "added", c->added, c->nadded, 20);
    name_list(f, "removed", c->removed, c->nremoved, 20);
    for (int i = 0; i < c->nwarnings; i++) fprintf(f, "warning: %s\n", c->warnings[i]);
    overall(f, c);
    fprintf(f, "summary: ");
    summary_counts(f, c);
    fprintf(f, "\n");
    if (c->gating_regressions)
        fprintf(f, "result: REGRESSION in %zu gating metric%s (exit 1)\n", c->gating_regressions,
                c->gating_regressions == 1 ? "" : "s");
    else
        fprintf(f, "result: no regression (exit 0)\n");
}

/* ---- Markdown ---- */

static void md_cell(FILE *f, const char *s)
{
    fputs("| ", f);
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", f);
        else if (*s == '\n') fputc(' ', f);
        else fputc(*s, f);
    }
    fputc(' ', f);
}

static void md_header(FILE *f)
{
    fprintf(f, "| id | metric | base | new | change | limit | p | verdict |\n"
               "|---|---|--:|--:|--:|--:|--:|---|\n");
}

static void md_row(FILE *f, const qb_cmp_metric *x)
{
    char b[48], n[48], ch[24], lim[24], p[24], v[64], vv[48];
    fmt_value(b, sizeof b, x->base_value, x->base->unit);
    fmt_value(n, sizeof n, x->cur_value, x->cur->unit);
    fmt_change(ch, sizeof ch, x->change);
    snprintf(lim, sizeof lim, "%.1f%%", 100 * x->limit);
    fmt_p(p, sizeof p, x);
    snprintf(v, sizeof v, x->status == QB_CMP_REGRESSED && x->gating ? "**%s**" : "%s",
             verdict_votes(vv, sizeof vv, x, false));
    md_cell(f, x->rec->id);
    md_cell(f, x->base->name);
    md_cell(f, b);
    md_cell(f, n);
    md_cell(f, ch);
    md_cell(f, lim);
    md_cell(f, p);
    md_cell(f, v);
    fputs("|\n", f);
}

/* Where a verdict stands in the comment, worst first; -1: not shown there. */
static int md_rank(const qb_cmp_metric *x)
{
    switch (x->status) {
    case QB_CMP_REGRESSED: return x->gating ? 0 : 1;
    case QB_CMP_IMPROVED: return 2;
    case QB_CMP_NOISE: return 3;
    case QB_CMP_UNRELIABLE: return 4;
    case QB_CMP_UNCHANGED:
    case QB_CMP_INFO: break;
    }
    return -1;
}
#define MD_RANKS 5

/* The notable rows, worst first and in file order within a verdict, at most
 * QB_COMPARE_MD_ROWS of them. */
static void md_notable(FILE *f, const qb_comparison *c, size_t notable)
{
    md_header(f);
    size_t shown = 0;
    for (int rank = 0; rank < MD_RANKS; rank++)
        for (size_t i = 0; i < c->nm && shown < QB_COMPARE_MD_ROWS; i++)
            if (md_rank(&c->m[i]) == rank) {
                md_row(f, &c->m[i]);
                shown++;
            }
    if (notable > shown)
        fprintf(f, "\n%zu more notable rows are not shown here; `qbench compare --format csv` lists every metric.\n",
                notable - shown);
}

static void md_body(FILE *f, const qb_cmp_context *ctx, const qb_comparison *c)
{
    if (c->gating_regressions)
        fprintf(f, "### qbench compare: **regression** in %zu metric%s\n\n", c->gating_regressions,
                c->gating_regressions == 1 ? "" : "s");
    else
        fprintf(f, "### qbench compare: no regression\n\n");
    describe_file(f, "Base ", ctx->base_path, ctx->base, true);
    fprintf(f, "  \n");
    describe_file(f, "New ", ctx->cur_path, ctx->cur, true);
    fprintf(f, "  \n");
    settings_line(f, ctx);
    fprintf(f, ".\n\n");
    for (int i = 0; i < c->nwarnings; i++) fprintf(f, "> **Warning:** %s\n\n", c->warnings[i]);
    const size_t notable = c->count[QB_CMP_REGRESSED] + c->count[QB_CMP_IMPROVED] +
                           c->count[QB_CMP_NOISE] + c->count[QB_CMP_UNRELIABLE];
    if (notable) {
        md_notable(f, c, notable);
        fprintf(f, "\n");
    }
    summary_counts(f, c);
    fprintf(f, ".  \n");
    overall(f, c);
    fprintf(f, "\n");
    if (c->nadded || c->nremoved) {
        name_list(f, "Added", c->added, c->nadded, 50);
        if (c->nadded && c->nremoved) fprintf(f, "\n");
        name_list(f, "Removed", c->removed, c->nremoved, 50);
        fprintf(f, "\n");
    }
}

/* The table of every metric, folded; NULL when out of memory. */
static char *md_all(const qb_comparison *c, size_t *len)
{
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    if (!m) return NULL;
    fprintf(m, "<details><summary>All %zu metrics</summary>\n\n", c->nm);
    md_header(m);
    for (size_t i = 0; i < c->nm; i++) md_row(m, &c->m[i]);
    fprintf(m, "\n</details>\n");
    if (fclose(m) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

void qb_compare_print_markdown(FILE *f, const qb_cmp_context *ctx, const qb_comparison *c)
{
    /* The body is written in memory first: its length decides whether the
     * table of every metric still fits in the comment. */
    size_t body = 0, len = 0;
    char *text = NULL;
    FILE *m = open_memstream(&text, &body);
    if (m) md_body(m, ctx, c);
    if (!m || fclose(m) != 0) {
        free(text);
        md_body(f, ctx, c); /* out of memory: the body alone */
        return;
    }
    fputs(text, f);
    free(text);
    if (c->nm == 0) return;
    char *all = md_all(c, &len);
    if (all && body + len <= QB_COMPARE_MD_CHARS) fputs(all, f);
    else
        fprintf(f, "The table of all %zu metrics would take this comment past %d characters: "
                   "`qbench compare --format csv` lists every one.\n",
                c->nm, QB_COMPARE_MD_CHARS);
    free(all);
}

/* ---- CSV ---- */

void qb_csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static const char *better_name(int b)
{
    return b == QB_BETTER_LOWER ? "lower" : b == QB_BETTER_HIGHER ? "higher" : "none";
}

static const char *test_name(const qb_cmp_metric *x)
{
    return !x->tested ? "none" : x->mwu.exact ? "exact" : "normal";
}

void qb_compare_print_csv(FILE *f, const qb_comparison *c)
{
    fprintf(f, "id,metric,unit,better,base,new,change,limit,p,test,n_base,n_new,status,gating\n");
    for (size_t i = 0; i < c->nm; i++) {
        const qb_cmp_metric *x = &c->m[i];
        qb_csv_field(f, x->rec->id);
        fputc(',', f);
        qb_csv_field(f, x->base->name);
        fputc(',', f);
        qb_csv_field(f, x->base->unit);
        fprintf(f, ",%s,%.15g,%.15g,", better_name(x->base->better), x->base_value, x->cur_value);
        if (!isnan(x->change)) fprintf(f, "%.6g", x->change);
        fprintf(f, ",%.6g,", x->limit);
        if (x->tested) fprintf(f, "%.6g", x->mwu.p);
        fprintf(f, ",%s,%zu,%zu,%s,%s\n", test_name(x), x->base->nsamples, x->cur->nsamples,
                qb_cmp_status_name(x->status), x->gating ? "true" : "false");
    }
}

/* ---- JSON ---- */

static cJSON *file_json(const char *path, const qb_results *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "path", path);
    cJSON_AddStringToObject(o, "started", r->started);
    cJSON_AddStringToObject(o, "git", str_or(r->tool, "git", "unknown"));
    cJSON_AddNumberToObject(o, "records", (double)r->n);
    return o;
}

static cJSON *string_array(char *const *s, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(s[i]));
    return a;
}

static cJSON *metric_json(const qb_cmp_metric *x)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "id", x->rec->id);
    cJSON_AddStringToObject(o, "group", x->rec->group);
    cJSON_AddStringToObject(o, "metric", x->base->name);
    cJSON_AddStringToObject(o, "unit", x->base->unit);
    cJSON_AddStringToObject(o, "better", better_name(x->base->better));
    qb_json_add_number(o, "base", x->base_value);
    qb_json_add_number(o, "new", x->cur_value);
    qb_json_add_number(o, "change", x->change);
    qb_json_add_number(o, "base_median", x->base_median);
    qb_json_add_number(o, "new_median", x->cur_median);
    cJSON_AddNumberToObject(o, "n_base", (double)x->base->nsamples);
    cJSON_AddNumberToObject(o, "n_new", (double)x->cur->nsamples);
    qb_json_add_number(o, "noise", x->noise);
    qb_json_add_number(o, "limit", x->limit);
    cJSON_AddStringToObject(o, "test", test_name(x));
    if (x->tested) {
        cJSON_AddNumberToObject(o, "u", x->mwu.u1);
        cJSON_AddNumberToObject(o, "p", x->mwu.p);
    } else {
        cJSON_AddNullToObject(o, "u");
        cJSON_AddNullToObject(o, "p");
    }
    cJSON_AddStringToObject(o, "status", qb_cmp_status_name(x->status));
    cJSON_AddBoolToObject(o, "gating", x->gating);
    cJSON_AddNumberToObject(o, "pairs", x->pairs);
    cJSON_AddNumberToObject(o, "votes", x->votes);
    return o;
}

cJSON *qb_compare_to_json(const qb_cmp_context *ctx, const qb_comparison *c)
{
    const qb_cmp_options *opt = ctx->opt;
    cJSON *doc = cJSON_CreateObject();
    if (!doc) return NULL;
    cJSON_AddStringToObject(doc, "schema", "qbench.compare/1");
    cJSON_AddItemToObject(doc, "base", file_json(ctx->base_path, ctx->base));
    cJSON_AddItemToObject(doc, "new", file_json(ctx->cur_path, ctx->cur));
    cJSON *s = cJSON_AddObjectToObject(doc, "settings");
    if (s) {
        cJSON_AddNumberToObject(s, "threshold", opt->threshold);
        cJSON_AddNumberToObject(s, "alpha", opt->alpha);
        cJSON_AddNumberToObject(s, "noise", opt->noise_k);
        cJSON_AddNumberToObject(s, "min_samples", (double)opt->min_samples);
        cJSON_AddNumberToObject(s, "pairs", ctx->pairs);
        cJSON_AddNumberToObject(s, "quorum", ctx->quorum);
        if (opt->filter) cJSON_AddStringToObject(s, "filter", opt->filter);
        else cJSON_AddNullToObject(s, "filter");
        if (opt->fail_on) cJSON_AddStringToObject(s, "fail_on", opt->fail_on);
        else cJSON_AddNullToObject(s, "fail_on");
    }
    cJSON *sum = cJSON_AddObjectToObject(doc, "summary");
    if (sum) {
        for (int st = QB_CMP_UNCHANGED; st <= QB_CMP_INFO; st++)
            cJSON_AddNumberToObject(sum, qb_cmp_status_name((qb_cmp_status)st), (double)c->count[st]);
        cJSON_AddNumberToObject(sum, "added", (double)c->nadded);
        cJSON_AddNumberToObject(sum, "removed", (double)c->nremoved);
        cJSON_AddNumberToObject(sum, "gating_regressions", (double)c->gating_regressions);
        qb_json_add_number(sum, "geomean", c->geomean);
        cJSON_AddNumberToObject(sum, "geomean_metrics", (double)c->ngeomean);
        cJSON_AddBoolToObject(sum, "regression", c->gating_regressions > 0);
    }
    cJSON *w = cJSON_AddArrayToObject(doc, "warnings");
    for (int i = 0; w && i < c->nwarnings; i++) cJSON_AddItemToArray(w, cJSON_CreateString(c->warnings[i]));
    cJSON_AddItemToObject(doc, "added", string_array(c->added, c->nadded));
    cJSON_AddItemToObject(doc, "removed", string_array(c->removed, c->nremoved));
    cJSON *arr = cJSON_AddArrayToObject(doc, "metrics");
    if (!arr || !s || !sum || !w) goto fail;
    for (size_t i = 0; i < c->nm; i++) {
        cJSON *m = metric_json(&c->m[i]);
        if (!m) goto fail;
        cJSON_AddItemToArray(arr, m);
    }
    return doc;
fail:
    cJSON_Delete(doc);
    return NULL;
}
