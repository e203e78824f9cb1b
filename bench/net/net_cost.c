/* The work and traffic of one network node, by its kind: a multiply-add
 * counts 2 operations. */
#include "net_load.h"

static const qb_net_tensor *input(const qb_net_graph *g, const qb_net_node *n, int i)
{
    if (i >= n->nin || n->in[i] < 0 || n->in[i] >= g->ntensors) return NULL;
    return &g->tensors[n->in[i]];
}

static double numel(const qb_net_tensor *t)
{
    return t ? (double)qb_net_numel(t) : 0;
}

double qb_net_node_ops(const qb_net_graph *g, const qb_net_node *n)
{
    const qb_net_tensor *x = input(g, n, 0), *w = input(g, n, 1);
    const double out = numel(&g->tensors[n->out]);
    switch (n->op) {
    case QB_NOP_CONV: /* 2 N K OH OW (C/group) R S: the weights hold K x C/group x R x S */
        return w ? 2.0 * out * (double)w->dims[1] * (double)w->dims[2] * (double)w->dims[3] : 0;
    case QB_NOP_GEMM:
        if (!x) return 0;
        return 2.0 * out * (double)(n->attr.trans_a ? x->dims[0] : x->dims[1]);
    case QB_NOP_MATMUL:
        return x ? 2.0 * out * (double)x->dims[x->ndim - 1] : 0;
    case QB_NOP_MAXPOOL:
    case QB_NOP_AVGPOOL:
        return out * (double)n->attr.kernel[0] * (double)n->attr.kernel[1];
    case QB_NOP_GLOBALAVGPOOL:
        return numel(x);
    case QB_NOP_BATCHNORM:
        return 2.0 * out; /* scale and shift */
    case QB_NOP_LAYERNORM:
        return 7.0 * out; /* sum, subtract the mean, square and sum, 1/std, scale, shift */
    case QB_NOP_SOFTMAX:
        return 5.0 * out; /* max, subtract, exp, sum, divide */
    case QB_NOP_FLATTEN:
    case QB_NOP_RESHAPE:
    case QB_NOP_TRANSPOSE:
    case QB_NOP_CONCAT:
    case QB_NOP_GATHER:
        return 0; /* data movement only */
    case QB_NOP_LSTM: {
        /* per step and sequence: the gate products 2*4H*(I+H), their two
         * biases 8H, four gate activations 4H, the cell and hidden update 5H */
        if (!x || !w) return 0;
        const double h = (double)n->attr.hidden, in = (double)x->dims[2];
        const double steps = (double)x->dims[0] * (double)x->dims[1];
        return steps * (8.0 * h * (in + h) + 17.0 * h);
    }
    default:
        return out; /* elementwise: one operation per output element */
    }
}

double qb_net_node_bytes(const qb_net_graph *g, const qb_net_node *n, double elem)
{
    const double out = numel(&g->tensors[n->out]);
    switch (n->op) {
    case QB_NOP_FLATTEN:
    case QB_NOP_RESHAPE:
        return 0; /* no copy: the output aliases the input */
    case QB_NOP_GATHER: {
        /* the rows looked up, read and written, and the indices */
        const qb_net_tensor *idx = input(g, n, 1);
        return 2.0 * out * elem + (idx ? numel(idx) * (double)qb_net_type_bytes(idx->type) : 0);
    }
    default:
        break;
    }
    double b = out * elem;
    for (int i = 0; i < n->nin; i++) {
        const qb_net_tensor *t = input(g, n, i);
        if (!t) continue;
        b += numel(t) * (t->type == QB_NT_F32 ? elem : (double)qb_net_type_bytes(t->type));
    }
    return b;
}
