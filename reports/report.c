#include "report.h"

#include "atomic_file.h"
#include "charts.h"
#include "ceilings.h"
#include "error.h"
#include "html.h"
#include "output.h"
#include "report_page.h"
#include "roofline.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef qb_report_page report;

static bool any_has_group(const report *rp, const char *group)
{
    for (int i = 0; i < rp->nin; i++)
        if (qb_report_has_group(&rp->in[i].res, group)) return true;
    return false;
}

static void fmt_metric(char *buf, size_t n, const qb_metric *m)
{
    if (!m) {
        snprintf(buf, n, "-");
        return;
    }
    if (m->has_stats && m->st.n > 1)
        snprintf(buf, n, "%.4g %s &plusmn;%.1f%%", m->value, m->unit, 100 * m->st.cv);
    else
        snprintf(buf, n, "%.4g %s", m->value, m->unit);
}

/* A record's params as "k=v, k=v" (skipping the long descriptive ones). */
static void fmt_params(qb_buf *b, const qb_record *r)
{
    const cJSON *p;
    bool first = true;
    cJSON_ArrayForEach(p, r->params)
    {
        if (strstr(p->string, "published") || strcmp(p->string, "instructions") == 0 ||
            strcmp(p->string, "form") == 0 || strcmp(p->string, "requires") == 0)
            continue;
        char v[96];
        if (cJSON_IsString(p)) snprintf(v, sizeof v, "%s", p->valuestring);
        else if (cJSON_IsNumber(p)) snprintf(v, sizeof v, "%.6g", p->valuedouble);
        else if (cJSON_IsBool(p)) snprintf(v, sizeof v, "%s", cJSON_IsTrue(p) ? "true" : "false");
        else continue;
        qb_buf_printf(b, "%s", first ? "" : ", ");
        qb_html_text(b, p->string);
        qb_buf_printf(b, "=");
        qb_html_text(b, v);
        first = false;
    }
}

/* Every record of a group, one row per (record, metric), one value column per input. */
static void group_table_in(qb_buf *h, const qb_report_input *in, int nin, const char *group)
{
    /* A value column for each input that has the group: files of different
     * commands (a suite run and a network run) share no records. */
    bool col[QB_REPORT_MAX_INPUTS];
    int ncol = 0;
    for (int i = 0; i < nin; i++) ncol += col[i] = qb_report_has_group(&in[i].res, group);
    qb_buf_printf(h, "<table><tr><th>result</th><th>parameters</th><th>metric</th>");
    for (int i = 0; i < nin; i++) {
        if (!col[i]) continue;
        qb_buf_printf(h, "<th>");
        qb_html_text(h, in[i].label);
        qb_buf_printf(h, "</th>");
    }
    qb_buf_printf(h, "</tr>\n");
    for (int src = 0; src < nin; src++) {
        const qb_results *res = &in[src].res;
        for (size_t k = 0; k < res->n; k++) {
            const qb_record *r = &res->recs[k];
            if (strcmp(r->group, group) != 0) continue;
            /* A record already shown from an earlier input is not repeated. */
            bool seen = false;
            for (int e = 0; e < src && !seen; e++) seen = qb_results_find(&in[e].res, r->id) != NULL;
            if (seen) continue;
            const size_t rows = r->nmetrics ? r->nmetrics : 1;
            for (size_t mi = 0; mi < rows; mi++) {
                qb_buf_printf(h, "<tr>");
                if (mi == 0) {
                    qb_buf_printf(h, "<td rowspan=\"%zu\">", rows);
                    qb_html_text(h, r->id + strlen(group) + 1);
                    qb_buf_printf(h, "</td><td rowspan=\"%zu\" class=\"params\">", rows);
                    fmt_params(h, r);
                    qb_buf_printf(h, "</td>");
                }
                if (!r->nmetrics) {
                    qb_buf_printf(h, "<td>-</td><td colspan=\"%d\">", ncol);
                    const cJSON *n = cJSON_GetArrayItem(r->notes, 0);
                    qb_html_text(h, n ? n->valuestring : "no metrics");
                    qb_buf_printf(h, "</td></tr>\n");
                    continue;
                }
                const char *mname = r->metrics[mi].name;
                qb_buf_printf(h, "<td>");
                qb_html_text(h, mname);
                qb_buf_printf(h, "</td>");
                for (int i = 0; i < nin; i++) {
                    if (!col[i]) continue;
                    const qb_record *o = qb_results_find(&in[i].res, r->id);
                    char v[96];
                    fmt_metric(v, sizeof v, o ? qb_record_find_metric(o, mname) : NULL);
                    qb_buf_printf(h, "<td class=\"num\">%s</td>", v);
                }
                qb_buf_printf(h, "</tr>\n");
            }
        }
    }
    qb_buf_printf(h, "</table>\n");
}

