/* The layer listing: one row per node, the skipped nodes where they stood. */
#include "net_layers.h"

#include "error.h"
#include "net_infer.h"
#include "net_load.h"
#include "output.h"

#include <stdio.h>
#include <string.h>

/* The first float constant a node reads: its weights (or bias, scalar). */
static const qb_net_tensor *weight_of(const qb_net_graph *g, const qb_net_node *n)
{
    for (int i = 0; i < n->nin; i++) {
        if (n->in[i] < 0) continue;
        const qb_net_tensor *t = &g->tensors[n->in[i]];
        if (t->data && t->type == QB_NT_F32) return t;
    }
    return NULL;
}

/* "Conv", or "Conv+Clip" with its fused activation. */
static void op_str(const qb_net_node *n, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", qb_net_op_name(n->op), n->attr.fused_act ? "+" : "",
             n->attr.fused_act ? qb_net_op_name(n->attr.fused_act) : "");
}

/* The activation inputs' shapes, comma separated. */
static void inputs_str(const qb_net_graph *g, const qb_net_node *n, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < n->nin && at < len; i++) {
        if (n->in[i] < 0 || g->tensors[n->in[i]].data) continue;
        char d[96];
        qb_net_dims_str(&g->tensors[n->in[i]], d, sizeof d);
        const int k = snprintf(buf + at, len - at, "%s%s", at ? "," : "", d);
        if (k < 0) break;
        at += (size_t)k;
    }
}

/* "pc" (per channel) or "pt" (per tensor) when the weights carry scales. */
static const char *quant_str(const qb_net_tensor *w)
{
    return !w || !w->nscale ? "" : w->nscale > 1 ? "pc" : "pt";
}

static void totals(const qb_net_graph *g, double *ops, double *skipped, double *weights)
{
    *ops = *skipped = *weights = 0;
    for (int i = 0; i < g->nnodes; i++)
        *ops += qb_net_node_ops(g, &g->nodes[i]);
    for (int i = 0; i < g->nskipped; i++)
        *skipped += g->skipped[i].ops;
    for (int i = 0; i < g->ntensors; i++)
        if (g->tensors[i].data && g->tensors[i].type == QB_NT_F32)
            *weights += (double)qb_net_numel(&g->tensors[i]);
}

static int skipped_rows(const qb_net_graph *g, qb_table *t, int before)
{
    for (int s = 0; s < g->nskipped; s++) {
        const qb_net_skipped *k = &g->skipped[s];
        if (k->before != before) continue;
        if (qb_table_rowf(t, "-\t%s\t%s (left out)\t\t\t\t\t~%.2f\t", k->name, k->op_type,
                          k->ops / 1e6))
            return QB_ENOMEM;
    }
    return QB_OK;
}

int qb_net_print_layers(const qb_net_graph *g, FILE *f)
{
    static const char *const head[] = {"#",      "layer", "op",    "input", "output",
                                       "weight", "q",     "MFLOP", "share"};
    double total, skipped, weights;
    totals(g, &total, &skipped, &weights);
    qb_table t;
    qb_table_init(&t, 9, head);
    int rc = QB_OK;
    for (int i = 0; i < g->nnodes && !rc; i++) {
        rc = skipped_rows(g, &t, i);
        const qb_net_node *n = &g->nodes[i];
        const qb_net_tensor *w = weight_of(g, n);
        const double ops = qb_net_node_ops(g, n);
        char op[48], in[192], out[96], wd[96] = "-";
        op_str(n, op, sizeof op);
        inputs_str(g, n, in, sizeof in);
        qb_net_dims_str(&g->tensors[n->out], out, sizeof out);
        if (w) qb_net_dims_str(w, wd, sizeof wd);
        if (!rc &&
            qb_table_rowf(&t, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%.1f%%", i + 1, n->name, op, in,
                          out, wd, quant_str(w), ops / 1e6, total > 0 ? 100 * ops / total : 0))
            rc = QB_ENOMEM;
    }
    if (!rc) rc = skipped_rows(g, &t, g->nnodes);
    if (rc) {
        qb_table_free(&t);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    const qb_net_tensor *x = &g->tensors[g->input], *y = &g->tensors[g->output];
    char xs[96], ys[96];
    qb_net_dims_str(x, xs, sizeof xs);
    qb_net_dims_str(y, ys, sizeof ys);
    fprintf(f,
            "Model %s: input %s %s, output %s %s, %d layers, %.2f M weights, %.1f MB of "
            "activations (fp32)\n\n",
            g->name, x->name, xs, y->name, ys, g->nnodes, weights / 1e6,
            qb_net_activation_bytes(g) / 1e6);
    qb_table_print(&t, f);
    qb_table_free(&t);
    fprintf(f, "\nTotal: %.2f MFLOP (%.3f GFLOP) per inference of the batch\n", total / 1e6,
            total / 1e9);
    if (g->nskipped)
        fprintf(f,
                "Left out (unsupported): %d node%s, ~%.2f MFLOP, %.1f%% of the work (one operation "
                "per input element each)\n",
                g->nskipped, g->nskipped == 1 ? "" : "s", skipped / 1e6,
                100 * skipped / (total + skipped));
    return QB_OK;
}

static cJSON *dims_json(const qb_net_tensor *t)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < t->ndim; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)t->dims[i]));
    return a;
}

