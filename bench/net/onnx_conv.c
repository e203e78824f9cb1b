/* Convolutions, pooling and batch norm from ONNX: the spatial attributes
 * (strides, dilations, pads, auto_pad resolved against the input), and batch
 * norm folded into the convolution before it when nothing else reads that
 * convolution's output. */
#include "onnx_import.h"

#include "error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Spatial attributes: two strides and dilations, four pads, or auto_pad
 * resolved against the input's size. */
static int spatial(const onnx_node_in *x, qb_net_attr *a, const long *kernel)
{
    long v[4];
    int k = onnx_attr_ints(x->n, "strides", v, 4);
    if (k == 2)
        a->strides[0] = v[0], a->strides[1] = v[1];
    else if (k >= 0)
        return onnx_unsupported(x, "strides other than 2-D");
    k = onnx_attr_ints(x->n, "dilations", v, 4);
    if (k == 2)
        a->dilations[0] = v[0], a->dilations[1] = v[1];
    else if (k >= 0)
        return onnx_unsupported(x, "dilations other than 2-D");
    k = onnx_attr_ints(x->n, "pads", v, 4);
    if (k == 4)
        memcpy(a->pads, v, sizeof v);
    else if (k >= 0)
        return onnx_unsupported(x, "pads other than 2-D");
    for (int i = 0; i < 4; i++)
        if (a->pads[i] < 0 || a->pads[i] > 1 << 20)
            return onnx_unsupported(x, "negative or absurd pads");
    for (int i = 0; i < 2; i++)
        if (a->strides[i] < 1 || a->dilations[i] < 1 || a->strides[i] > 1 << 20 ||
            a->dilations[i] > 1 << 20)
            return onnx_unsupported(x, "strides or dilations below 1 or absurd");
    char ap[32];
    onnx_attr_str(x->n, "auto_pad", ap, sizeof ap);
    const qb_net_tensor *in = onnx_in(x, 0);
    if (strcmp(ap, "VALID") == 0) {
        memset(a->pads, 0, sizeof a->pads);
    } else if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
        if (in->ndim != 4) return onnx_unsupported(x, "a non-4-D input");
        for (int i = 0; i < 2; i++) {
            const long h = in->dims[2 + i], s = a->strides[i];
            const long o = (h + s - 1) / s;
            long total = (o - 1) * s + (kernel[i] - 1) * a->dilations[i] + 1 - h;
            if (total < 0) total = 0;
            const long small = total / 2, big = total - small;
            a->pads[i] = ap[5] == 'U' ? small : big;
            a->pads[2 + i] = ap[5] == 'U' ? big : small;
        }
    } else if (*ap && strcmp(ap, "NOTSET") != 0) {
        return onnx_unsupported(x, "this auto_pad");
    }
    return QB_OK;
}

int onnx_conv(const onnx_node_in *x)
{
    int rc = onnx_need(x, 2);
    if (rc) return rc;
    const qb_net_tensor *w = onnx_in(x, 1), *b = onnx_in(x, 2);
    if (onnx_in(x, 0)->ndim != 4 || w->ndim != 4)
        return onnx_unsupported(x, "other than 2-D (NCHW) data");
    if (!onnx_is_const(w) || w->type != QB_NT_F32)
        return onnx_unsupported(x, "weights that are not a float constant");
    if (b && (!onnx_is_const(b) || b->type != QB_NT_F32))
        return onnx_unsupported(x, "a bias that is not a float constant");
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.group = onnx_attr_int(x->n, "group", 1);
    if (a.group < 1 || a.group > 1 << 20) return onnx_unsupported(x, "group below 1 or absurd");
    if (w->dims[2] > 1 << 20 || w->dims[3] > 1 << 20)
        return onnx_unsupported(x, "an absurd kernel");
    const long kernel[2] = {w->dims[2], w->dims[3]};
    if ((rc = spatial(x, &a, kernel))) return rc;
    return onnx_emit_node(x, QB_NOP_CONV, x->in, b ? 3 : 2, &a);
}