static void group_table(report *rp, const char *group)
{
    group_table_in(&rp->html, rp->in, rp->nin, group);
}

/* Bars of one metric per record of a group, one series per input. */
static void group_bars(report *rp, const char *group, const char *metric, const char *name,
                       const char *title, const char *ylabel, bool logy)
{
    enum { MAXC = 128 };
    const char *cats[MAXC];
    char labels[MAXC][96];
    const char *series[QB_REPORT_MAX_INPUTS];
    static double values[MAXC * QB_REPORT_MAX_INPUTS];
    int nc = 0;
    for (int src = 0; src < rp->nin; src++) {
        const qb_results *res = &rp->in[src].res;
        for (size_t k = 0; k < res->n && nc < MAXC; k++) {
            const qb_record *r = &res->recs[k];
            if (strcmp(r->group, group) != 0 || !qb_record_find_metric(r, metric)) continue;
            bool seen = false;
            for (int c = 0; c < nc && !seen; c++) seen = strcmp(labels[c], r->id + strlen(group) + 1) == 0;
            if (seen) continue;
            snprintf(labels[nc], sizeof labels[nc], "%s", r->id + strlen(group) + 1);
            cats[nc] = labels[nc];
            nc++;
        }
    }
    if (nc == 0) return;
    /* One series per input that has this group. */
    int src_of[QB_REPORT_MAX_INPUTS], ns = 0;
    for (int i = 0; i < rp->nin; i++)
        if (qb_report_has_group(&rp->in[i].res, group)) {
            src_of[ns] = i;
            series[ns++] = rp->in[i].label;
        }
    for (int c = 0; c < nc; c++)
        for (int s = 0; s < ns; s++) {
            char id[256];
            snprintf(id, sizeof id, "%.60s/%.96s", group, labels[c]);
            const qb_record *r = qb_results_find(&rp->in[src_of[s]].res, id);
            values[c * ns + s] = r ? qb_metric_value(r, metric) : NAN;
        }
    const qb_bar_chart bc = {title, ylabel, logy, nc, ns, cats, series, values};
    qb_report_chart(rp, name, qb_chart_bars(rp->chartdir, name, &bc));
}

/* Operator throughput per data type, as grouped bars: one group per operator
 * (builtin kernels, the most threads the first run with ops used), one bar per
 * data type; int8 is its per-tensor symmetric variant. Layout-only operators
 * (no arithmetic) are shown by their bandwidth in the table instead. */
static void ops_dtype_bars(report *rp)
{
    const qb_results *res = NULL;
    for (int i = 0; i < rp->nin && !res; i++)
        if (qb_report_has_group(&rp->in[i].res, "ops")) res = &rp->in[i].res;
    if (!res) return;
    double threads = 0;
    for (size_t k = 0; k < res->n; k++)
        if (strcmp(res->recs[k].group, "ops") == 0 && qb_param_num(&res->recs[k], "threads") > threads)
            threads = qb_param_num(&res->recs[k], "threads");
    enum { MAXC = 64 };
    static const char *const dts[] = {"fp32", "fp16", "int8"};
    const char *cats[MAXC];
    static double values[MAXC * 3];
    int nc = 0;
    for (size_t k = 0; k < res->n && nc < MAXC; k++) {
        const qb_record *r = &res->recs[k];
        if (strcmp(r->group, "ops") != 0 || qb_param_num(r, "threads") != threads ||
            (qb_param_str(r, "backend")[0] && strcmp(qb_param_str(r, "backend"), "builtin") != 0) ||
            !(qb_metric_value(r, "ops") > 0))
            continue;
        const char *op = qb_param_str(r, "op");
        int c = 0;
        while (c < nc && strcmp(cats[c], op) != 0) c++;
        if (c == nc) {
            cats[nc] = op;
            for (int d = 0; d < 3; d++) values[nc * 3 + d] = NAN;
            nc++;
        }
        for (int d = 0; d < 3; d++) {
            if (strcmp(qb_param_str(r, "dtype"), dts[d]) != 0) continue;
            if (d == 2 && (strcmp(qb_param_str(r, "quant"), "per-tensor") != 0 ||
                           strcmp(qb_param_str(r, "policy"), "symmetric") != 0))
                continue;
            values[c * 3 + d] = qb_metric_value(r, "gops");
        }
    }
    if (nc == 0) return;
    char title[96];
    snprintf(title, sizeof title, "Operator throughput per data type, %.0f thread(s)", threads);
    const qb_bar_chart bc = {title, "GOP/s", true, nc, 3, cats, dts, values};
    qb_report_chart(rp, "ops", qb_chart_bars(rp->chartdir, "ops", &bc));
}

