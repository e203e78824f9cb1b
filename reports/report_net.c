/* The report's network section (report_page.h), from qbench net's records
 * alone. Per model: the answer line for each thread count; the top layers
 * as bars per variant; the layers on the roofline; throughput against
 * latency over the batches. Each chart has its table under it. The layer
 * charts show the profiled configuration: the model's first batch and last
 * thread count in record order, where qbench net also measures accuracy;
 * its top layers are those with the longest median time over the variants. */
#include "report_page.h"

#include "ceilings.h"
#include "chart_roofline.h"
#include "charts.h"
#include "defaults.h"
#include "error.h"
#include "fmt.h"
#include "html.h"
#include "net_answer.h"
#include "roofline.h"
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_VAR = 8 }; /* variants of one configuration: fp32, fp16, int8 per tensor and per channel */

typedef struct {
    int index;
    const qb_record *l[MAX_VAR]; /* the layer in each variant, NULL where it did not run */
    double rank;                 /* its median time over the variants that ran it */
} layer_row;

typedef struct {
    qb_report_page *rp;
    const qb_results *res;
    const char *model;
    char safe[64];    /* the model's name as chart file names and gnuplot titles take it */
    char prefix[96];  /* chart names begin with it */
    double batch, threads;            /* the profiled configuration */
    const qb_record *var[MAX_VAR];    /* its end-to-end record per variant */
    int nvar;
    layer_row *rows;  /* every layer of the profiled configuration, longest first */
    int nrows, ntop;  /* ntop: the first rows charted and tabled */
} net_model;

/* Letters, digits, '.', '-' and '_' are kept; anything else becomes '_'. */
static void safe_name(char *dst, size_t n, const char *src)
{
    size_t k = 0;
    for (; *src && k + 1 < n; src++) {
        const char ch = *src;
        const bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                          ch == '.' || ch == '-' || ch == '_';
        dst[k++] = keep ? ch : '_';
    }
    dst[k] = '\0';
}

/* "f32", "f16", "i8t", "i8c": a roofline point's variant in its label. */
static const char *short_variant(const char *variant)
{
    if (strcmp(variant, "int8-per-tensor") == 0) return "i8t";
    if (strcmp(variant, "int8-per-channel") == 0) return "i8c";
    if (strcmp(variant, "fp16") == 0) return "f16";
    if (strcmp(variant, "fp32") == 0) return "f32";
    return variant;
}

static bool of_model(const qb_record *r, const char *model)
{
    return qb_net_is_config(r) && strcmp(qb_param_str(r, "model"), model) == 0;
}

