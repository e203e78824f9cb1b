/* The human side of qbench ops: a table per operator with the dtypes side by
 * side, and the operator list of qbench list. */
#include "ops_run.h"

#include "backend.h"
#include "cpu_features.h"
#include "op.h"
#include "output.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void column_name(const qb_record *r, char *buf, size_t cap)
{
    if (strcmp(qb_param_str(r, "dtype"), "int8") != 0) {
        snprintf(buf, cap, "%s", qb_param_str(r, "dtype"));
        return;
    }
    const char *q = qb_param_str(r, "quant"), *p = qb_param_str(r, "policy");
    snprintf(buf, cap, "int8 %s %s", strcmp(q, "per-channel") == 0 ? "pc" : "pt",
             strcmp(p, "symmetric") == 0 ? "sym" : strcmp(p, "asymmetric") == 0 ? "asym" : p);
}

/* The fp32 time of the same op, backend and threads. */
static double fp32_time(const qb_results *res, const qb_record *r)
{
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *t = &res->recs[i];
        if (strcmp(t->group, "ops") || strcmp(qb_param_str(t, "op"), qb_param_str(r, "op")) ||
            strcmp(qb_param_str(t, "dtype"), "fp32") ||
            strcmp(qb_param_str(t, "backend"), qb_param_str(r, "backend")) ||
            qb_param_num(t, "threads") != qb_param_num(r, "threads"))
            continue;
        const qb_metric *m = qb_record_find_metric(t, "time");
        return m ? m->value : -1;
    }
    return -1;
}

static void print_op(const qb_results *res, const char *op)
{
    enum { MAXC = QB_TABLE_MAX_COLS - 2, MAXR = 32 };
    char cols[MAXC][32], rows[MAXR][64];
    int ncol = 0, nrow = 0;
    const qb_record *first = NULL;
    bool memory = false;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "ops") || strcmp(qb_param_str(r, "op"), op)) continue;
        if (!first) first = r, memory = strcmp(qb_param_str(r, "class"), "memory") == 0;
        char c[32], w[64];
        column_name(r, c, sizeof c);
        snprintf(w, sizeof w, "%.0f\t%s", qb_param_num(r, "threads"), qb_param_str(r, "backend"));
        int k;
        for (k = 0; k < ncol && strcmp(cols[k], c); k++) {}
        if (k == ncol && ncol < MAXC) snprintf(cols[ncol++], sizeof cols[0], "%s", c);
        for (k = 0; k < nrow && strcmp(rows[k], w); k++) {}
        if (k == nrow && nrow < MAXR) snprintf(rows[nrow++], sizeof rows[0], "%s", w);
    }
    if (!first) return;
    printf("%s  [%s]  %s = %s\n", op, memory ? "GB/s" : "GOP/s", qb_param_str(first, "shape_keys"),
           qb_param_str(first, "shape"));
    const char *head[QB_TABLE_MAX_COLS] = {"threads", "backend"};
    for (int k = 0; k < ncol; k++) head[2 + k] = cols[k];
    qb_table t;
    qb_table_init(&t, 2 + ncol, head);
    for (int w = 0; w < nrow; w++) {
        char cells[QB_TABLE_MAX_COLS][48];
        const char *cp[QB_TABLE_MAX_COLS];
        char th[16], be[32];
        sscanf(rows[w], "%15[^\t]\t%31s", th, be);
        snprintf(cells[0], sizeof cells[0], "%s", th);
        snprintf(cells[1], sizeof cells[1], "%s", be);
        for (int k = 0; k < ncol; k++) snprintf(cells[2 + k], sizeof cells[0], "-");
        for (size_t i = 0; i < res->n; i++) {
            const qb_record *r = &res->recs[i];
            char c[32], wn[64];
            if (strcmp(r->group, "ops") || strcmp(qb_param_str(r, "op"), op)) continue;
            snprintf(wn, sizeof wn, "%.0f\t%s", qb_param_num(r, "threads"),
                     qb_param_str(r, "backend"));
            if (strcmp(wn, rows[w])) continue;
            column_name(r, c, sizeof c);
            int k;
            for (k = 0; k < ncol && strcmp(cols[k], c); k++) {}
            if (k == ncol) continue;
            const qb_metric *tm = qb_record_find_metric(r, "time");
            const qb_metric *pm = qb_record_find_metric(r, memory ? "bandwidth" : "gops");
            const cJSON *ver = cJSON_GetObjectItemCaseSensitive(r->params, "verified");
            const char *bad = !cJSON_IsFalse(ver)                             ? ""
                              : strcmp(qb_param_str(r, "backend"), "builtin") ? " (differs)"
                                                                              : " WRONG";
            if (!tm || !pm) {
                snprintf(cells[2 + k], sizeof cells[0], "n/a");
                continue;
            }
            const double f = fp32_time(res, r);
            if (strcmp(qb_param_str(r, "dtype"), "fp32") != 0 && f > 0)
                snprintf(cells[2 + k], sizeof cells[0], "%.1f (%.2fx)%s", pm->value, f / tm->value, bad);
            else
                snprintf(cells[2 + k], sizeof cells[0], "%.1f%s", pm->value, bad);
        }
        for (int k = 0; k < 2 + ncol; k++) cp[k] = cells[k];
        qb_table_row(&t, cp);
    }
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    /* GOP/s counts every tap of a padded conv; a kernel that skips those on
     * the padding does less work than the figure says */
    const double pad = qb_metric_value(first, "padding_ops"), ops = qb_metric_value(first, "ops");
    if (isfinite(pad) && pad > 0 && ops > 0)
        printf("%.1f%% of the operations counted (every tap, as libraries count them) lie on the zero padding;\n"
               "param padding_taps says which built-in kernels skip them (a library's choice is not recorded)\n",
               100 * pad / ops);
    printf("\n");
}