static cJSON *tensor_json(const qb_net_tensor *t)
{
    static const char *const types[] = {"float", "int64", "int8", "uint8", "int32"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddItemToObject(o, "shape", dims_json(t));
    cJSON_AddStringToObject(o, "type", types[t->type]);
    if (t->data &&
        t->type == QB_NT_F32) { /* a checksum, to compare weights with another reader's */
        double sum = 0;
        const long n = qb_net_numel(t);
        for (long i = 0; i < n; i++)
            sum += ((const float *)t->data)[i];
        cJSON_AddNumberToObject(o, "sum", sum);
    }
    if (t->nscale) {
        cJSON_AddStringToObject(o, "quant", t->nscale > 1 ? "per-channel" : "per-tensor");
        cJSON_AddNumberToObject(o, "scale", t->scale[0]);
    }
    return o;
}

static cJSON *layer_json(const qb_net_graph *g, int i)
{
    const qb_net_node *n = &g->nodes[i];
    cJSON *l = cJSON_CreateObject();
    cJSON_AddNumberToObject(l, "index", i);
    cJSON_AddStringToObject(l, "name", n->name);
    cJSON_AddStringToObject(l, "op", qb_net_op_name(n->op));
    if (n->attr.fused_act) cJSON_AddStringToObject(l, "fused", qb_net_op_name(n->attr.fused_act));
    if (n->op == QB_NOP_CLIP || n->attr.fused_act == QB_NOP_CLIP) {
        cJSON *b = cJSON_AddArrayToObject(l, "clip");
        cJSON_AddItemToArray(b, cJSON_CreateNumber(n->attr.clip_min));
        cJSON_AddItemToArray(b, cJSON_CreateNumber(n->attr.clip_max));
    }
    cJSON *ins = cJSON_AddArrayToObject(l, "inputs");
    for (int k = 0; k < n->nin; k++)
        if (n->in[k] >= 0 && !g->tensors[n->in[k]].data)
            cJSON_AddItemToArray(ins, dims_json(&g->tensors[n->in[k]]));
    cJSON_AddItemToObject(l, "output", dims_json(&g->tensors[n->out]));
    const qb_net_tensor *w = weight_of(g, n);
    if (w) cJSON_AddItemToObject(l, "weight", tensor_json(w));
    if ((n->op == QB_NOP_CONV || n->op == QB_NOP_GEMM) && n->nin >= 3 && n->in[2] >= 0)
        cJSON_AddItemToObject(l, "bias", tensor_json(&g->tensors[n->in[2]]));
    cJSON_AddNumberToObject(l, "flops", qb_net_node_ops(g, n));
    cJSON_AddNumberToObject(l, "bytes_fp32", qb_net_node_bytes(g, n, 4));
    return l;
}

cJSON *qb_net_layers_json(const qb_net_graph *g)
{
    double total, skipped, weights;
    totals(g, &total, &skipped, &weights);
    cJSON *doc = cJSON_CreateObject();
    if (!doc) return NULL;
    cJSON_AddStringToObject(doc, "schema", "qbench.model/1");
    cJSON_AddStringToObject(doc, "model", g->name);
    cJSON_AddItemToObject(doc, "input", tensor_json(&g->tensors[g->input]));
    cJSON_AddItemToObject(doc, "output", tensor_json(&g->tensors[g->output]));
    cJSON *layers = cJSON_AddArrayToObject(doc, "layers");
    for (int i = 0; i < g->nnodes; i++)
        cJSON_AddItemToArray(layers, layer_json(g, i));
    cJSON *sk = cJSON_AddArrayToObject(doc, "skipped");
    for (int i = 0; i < g->nskipped; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "name", g->skipped[i].name);
        cJSON_AddStringToObject(s, "op", g->skipped[i].op_type);
        cJSON_AddNumberToObject(s, "before", g->skipped[i].before);
        cJSON_AddNumberToObject(s, "flops", g->skipped[i].ops);
        cJSON_AddItemToArray(sk, s);
    }
    cJSON_AddNumberToObject(doc, "total_flops", total);
    cJSON_AddNumberToObject(doc, "skipped_flops", skipped);
    cJSON_AddNumberToObject(doc, "skipped_share",
                            total + skipped > 0 ? skipped / (total + skipped) : 0);
    cJSON_AddNumberToObject(doc, "weights", weights);
    cJSON_AddNumberToObject(doc, "activation_bytes_fp32", qb_net_activation_bytes(g));
    return doc;
}