/* A machine fact as a person reads it: strings without quotes, booleans as
 * yes or no, numbers as numbers, "-" where the file has none. */
static void machine_value(char *buf, size_t len, const cJSON *v)
{
    if (cJSON_IsString(v)) snprintf(buf, len, "%s", v->valuestring[0] ? v->valuestring : "-");
    else if (cJSON_IsBool(v)) snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "yes" : "no");
    else if (cJSON_IsNumber(v)) snprintf(buf, len, "%.6g", v->valuedouble);
    else snprintf(buf, len, "-");
}

static void machine_section(report *rp)
{
    qb_buf *h = &rp->html;
    qb_report_section(rp, "machine", "Machine", NULL);
    static const char *const keys[] = {"cpu", "uarch", "vendor", "cores", "threads", "core_ghz", "tsc_ghz",
                                       "virtualized", "hypervisor", "kernel", "memory_bytes"};
    qb_buf_printf(h, "<table><tr><th></th>");
    for (int i = 0; i < rp->nin; i++) {
        qb_buf_printf(h, "<th>");
        qb_html_text(h, rp->in[i].label);
        qb_buf_printf(h, "</th>");
    }
    qb_buf_printf(h, "</tr>\n");
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        qb_buf_printf(h, "<tr><td>%s</td>", keys[k]);
        for (int i = 0; i < rp->nin; i++) {
            char v[128];
            machine_value(v, sizeof v, cJSON_GetObjectItem(rp->in[i].res.machine, keys[k]));
            qb_buf_printf(h, "<td>");
            qb_html_text(h, v);
            qb_buf_printf(h, "</td>");
        }
        qb_buf_printf(h, "</tr>\n");
    }
    qb_buf_printf(h, "<tr><td>isa</td>");
    for (int i = 0; i < rp->nin; i++) {
        qb_buf_printf(h, "<td class=\"params\">");
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(rp->in[i].res.machine, "isa"))
        {
            qb_html_text(h, cJSON_GetStringValue(f));
            qb_buf_printf(h, " ");
        }
        qb_buf_printf(h, "</td>");
    }
    qb_buf_printf(h, "</tr>\n<tr><td>caches</td>");
    for (int i = 0; i < rp->nin; i++) {
        qb_buf_printf(h, "<td>");
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(rp->in[i].res.machine, "caches"))
        {
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(c, "type"));
            qb_buf_printf(h, "L%d%s %.0f KiB (shared by %d", (int)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "level")),
                          type && strcmp(type, "instruction") == 0 ? "i" : type && strcmp(type, "data") == 0 ? "d" : "",
                          cJSON_GetNumberValue(cJSON_GetObjectItem(c, "bytes")) / 1024,
                          (int)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "shared_by")));
            const char *src = cJSON_GetStringValue(cJSON_GetObjectItem(c, "source"));
            if (src) {
                qb_buf_printf(h, "; ");
                qb_html_text(h, src);
            }
            qb_buf_printf(h, ")<br>");
        }
        qb_buf_printf(h, "</td>");
    }
    qb_buf_printf(h, "</tr>\n<tr><td>counters</td>");
    for (int i = 0; i < rp->nin; i++) {
        const cJSON *ct = cJSON_GetObjectItem(rp->in[i].res.machine, "counters");
        qb_buf_printf(h, "<td class=\"params\">");
        if (!ct) qb_buf_printf(h, "-");
        else if (cJSON_IsTrue(cJSON_GetObjectItem(ct, "hardware"))) qb_buf_printf(h, "hardware counters available");
        else qb_html_text(h, cJSON_GetStringValue(cJSON_GetObjectItem(ct, "reason")));
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(ct, "events"))
        {
            qb_buf_printf(h, "<br>");
            qb_html_text(h, cJSON_GetStringValue(cJSON_GetObjectItem(e, "name")));
            qb_buf_printf(h, ": %s", cJSON_IsTrue(cJSON_GetObjectItem(e, "ok")) ? "ok" : "unavailable");
        }
        qb_buf_printf(h, "</td>");
    }
    qb_buf_printf(h, "</tr>\n");
    qb_buf_printf(h, "<tr><td>state</td>");
    for (int i = 0; i < rp->nin; i++) {
        /* what the run's state check warned about (qbench run, sysinfo --check) */
        const cJSON *st = cJSON_GetObjectItem(rp->in[i].res.machine, "state"), *it;
        qb_buf_printf(h, "<td class=\"params\">");
        int warned = 0;
        cJSON_ArrayForEach(it, st)
        {
            if (cJSON_IsTrue(cJSON_GetObjectItem(it, "ok"))) continue;
            qb_buf_printf(h, "%s<span class=\"warn\">", warned++ ? "<br>" : "");
            qb_html_text(h, cJSON_GetStringValue(cJSON_GetObjectItem(it, "name")));
            qb_buf_printf(h, ": ");
            qb_html_text(h, cJSON_GetStringValue(cJSON_GetObjectItem(it, "value")));
            qb_buf_printf(h, "</span>");
        }
        if (!st) qb_buf_printf(h, "not checked");
        else if (!warned) qb_buf_printf(h, "no warnings");
        qb_buf_printf(h, "</td>");
    }
    qb_buf_printf(h, "</tr>\n");
    qb_buf_printf(h, "<tr><td>qbench</td>");
    for (int i = 0; i < rp->nin; i++) {
        /* version, git commit, compiler and flags, each as written */
        static const char *const tool_keys[] = {"version", "git", "compiler", "flags"};
        qb_buf_printf(h, "<td class=\"params\">");
        for (size_t k = 0; k < sizeof tool_keys / sizeof tool_keys[0]; k++) {
            const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(rp->in[i].res.tool, tool_keys[k]));
            if (!v || !v[0]) continue;
            qb_buf_printf(h, "%s ", tool_keys[k]);
            qb_html_text(h, v);
            qb_buf_printf(h, ", ");
        }
        qb_buf_printf(h, "started ");
        qb_html_text(h, rp->in[i].res.started);
        qb_buf_printf(h, "</td>");
    }
    qb_buf_printf(h, "</tr></table>\n");
}

