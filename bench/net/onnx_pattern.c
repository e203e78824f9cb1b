/* Chains of ONNX nodes that compute one graph node, as exporters write
 * them. Every intermediate value must be read by the next step only; the
 * chain's nodes are absorbed and its last node becomes the one node.
 *
 * The Erf form of GELU, x * 0.5 * (1 + erf(x / sqrt 2)): Div(x, sqrt 2) or
 * Mul(x, 1/sqrt 2), Erf, Add 1, then a multiply by x and one by 0.5 in
 * either order. */
#include "onnx_import.h"

#include "error.h"

#include <math.h>
#include <string.h>

static const Onnx__NodeProto *node_of(const onnx_ctx *c, int i)
{
    return i >= 0 && (size_t)i < c->gp->n_node ? c->gp->node[i] : NULL;
}

static bool is_op(const Onnx__NodeProto *n, const char *op, size_t nin)
{
    return n && n->op_type && strcmp(n->op_type, op) == 0 && n->n_input == nin &&
           n->n_output >= 1 && *n->output[0];
}

/* The value's use count and its one reader. */
static const onnx_value *value(onnx_ctx *c, const char *name)
{
    return onnx_names_get(&c->names, name, false);
}

static bool is_const(onnx_ctx *c, const char *name, double want, double tol)
{
    const onnx_value *v = value(c, name);
    double x;
    return v && v->init && onnx_tensor_scalar(v->init, &x) && fabs(x - want) <= tol;
}

/* For a binary node with constant `want` on one side: the other input, or NULL. */
static const char *other_than_const(onnx_ctx *c, const Onnx__NodeProto *n, double want, double tol)
{
    if (is_const(c, n->input[1], want, tol)) return n->input[0];
    if (is_const(c, n->input[0], want, tol)) return n->input[1];
    return NULL;
}

/* The node reading value `name`, when it is the only reader. */
static int sole_reader(onnx_ctx *c, const char *name)
{
    const onnx_value *v = value(c, name);
    return v && v->uses == 1 ? v->consumer : -1;
}

static void match_gelu(onnx_ctx *c, int erf)
{
    const Onnx__NodeProto *e = c->gp->node[erf];
    if (!is_op(e, "Erf", 1)) return;
    const onnx_value *vb = value(c, e->input[0]);
    if (!vb || vb->uses != 1) return;
    const int di = vb->producer;
    const Onnx__NodeProto *d = node_of(c, di);
    const char *x = NULL;
    if (is_op(d, "Div", 2) && is_const(c, d->input[1], sqrt(2.0), 1e-3))
        x = d->input[0];
    else if (is_op(d, "Mul", 2))
        x = other_than_const(c, d, sqrt(0.5), 1e-3);
    if (!x) return;
    const int ai = sole_reader(c, e->output[0]);
    const Onnx__NodeProto *a = node_of(c, ai);
    if (!is_op(a, "Add", 2) || !other_than_const(c, a, 1.0, 1e-6)) return;
    const int mi = sole_reader(c, a->output[0]);
    const Onnx__NodeProto *m = node_of(c, mi);
    if (!is_op(m, "Mul", 2)) return;
    const char *other = strcmp(m->input[0], a->output[0]) == 0 ? m->input[1] : m->input[0];
    int last, half;
    if (strcmp(other, x) == 0) { /* (x * (1 + erf)) * 0.5 */
        last = sole_reader(c, m->output[0]);
        const Onnx__NodeProto *l = node_of(c, last);
        if (!is_op(l, "Mul", 2) || !other_than_const(c, l, 0.5, 1e-6)) return;
        half = mi;
    } else { /* (x * 0.5) * (1 + erf) */
        const onnx_value *vh = value(c, other);
        if (!vh || vh->uses != 1) return;
        half = vh->producer;
        const Onnx__NodeProto *h = node_of(c, half);
        if (!is_op(h, "Mul", 2)) return;
        const char *hx = other_than_const(c, h, 0.5, 1e-6);
        if (!hx || strcmp(hx, x) != 0) return;
        last = mi;
    }
    c->absorbed[di] = c->absorbed[erf] = c->absorbed[ai] = c->absorbed[half] = true;
    c->absorbed[last] = false;
    c->fused[last] = (onnx_fused){QB_NOP_GELU, {x}, 1, 0};
}

/* Node i when it is a ReduceMean over the last axis (attribute before opset
 * 18, input after) that keeps that axis, else NULL. */
