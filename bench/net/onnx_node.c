/* One ONNX node into the graph: its op type mapped to a node kind with its
 * attributes, or folded away (Identity, Dropout, Constant, constant
 * subgraphs, QuantizeLinear/DequantizeLinear, batch norm after a conv, ReLU
 * or Clip after a conv or Gemm, a Squeeze of an LSTM's direction axis).
 * What the executor cannot run is reported as unsupported, naming the node
 * and its op type. */
#include "onnx_import.h"

#include "error.h"
#include "net_infer.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    onnx_ctx *c;
    const Onnx__NodeProto *n;
    int ni;
    const char *name, *op, *out;
    const int *in;
    int nin;
} node_in;

static int unsupported(const node_in *x, const char *why)
{
    qb_fail(QB_EINPUT, "%s: node %s: op type %s%s%s is not supported%s", x->c->what, x->name, x->op,
            why ? " with " : "", why ? why : "", x->c->o->skip_unsupported ? "" : " (--skip-unsupported leaves it out)");
    return ONNX_UNSUPPORTED;
}

static qb_net_tensor *T(const node_in *x, int i)
{
    return i < x->nin && x->in[i] >= 0 ? &x->c->g->tensors[x->in[i]] : NULL;
}

static bool is_const(const qb_net_tensor *t)
{
    return t && t->data;
}

static int need(const node_in *x, int k)
{
    for (int i = 0; i < k; i++)
        if (!T(x, i))
            return qb_fail(QB_EINPUT, "%s: node %s (%s) lacks input %d", x->c->what, x->name, x->op, i);
    return QB_OK;
}

static int emit(const node_in *x, qb_net_op op, const int *in, int nin, const qb_net_attr *a)
{
    const int ni = onnx_emit(x->c, x->name, op, in, nin, x->out, a);
    return ni < 0 ? ni : QB_OK;
}

int onnx_emit(onnx_ctx *c, const char *name, qb_net_op op, const int *in, int nin, const char *out,
              const qb_net_attr *a)
{
    const int t = onnx_new_tensor(c, out, QB_NT_F32, 0, NULL, NULL);
    if (t < 0) return t;
    const int ni = qb_net_add_node(c->g, name, op, in, nin, t, a);
    if (ni < 0) return QB_ENOMEM;
    c->tensor_producer[t] = ni;
    const int rc = qb_net_infer_node(c->g, ni);
    if (!rc) return ni;
    char why[512]; /* the rule that failed, prefixed with the file */
    snprintf(why, sizeof why, "%s", qb_last_error(rc));
    return qb_fail(rc, "%s: %s", c->what, why);
}

/* Spatial attributes: two strides and dilations, four pads, or auto_pad
 * resolved against the input's size. */
static int spatial(const node_in *x, qb_net_attr *a, const long *kernel)
{
    long v[4];
    int k = onnx_attr_ints(x->n, "strides", v, 4);
    if (k == 2) a->strides[0] = v[0], a->strides[1] = v[1];
    else if (k >= 0) return unsupported(x, "strides other than 2-D");
    k = onnx_attr_ints(x->n, "dilations", v, 4);
    if (k == 2) a->dilations[0] = v[0], a->dilations[1] = v[1];
    else if (k >= 0) return unsupported(x, "dilations other than 2-D");
    k = onnx_attr_ints(x->n, "pads", v, 4);
    if (k == 4) memcpy(a->pads, v, sizeof v);
    else if (k >= 0) return unsupported(x, "pads other than 2-D");
    for (int i = 0; i < 4; i++)
        if (a->pads[i] < 0 || a->pads[i] > 1 << 20) return unsupported(x, "negative or absurd pads");
    for (int i = 0; i < 2; i++)
        if (a->strides[i] < 1 || a->dilations[i] < 1 || a->strides[i] > 1 << 20 || a->dilations[i] > 1 << 20)
            return unsupported(x, "strides or dilations below 1 or absurd");
    char ap[32];
    onnx_attr_str(x->n, "auto_pad", ap, sizeof ap);
    const qb_net_tensor *in = T(x, 0);
    if (strcmp(ap, "VALID") == 0) {
        memset(a->pads, 0, sizeof a->pads);
    } else if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
        if (in->ndim != 4) return unsupported(x, "a non-4-D input");
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
        return unsupported(x, "this auto_pad");
    }
    return QB_OK;
}

