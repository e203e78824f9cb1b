/* Shape inference, one node at a time, by the rules of the ONNX operator of
 * each kind (numpy broadcasting for the elementwise ones). */
#include "net_infer.h"

#include "error.h"
#include "tensor_gen.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    long d[QB_NET_MAXDIM];
    int n;
} shape;

static const qb_net_tensor *input(const qb_net_graph *g, const qb_net_node *n, int i)
{
    if (i >= n->nin || n->in[i] < 0 || n->in[i] >= g->ntensors) return NULL;
    return &g->tensors[n->in[i]];
}

static int bad(const qb_net_node *n, const char *what)
{
    return qb_fail(QB_EINPUT, "node %s (%s): %s", n->name, qb_net_op_name(n->op), what);
}

/* An axis in [-rank, rank) made non-negative, or -1 when out of range. */
static long norm_axis(long axis, int rank)
{
    if (axis < 0) axis += rank;
    return axis >= 0 && axis < rank ? axis : -1;
}

static void copy_shape(shape *s, const qb_net_tensor *t)
{
    s->n = t->ndim;
    memcpy(s->d, t->dims, sizeof(long) * (size_t)t->ndim);
}

static int broadcast(const qb_net_node *n, const qb_net_tensor *a, const qb_net_tensor *b, shape *s)
{
    s->n = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < s->n; i++) {
        const int ia = i - (s->n - a->ndim), ib = i - (s->n - b->ndim);
        const long da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) return bad(n, "input shapes do not broadcast");
        s->d[i] = da == 1 ? db : da;
    }
    return QB_OK;
}

/* Kernels, strides, dilations and pads stay below this, so their products
 * cannot overflow. */
#define QB_NET_MAX_WINDOW (1L << 20)

static bool window_too_large(const qb_net_attr *a, int i)
{
    return a->strides[i] > QB_NET_MAX_WINDOW || a->dilations[i] > QB_NET_MAX_WINDOW ||
           a->pads[i] < 0 || a->pads[2 + i] < 0 || a->pads[i] > QB_NET_MAX_WINDOW ||
           a->pads[2 + i] > QB_NET_MAX_WINDOW;
}

static int infer_conv(qb_net_node *n, const qb_net_tensor *x, const qb_net_tensor *w, shape *s)
{
    qb_net_attr *a = &n->attr;
    if (x->ndim != 4 || !w || w->ndim != 4)
        return bad(n, "only 2-D convolutions (NCHW input, KCRS weights) are supported");
    if (a->group < 1) a->group = 1;
    if (a->group > QB_NET_MAX_WINDOW || w->dims[2] > QB_NET_MAX_WINDOW ||
        w->dims[3] > QB_NET_MAX_WINDOW)
        return bad(n, "group or kernel beyond 2^20");
    if (x->dims[1] != w->dims[1] * a->group || w->dims[0] % a->group)
        return bad(n, "channels do not match the weights and group");
    a->kernel[0] = w->dims[2];
    a->kernel[1] = w->dims[3];
    s->n = 4;
    s->d[0] = x->dims[0];
    s->d[1] = w->dims[0];
    for (int i = 0; i < 2; i++) {
        if (a->strides[i] < 1) a->strides[i] = 1;
        if (a->dilations[i] < 1) a->dilations[i] = 1;
        if (window_too_large(a, i)) return bad(n, "stride, dilation or padding beyond 2^20");
        const long span = a->dilations[i] * (a->kernel[i] - 1) + 1;
        const long in = x->dims[2 + i] + a->pads[i] + a->pads[2 + i];
        if (in < span) return bad(n, "the kernel is larger than the padded input");
        s->d[2 + i] = (in - span) / a->strides[i] + 1;
    }
    return QB_OK;
}

static int infer_pool(qb_net_node *n, const qb_net_tensor *x, shape *s)
{
    qb_net_attr *a = &n->attr;
    if (x->ndim != 4) return bad(n, "only 2-D pooling of NCHW inputs is supported");
    copy_shape(s, x);
    for (int i = 0; i < 2; i++) {
        if (a->strides[i] < 1) a->strides[i] = 1;
        if (a->dilations[i] < 1) a->dilations[i] = 1;
        if (a->kernel[i] < 1) return bad(n, "no kernel_shape");
        if (a->kernel[i] > QB_NET_MAX_WINDOW || window_too_large(a, i))
            return bad(n, "kernel, stride, dilation or padding beyond 2^20");
        const long span = a->dilations[i] * (a->kernel[i] - 1) + 1;
        const long in = x->dims[2 + i] + a->pads[i] + a->pads[2 + i];
        if (in < span) return bad(n, "the kernel is larger than the padded input");
        long o = (in - span) / a->strides[i] + 1;
        if (a->ceil_mode && (in - span) % a->strides[i]) {
            o++;
            /* the last window must start inside the input or its begin padding */
            if ((o - 1) * a->strides[i] >= x->dims[2 + i] + a->pads[i]) o--;
        }
        s->d[2 + i] = o;
    }
    return QB_OK;
}

