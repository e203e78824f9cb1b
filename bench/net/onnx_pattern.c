/* The Erf form of GELU, x * 0.5 * (1 + erf(x / sqrt 2)), as exporters write
 * it: Div(x, sqrt 2) or Mul(x, 1/sqrt 2), Erf, Add 1, then a multiply by x
 * and one by 0.5 in either order. Every intermediate value must be read by
 * the next step only; the whole chain becomes one GELU node at its last
 * multiply. */
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

static void match(onnx_ctx *c, int erf)
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
    c->gelu_x[last] = x;
}

int onnx_find_gelu(onnx_ctx *c)
{
    for (size_t i = 0; i < c->gp->n_node; i++)
        match(c, (int)i);
    return QB_OK;
}