static int by_rank(const void *a, const void *b)
{
    const double x = ((const layer_row *)a)->rank, y = ((const layer_row *)b)->rank;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The variants of m's batch and thread count, and their layers, ranked. */
static int collect_layers(net_model *m)
{
    const qb_results *res = m->res;
    for (size_t i = 0; i < res->n && m->nvar < MAX_VAR; i++) {
        const qb_record *r = &res->recs[i];
        if (of_model(r, m->model) && qb_param_num(r, "batch") == m->batch && qb_param_num(r, "threads") == m->threads)
            m->var[m->nvar++] = r;
    }
    m->rows = calloc(res->n ? res->n : 1, sizeof *m->rows);
    if (!m->rows) return qb_fail(QB_ENOMEM, "out of memory");
    for (int v = 0; v < m->nvar; v++) {
        const size_t len = strlen(m->var[v]->id);
        for (size_t i = 0; i < res->n; i++) {
            const qb_record *r = &res->recs[i];
            if (strncmp(r->id, m->var[v]->id, len) != 0 || strncmp(r->id + len, "/L", 2) != 0) continue;
            const double at = qb_param_num(r, "index");
            if (!(at >= 0 && at < 1e9)) continue;
            const int index = (int)at;
            int k = 0;
            while (k < m->nrows && m->rows[k].index != index) k++;
            if (k == m->nrows) m->rows[m->nrows++].index = index;
            m->rows[k].l[v] = r;
        }
    }
    /* Ranked by the median over the variants: a layer slow in most of them
     * comes first, and one disturbed run of one variant does not. */
    for (int k = 0; k < m->nrows; k++) {
        double t[MAX_VAR];
        size_t n = 0;
        for (int v = 0; v < m->nvar; v++)
            if (m->rows[k].l[v]) t[n++] = qb_metric_value(m->rows[k].l[v], "time");
        qb_sort_doubles(t, n);
        m->rows[k].rank = qb_percentile_sorted(t, n, 50);
    }
    qsort(m->rows, (size_t)m->nrows, sizeof *m->rows, by_rank);
    m->ntop = m->nrows < QB_NET_TOP_LAYERS ? m->nrows : QB_NET_TOP_LAYERS;
    return QB_OK;
}

/* The profiled configuration: the model's first batch, its last thread count. */
static int collect(net_model *m)
{
    m->batch = NAN;
    for (size_t i = 0; i < m->res->n; i++) {
        const qb_record *r = &m->res->recs[i];
        if (!of_model(r, m->model)) continue;
        if (isnan(m->batch)) m->batch = qb_param_num(r, "batch");
        if (qb_param_num(r, "batch") == m->batch) m->threads = qb_param_num(r, "threads");
    }
    return collect_layers(m);
}

/* Any variant's record of a row, for what every variant shares (node, op). */
static const qb_record *any_layer(const net_model *m, const layer_row *row)
{
    for (int v = 0; v < m->nvar; v++)
        if (row->l[v]) return row->l[v];
    return NULL;
}

static void answers(net_model *m)
{
    qb_buf *h = &m->rp->html;
    qb_buf_printf(h, "<ul class=\"answer\">\n");
    int shown = 0;
    double done[64];
    int ndone = 0;
    for (size_t i = 0; i < m->res->n && ndone < 64; i++) {
        const qb_record *r = &m->res->recs[i];
        if (!of_model(r, m->model) || qb_param_num(r, "batch") != m->batch) continue;
        const double t = qb_param_num(r, "threads");
        bool seen = false;
        for (int k = 0; k < ndone; k++) seen |= done[k] == t;
        if (seen) continue;
        done[ndone++] = t;
        qb_net_answer a;
        if (!qb_net_answer_at(m->res, m->model, m->batch, t, &a)) continue;
        char line[256];
        qb_net_answer_format(&a, line, sizeof line);
        qb_buf_printf(h, "<li><strong>");
        qb_html_text(h, line);
        qb_buf_printf(h, "</strong></li>\n");
        shown++;
    }
    if (!shown) qb_buf_printf(h, "<li>No answer: the run has no fp32 configuration with another variant beside it.</li>\n");
    qb_buf_printf(h, "</ul>\n");
}

static void layer_bars(net_model *m)
{
    qb_report_page *rp = m->rp;
    qb_buf *h = &rp->html;
    if (m->ntop == 0) {
        qb_buf_printf(h, "<p>No layer records for batch %.0f on %.0f thread%s.</p>\n", m->batch, m->threads,
                      m->threads == 1 ? "" : "s");
        return;
    }
    const char *cats[QB_NET_TOP_LAYERS], *series[MAX_VAR];
    double values[QB_NET_TOP_LAYERS * MAX_VAR];
    for (int c = 0; c < m->ntop; c++) {
        cats[c] = qb_param_str(any_layer(m, &m->rows[c]), "node");
        for (int v = 0; v < m->nvar; v++)
            values[c * m->nvar + v] = m->rows[c].l[v] ? 1e3 * qb_metric_value(m->rows[c].l[v], "time") : NAN;
    }
    for (int v = 0; v < m->nvar; v++) series[v] = qb_param_str(m->var[v], "variant");
    char name[160], title[192];
    snprintf(name, sizeof name, "%s-layers", m->prefix);
    snprintf(title, sizeof title, "%s: top layers by time, batch %.0f, %.0f thread%s", m->safe, m->batch,
             m->threads, m->threads == 1 ? "" : "s");
    const qb_bar_chart bc = {title, "ms (median of the profiled runs)", false, m->ntop, m->nvar, cats, series, values};
    qb_report_chart(rp, name, qb_chart_bars(rp->chartdir, name, &bc));

    qb_buf_printf(h, "<table><tr><th>layer</th><th>op</th><th>variant</th><th>kernel</th><th>fused</th>"
                     "<th>ms</th><th>share %%</th><th>GOP/s</th><th>NSR isolated</th><th>NSR accumulated</th></tr>\n");
    for (int c = 0; c < m->ntop; c++) {
        const layer_row *row = &m->rows[c];
        int n = 0;
        for (int v = 0; v < m->nvar; v++) n += row->l[v] != NULL;
        bool first = true;
        for (int v = 0; v < m->nvar; v++) {
            const qb_record *l = row->l[v];
            if (!l) continue;
            qb_buf_printf(h, "<tr>");
            if (first) {
                qb_buf_printf(h, "<td rowspan=\"%d\">", n);
                qb_html_text(h, qb_param_str(l, "node"));
                qb_buf_printf(h, "</td><td rowspan=\"%d\">", n);
                qb_html_text(h, qb_param_str(l, "op"));
                qb_buf_printf(h, "</td>");
                first = false;
            }
            char ms[32], share[32], gops[32], iso[32], acc[32];
            qb_fmt_num(ms, sizeof ms, 1e3 * qb_metric_value(l, "time"), "%.3f");
            qb_fmt_num(share, sizeof share, qb_metric_value(l, "share"), "%.1f");
            qb_fmt_num(gops, sizeof gops, qb_metric_value(l, "gops"), "%.1f");
            qb_fmt_num(iso, sizeof iso, qb_metric_value(l, "nsr_isolated"), "%.2g");
            qb_fmt_num(acc, sizeof acc, qb_metric_value(l, "nsr_accumulated"), "%.2g");
            qb_buf_printf(h, "<td>");
            qb_html_text(h, qb_param_str(m->var[v], "variant"));
            qb_buf_printf(h, "</td><td>");
            qb_html_text(h, qb_param_str(l, "kernel"));
            qb_buf_printf(h, "</td><td>");
            qb_html_text(h, *qb_param_str(l, "fused") ? qb_param_str(l, "fused") : "-");
            qb_buf_printf(h, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
                             "<td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
                          ms, share, gops, iso, acc);
        }
    }
    qb_buf_printf(h, "</table>\n");
}

/* The ceilings for a thread count from any input: probe peak and probe mem
 * records, or a roofline document's ceiling records. */
static bool find_ceilings(const qb_report_page *rp, int threads, qb_ceilings *c)
{
    for (int i = 0; i < rp->nin; i++) {
        const qb_results *res = &rp->in[i].res;
        if (qb_ceilings_from_results(res, threads, c) == QB_OK && c->ncompute && c->nmemory) return true;
        if (qb_report_has_group(res, "roofline.ceiling") && qb_roofline_ceilings_of(res, threads, c) == QB_OK &&
            c->ncompute && c->nmemory)
            return true;
    }
    qb_clear_error();
    return false;
}

/* Every layer of each variant under the ceilings; the top layers joined
 * from their fp32 point to their other points, and tabled with their roof. */
static void layer_roofline_under(net_model *m, const qb_ceilings *cl)
{
    qb_report_page *rp = m->rp;
    qb_buf *h = &rp->html;
    const qb_ceilings c = *cl;
    qb_rl_plot_point *pts = calloc((size_t)m->nrows * (size_t)m->nvar + 1, sizeof *pts);
    if (!pts) return;
    const char *dtypes[MAX_VAR];
    int np = 0, nd = 0;
    for (int v = 0; v < m->nvar; v++) {
        const char *dt = qb_roofline_roof_dtype(&c, m->var[v]);
        if (!dt) continue;
        bool seen = false;
        for (int d = 0; d < nd; d++) seen |= strcmp(dtypes[d], dt) == 0;
        if (!seen) dtypes[nd++] = qb_ceilings_compute(&c, dt)->dtype;
        const bool base = strcmp(qb_param_str(m->var[v], "dtype"), "fp32") == 0;
        for (int k = 0; k < m->nrows; k++) {
            const qb_record *l = m->rows[k].l[v];
            if (!l) continue;
            qb_rl_plot_point *p = &pts[np++];
            char node[64];
            safe_name(node, sizeof node, qb_param_str(l, "node"));
            snprintf(p->label, sizeof p->label, "%s %s", node, short_variant(qb_param_str(m->var[v], "variant")));
            snprintf(p->dtype, sizeof p->dtype, "%s", dt);
            /* only the top layers are joined by arrows; the others stand alone */
            snprintf(p->group, sizeof p->group, "%s", k < m->ntop ? node : l->id);
            p->base = base;
            p->ai = qb_param_num(l, "intensity");
            p->gops = qb_metric_value(l, "gops");
        }
    }
    char name[160], title[192];
    snprintf(name, sizeof name, "%s-roofline", m->prefix);
    snprintf(title, sizeof title, "%s layers on the roofline, batch %.0f, %.0f thread%s", m->safe, m->batch,
             m->threads, m->threads == 1 ? "" : "s");
    qb_report_chart(rp, name, nd ? qb_chart_roofline(rp->chartdir, name, title, &c, dtypes, nd, pts, np)
                                 : qb_fail(QB_EINPUT, "no ceiling for the network's data types"));
    free(pts);

    qb_buf_printf(h, "<table><tr><th>layer</th><th>variant</th><th>intensity (op/B)</th><th>GOP/s</th>"
                     "<th>bound by</th><th>roof GOP/s</th><th>of the roof</th></tr>\n");
    for (int k = 0; k < m->ntop; k++)
        for (int v = 0; v < m->nvar; v++) {
            const qb_record *l = m->rows[k].l[v];
            const char *dt = qb_roofline_roof_dtype(&c, m->var[v]);
            if (!l) continue;
            const qb_rl_point p = {.ops = qb_metric_value(l, "ops"), .bytes = qb_metric_value(l, "bytes"),
                                   .seconds = qb_metric_value(l, "time")};
            qb_rl_result a;
            const bool placed = dt && p.seconds > 0 && p.bytes > 0 && qb_roofline_analyse(&c, dt, &p, true, &a) == QB_OK;
            if (!placed) qb_clear_error();
            char ai[32], gops[32], roof[32], eff[32];
            qb_fmt_num(ai, sizeof ai, qb_param_num(l, "intensity"), "%.3g");
            qb_fmt_num(gops, sizeof gops, qb_metric_value(l, "gops"), "%.1f");
            qb_fmt_num(roof, sizeof roof, placed ? a.roof : NAN, "%.0f");
            qb_fmt_num(eff, sizeof eff, placed ? 100 * a.efficiency : NAN, "%.0f%%");
            qb_buf_printf(h, "<tr><td>");
            qb_html_text(h, qb_param_str(l, "node"));
            qb_buf_printf(h, "</td><td>");
            qb_html_text(h, qb_param_str(m->var[v], "variant"));
            qb_buf_printf(h, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td>%s</td>"
                             "<td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
                          ai, gops,
                          !placed ? "-" : a.verdict == QB_RL_COMPUTE_BOUND ? "compute" : c.memory[a.bound_level].level,
                          roof, eff);
        }
    qb_buf_printf(h, "</table>\n");
}

/* The layers under the ceilings of the profiled thread count or, when no
 * input has those, of the last other thread count of the same batch that
 * has them. */
static void layer_roofline(net_model *m)
{
    qb_ceilings c;
    if (find_ceilings(m->rp, (int)m->threads, &c)) {
        layer_roofline_under(m, &c);
        return;
    }
    for (size_t i = m->res->n; i-- > 0;) {
        const qb_record *r = &m->res->recs[i];
        const double t = qb_param_num(r, "threads");
        if (!of_model(r, m->model) || qb_param_num(r, "batch") != m->batch || t == m->threads ||
            !find_ceilings(m->rp, (int)t, &c))
            continue;
        net_model o = *m;
        o.threads = t;
        o.nvar = o.nrows = o.ntop = 0;
        o.rows = NULL;
        if (collect_layers(&o) == QB_OK) layer_roofline_under(&o, &c);
        else qb_clear_error();
        free(o.rows);
        return;
    }
    qb_buf_printf(&m->rp->html,
                  "<p>No roofline for the layers: no input has ceilings for %.0f thread%s (the probe peak and "
                  "probe mem results of qbench run, or a qbench roofline document).</p>\n",
                  m->threads, m->threads == 1 ? "" : "s");
}

/* Throughput against latency: one line per variant and thread count,
 * one point per batch (smallest first). */
static void latency_curve(net_model *m)
{
    qb_report_page *rp = m->rp;
    qb_buf *h = &rp->html;
    const qb_results *res = m->res;
    enum { MAXB = 64 };
    static double xs[QB_CHART_MAX_SERIES][MAXB], ys[QB_CHART_MAX_SERIES][MAXB], bs[QB_CHART_MAX_SERIES][MAXB];
    static char names[QB_CHART_MAX_SERIES][64];
    qb_line_chart lc = {.xlabel = "latency, median (ms)", .ylabel = "throughput (images/s)"};
    double lo = INFINITY, hi = 0, ylo = INFINITY, yhi = 0;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (!of_model(r, m->model)) continue;
        char sname[64];
        snprintf(sname, sizeof sname, "%.40s, %.0f thread%s", qb_param_str(r, "variant"), qb_param_num(r, "threads"),
                 qb_param_num(r, "threads") == 1 ? "" : "s");
        int s = 0;
        while (s < lc.nser && strcmp(names[s], sname) != 0) s++;
        if (s == lc.nser) {
            if (lc.nser == QB_CHART_MAX_SERIES) continue;
            snprintf(names[s], sizeof names[s], "%s", sname);
            lc.series[s] = names[s];
            lc.x[s] = xs[s];
            lc.y[s] = ys[s];
            lc.nser++;
        }
        const double x = 1e3 * qb_metric_value(r, "latency"), y = qb_metric_value(r, "throughput");
        if (lc.n[s] == MAXB || !(x > 0) || !(y > 0)) continue;
        /* in order of batch, so each line runs from the smallest batch to the largest */
        int at = lc.n[s]++;
        while (at > 0 && bs[s][at - 1] > qb_param_num(r, "batch")) {
            xs[s][at] = xs[s][at - 1], ys[s][at] = ys[s][at - 1], bs[s][at] = bs[s][at - 1];
            at--;
        }
        xs[s][at] = x, ys[s][at] = y, bs[s][at] = qb_param_num(r, "batch");
        lo = fmin(lo, x), hi = fmax(hi, x), ylo = fmin(ylo, y), yhi = fmax(yhi, y);
    }
    char name[160], title[192];
    snprintf(name, sizeof name, "%s-latency", m->prefix);
    snprintf(title, sizeof title, "%s: throughput against latency (one point per batch)", m->safe);
    lc.title = title;
    lc.logx = hi > 8 * lo;
    lc.logy = yhi > 8 * ylo;
    qb_report_chart(rp, name, qb_chart_lines(rp->chartdir, name, &lc));

    qb_buf_printf(h, "<table><tr><th>variant</th><th>batch</th><th>threads</th><th>p50 ms</th><th>p90 ms</th>"
                     "<th>p99 ms</th><th>images/s</th><th>layer sum ms</th><th>sum/e2e</th><th>peak activations</th>"
                     "<th>NSR</th><th>dB</th><th>cosine</th></tr>\n");
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (!of_model(r, m->model)) continue;
        const double p50 = qb_metric_value(r, "latency"), sum = qb_metric_value(r, "layer_sum");
        char c[9][32];
        qb_fmt_num(c[0], sizeof c[0], 1e3 * p50, "%.3f");
        qb_fmt_num(c[1], sizeof c[1], 1e3 * qb_metric_value(r, "latency_p90"), "%.3f");
        qb_fmt_num(c[2], sizeof c[2], 1e3 * qb_metric_value(r, "latency_p99"), "%.3f");
        qb_fmt_num(c[3], sizeof c[3], qb_metric_value(r, "throughput"), "%.1f");
        qb_fmt_num(c[4], sizeof c[4], 1e3 * sum, "%.3f");
        qb_fmt_num(c[5], sizeof c[5], p50 > 0 ? sum / p50 : NAN, "%.2f");
        qb_fmt_num(c[6], sizeof c[6], qb_metric_value(r, "nsr"), "%.2g");
        qb_fmt_num(c[7], sizeof c[7], qb_metric_value(r, "nsr_db"), "%.1f");
        qb_fmt_num(c[8], sizeof c[8], qb_metric_value(r, "cosine"), "%.5f");
        char peak[32];
        qb_fmt_bytes(peak, sizeof peak, qb_metric_value(r, "peak_activation_bytes"));
        qb_buf_printf(h, "<tr><td>");
        qb_html_text(h, qb_param_str(r, "variant"));
        qb_buf_printf(h, "</td><td class=\"num\">%.0f</td><td class=\"num\">%.0f</td>", qb_param_num(r, "batch"),
                      qb_param_num(r, "threads"));
        for (int k = 0; k < 6; k++) qb_buf_printf(h, "<td class=\"num\">%s</td>", c[k]);
        qb_buf_printf(h, "<td class=\"num\">%s</td>", peak);
        for (int k = 6; k < 9; k++) qb_buf_printf(h, "<td class=\"num\">%s</td>", c[k]);
        qb_buf_printf(h, "</tr>\n");
    }
    qb_buf_printf(h, "</table>\n");
}

