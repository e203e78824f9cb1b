/* The network graph's storage: growing tensor and node lists, names copied,
 * constant data owned. */
#include "net_graph.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

static const char *const op_names[QB_NOP_COUNT] = {
    [QB_NOP_CONV] = "Conv", [QB_NOP_GEMM] = "Gemm", [QB_NOP_MATMUL] = "MatMul",
    [QB_NOP_ADD] = "Add", [QB_NOP_SUB] = "Sub", [QB_NOP_MUL] = "Mul", [QB_NOP_DIV] = "Div",
    [QB_NOP_RELU] = "Relu", [QB_NOP_CLIP] = "Clip", [QB_NOP_SIGMOID] = "Sigmoid",
    [QB_NOP_TANH] = "Tanh", [QB_NOP_GELU] = "Gelu", [QB_NOP_ERF] = "Erf",
    [QB_NOP_MAXPOOL] = "MaxPool", [QB_NOP_AVGPOOL] = "AveragePool",
    [QB_NOP_GLOBALAVGPOOL] = "GlobalAveragePool", [QB_NOP_BATCHNORM] = "BatchNormalization",
    [QB_NOP_LAYERNORM] = "LayerNormalization", [QB_NOP_SOFTMAX] = "Softmax",
    [QB_NOP_FLATTEN] = "Flatten", [QB_NOP_RESHAPE] = "Reshape", [QB_NOP_TRANSPOSE] = "Transpose",
    [QB_NOP_CONCAT] = "Concat", [QB_NOP_GATHER] = "Gather", [QB_NOP_LSTM] = "LSTM",
    [QB_NOP_QUANTIZE] = "QuantizeLinear", [QB_NOP_DEQUANTIZE] = "DequantizeLinear",
};

const char *qb_net_op_name(qb_net_op op)
{
    return (op >= 0 && op < QB_NOP_COUNT && op_names[op]) ? op_names[op] : "?";
}

void qb_net_attr_init(qb_net_attr *a)
{
    memset(a, 0, sizeof *a);
    a->strides[0] = a->strides[1] = 1;
    a->dilations[0] = a->dilations[1] = 1;
    a->group = 1;
    a->alpha = a->beta = 1.0f;
    a->epsilon = 1e-5f;
}

void qb_net_init(qb_net_graph *g, const char *name)
{
    memset(g, 0, sizeof *g);
    g->name = strdup(name ? name : "");
    g->input = g->output = -1;
}

void qb_net_free(qb_net_graph *g)
{
    for (int i = 0; i < g->ntensors; i++) {
        qb_net_tensor *t = &g->tensors[i];
        free(t->name);
        free(t->data);
        free(t->scale);
        free(t->zero_point);
        free(t->qdata);
    }
    for (int i = 0; i < g->nskipped; i++) {
        free(g->skipped[i].name);
        free(g->skipped[i].op_type);
    }
    free(g->skipped);
    for (int i = 0; i < g->nnodes; i++) free(g->nodes[i].name);
    free(g->tensors);
    free(g->nodes);
    free(g->name);
    memset(g, 0, sizeof *g);
}

/* Room for one more element in a list of `size`-byte items. */
static int grow(void **items, int n, int *cap, size_t size)
{
    if (n < *cap) return QB_OK;
    int nc = *cap ? *cap * 2 : 64;
    void *p = realloc(*items, (size_t)nc * size);
    if (!p) return qb_fail(QB_ENOMEM, "network graph: out of memory at %d entries", n);
    *items = p;
    *cap = nc;
    return QB_OK;
}

int qb_net_add_tensor(qb_net_graph *g, const char *name, qb_net_type type, int ndim,
                      const long *dims, void *data)
{
    if (ndim < 0 || ndim > QB_NET_MAXDIM) {
        qb_fail(QB_EINPUT, "tensor %s: %d dimensions, at most %d are supported", name, ndim,
                QB_NET_MAXDIM);
        return -1;
    }
    if (grow((void **)&g->tensors, g->ntensors, &g->cap_tensors, sizeof *g->tensors)) return -1;
    qb_net_tensor *t = &g->tensors[g->ntensors];
    memset(t, 0, sizeof *t);
    t->name = strdup(name ? name : "");
    if (!t->name) {
        qb_fail(QB_ENOMEM, "network graph: out of memory");
        return -1;
    }
    t->type = type;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->dims[i] = dims[i];
    t->data = data;
    return g->ntensors++;
}

int qb_net_add_node(qb_net_graph *g, const char *name, qb_net_op op, const int *in, int nin, int out,
                    const qb_net_attr *attr)
{
    if (nin < 0 || nin > QB_NET_MAXIN) {
        qb_fail(QB_EINPUT, "node %s: %d inputs, at most %d are supported", name, nin, QB_NET_MAXIN);
        return -1;
    }
    if (grow((void **)&g->nodes, g->nnodes, &g->cap_nodes, sizeof *g->nodes)) return -1;
    qb_net_node *n = &g->nodes[g->nnodes];
    memset(n, 0, sizeof *n);
    n->name = strdup(name ? name : "");
    if (!n->name) {
        qb_fail(QB_ENOMEM, "network graph: out of memory");
        return -1;
    }
    n->op = op;
    for (int i = 0; i < nin; i++) n->in[i] = in[i];
    n->nin = nin;
    n->out = out;
    if (attr) n->attr = *attr;
    return g->nnodes++;
}

int qb_net_add_skipped(qb_net_graph *g, const char *name, const char *op_type, double ops)
{
    int rc = grow((void **)&g->skipped, g->nskipped, &g->cap_skipped, sizeof *g->skipped);
    if (rc) return rc;
    qb_net_skipped *s = &g->skipped[g->nskipped];
    s->name = strdup(name ? name : "");
    s->op_type = strdup(op_type ? op_type : "");
    if (!s->name || !s->op_type) {
        free(s->name);
        free(s->op_type);
        return qb_fail(QB_ENOMEM, "network graph: out of memory");
    }
    s->before = g->nnodes;
    s->ops = ops;
    g->nskipped++;
    return QB_OK;
}

int qb_net_find_tensor(const qb_net_graph *g, const char *name)
{
    for (int i = g->ntensors - 1; i >= 0; i--)
        if (strcmp(g->tensors[i].name, name) == 0) return i;
    return -1;
}

long qb_net_numel(const qb_net_tensor *t)
{
    long n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->dims[i];
    return n;
}

size_t qb_net_type_bytes(qb_net_type t)
{
    switch (t) {
    case QB_NT_I64: return 8;
    case QB_NT_I8:
    case QB_NT_U8: return 1;
    default: return 4;
    }
}