/* Fuse a ReLU or Clip into the conv or Gemm that computes its only input. */
static bool fuse_act(const node_in *x, qb_net_op act, float lo, float hi)
{
    onnx_ctx *c = x->c;
    const int t = x->in[0];
    if (t < 0 || c->tensor_uses[t] != 1 || c->g->tensors[t].is_output) return false;
    const int p = c->tensor_producer[t];
    if (p < 0) return false;
    qb_net_node *pn = &c->g->nodes[p];
    if ((pn->op != QB_NOP_CONV && pn->op != QB_NOP_GEMM) || pn->attr.fused_act) return false;
    pn->attr.fused_act = act;
    pn->attr.clip_min = lo;
    pn->attr.clip_max = hi;
    return onnx_alias(c, x->out, t) == QB_OK;
}

static int conv(const node_in *x)
{
    int rc = need(x, 2);
    if (rc) return rc;
    const qb_net_tensor *w = T(x, 1), *b = T(x, 2);
    if (T(x, 0)->ndim != 4 || w->ndim != 4) return unsupported(x, "other than 2-D (NCHW) data");
    if (!is_const(w) || w->type != QB_NT_F32) return unsupported(x, "weights that are not a float constant");
    if (b && (!is_const(b) || b->type != QB_NT_F32)) return unsupported(x, "a bias that is not a float constant");
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.group = onnx_attr_int(x->n, "group", 1);
    if (a.group < 1 || a.group > 1 << 20) return unsupported(x, "group below 1 or absurd");
    if (w->dims[2] > 1 << 20 || w->dims[3] > 1 << 20) return unsupported(x, "an absurd kernel");
    const long kernel[2] = {w->dims[2], w->dims[3]};
    if ((rc = spatial(x, &a, kernel))) return rc;
    return emit(x, QB_NOP_CONV, x->in, b ? 3 : 2, &a);
}

static int pool(const node_in *x, qb_net_op op)
{
    int rc = need(x, 1);
    if (rc) return rc;
    if (x->n->n_output > 1 && *x->n->output[1]) return unsupported(x, "the Indices output");
    if (T(x, 0)->ndim != 4) return unsupported(x, "other than 2-D (NCHW) data");
    qb_net_attr a;
    qb_net_attr_init(&a);
    long k[4];
    if (onnx_attr_ints(x->n, "kernel_shape", k, 4) != 2) return unsupported(x, "a kernel_shape other than 2-D");
    a.kernel[0] = k[0];
    a.kernel[1] = k[1];
    if (k[0] < 1 || k[1] < 1 || k[0] > 1 << 20 || k[1] > 1 << 20) return unsupported(x, "an empty or absurd kernel");
    if ((rc = spatial(x, &a, k))) return rc;
    a.ceil_mode = onnx_attr_int(x->n, "ceil_mode", 0) != 0;
    a.count_include_pad = onnx_attr_int(x->n, "count_include_pad", 0) != 0;
    return emit(x, op, x->in, 1, &a);
}

/* Batch norm straight after a conv whose output nothing else reads: folded
 * into the conv's weights and bias (w' = w s, b' = (b - mean) s + beta with
 * s = gamma / sqrt(var + eps)). 1 when folded, 0 when not, <0 on error. */
static int fold_bn(const node_in *x, float eps)
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
        const qb_net_tensor *q = T(x, 1 + i);
        if (!is_const(q) || q->type != QB_NT_F32 || qb_net_numel(q) != k) return 0;
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
        for (long i = 0; i < per; i++) wd[o * per + i] *= s;
        bd[o] = (bd[o] - p[2][o]) * s + p[1][o];
    }
    const int rc = onnx_alias(c, x->out, t);
    return rc ? rc : 1;
}