static int infer_matmul(const qb_net_node *n, const qb_net_tensor *a, const qb_net_tensor *b,
                        shape *s)
{
    if (a->ndim < 2 || b->ndim < 2)
        return bad(n, "inputs of fewer than 2 dimensions are not supported");
    if (a->dims[a->ndim - 1] != b->dims[b->ndim - 2]) return bad(n, "inner dimensions differ");
    s->n = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < s->n - 2; i++) {
        const int ia = i - (s->n - a->ndim), ib = i - (s->n - b->ndim);
        const long da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) return bad(n, "batch dimensions do not broadcast");
        s->d[i] = da == 1 ? db : da;
    }
    s->d[s->n - 2] = a->dims[a->ndim - 2];
    s->d[s->n - 1] = b->dims[b->ndim - 1];
    return QB_OK;
}

static int infer_gemm(const qb_net_node *n, const qb_net_tensor *a, const qb_net_tensor *b,
                      shape *s)
{
    if (a->ndim != 2 || !b || b->ndim != 2) return bad(n, "Gemm needs two matrices");
    const qb_net_attr *t = &n->attr;
    const long m = t->trans_a ? a->dims[1] : a->dims[0], k = t->trans_a ? a->dims[0] : a->dims[1];
    const long kb = t->trans_b ? b->dims[1] : b->dims[0], nn = t->trans_b ? b->dims[0] : b->dims[1];
    if (k != kb) return bad(n, "inner dimensions differ");
    s->n = 2;
    s->d[0] = m;
    s->d[1] = nn;
    return QB_OK;
}

/* Reshape to the constant in input 1 (0: copy that input dimension, -1: what
 * is left), or, with no such input, to the dimensions already on the output. */
static int infer_reshape(const qb_net_graph *g, const qb_net_node *n, const qb_net_tensor *x,
                         shape *s)
{
    const qb_net_tensor *sh = input(g, n, 1);
    const long total = qb_net_numel(x);
    if (!sh) {
        copy_shape(s, &g->tensors[n->out]);
    } else {
        if (!sh->data || sh->type != QB_NT_I64 || sh->ndim != 1 || sh->dims[0] > QB_NET_MAXDIM)
            return bad(n, "the target shape is not a constant list of at most 8 integers");
        const int64_t *v = sh->data;
        s->n = (int)sh->dims[0];
        int infer_at = -1;
        long known = 1;
        for (int i = 0; i < s->n; i++) {
            if (v[i] == -1 && infer_at < 0) {
                infer_at = i;
                s->d[i] = 1;
                continue;
            }
            if (v[i] == 0 && i < x->ndim)
                s->d[i] = x->dims[i];
            else if (v[i] > 0 && v[i] <= QB_NET_MAX_NUMEL)
                s->d[i] = (long)v[i];
            else
                return bad(n, "the target shape has a negative or absurd dimension");
            if (__builtin_mul_overflow(known, s->d[i], &known) || known > QB_NET_MAX_NUMEL)
                return bad(n, "the target shape is too large");
        }
        if (infer_at >= 0) {
            if (known == 0 || total % known)
                return bad(n, "the target shape does not divide the input");
            s->d[infer_at] = total / known;
        }
    }
    long out = 1;
    for (int i = 0; i < s->n; i++)
        if (__builtin_mul_overflow(out, s->d[i], &out))
            return bad(n, "the target shape is too large");
    if (out != total) return bad(n, "the target shape has another element count than the input");
    return QB_OK;
}

static int infer_transpose(qb_net_node *n, const qb_net_tensor *x, shape *s)
{
    qb_net_attr *a = &n->attr;
    if (a->nperm == 0) {
        a->nperm = x->ndim;
        for (int i = 0; i < x->ndim; i++)
            a->perm[i] = x->ndim - 1 - i;
    }
    if (a->nperm != x->ndim) return bad(n, "perm has another length than the input's rank");
    bool seen[QB_NET_MAXDIM] = {false};
    s->n = x->ndim;
    for (int i = 0; i < s->n; i++) {
        const long p = a->perm[i];
        if (p < 0 || p >= x->ndim || seen[p]) return bad(n, "perm is not a permutation");
        seen[p] = true;
        s->d[i] = x->dims[p];
    }
    return QB_OK;
}