/* Memory sweep lines from the first input that has them: bandwidth and latency against size. */
/* Loaded latency: the chase latency against the bandwidth the other CPUs
 * draw, with the knee marked (probe mem --loaded). */
static void loaded_chart(report *rp)
{
    for (int i = 0; i < rp->nin; i++) {
        const qb_results *res = &rp->in[i].res;
        enum { MAXN = 64 };
        static double x[MAXN], y[MAXN];
        int n = 0;
        const qb_record *knee = NULL;
        for (size_t k = 0; k < res->n; k++) {
            const qb_record *r = &res->recs[k];
            if (strcmp(qb_param_str(r, "kernel"), "loaded-knee") == 0) knee = r;
            if (strcmp(qb_param_str(r, "kernel"), "loaded-latency") != 0 || n == MAXN) continue;
            x[n] = qb_metric_value(r, "bandwidth");
            y[n++] = qb_metric_value(r, "latency");
        }
        if (n == 0) continue;
        /* in order of bandwidth, so the line runs from idle to the heaviest load */
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
                if (x[b] < x[a]) {
                    const double tx = x[a], ty = y[a];
                    x[a] = x[b], y[a] = y[b];
                    x[b] = tx, y[b] = ty;
                }
        qb_line_chart lc = {.title = "Load latency against the bandwidth the other CPUs draw",
                            .xlabel = "bandwidth drawn by the other CPUs (GB/s)",
                            .ylabel = "load latency (ns)",
                            .nser = 1};
        lc.series[0] = "pointer chase";
        lc.x[0] = x;
        lc.y[0] = y;
        lc.n[0] = n;
        if (knee && qb_record_find_metric(knee, "bandwidth")) {
            lc.marks[0] = qb_metric_value(knee, "bandwidth");
            lc.mark_labels[0] = "knee";
            lc.nmarks = 1;
        }
        qb_report_chart(rp, "mem-loaded", qb_chart_lines(rp->chartdir, "mem-loaded", &lc));
        return;
    }
}