static int batchnorm(const node_in *x)
{
    int rc = need(x, 5);
    if (rc) return rc;
    if (onnx_attr_int(x->n, "training_mode", 0)) return unsupported(x, "training_mode");
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.epsilon = onnx_attr_float(x->n, "epsilon", 1e-5f);
    rc = fold_bn(x, a.epsilon);
    if (rc) return rc < 0 ? rc : QB_OK;
    for (int i = 1; i < 5; i++)
        if (!is_const(T(x, i))) return unsupported(x, "parameters that are not constants");
    return emit(x, QB_NOP_BATCHNORM, x->in, 5, &a);
}

static int clip(const node_in *x)
{
    int rc = need(x, 1);
    if (rc) return rc;
    float lo = -FLT_MAX, hi = FLT_MAX;
    if (x->c->opset < 11) {
        lo = onnx_attr_float(x->n, "min", lo);
        hi = onnx_attr_float(x->n, "max", hi);
    } else {
        for (int i = 1; i < 3; i++) {
            const qb_net_tensor *b = T(x, i);
            if (!b) continue;
            if (!is_const(b) || qb_net_numel(b) != 1 || b->type != QB_NT_F32)
                return unsupported(x, "bounds that are not float constants");
            *(i == 1 ? &lo : &hi) = *(const float *)b->data;
        }
    }
    if (fuse_act(x, QB_NOP_CLIP, lo, hi)) return QB_OK;
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.clip_min = lo;
    a.clip_max = hi;
    return emit(x, QB_NOP_CLIP, x->in, 1, &a);
}

static int gemm(const node_in *x)
{
    int rc = need(x, 2);
    if (rc) return rc;
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.alpha = onnx_attr_float(x->n, "alpha", 1);
    a.beta = onnx_attr_float(x->n, "beta", 1);
    a.trans_a = onnx_attr_int(x->n, "transA", 0) != 0;
    a.trans_b = onnx_attr_int(x->n, "transB", 0) != 0;
    return emit(x, QB_NOP_GEMM, x->in, T(x, 2) ? 3 : 2, &a);
}

static int axis_node(const node_in *x, qb_net_op op, long def, int nin)
{
    int rc = need(x, nin);
    if (rc) return rc;
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.axis = onnx_attr_int(x->n, "axis", def);
    return emit(x, op, x->in, nin, &a);
}

static int softmax(const node_in *x)
{
    int rc = need(x, 1);
    if (rc) return rc;
    const int r = T(x, 0)->ndim;
    long axis = onnx_attr_int(x->n, "axis", x->c->opset >= 13 ? -1 : 1);
    if (axis < 0) axis += r;
    /* before opset 13 the input was flattened to 2-D at axis: the same as a
     * softmax along it only when it is the last */
    if (x->c->opset < 13 && axis != r - 1) return unsupported(x, "an axis before the last (opset < 13)");
    return axis_node(x, QB_NOP_SOFTMAX, axis, 1);
}

static int layernorm(const node_in *x)
{
    int rc = need(x, 2);
    if (rc) return rc;
    for (size_t i = 1; i < x->n->n_output; i++) {
        const onnx_value *v = onnx_names_get(&x->c->names, x->n->output[i], false);
        if (v && v->uses) return unsupported(x, "its Mean or InvStdDev output read");
    }
    const int r = T(x, 0)->ndim;
    long axis = onnx_attr_int(x->n, "axis", -1);
    if (axis < 0) axis += r;
    if (axis != r - 1) return unsupported(x, "an axis before the last");
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.axis = axis;
    a.epsilon = onnx_attr_float(x->n, "epsilon", 1e-5f);
    return emit(x, QB_NOP_LAYERNORM, x->in, T(x, 2) ? 3 : 2, &a);
}

static int reshape(const node_in *x)
{
    int rc = need(x, 2);
    if (rc) return rc;
    const qb_net_tensor *s = T(x, 1);
    if (!is_const(s) || s->type != QB_NT_I64) return unsupported(x, "a shape that is not a constant");
    if (onnx_attr_int(x->n, "allowzero", 0)) return unsupported(x, "allowzero");
    return emit(x, QB_NOP_RESHAPE, x->in, 2, NULL);
}