static void one_model(qb_report_page *rp, const qb_report_input *in, int input, bool several, const char *model)
{
    net_model m = {.rp = rp, .res = &in->res, .model = model};
    safe_name(m.safe, sizeof m.safe, model);
    if (several) snprintf(m.prefix, sizeof m.prefix, "net%d-%s", input + 1, m.safe);
    else snprintf(m.prefix, sizeof m.prefix, "net-%s", m.safe);
    qb_buf *h = &rp->html;
    qb_buf_printf(h, "<h3>");
    qb_html_text(h, model);
    if (several) {
        qb_buf_printf(h, " (");
        qb_html_text(h, in->label);
        qb_buf_printf(h, ")");
    }
    qb_buf_printf(h, "</h3>\n");
    if (collect(&m) != QB_OK) {
        qb_buf_printf(h, "<p class=\"warn\">Out of memory reading the network records.</p>\n");
        return;
    }
    answers(&m);
    qb_buf_printf(h, "<h4>Where the time goes</h4>\n");
    layer_bars(&m);
    qb_buf_printf(h, "<h4>The layers on the roofline</h4>\n");
    layer_roofline(&m);
    qb_buf_printf(h, "<h4>Latency and throughput</h4>\n");
    latency_curve(&m);
    free(m.rows);
}

void qb_report_net(qb_report_page *rp)
{
    int nnet = 0;
    for (int i = 0; i < rp->nin; i++) {
        const qb_results *res = &rp->in[i].res;
        for (size_t k = 0; k < res->n; k++)
            if (qb_net_is_config(&res->recs[k])) {
                nnet++;
                break;
            }
    }
    if (nnet == 0) return;
    qb_report_section(rp, "net", "Networks",
                      "Each model run end to end by qbench net in each data type: what quantizing it buys on this "
                      "machine and what it costs in accuracy, where the time goes (the layers of the first batch "
                      "on the last thread count, the longest first), where those layers sit on the roofline, and "
                      "how latency and throughput trade over the batch sizes.");
    for (int i = 0; i < rp->nin; i++) {
        const qb_results *res = &rp->in[i].res;
        for (size_t k = 0; k < res->n; k++) {
            const qb_record *r = &res->recs[k];
            if (!qb_net_is_config(r)) continue;
            const char *model = qb_param_str(r, "model");
            bool seen = false;
            for (size_t j = 0; j < k && !seen; j++) seen = of_model(&res->recs[j], model);
            if (!seen) one_model(rp, &rp->in[i], i, nnet > 1, model);
        }
    }
}