static void mem_charts(report *rp)
{
    const qb_report_input *src = NULL;
    for (int i = 0; i < rp->nin && !src; i++)
        if (qb_report_has_group(&rp->in[i].res, "probe.mem")) src = &rp->in[i];
    if (!src) return;
    enum { MAXN = 256 };
    static double xs[QB_CHART_MAX_SERIES][MAXN], ys[QB_CHART_MAX_SERIES][MAXN];
    static char names[QB_CHART_MAX_SERIES][64];
    for (int pass = 0; pass < 2; pass++) {
        const bool lat = pass == 1;
        qb_line_chart lc = {0};
        lc.title = lat ? "Load latency against working set" : "Bandwidth against working set";
        lc.xlabel = "working set (bytes)";
        lc.ylabel = lat ? "latency (ns)" : "bandwidth (GB/s)";
        lc.logx = true;
        lc.logy = lat;
        for (size_t k = 0; k < src->res.n; k++) {
            const qb_record *r = &src->res.recs[k];
            if (strcmp(r->group, "probe.mem") != 0 || qb_param_str(r, "level")[0] || !isfinite(qb_param_num(r, "bytes")) ||
                strncmp(qb_param_str(r, "kernel"), "loaded", 6) == 0)
                continue;
            const bool is_lat = strcmp(qb_param_str(r, "kernel"), "latency") == 0;
            if (is_lat != lat) continue;
            const double y = qb_metric_value(r, lat ? "latency" : "bandwidth");
            if (!isfinite(y)) continue;
            char sname[64];
            snprintf(sname, sizeof sname, "%s t%.0f", qb_param_str(r, "kernel"), isfinite(qb_param_num(r, "threads")) ? qb_param_num(r, "threads") : 1);
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
            if (lc.n[s] < MAXN) {
                xs[s][lc.n[s]] = qb_param_num(r, "bytes");
                ys[s][lc.n[s]++] = y;
            }
        }
        if (lc.nser == 0) continue;
        static char marklabels[8][32];
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(src->res.machine, "caches"))
        {
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(c, "type"));
            if (!type || strcmp(type, "instruction") == 0 || lc.nmarks == 8) continue;
            snprintf(marklabels[lc.nmarks], sizeof marklabels[0], "L%d",
                     (int)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "level")));
            lc.marks[lc.nmarks] = cJSON_GetNumberValue(cJSON_GetObjectItem(c, "bytes"));
            lc.mark_labels[lc.nmarks] = marklabels[lc.nmarks];
            lc.nmarks++;
        }
        qb_report_chart(rp, lat ? "mem-latency" : "mem-bandwidth", qb_chart_lines(rp->chartdir, lat ? "mem-latency" : "mem-bandwidth", &lc));
    }
}

/* One roofline chart per thread count, the largest first. */
static void roofline_charts(report *rp, const qb_results *res)
{
    int threads[64];
    const int n = qb_roofline_thread_counts(res, threads, 64);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (threads[j] > threads[i]) {
                const int t = threads[i];
                threads[i] = threads[j];
                threads[j] = t;
            }
    for (int i = 0; i < n; i++) {
        char name[64];
        qb_roofline_chart_name(res, threads[i], name, sizeof name);
        qb_report_chart(rp, name, qb_roofline_chart_threads(res, rp->chartdir, threads[i]));
    }
}