static int transpose(const node_in *x)
{
    int rc = need(x, 1);
    if (rc) return rc;
    qb_net_attr a;
    qb_net_attr_init(&a);
    const int k = onnx_attr_ints(x->n, "perm", a.perm, QB_NET_MAXDIM);
    if (k > QB_NET_MAXDIM) return unsupported(x, "more than 8 dimensions");
    a.nperm = k < 0 ? 0 : k;
    return emit(x, QB_NOP_TRANSPOSE, x->in, 1, &a);
}

static int concat(const node_in *x)
{
    for (int i = 0; i < x->nin; i++)
        if (!T(x, i)) return unsupported(x, "an omitted input");
    return axis_node(x, QB_NOP_CONCAT, onnx_attr_int(x->n, "axis", 0), x->nin);
}

static int lstm(const node_in *x)
{
    int rc = need(x, 3);
    if (rc) return rc;
    char dir[32];
    onnx_attr_str(x->n, "direction", dir, sizeof dir);
    if (*dir && strcmp(dir, "forward") != 0) return unsupported(x, "direction other than forward");
    if (onnx_attr_int(x->n, "layout", 0)) return unsupported(x, "layout 1 (batch first)");
    if (onnx_attr(x->n, "clip") || onnx_attr_int(x->n, "input_forget", 0) || onnx_attr(x->n, "activations"))
        return unsupported(x, "clip, input_forget or other activations");
    for (size_t i = 1; i < x->n->n_output; i++) {
        const onnx_value *v = onnx_names_get(&x->c->names, x->n->output[i], false);
        if (v && v->uses) return unsupported(x, "its Y_h or Y_c output read");
    }
    for (int i = 1; i < x->nin; i++)
        if (T(x, i) && !is_const(T(x, i))) return unsupported(x, "inputs after X that are not constants");
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.hidden = onnx_attr_int(x->n, "hidden_size", 0);
    return emit(x, QB_NOP_LSTM, x->in, x->nin, &a);
}

/* Squeeze and Unsqueeze of an activation: a no-copy reshape, or nothing for
 * the direction axis of an LSTM's output (the graph's LSTM has none). */
static int squeeze(const node_in *x, bool un)
{
    int rc = need(x, 1);
    if (rc) return rc;
    onnx_ctx *c = x->c;
    const qb_net_tensor *in = T(x, 0);
    long axes[QB_NET_MAXDIM + 1];
    int na;
    if (x->nin >= 2 && T(x, 1)) {
        const qb_net_tensor *t = T(x, 1);
        if (!is_const(t) || t->type != QB_NT_I64 || qb_net_numel(t) > QB_NET_MAXDIM)
            return unsupported(x, "axes that are not a constant");
        na = (int)qb_net_numel(t);
        for (int i = 0; i < na; i++) axes[i] = (long)((const int64_t *)t->data)[i];
    } else {
        na = onnx_attr_ints(x->n, "axes", axes, QB_NET_MAXDIM);
        if (na > QB_NET_MAXDIM) return unsupported(x, "more than 8 axes");
    }
    const int p = c->tensor_producer[x->in[0]];
    if (!un && na == 1 && axes[0] == 1 && p >= 0 && c->g->nodes[p].op == QB_NOP_LSTM)
        return onnx_alias(c, x->out, x->in[0]);
    long dims[QB_NET_MAXDIM];
    int nd = 0;
    if (un) {
        const int r = in->ndim + (na > 0 ? na : 0);
        if (na <= 0 || r > QB_NET_MAXDIM) return unsupported(x, "these axes");
        bool one[QB_NET_MAXDIM] = {false};
        for (int i = 0; i < na; i++) {
            const long a = axes[i] < 0 ? axes[i] + r : axes[i];
            if (a < 0 || a >= r || one[a]) return unsupported(x, "these axes");
            one[a] = true;
        }
        for (int i = 0, j = 0; i < r; i++) dims[nd++] = one[i] ? 1 : in->dims[j++];
    } else {
        bool drop[QB_NET_MAXDIM] = {false};
        for (int i = 0; i < in->ndim; i++) drop[i] = na < 0 && in->dims[i] == 1;
        for (int i = 0; i < na; i++) {
            const long a = axes[i] < 0 ? axes[i] + in->ndim : axes[i];
            if (a < 0 || a >= in->ndim || in->dims[a] != 1) return unsupported(x, "these axes");
            drop[a] = true;
        }
        for (int i = 0; i < in->ndim; i++)
            if (!drop[i]) dims[nd++] = in->dims[i];
    }
    const int t = onnx_new_tensor(c, x->out, QB_NT_F32, nd, dims, NULL);
    if (t < 0) return t;
    const int ni = qb_net_add_node(c->g, x->name, QB_NOP_RESHAPE, x->in, 1, t, NULL);
    if (ni < 0) return QB_ENOMEM;
    c->tensor_producer[t] = ni;
    rc = qb_net_infer_node(c->g, ni);
    if (!rc) return QB_OK;
    char why[512];
    snprintf(why, sizeof why, "%s", qb_last_error(rc));
    return qb_fail(rc, "%s: %s", c->what, why);
}