void qb_ops_print(const qb_results *res)
{
    printf("Operators: performance per data type; (Nx) = speedup over fp32 of the same backend and\n"
           "threads. fp16 is storage only (F16C conversion, fp32 math: %s).\n"
           "int8 columns: pt/pc = per-tensor/per-channel, sym/asym/pow2 = policy.\n\n",
           qb_cpu_has("avx512fp16") ? "AVX512-FP16 is not used" : "no FP16 arithmetic on this CPU");
    const char *seen[128];
    int nseen = 0;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "ops")) continue;
        const char *op = qb_param_str(r, "op");
        int k;
        for (k = 0; k < nseen && strcmp(seen[k], op); k++) {}
        if (k < nseen || nseen == 128) continue;
        seen[nseen++] = op;
        print_op(res, op);
    }
    /* which int8 arithmetic ran, once per distinct kind, with its ops */
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "ops") || strcmp(qb_param_str(r, "dtype"), "int8") ||
            strcmp(qb_param_str(r, "backend"), "builtin"))
            continue;
        bool first = true;
        for (size_t k = 0; k < i && first; k++) {
            const qb_record *q = &res->recs[k];
            first = strcmp(q->group, "ops") || strcmp(qb_param_str(q, "dtype"), "int8") ||
                    strcmp(qb_param_str(q, "backend"), "builtin") ||
                    strcmp(qb_param_str(q, "math"), qb_param_str(r, "math"));
        }
        if (!first) continue;
        printf("int8 %s:", qb_param_str(r, "math"));
        const char *last = "";
        for (size_t k = i; k < res->n; k++) {
            const qb_record *q = &res->recs[k];
            if (strcmp(q->group, "ops") || strcmp(qb_param_str(q, "dtype"), "int8") ||
                strcmp(qb_param_str(q, "backend"), "builtin") ||
                strcmp(qb_param_str(q, "math"), qb_param_str(r, "math")) ||
                strcmp(qb_param_str(q, "op"), last) == 0)
                continue;
            last = qb_param_str(q, "op");
            printf(" %s", last);
        }
        printf("%s%s\n", qb_param_str(r, "int16_guard")[0] ? "; " : "",
               qb_param_str(r, "int16_guard"));
    }
    const cJSON *un = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res->settings, "ops"),
                                                       "unavailable");
    if (cJSON_GetArraySize(un) > 0) {
        printf("not available in the selected backends:\n");
        const cJSON *u;
        cJSON_ArrayForEach(u, un) printf("  %s\n", u->valuestring);
    }
    qb_print_notes(res);
}

void qb_ops_list(void)
{
    printf("\nops: operator benchmarks (qbench ops), params: dtype fp32/fp16/int8, quant, policy, threads, backend\n");
    for (int i = 0; qb_op_table[i]; i++) {
        const qb_op_desc *d = qb_op_table[i];
        printf("  %-15s %-8s %-28s %-24s %s\n", d->name, d->klass, d->shape_keys, d->default_shape,
               d->shape_source ? d->shape_source : "");
    }
    if (!qb_op_table[0]) printf("  (none registered)\n");
    printf("  backends:");
    for (int b = 0; b < QB_BACKEND_MAX; b++)
        printf(" %s%s", qb_backend_names[b], qb_backend_available(qb_backend_names[b]) ? "" : " (not compiled in)");
    printf("\n");
}