static int infer_concat(const qb_net_graph *g, qb_net_node *n, const qb_net_tensor *x, shape *s)
{
    const long axis = norm_axis(n->attr.axis, x->ndim);
    if (axis < 0) return bad(n, "axis out of range");
    n->attr.axis = axis;
    copy_shape(s, x);
    s->d[axis] = 0;
    for (int i = 0; i < n->nin; i++) {
        const qb_net_tensor *t = input(g, n, i);
        if (!t || t->ndim != x->ndim) return bad(n, "inputs of different ranks");
        for (int k = 0; k < t->ndim; k++)
            if (k != axis && t->dims[k] != x->dims[k])
                return bad(n, "inputs differ outside the axis");
        s->d[axis] += t->dims[axis];
    }
    return QB_OK;
}

static int infer_gather(qb_net_node *n, const qb_net_tensor *data, const qb_net_tensor *idx,
                        shape *s)
{
    const long axis = norm_axis(n->attr.axis, data->ndim);
    if (axis < 0 || !idx) return bad(n, "axis out of range or no indices");
    n->attr.axis = axis;
    if (data->ndim + idx->ndim - 1 > QB_NET_MAXDIM) return bad(n, "too many output dimensions");
    s->n = 0;
    for (int i = 0; i < axis; i++)
        s->d[s->n++] = data->dims[i];
    for (int i = 0; i < idx->ndim; i++)
        s->d[s->n++] = idx->dims[i];
    for (int i = (int)axis + 1; i < data->ndim; i++)
        s->d[s->n++] = data->dims[i];
    return QB_OK;
}

static int infer_lstm(qb_net_node *n, const qb_net_tensor *x, const qb_net_tensor *w, shape *s)
{
    if (x->ndim != 3 || !w || w->ndim != 3 || w->dims[0] != 1 || w->dims[1] % 4 ||
        w->dims[2] != x->dims[2])
        return bad(
            n, "needs input [seq, batch, features] and forward weights [1, 4*hidden, features]");
    if (n->attr.hidden <= 0 || n->attr.hidden > QB_NET_MAX_NUMEL) n->attr.hidden = w->dims[1] / 4;
    if (n->attr.hidden * 4 != w->dims[1]) return bad(n, "hidden_size does not match the weights");
    s->n = 3;
    s->d[0] = x->dims[0];
    s->d[1] = x->dims[1];
    s->d[2] = n->attr.hidden;
    return QB_OK;
}

static int infer_shape(qb_net_graph *g, qb_net_node *n, shape *s)
{
    const qb_net_tensor *x = input(g, n, 0), *w = input(g, n, 1);
    if (!x) return bad(n, "no input");
    switch (n->op) {
    case QB_NOP_CONV:
        return infer_conv(n, x, w, s);
    case QB_NOP_GEMM:
        return infer_gemm(n, x, w, s);
    case QB_NOP_MATMUL:
        return w ? infer_matmul(n, x, w, s) : bad(n, "needs two inputs");
    case QB_NOP_ADD:
    case QB_NOP_SUB:
    case QB_NOP_MUL:
    case QB_NOP_DIV:
        return w ? broadcast(n, x, w, s) : bad(n, "needs two inputs");
    case QB_NOP_MAXPOOL:
    case QB_NOP_AVGPOOL:
        return infer_pool(n, x, s);
    case QB_NOP_GLOBALAVGPOOL:
        if (x->ndim < 3) return bad(n, "needs an input with spatial dimensions");
        copy_shape(s, x);
        for (int i = 2; i < s->n; i++)
            s->d[i] = 1;
        return QB_OK;
    case QB_NOP_FLATTEN: {
        if (n->attr.axis < 0) n->attr.axis += x->ndim;
        if (n->attr.axis < 0 || n->attr.axis > x->ndim) return bad(n, "axis out of range");
        s->n = 2;
        s->d[0] = s->d[1] = 1;
        for (int i = 0; i < x->ndim; i++)
            s->d[i < n->attr.axis ? 0 : 1] *= x->dims[i];
        return QB_OK;
    }
    case QB_NOP_RESHAPE:
        return infer_reshape(g, n, x, s);
    case QB_NOP_TRANSPOSE:
        return infer_transpose(n, x, s);
    case QB_NOP_CONCAT:
        return infer_concat(g, n, x, s);
    case QB_NOP_GATHER:
        return infer_gather(n, x, w, s);
    case QB_NOP_LSTM:
        return infer_lstm(n, x, w, s);
    case QB_NOP_SOFTMAX:
    case QB_NOP_LAYERNORM: {
        const long axis = norm_axis(n->attr.axis, x->ndim);
        if (axis < 0) return bad(n, "axis out of range");
        n->attr.axis = axis;
        copy_shape(s, x);
        return QB_OK;
    }
    case QB_NOP_BATCHNORM:
        if (x->ndim < 2) return bad(n, "needs a channel dimension");
        copy_shape(s, x);
        return QB_OK;
    default:
        copy_shape(s, x);
        return QB_OK; /* elementwise unary, quantize */
    }
}