/* Scales and zero points of QuantizeLinear/DequantizeLinear (inputs 1 and 2)
 * onto tensor t, quantized along `axis`. */
static int attach_scale(const node_in *x, qb_net_tensor *t)
{
    const qb_net_tensor *s = T(x, 1), *z = T(x, 2);
    if (!is_const(s) || s->type != QB_NT_F32 || s->ndim > 1) return unsupported(x, "a scale that is not a float constant");
    const long ns = qb_net_numel(s);
    if (z && (!is_const(z) || qb_net_numel(z) != ns || z->type == QB_NT_F32 || z->type == QB_NT_I64))
        return unsupported(x, "a zero point that does not match the scale");
    long axis = onnx_attr_int(x->n, "axis", 1);
    if (axis < 0) axis += t->ndim;
    if (ns > 1 && (axis < 0 || axis >= t->ndim || t->dims[axis] != ns))
        return unsupported(x, "per-axis scales that do not match the axis");
    if (t->nscale) return QB_OK; /* the first pair's scales stay */
    float *sc = malloc(sizeof *sc * (size_t)ns);
    int32_t *zp = malloc(sizeof *zp * (size_t)ns);
    if (!sc || !zp) {
        free(sc);
        free(zp);
        return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
    }
    for (long i = 0; i < ns; i++) {
        sc[i] = ((const float *)s->data)[i];
        zp[i] = 0;
        if (!z) continue;
        switch (z->type) {
        case QB_NT_I8: zp[i] = ((const int8_t *)z->data)[i]; break;
        case QB_NT_U8: zp[i] = ((const uint8_t *)z->data)[i]; break;
        default: zp[i] = ((const int32_t *)z->data)[i]; break;
        }
    }
    t->scale = sc;
    t->zero_point = zp;
    t->nscale = ns;
    t->qaxis = ns > 1 ? (int)axis : 0;
    t->qtype = z ? z->type : QB_NT_U8;
    return QB_OK;
}

/* QuantizeLinear and DequantizeLinear: the scales go onto the tensor and the
 * output stands for the input; a quantized constant is dequantized to
 * floats, its integers kept beside them. */