static const Onnx__NodeProto *mean_last(onnx_ctx *c, int i)
{
    const Onnx__NodeProto *n = node_of(c, i);
    if (!n || !n->op_type || strcmp(n->op_type, "ReduceMean") != 0 || !n->n_output ||
        !*n->output[0])
        return NULL;
    if (onnx_attr_int(n, "keepdims", 1) != 1) return NULL;
    long axes[2];
    if (n->n_input == 1) {
        if (onnx_attr_ints(n, "axes", axes, 2) != 1 || axes[0] != -1) return NULL;
    } else if (n->n_input != 2 || !is_const(c, n->input[1], -1, 0)) {
        return NULL;
    }
    return n;
}

/* Layer norm over the last axis as exporters spell it before opset 17:
 * m = ReduceMean(x), d = x - m, v = ReduceMean(d^2) (Pow 2 or d*d),
 * y = d / Sqrt(v + eps) * gamma + beta, with gamma and beta constants.
 * Found from its Sqrt; becomes one LayerNormalization node at the final Add. */
static void match_layernorm(onnx_ctx *c, int sqrt_i)
{
    const Onnx__NodeProto *sq = c->gp->node[sqrt_i];
    if (!is_op(sq, "Sqrt", 1)) return;
    const onnx_value *ve = value(c, sq->input[0]);
    if (!ve || ve->uses != 1) return;
    const int ei = ve->producer;
    const Onnx__NodeProto *e = node_of(c, ei);
    if (!is_op(e, "Add", 2)) return;
    const onnx_value *ce = value(c, e->input[1]);
    const bool eps_second = ce && ce->init;
    const char *vname = eps_second ? e->input[0] : e->input[1];
    double eps;
    const onnx_value *cv = value(c, eps_second ? e->input[1] : e->input[0]);
    if (!cv || !cv->init || !onnx_tensor_scalar(cv->init, &eps) || !(eps >= 0 && eps < 1)) return;
    const onnx_value *vv = value(c, vname);
    if (!vv || vv->uses != 1) return;
    const int vi = vv->producer;
    const Onnx__NodeProto *v = mean_last(c, vi);
    if (!v) return;
    const onnx_value *vp = value(c, v->input[0]);
    if (!vp || vp->uses != 1) return;
    const int pi = vp->producer;
    const Onnx__NodeProto *p = node_of(c, pi);
    const char *d;
    int d_uses;
    if (is_op(p, "Pow", 2) && is_const(c, p->input[1], 2.0, 1e-6)) {
        d = p->input[0];
        d_uses = 2;
    } else if (is_op(p, "Mul", 2) && strcmp(p->input[0], p->input[1]) == 0) {
        d = p->input[0];
        d_uses = 3;
    } else {
        return;
    }
    const onnx_value *vd = value(c, d);
    if (!vd || vd->uses != d_uses) return;
    const int si = vd->producer;
    const Onnx__NodeProto *sb = node_of(c, si);
    if (!is_op(sb, "Sub", 2)) return;
    const char *x = sb->input[0];
    const onnx_value *vm = value(c, sb->input[1]);
    if (!vm || vm->uses != 1) return;
    const int mi = vm->producer;
    const Onnx__NodeProto *m = mean_last(c, mi);
    if (!m || strcmp(m->input[0], x) != 0) return;
    /* d / sqrt: the Sqrt's one reader divides d by it */
    const int di = sole_reader(c, sq->output[0]);
    const Onnx__NodeProto *dv = node_of(c, di);
    if (!is_op(dv, "Div", 2) || strcmp(dv->input[0], d) != 0 ||
        strcmp(dv->input[1], sq->output[0]) != 0)
        return;
    const int gi = sole_reader(c, dv->output[0]);
    const Onnx__NodeProto *g = node_of(c, gi);
    if (!is_op(g, "Mul", 2)) return;
    const char *gamma = strcmp(g->input[0], dv->output[0]) == 0 ? g->input[1] : g->input[0];
    const int bi = sole_reader(c, g->output[0]);
    const Onnx__NodeProto *b = node_of(c, bi);
    if (!is_op(b, "Add", 2)) return;
    const char *beta = strcmp(b->input[0], g->output[0]) == 0 ? b->input[1] : b->input[0];
    const onnx_value *vg = value(c, gamma), *vb = value(c, beta);
    if (!vg || !vg->init || !vb || !vb->init) return;
    const int chain[] = {mi, si, pi, vi, ei, sqrt_i, di, gi};
    for (size_t k = 0; k < sizeof chain / sizeof chain[0]; k++)
        c->absorbed[chain[k]] = true;
    c->fused[bi] = (onnx_fused){QB_NOP_LAYERNORM, {x, gamma, beta}, 3, (float)eps};
}

int onnx_find_patterns(onnx_ctx *c)
{
    for (size_t i = 0; i < c->gp->n_node; i++) {
        match_gelu(c, (int)i);
        match_layernorm(c, (int)i);
    }
    return QB_OK;
}