/* The roofline: from roofline records, or analysed here from ops records and ceilings. */
static void roofline_part(report *rp)
{
    for (int i = 0; i < rp->nin; i++) {
        const qb_results *res = &rp->in[i].res;
        if (qb_report_has_group(res, "roofline")) {
            roofline_charts(rp, res);
            return;
        }
    }
    for (int i = 0; i < rp->nin; i++) {
        const qb_results *res = &rp->in[i].res;
        if (!qb_report_has_group(res, "ops")) continue;
        /* every thread count of the run's ops records that has ceilings */
        qb_results tmp;
        if (qb_results_init(&tmp) != QB_OK) return;
        int done[64], ndone = 0;
        for (size_t k = 0; k < res->n && ndone < 64; k++) {
            const int threads = (int)qb_param_num(&res->recs[k], "threads");
            bool seen = false;
            for (int d = 0; d < ndone; d++) seen |= done[d] == threads;
            if (strcmp(res->recs[k].group, "ops") != 0 || threads <= 0 || seen) continue;
            done[ndone++] = threads;
            qb_ceilings c;
            if (qb_ceilings_from_results(res, threads, &c) != QB_OK || !c.ncompute || !c.nmemory) continue;
            qb_roofline_records(res, &c, threads, true, &tmp);
        }
        if (tmp.n > 0) {
            roofline_charts(rp, &tmp);
            qb_report_section(rp, "roofline-table", "Roofline verdicts", NULL);
            qb_report_input one = {.path = "", .res = tmp};
            snprintf(one.label, sizeof one.label, "%s", rp->in[i].label);
            group_table_in(&rp->html, &one, 1, "roofline");
        }
        qb_results_free(&tmp);
        return;
    }
    qb_buf_printf(&rp->html, "<p>No roofline: the run has no operator results with ceilings "
                             "(run qbench run, or qbench roofline).</p>\n");
}

static void conditions_section(report *rp)
{
    qb_buf *h = &rp->html;
    qb_report_section(rp, "conditions", "Measurement conditions",
            "The repetition policy and calibration each run used, and every warning its records carry.");
    for (int i = 0; i < rp->nin; i++) {
        const qb_results *res = &rp->in[i].res;
        char *s = cJSON_Print(res->settings);
        qb_buf_printf(h, "<h3>");
        qb_html_text(h, rp->in[i].label);
        qb_buf_printf(h, "</h3><pre>");
        qb_html_text(h, s ? s : "{}");
        qb_buf_printf(h, "</pre>\n<ul class=\"notes\">\n");
        free(s);
        int shown = 0, total = 0, nogate = 0;
        for (size_t k = 0; k < res->n; k++) {
            const cJSON *n;
            cJSON_ArrayForEach(n, res->recs[k].notes)
            {
                /* said once below: a network run has one per layer */
                if (qb_note_is_no_gate(n->valuestring)) {
                    nogate++;
                    continue;
                }
                total++;
                if (shown >= 300) continue;
                shown++;
                qb_buf_printf(h, "<li><code>");
                qb_html_text(h, res->recs[k].id);
                qb_buf_printf(h, "</code>: ");
                qb_html_text(h, n->valuestring);
                qb_buf_printf(h, "</li>\n");
            }
        }
        if (total > shown) qb_buf_printf(h, "<li>... %d more in the JSON file</li>\n", total - shown);
        if (nogate)
            qb_buf_printf(h, "<li>%d record%s %s not regression gate%s by default (each record's note in the JSON "
                             "file says why; qbench compare --fail-on makes them gates)</li>\n",
                          nogate, nogate == 1 ? "" : "s", nogate == 1 ? "is" : "are", nogate == 1 ? "" : "s");
        qb_buf_printf(h, "</ul>\n");
    }
}

static const char *const style =
    "body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}"
    "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
    "td,th{border:1px solid #ccc;padding:3px 7px;vertical-align:top}"
    "th{background:#f0f0f0}td.num{text-align:right;white-space:nowrap}"
    "td.params{font-size:11px;color:#555;max-width:420px;word-break:break-word}"
    ".chart svg{max-width:100%;height:auto}.warn{color:#a40}"
    "nav a{margin-right:1em}pre{background:#f7f7f7;padding:.5em;font-size:12px}";