static int qdq(const node_in *x, bool dequant)
{
    int rc = need(x, 2);
    if (rc) return rc;
    onnx_ctx *c = x->c;
    qb_net_tensor *t = T(x, 0);
    const bool quantized = t->type == QB_NT_I8 || t->type == QB_NT_U8 || t->type == QB_NT_I32;
    if (!dequant || !is_const(t) || !quantized) {
        if ((rc = attach_scale(x, t))) return rc;
        return onnx_alias(c, x->out, x->in[0]);
    }
    const qb_net_type qt = t->type;
    if ((rc = attach_scale(x, t))) return rc;
    t = T(x, 0);
    const long n = qb_net_numel(t);
    float *f = malloc(sizeof *f * (size_t)n + 1);
    if (!f) return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
    long inner = 1;
    for (int i = t->qaxis + 1; i < t->ndim; i++) inner *= t->dims[i];
    const long nch = t->nscale;
    for (long i = 0; i < n; i++) {
        const long ch = nch > 1 ? (i / inner) % nch : 0;
        long q;
        switch (qt) {
        case QB_NT_I8: q = ((const int8_t *)t->data)[i]; break;
        case QB_NT_U8: q = ((const uint8_t *)t->data)[i]; break;
        default: q = ((const int32_t *)t->data)[i]; break;
        }
        f[i] = (float)(q - t->zero_point[ch]) * t->scale[ch];
    }
    if (c->tensor_uses[x->in[0]] == 1) { /* in place: the integers move to qdata */
        t->qdata = t->data;
        t->qtype = qt;
        t->data = f;
        t->type = QB_NT_F32;
        return onnx_alias(c, x->out, x->in[0]);
    }
    const int nt = onnx_new_tensor(c, x->out, QB_NT_F32, t->ndim, t->dims, f);
    if (nt < 0) return nt;
    qb_net_tensor *d = &c->g->tensors[nt], *src = T(x, 0);
    const size_t qb = (size_t)n * qb_net_type_bytes(qt);
    d->qdata = malloc(qb + 1);
    d->scale = malloc(sizeof(float) * (size_t)src->nscale);
    d->zero_point = malloc(sizeof(int32_t) * (size_t)src->nscale);
    if (!d->qdata || !d->scale || !d->zero_point) return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
    memcpy(d->qdata, src->data, qb);
    memcpy(d->scale, src->scale, sizeof(float) * (size_t)src->nscale);
    memcpy(d->zero_point, src->zero_point, sizeof(int32_t) * (size_t)src->nscale);
    d->qtype = qt;
    d->nscale = src->nscale;
    d->qaxis = src->qaxis;
    return QB_OK;
}

static int constant(const node_in *x)
{
    const Onnx__AttributeProto *a = onnx_attr(x->n, "value");
    qb_net_type type;
    int ndim = 0;
    long dims[QB_NET_MAXDIM];
    void *data = NULL;
    if (a && a->t) {
        int rc = onnx_tensor_take(x->c, a->t, &type, &ndim, dims, &data);
        if (rc) return rc;
    } else if ((a = onnx_attr(x->n, "value_float")) && a->has_f) {
        type = QB_NT_F32;
        float *f = malloc(sizeof *f);
        if (f) *f = a->f;
        data = f;
    } else if ((a = onnx_attr(x->n, "value_int")) && a->has_i) {
        type = QB_NT_I64;
        int64_t *v = malloc(sizeof *v);
        if (v) *v = a->i;
        data = v;
    } else if ((a = onnx_attr(x->n, "value_ints"))) {
        type = QB_NT_I64;
        ndim = 1;
        dims[0] = (long)a->n_ints;
        int64_t *v = malloc(sizeof *v * (a->n_ints + 1));
        if (v && a->n_ints) memcpy(v, a->ints, sizeof *v * a->n_ints);
        data = v;
    } else if ((a = onnx_attr(x->n, "value_floats"))) {
        type = QB_NT_F32;
        ndim = 1;
        dims[0] = (long)a->n_floats;
        float *v = malloc(sizeof *v * (a->n_floats + 1));
        if (v && a->n_floats) memcpy(v, a->floats, sizeof *v * a->n_floats);
        data = v;
    } else {
        return unsupported(x, "a value of this kind");
    }
    if (!data) return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
    const int t = onnx_new_tensor(x->c, x->out, type, ndim, dims, data);
    return t < 0 ? t : QB_OK;
}

static const struct {
    const char *op;
    qb_net_op kind;
} simple[] = {
    {"MatMul", QB_NOP_MATMUL}, {"Add", QB_NOP_ADD}, {"Sub", QB_NOP_SUB}, {"Mul", QB_NOP_MUL},
    {"Div", QB_NOP_DIV}, {"Sigmoid", QB_NOP_SIGMOID}, {"Tanh", QB_NOP_TANH}, {"Erf", QB_NOP_ERF},
    {"GlobalAveragePool", QB_NOP_GLOBALAVGPOOL},
};

