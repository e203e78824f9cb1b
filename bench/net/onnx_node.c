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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int onnx_unsupported(const onnx_node_in *x, const char *why)
{
    qb_fail(QB_EINPUT, "%s: node %s: op type %s%s%s is not supported%s", x->c->what, x->name, x->op,
            why ? " with " : "", why ? why : "",
            x->c->o->skip_unsupported ? "" : " (--skip-unsupported leaves it out)");
    return ONNX_UNSUPPORTED;
}

qb_net_tensor *onnx_in(const onnx_node_in *x, int i)
{
    return i < x->nin && x->in[i] >= 0 ? &x->c->g->tensors[x->in[i]] : NULL;
}

int onnx_need(const onnx_node_in *x, int k)
{
    for (int i = 0; i < k; i++)
        if (!onnx_in(x, i))
            return qb_fail(QB_EINPUT, "%s: node %s (%s) lacks input %d", x->c->what, x->name, x->op,
                           i);
    return QB_OK;
}

int onnx_emit_node(const onnx_node_in *x, qb_net_op op, const int *in, int nin,
                   const qb_net_attr *a)
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

/* Fuse a ReLU or Clip into the conv or Gemm that computes its only input. */
static bool fuse_act(const onnx_node_in *x, qb_net_op act, float lo, float hi)
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

static int clip(const onnx_node_in *x)
{
    int rc = onnx_need(x, 1);
    if (rc) return rc;
    float lo = -FLT_MAX, hi = FLT_MAX;
    if (x->c->opset < 11) {
        lo = onnx_attr_float(x->n, "min", lo);
        hi = onnx_attr_float(x->n, "max", hi);
    } else {
        for (int i = 1; i < 3; i++) {
            const qb_net_tensor *b = onnx_in(x, i);
            if (!b) continue;
            if (!onnx_is_const(b) || qb_net_numel(b) != 1 || b->type != QB_NT_F32)
                return onnx_unsupported(x, "bounds that are not float constants");
            *(i == 1 ? &lo : &hi) = *(const float *)b->data;
        }
    }
    if (fuse_act(x, QB_NOP_CLIP, lo, hi)) return QB_OK;
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.clip_min = lo;
    a.clip_max = hi;
    return onnx_emit_node(x, QB_NOP_CLIP, x->in, 1, &a);
}

static int gemm(const onnx_node_in *x)
{
    int rc = onnx_need(x, 2);
    if (rc) return rc;
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.alpha = onnx_attr_float(x->n, "alpha", 1);
    a.beta = onnx_attr_float(x->n, "beta", 1);
    a.trans_a = onnx_attr_int(x->n, "transA", 0) != 0;
    a.trans_b = onnx_attr_int(x->n, "transB", 0) != 0;
    return onnx_emit_node(x, QB_NOP_GEMM, x->in, onnx_in(x, 2) ? 3 : 2, &a);
}

static int axis_node(const onnx_node_in *x, qb_net_op op, long def, int nin)
{
    int rc = onnx_need(x, nin);
    if (rc) return rc;
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.axis = onnx_attr_int(x->n, "axis", def);
    return onnx_emit_node(x, op, x->in, nin, &a);
}

static int softmax(const onnx_node_in *x)
{
    int rc = onnx_need(x, 1);
    if (rc) return rc;
    const int r = onnx_in(x, 0)->ndim;
    long axis = onnx_attr_int(x->n, "axis", x->c->opset >= 13 ? -1 : 1);
    if (axis < 0) axis += r;
    /* before opset 13 the input was flattened to 2-D at axis: the same as a
     * softmax along it only when it is the last */
    if (x->c->opset < 13 && axis != r - 1)
        return onnx_unsupported(x, "an axis before the last (opset < 13)");
    return axis_node(x, QB_NOP_SOFTMAX, axis, 1);
}

static int layernorm(const onnx_node_in *x)
{
    int rc = onnx_need(x, 2);
    if (rc) return rc;
    for (size_t i = 1; i < x->n->n_output; i++) {
        const onnx_value *v = onnx_names_get(&x->c->names, x->n->output[i], false);
        if (v && v->uses) return onnx_unsupported(x, "its Mean or InvStdDev output read");
    }
    const int r = onnx_in(x, 0)->ndim;
    long axis = onnx_attr_int(x->n, "axis", -1);
    if (axis < 0) axis += r;
    if (axis != r - 1) return onnx_unsupported(x, "an axis before the last");
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.axis = axis;
    a.epsilon = onnx_attr_float(x->n, "epsilon", 1e-5f);
    return onnx_emit_node(x, QB_NOP_LAYERNORM, x->in, onnx_in(x, 2) ? 3 : 2, &a);
}