int onnx_pool(const onnx_node_in *x, qb_net_op op)
{
    int rc = onnx_need(x, 1);
    if (rc) return rc;
    if (x->n->n_output > 1 && *x->n->output[1]) return onnx_unsupported(x, "the Indices output");
    if (onnx_in(x, 0)->ndim != 4) return onnx_unsupported(x, "other than 2-D (NCHW) data");
    qb_net_attr a;
    qb_net_attr_init(&a);
    long k[4];
    if (onnx_attr_ints(x->n, "kernel_shape", k, 4) != 2)
        return onnx_unsupported(x, "a kernel_shape other than 2-D");
    a.kernel[0] = k[0];
    a.kernel[1] = k[1];
    if (k[0] < 1 || k[1] < 1 || k[0] > 1 << 20 || k[1] > 1 << 20)
        return onnx_unsupported(x, "an empty or absurd kernel");
    if ((rc = spatial(x, &a, k))) return rc;
    a.ceil_mode = onnx_attr_int(x->n, "ceil_mode", 0) != 0;
    a.count_include_pad = onnx_attr_int(x->n, "count_include_pad", 0) != 0;
    return onnx_emit_node(x, op, x->in, 1, &a);
}

/* Batch norm straight after a conv whose output nothing else reads: folded
 * into the conv's weights and bias (w' = w s, b' = (b - mean) s + beta with
 * s = gamma / sqrt(var + eps)). 1 when folded, 0 when not, <0 on error. */
static int fold_bn(const onnx_node_in *x, float eps)
{
    onnx_ctx *c = x->c;
    qb_net_graph *g = c->g;
    const int t = x->in[0];
    if (c->tensor_uses[t] != 1 || g->tensors[t].is_output || c->tensor_producer[t] < 0) return 0;
    qb_net_node *cv = &g->nodes[c->tensor_producer[t]];
    if (cv->op != QB_NOP_CONV || cv->attr.fused_act) return 0;
    qb_net_tensor *w = &g->tensors[cv->in[1]];
    const long k = w->dims[0];
    if (!w->data || w->qdata || c->tensor_uses[cv->in[1]] != 1) return 0;
    const float *p[4];
    for (int i = 0; i < 4; i++) {
        const qb_net_tensor *q = onnx_in(x, 1 + i);
        if (!onnx_is_const(q) || q->type != QB_NT_F32 || qb_net_numel(q) != k) return 0;
        p[i] = q->data;
    }
    int bi = cv->nin >= 3 ? cv->in[2] : -1;
    if (bi >= 0 && (c->tensor_uses[bi] != 1 || g->tensors[bi].qdata)) return 0;
    if (bi < 0) {
        float *z = calloc((size_t)k + 1, sizeof *z);
        if (!z) return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
        char bn[256];
        snprintf(bn, sizeof bn, "%s.bias", cv->name);
        bi = qb_net_add_tensor(g, bn, QB_NT_F32, 1, &k, z);
        if (bi < 0) {
            free(z);
            return QB_ENOMEM;
        }
        int rc = onnx_track(c, bi, 1);
        if (rc) return rc;
        cv = &g->nodes[c->tensor_producer[t]];
        w = &g->tensors[cv->in[1]];
        cv->in[2] = bi;
        cv->nin = 3;
    }
    float *wd = w->data, *bd = g->tensors[bi].data;
    const long per = qb_net_numel(w) / (k ? k : 1);
    for (long o = 0; o < k; o++) {
        const float s = p[0][o] / sqrtf(p[3][o] + eps);
        for (long i = 0; i < per; i++)
            wd[o * per + i] *= s;
        bd[o] = (bd[o] - p[2][o]) * s + p[1][o];
    }
    const int rc = onnx_alias(c, x->out, t);
    return rc ? rc : 1;
}

int onnx_batchnorm(const onnx_node_in *x)
{
    int rc = onnx_need(x, 5);
    if (rc) return rc;
    if (onnx_attr_int(x->n, "training_mode", 0)) return onnx_unsupported(x, "training_mode");
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.epsilon = onnx_attr_float(x->n, "epsilon", 1e-5f);
    rc = fold_bn(x, a.epsilon);
    if (rc) return rc < 0 ? rc : QB_OK;
    for (int i = 1; i < 5; i++)
        if (!onnx_is_const(onnx_in(x, i)))
            return onnx_unsupported(x, "parameters that are not constants");
    return onnx_emit_node(x, QB_NOP_BATCHNORM, x->in, 5, &a);
}