int onnx_node(onnx_ctx *c, int ni, const int *in, int nin)
{
    const Onnx__NodeProto *n = c->gp->node[ni];
    char buf[64];
    node_in x = {c, n, ni, onnx_node_name(c, ni, buf, sizeof buf), n->op_type ? n->op_type : "", NULL, in, nin};
    if (!n->n_output) return qb_fail(QB_EINPUT, "%s: node %s (%s) has no output", c->what, x.name, x.op);
    if (!*n->output[0]) return unsupported(&x, "its first output left out");
    x.out = n->output[0];
    const onnx_value *ov = onnx_names_get(&c->names, x.out, false);
    if (ov && ov->tensor >= 0)
        return qb_fail(QB_EINPUT, "%s: node %s writes %s, which is already defined", c->what, x.name, x.out);
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0) return unsupported(&x, NULL);
    const char *op = x.op;
    if (c->gelu_x[ni]) {
        if (!T(&x, 0)) return need(&x, 1);
        c->tensor_uses[in[0]]--; /* the pattern read x twice, the GELU once */
        return emit(&x, QB_NOP_GELU, in, 1, NULL);
    }
    if (strcmp(op, "Identity") == 0 || strcmp(op, "Dropout") == 0) {
        int rc = need(&x, 1);
        return rc ? rc : onnx_alias(c, x.out, in[0]);
    }
    if (strcmp(op, "Constant") == 0) return constant(&x);
    if (strcmp(op, "QuantizeLinear") == 0) return qdq(&x, false);
    if (strcmp(op, "DequantizeLinear") == 0) return qdq(&x, true);
    int rc;
    if (onnx_fold(c, n, in, nin, &rc) >= 0 || rc) return rc;
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (strcmp(op, simple[i].op) == 0) {
            const int k = simple[i].kind <= QB_NOP_DIV ? 2 : 1;
            rc = need(&x, k);
            return rc ? rc : emit(&x, simple[i].kind, in, k, NULL);
        }
    if (strcmp(op, "Conv") == 0) return conv(&x);
    if (strcmp(op, "Gemm") == 0) return gemm(&x);
    if (strcmp(op, "Relu") == 0) {
        rc = need(&x, 1);
        if (rc || fuse_act(&x, QB_NOP_RELU, 0, FLT_MAX)) return rc;
        return emit(&x, QB_NOP_RELU, in, 1, NULL);
    }
    if (strcmp(op, "Clip") == 0) return clip(&x);
    if (strcmp(op, "Gelu") == 0) { /* opset 20's own GELU: the erf form only */
        char approx[16];
        onnx_attr_str(n, "approximate", approx, sizeof approx);
        if (*approx && strcmp(approx, "none") != 0) return unsupported(&x, "approximate=tanh");
        rc = need(&x, 1);
        return rc ? rc : emit(&x, QB_NOP_GELU, in, 1, NULL);
    }
    if (strcmp(op, "MaxPool") == 0) return pool(&x, QB_NOP_MAXPOOL);
    if (strcmp(op, "AveragePool") == 0) return pool(&x, QB_NOP_AVGPOOL);
    if (strcmp(op, "BatchNormalization") == 0) return batchnorm(&x);
    if (strcmp(op, "LayerNormalization") == 0) return layernorm(&x);
    if (strcmp(op, "Softmax") == 0) return softmax(&x);
    if (strcmp(op, "Flatten") == 0) return axis_node(&x, QB_NOP_FLATTEN, 1, 1);
    if (strcmp(op, "Reshape") == 0) return reshape(&x);
    if (strcmp(op, "Transpose") == 0) return transpose(&x);
    if (strcmp(op, "Concat") == 0) return concat(&x);
    if (strcmp(op, "Gather") == 0) return axis_node(&x, QB_NOP_GATHER, 0, 2);
    if (strcmp(op, "LSTM") == 0) return lstm(&x);
    if (strcmp(op, "Squeeze") == 0) return squeeze(&x, false);
    if (strcmp(op, "Unsqueeze") == 0) return squeeze(&x, true);
    return unsupported(&x, NULL);
}