static int reshape(const onnx_node_in *x)
{
    int rc = onnx_need(x, 2);
    if (rc) return rc;
    const qb_net_tensor *s = onnx_in(x, 1);
    if (!onnx_is_const(s) || s->type != QB_NT_I64)
        return onnx_unsupported(x, "a shape that is not a constant");
    if (onnx_attr_int(x->n, "allowzero", 0)) return onnx_unsupported(x, "allowzero");
    return onnx_emit_node(x, QB_NOP_RESHAPE, x->in, 2, NULL);
}

static int transpose(const onnx_node_in *x)
{
    int rc = onnx_need(x, 1);
    if (rc) return rc;
    qb_net_attr a;
    qb_net_attr_init(&a);
    const int k = onnx_attr_ints(x->n, "perm", a.perm, QB_NET_MAXDIM);
    if (k > QB_NET_MAXDIM) return onnx_unsupported(x, "more than 8 dimensions");
    a.nperm = k < 0 ? 0 : k;
    return onnx_emit_node(x, QB_NOP_TRANSPOSE, x->in, 1, &a);
}

static int concat(const onnx_node_in *x)
{
    for (int i = 0; i < x->nin; i++)
        if (!onnx_in(x, i)) return onnx_unsupported(x, "an omitted input");
    return axis_node(x, QB_NOP_CONCAT, onnx_attr_int(x->n, "axis", 0), x->nin);
}

static int lstm(const onnx_node_in *x)
{
    int rc = onnx_need(x, 3);
    if (rc) return rc;
    char dir[32];
    onnx_attr_str(x->n, "direction", dir, sizeof dir);
    if (*dir && strcmp(dir, "forward") != 0)
        return onnx_unsupported(x, "direction other than forward");
    if (onnx_attr_int(x->n, "layout", 0)) return onnx_unsupported(x, "layout 1 (batch first)");
    if (onnx_attr(x->n, "clip") || onnx_attr_int(x->n, "input_forget", 0) ||
        onnx_attr(x->n, "activations"))
        return onnx_unsupported(x, "clip, input_forget or other activations");
    for (size_t i = 1; i < x->n->n_output; i++) {
        const onnx_value *v = onnx_names_get(&x->c->names, x->n->output[i], false);
        if (v && v->uses) return onnx_unsupported(x, "its Y_h or Y_c output read");
    }
    for (int i = 1; i < x->nin; i++)
        if (onnx_in(x, i) && !onnx_is_const(onnx_in(x, i)))
            return onnx_unsupported(x, "inputs after X that are not constants");
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.hidden = onnx_attr_int(x->n, "hidden_size", 0);
    return onnx_emit_node(x, QB_NOP_LSTM, x->in, x->nin, &a);
}

/* Squeeze and Unsqueeze of an activation: a no-copy reshape, or nothing for
 * the direction axis of an LSTM's output (the graph's LSTM has none). */
