/* The network answer line (net_answer.h), from the records alone. */
#include "net_answer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

bool qb_net_is_config(const qb_record *r)
{
    return strcmp(r->group, "net") == 0 && qb_record_find_metric(r, "latency") != NULL;
}

static bool is_int8(const qb_record *r)
{
    return strcmp(qb_param_str(r, "dtype"), "int8") == 0;
}

/* The output error of a variant: qbench net measures it at one
 * configuration per variant (the model at batch 1), so a configuration
 * without it takes the one its variant has. */
static void output_error(const qb_results *res, const qb_record *best, qb_net_answer *a)
{
    a->nsr = a->nsr_db = NAN;
    const qb_record *src = qb_record_find_metric(best, "nsr") ? best : NULL;
    for (size_t i = 0; i < res->n && !src; i++) {
        const qb_record *r = &res->recs[i];
        if (qb_net_is_config(r) && qb_record_find_metric(r, "nsr") &&
            strcmp(qb_param_str(r, "model"), qb_param_str(best, "model")) == 0 &&
            strcmp(qb_param_str(r, "variant"), qb_param_str(best, "variant")) == 0)
            src = r;
    }
    if (!src) return;
    a->nsr = qb_metric_value(src, "nsr");
    a->nsr_db = qb_metric_value(src, "nsr_db");
}

bool qb_net_answer_at(const qb_results *res, const char *model, double batch, double threads,
                      qb_net_answer *a)
{
    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (!qb_net_is_config(r) || strcmp(qb_param_str(r, "model"), model) != 0 ||
            qb_param_num(r, "batch") != batch || qb_param_num(r, "threads") != threads)
            continue;
        if (strcmp(qb_param_str(r, "dtype"), "fp32") == 0) {
            a->fp32 = r;
            continue;
        }
        /* int8 first (the question is whether quantizing pays off), the fastest of a kind */
        const qb_record *b = a->best;
        if (!b || (is_int8(r) && !is_int8(b)) ||
            (is_int8(r) == is_int8(b) && qb_metric_value(r, "latency") < qb_metric_value(b, "latency")))
            a->best = r;
    }
    if (!a->fp32 || !a->best) return false;
    a->speedup = qb_metric_value(a->fp32, "latency") / qb_metric_value(a->best, "latency");
    output_error(res, a->best, a);
    return isfinite(a->speedup) && a->speedup > 0;
}

int qb_net_answers(const qb_results *res, qb_net_answer *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < res->n && n < max; i++) {
        const qb_record *r = &res->recs[i];
        if (!qb_net_is_config(r)) continue;
        const char *model = qb_param_str(r, "model");
        /* the model's first batch */
        const qb_record *first = r;
        for (size_t k = 0; k < i; k++)
            if (qb_net_is_config(&res->recs[k]) && strcmp(qb_param_str(&res->recs[k], "model"), model) == 0) {
                first = &res->recs[k];
                break;
            }
        if (qb_param_num(r, "batch") != qb_param_num(first, "batch")) continue;
        bool seen = false;
        for (int k = 0; k < n && !seen; k++)
            seen = strcmp(qb_param_str(out[k].fp32, "model"), model) == 0 &&
                   qb_param_num(out[k].fp32, "threads") == qb_param_num(r, "threads");
        if (!seen && qb_net_answer_at(res, model, qb_param_num(r, "batch"), qb_param_num(r, "threads"), &out[n])) n++;
    }
    return n;
}

void qb_net_answer_format(const qb_net_answer *a, char *buf, size_t len)
{
    /* "int8-per-channel" reads "INT8 per-channel" */
    char name[48];
    snprintf(name, sizeof name, "%s", qb_param_str(a->best, "variant"));
    for (char *p = name; *p && *p != '-'; p++)
        if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
    char *dash = strchr(name, '-');
    if (dash) *dash = ' ';
    const double s = a->speedup, threads = qb_param_num(a->best, "threads");
    char err[64] = "accuracy not measured";
    if (isfinite(a->nsr)) snprintf(err, sizeof err, "output NSR %.2g (%.0f dB)", a->nsr, a->nsr_db);
    snprintf(buf, len, "%s: %.2gx %s end to end than FP32 on %.0f thread%s (batch %.0f), %s", name,
             s >= 1 ? s : 1 / s, s >= 1 ? "faster" : "slower", threads, threads == 1 ? "" : "s",
             qb_param_num(a->best, "batch"), err);
}