int qb_net_infer_node(qb_net_graph *g, int ni)
{
    if (ni < 0 || ni >= g->nnodes) return qb_fail(QB_EINTERNAL, "shape inference: no node %d", ni);
    qb_net_node *n = &g->nodes[ni];
    for (int i = 0; i < n->nin; i++) {
        const qb_net_tensor *t = input(g, n, i);
        if (!t) continue;
        long total = 1;
        for (int k = 0; k < t->ndim; k++) {
            if (t->dims[k] <= 0)
                return qb_fail(QB_EINPUT, "node %s (%s): input %s has an unknown dimension %d",
                               n->name, qb_net_op_name(n->op), t->name, k);
            if (__builtin_mul_overflow(total, t->dims[k], &total) || total > QB_NET_MAX_NUMEL)
                return qb_fail(QB_ENOMEM, "node %s (%s): input %s of more than %ld elements",
                               n->name, qb_net_op_name(n->op), t->name, QB_NET_MAX_NUMEL);
        }
    }
    if (n->out < 0 || n->out >= g->ntensors)
        return qb_fail(QB_EINTERNAL, "node %s: no output", n->name);
    shape s;
    int rc = infer_shape(g, n, &s);
    if (rc) return rc;
    long total = 1;
    for (int i = 0; i < s.n; i++) {
        if (s.d[i] <= 0) return bad(n, "an output dimension is empty");
        if (__builtin_mul_overflow(total, s.d[i], &total) || total > QB_NET_MAX_NUMEL)
            return qb_fail(QB_ENOMEM, "node %s (%s): output of more than %ld elements", n->name,
                           qb_net_op_name(n->op), QB_NET_MAX_NUMEL);
    }
    qb_net_tensor *o = &g->tensors[n->out];
    o->ndim = s.n;
    memcpy(o->dims, s.d, sizeof(long) * (size_t)s.n);
    if (n->op == QB_NOP_GATHER) o->type = g->tensors[n->in[0]].type;
    return QB_OK;
}

double qb_net_activation_bytes(const qb_net_graph *g)
{
    double b = 0;
    for (int i = 0; i < g->ntensors; i++) {
        const qb_net_tensor *t = &g->tensors[i];
        if (!t->data) b += (double)qb_net_numel(t) * (double)qb_net_type_bytes(t->type);
    }
    return b;
}

int qb_net_infer(qb_net_graph *g)
{
    if (g->input < 0) return qb_fail(QB_EINPUT, "model %s: no input", g->name);
    const qb_net_tensor *x = &g->tensors[g->input];
    long total = 1;
    for (int i = 0; i < x->ndim; i++) {
        if (x->dims[i] <= 0)
            return qb_fail(QB_EINPUT,
                           "model %s: input %s has an unknown dimension %d (give --input-shape)",
                           g->name, x->name, i);
        if (__builtin_mul_overflow(total, x->dims[i], &total) || total > QB_NET_MAX_NUMEL)
            return qb_fail(QB_ENOMEM, "model %s: input %s of more than %ld elements", g->name,
                           x->name, QB_NET_MAX_NUMEL);
    }
    for (int i = 0; i < g->nnodes; i++) {
        const int rc = qb_net_infer_node(g, i);
        if (rc) return rc;
    }
    const double need = qb_net_activation_bytes(g);
    const double have = (double)qb_phys_mem_bytes();
    if (have > 0 && need > have)
        return qb_fail(
            QB_ENOMEM,
            "model %s: its activations need %.3g GB, more than the %.3g GB of physical memory",
            g->name, need / 1e9, have / 1e9);
    return QB_OK;
}

void qb_net_dims_str(const qb_net_tensor *t, char *buf, size_t len)
{
    if (!len) return;
    if (t->ndim == 0) {
        snprintf(buf, len, "scalar");
        return;
    }
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->ndim && at < len; i++) {
        const int k = snprintf(buf + at, len - at, "%s%ld", i ? "x" : "", t->dims[i]);
        if (k < 0) break;
        at += (size_t)k;
    }
}