static int squeeze(const onnx_node_in *x, bool un)
{
    int rc = onnx_need(x, 1);
    if (rc) return rc;
    onnx_ctx *c = x->c;
    const qb_net_tensor *in = onnx_in(x, 0);
    long axes[QB_NET_MAXDIM + 1];
    int na;
    if (x->nin >= 2 && onnx_in(x, 1)) {
        const qb_net_tensor *t = onnx_in(x, 1);
        if (!onnx_is_const(t) || t->type != QB_NT_I64 || qb_net_numel(t) > QB_NET_MAXDIM)
            return onnx_unsupported(x, "axes that are not a constant");
        na = (int)qb_net_numel(t);
        for (int i = 0; i < na; i++)
            axes[i] = (long)((const int64_t *)t->data)[i];
    } else {
        na = onnx_attr_ints(x->n, "axes", axes, QB_NET_MAXDIM);
        if (na > QB_NET_MAXDIM) return onnx_unsupported(x, "more than 8 axes");
    }
    const int p = c->tensor_producer[x->in[0]];
    if (!un && na == 1 && axes[0] == 1 && p >= 0 && c->g->nodes[p].op == QB_NOP_LSTM)
        return onnx_alias(c, x->out, x->in[0]);
    long dims[QB_NET_MAXDIM];
    int nd = 0;
    if (un) {
        const int r = in->ndim + (na > 0 ? na : 0);
        if (na <= 0 || r > QB_NET_MAXDIM) return onnx_unsupported(x, "these axes");
        bool one[QB_NET_MAXDIM] = {false};
        for (int i = 0; i < na; i++) {
            const long a = axes[i] < 0 ? axes[i] + r : axes[i];
            if (a < 0 || a >= r || one[a]) return onnx_unsupported(x, "these axes");
            one[a] = true;
        }
        for (int i = 0, j = 0; i < r; i++)
            dims[nd++] = one[i] ? 1 : in->dims[j++];
    } else {
        bool drop[QB_NET_MAXDIM] = {false};
        for (int i = 0; i < in->ndim; i++)
            drop[i] = na < 0 && in->dims[i] == 1;
        for (int i = 0; i < na; i++) {
            const long a = axes[i] < 0 ? axes[i] + in->ndim : axes[i];
            if (a < 0 || a >= in->ndim || in->dims[a] != 1)
                return onnx_unsupported(x, "these axes");
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

static int constant(const onnx_node_in *x)
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
        return onnx_unsupported(x, "a value of this kind");
    }
    if (!data) return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
    const int t = onnx_new_tensor(x->c, x->out, type, ndim, dims, data);
    return t < 0 ? t : QB_OK;
}

static const struct {
    const char *op;
    qb_net_op kind;
} simple[] = {
    {"MatMul", QB_NOP_MATMUL}, {"Add", QB_NOP_ADD}, {"Sub", QB_NOP_SUB},
    {"Mul", QB_NOP_MUL},       {"Div", QB_NOP_DIV}, {"Sigmoid", QB_NOP_SIGMOID},
    {"Tanh", QB_NOP_TANH},     {"Erf", QB_NOP_ERF}, {"GlobalAveragePool", QB_NOP_GLOBALAVGPOOL},
};

int onnx_node(onnx_ctx *c, int ni, const int *in, int nin)
{
    const Onnx__NodeProto *n = c->gp->node[ni];
    char buf[64];
    onnx_node_in x = {
        c,    n,  ni, onnx_node_name(c, ni, buf, sizeof buf), n->op_type ? n->op_type : "",
        NULL, in, nin};
    if (!n->n_output)
        return qb_fail(QB_EINPUT, "%s: node %s (%s) has no output", c->what, x.name, x.op);
    if (!*n->output[0]) return onnx_unsupported(&x, "its first output left out");
    x.out = n->output[0];
    const onnx_value *ov = onnx_names_get(&c->names, x.out, false);
    if (ov && ov->tensor >= 0)
        return qb_fail(QB_EINPUT, "%s: node %s writes %s, which is already defined", c->what,
                       x.name, x.out);
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0)
        return onnx_unsupported(&x, NULL);
    const char *op = x.op;
    const onnx_fused *f = &c->fused[ni];
    if (f->op) {
        int rc = onnx_need(&x, f->nin);
        if (rc) return rc;
        c->tensor_uses[in[0]]--; /* the chain read x twice, its node once */
        qb_net_attr a;
        qb_net_attr_init(&a);
        a.axis = -1;
        a.epsilon = f->epsilon;
        return onnx_emit_node(&x, f->op, in, f->nin, &a);
    }
    if (strcmp(op, "Identity") == 0 || strcmp(op, "Dropout") == 0) {
        int rc = onnx_need(&x, 1);
        return rc ? rc : onnx_alias(c, x.out, in[0]);
    }
    if (strcmp(op, "Constant") == 0) return constant(&x);
    if (strcmp(op, "QuantizeLinear") == 0) return onnx_qdq(&x, false);
    if (strcmp(op, "DequantizeLinear") == 0) return onnx_qdq(&x, true);
    int rc;
    if (onnx_fold(c, n, in, nin, &rc) >= 0 || rc) return rc;
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (strcmp(op, simple[i].op) == 0) {
            const int k = simple[i].kind <= QB_NOP_DIV ? 2 : 1;
            rc = onnx_need(&x, k);
            return rc ? rc : onnx_emit_node(&x, simple[i].kind, in, k, NULL);
        }
    if (strcmp(op, "Conv") == 0) return onnx_conv(&x);
    if (strcmp(op, "Gemm") == 0) return gemm(&x);
    if (strcmp(op, "Relu") == 0) {
        rc = onnx_need(&x, 1);
        if (rc || fuse_act(&x, QB_NOP_RELU, 0, FLT_MAX)) return rc;
        return onnx_emit_node(&x, QB_NOP_RELU, in, 1, NULL);
    }
    if (strcmp(op, "Clip") == 0) return clip(&x);
    if (strcmp(op, "Gelu") == 0) { /* opset 20's own GELU: the erf form only */
        char approx[16];
        onnx_attr_str(n, "approximate", approx, sizeof approx);
        if (*approx && strcmp(approx, "none") != 0) return onnx_unsupported(&x, "approximate=tanh");
        rc = onnx_need(&x, 1);
        return rc ? rc : onnx_emit_node(&x, QB_NOP_GELU, in, 1, NULL);
    }
    if (strcmp(op, "MaxPool") == 0) return onnx_pool(&x, QB_NOP_MAXPOOL);
    if (strcmp(op, "AveragePool") == 0) return onnx_pool(&x, QB_NOP_AVGPOOL);
    if (strcmp(op, "BatchNormalization") == 0) return onnx_batchnorm(&x);
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
    return onnx_unsupported(&x, NULL);
}