int qb_report_write(const qb_report_input *in, int nin, const char *dir, char *chart_warning,
                    size_t wlen)
{
    report rp = {.in = in, .nin = nin, .dir = dir};
    snprintf(rp.chartdir, sizeof rp.chartdir, "%s/charts", dir);
    if (mkdir(rp.chartdir, 0755) != 0 && errno != EEXIST)
        return qb_fail(QB_EIO, "cannot create '%s': %s", rp.chartdir, strerror(errno));
    qb_buf *h = &rp.html;
    qb_buf_printf(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<title>qbench report</title><style>%s</style></head><body>\n<h1>qbench report</h1>\n<p>",
                  style);
    for (int i = 0; i < nin; i++) {
        qb_buf_printf(h, "%s<code>", i ? ", " : "Results: ");
        qb_html_text(h, in[i].path);
        qb_buf_printf(h, "</code>");
    }
    qb_buf_printf(h, "</p>\n<nav><a href=\"#machine\">machine</a><a href=\"#inst\">instructions</a>"
                     "<a href=\"#peak\">peak</a><a href=\"#mem\">memory</a><a href=\"#ctx\">OS costs</a>"
                     "<a href=\"#ops\">operators</a><a href=\"#roofline\">roofline</a><a href=\"#quant\">quantization</a>"
                     "<a href=\"#fuse\">fusion</a><a href=\"#net\">networks</a><a href=\"#conditions\">conditions</a></nav>\n");
    machine_section(&rp);
    if (any_has_group(&rp, "probe.inst")) {
        qb_report_section(&rp, "inst", "Instructions: latency and throughput (core cycles)",
                "Instructions on the measured machine: latency of a dependency chain and "
                "throughput of independent chains; published figures are uops.info's for the same core.");
        group_bars(&rp, "probe.inst", "latency", "inst-latency", "Instruction latency", "cycles", false);
        group_bars(&rp, "probe.inst", "throughput", "inst-throughput", "Instruction throughput", "instructions per cycle", false);
        group_table(&rp, "probe.inst");
    }
    if (any_has_group(&rp, "probe.peak")) {
        qb_report_section(&rp, "peak", "Peak compute per data type", "GOP/s with the instruction mix a real kernel uses; a multiply-add counts 2.");
        group_bars(&rp, "probe.peak", "gops", "peak", "Peak compute", "GOP/s", false);
        group_table(&rp, "probe.peak");
    }
    if (any_has_group(&rp, "probe.mem")) {
        qb_report_section(&rp, "mem", "Memory hierarchy: bandwidth and latency", "Bytes counted as STREAM counts them; GB/s = 1e9 bytes/s.");
        mem_charts(&rp);
        loaded_chart(&rp);
        group_table(&rp, "probe.mem");
    }
    if (any_has_group(&rp, "probe.ctx")) {
        qb_report_section(&rp, "ctx", "Operating system costs: syscalls and context switches", NULL);
        group_table(&rp, "probe.ctx");
    }
    if (any_has_group(&rp, "ops")) {
        qb_report_section(&rp, "ops", "Operators", "Throughput of each operator and data type.");
        ops_dtype_bars(&rp);
        group_table(&rp, "ops");
    }
    qb_report_section(&rp, "roofline", "Roofline", NULL);
    roofline_part(&rp);
    if (any_has_group(&rp, "roofline")) group_table(&rp, "roofline");
    if (any_has_group(&rp, "costs")) {
        qb_report_section(&rp, "costs", "What things cost",
                "Each step of executing an instruction and each slow system operation: the textbook figure "
                "(primer), this machine's measured cycles and ns, and the record it came from (qbench costs).");
        group_table(&rp, "costs");
    }
    if (any_has_group(&rp, "quant")) {
        qb_report_section(&rp, "quant", "Quantization error", "Noise-to-signal ratio of each policy, in dB (lower is better).");
        group_bars(&rp, "quant", "nsr_db", "quant", "Quantization error", "NSR (dB)", false);
        group_table(&rp, "quant");
    }
    if (any_has_group(&rp, "fuse")) {
        qb_report_section(&rp, "fuse", "Operator fusion", NULL);
        group_bars(&rp, "fuse", "speedup_fused", "fuse", "Fusion speedup over the unfused chain", "x", false);
        group_table(&rp, "fuse");
    }
    qb_report_net(&rp);
    conditions_section(&rp);
    qb_buf_printf(h, "</body></html>\n");
    int rc = h->oom ? qb_fail(QB_ENOMEM, "out of memory building the report") : QB_OK;
    if (rc == QB_OK) {
        char path[4200];
        snprintf(path, sizeof path, "%s/report.html", dir);
        rc = qb_write_file_atomic(path, h->s, h->len);
    }
    if (chart_warning && wlen) {
        if (rp.charts_missing)
            snprintf(chart_warning, wlen, "%d chart(s) not drawn: %s", rp.charts_missing, rp.warning);
        else
            chart_warning[0] = '\0';
    }
    qb_buf_free(h);
    return rc;
}
