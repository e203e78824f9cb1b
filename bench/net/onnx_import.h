/* The ONNX importer's shared state and steps. The model is unpacked by
 * protobuf-c (code generated from onnx.proto at build time); these turn its
 * graph into a qb_net_graph: initializers into constants, nodes into graph
 * nodes (with folds: Identity and Dropout removed, constant subgraphs
 * computed, batch norm folded into the conv before it, ReLU and Clip fused
 * into the conv or Gemm before them, the Erf form of GELU recognised, QDQ
 * pairs turned into tensor scales), shapes inferred node by node. */
#ifndef QB_ONNX_IMPORT_H
#define QB_ONNX_IMPORT_H

#include "net_load.h"
#include "onnx.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

/* One ONNX value name: the graph tensor it stands for, its uses (node
 * inputs and graph outputs), the node that produces it and, for a value
 * read once, the node that reads it. */
typedef struct {
    const char *key; /* borrowed from the unpacked model */
    int tensor;      /* -1 until defined */
    int uses;
    int producer;                  /* ONNX node index, -1 for none (input, initializer) */
    int consumer;                  /* the last ONNX node reading it */
    const Onnx__TensorProto *init; /* an initializer or Constant's value, before import */
} onnx_value;

typedef struct {
    onnx_value *slots;
    size_t cap, n;
} onnx_names;

/* A chain of ONNX nodes found to compute one graph node (GELU, layer norm):
 * the node kind, its inputs' value names and its epsilon. */
typedef struct {
    qb_net_op op; /* 0: no chain ends at this node */
    const char *in[3];
    int nin;
    float epsilon;
} onnx_fused;

typedef struct {
    const char *what; /* the file, for messages */
    const qb_net_load_opts *o;
    qb_net_graph *g;
    Onnx__GraphProto *gp;
    long opset; /* of the default domain */
    onnx_names names;
    int *tensor_uses; /* per graph tensor: reads still expected */
    int cap_uses;
    bool *absorbed;       /* per ONNX node: part of a fused pattern */
    onnx_fused *fused;    /* per ONNX node: the chain ending here */
    int *tensor_producer; /* per graph tensor: its graph node or -1 */
} onnx_ctx;

/* Name table (onnx_names.c). get returns NULL only when out of memory. */
onnx_value *onnx_names_get(onnx_names *m, const char *key, bool create);
void onnx_names_free(onnx_names *m);

/* Per-tensor bookkeeping grown with the graph (onnx_names.c). */
int onnx_track(onnx_ctx *c, int tensor, int uses);
/* Make value `name` stand for tensor t (an alias): the node that made the
 * alias consumed one use of t, the value's own uses are added. */
int onnx_alias(onnx_ctx *c, const char *name, int t);

/* Attributes (onnx_attr.c). */
const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *n, const char *name);
long onnx_attr_int(const Onnx__NodeProto *n, const char *name, long def);
float onnx_attr_float(const Onnx__NodeProto *n, const char *name, float def);
/* Copies at most max ints; returns the count (-1 when absent). */
int onnx_attr_ints(const Onnx__NodeProto *n, const char *name, long *out, int max);
/* The string attribute into buf ("" when absent). */
void onnx_attr_str(const Onnx__NodeProto *n, const char *name, char *buf, size_t len);

/* A TensorProto's contents as graph tensor data (onnx_tensor.c): the type,
 * dims and a buffer the caller owns (taken from the message without a copy
 * where the layout allows). QB_EINPUT naming the tensor on an unsupported
 * type, external data, or data that does not match the dims. */
int onnx_tensor_take(onnx_ctx *c, Onnx__TensorProto *t, qb_net_type *type, int *ndim, long *dims,
                     void **data);
/* The first element of a small float or integer initializer, as a double
 * (for pattern matching); false when it is not one. */
bool onnx_tensor_scalar(const Onnx__TensorProto *t, double *v);

/* The pattern pass over the ONNX nodes (onnx_pattern.c): the Erf form of
 * GELU and layer norm spelt out in ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add. */
int onnx_find_patterns(onnx_ctx *c);

/* Constant folding (onnx_fold.c): when every input of node n is a constant
 * (or, for Shape, has known dims), compute its output as a constant named
 * out and return its tensor index; return -1 with no error when the op is
 * not one that folds, or a negative QB_E* via *rc on failure. */
int onnx_fold(onnx_ctx *c, const Onnx__NodeProto *n, const int *in, int nin, int *rc);

/* One node into the graph (onnx_node.c). Returns QB_OK, a negative QB_E*,
 * or ONNX_UNSUPPORTED with the reason recorded by qb_fail. */
#define ONNX_UNSUPPORTED 100
int onnx_node(onnx_ctx *c, int ni, const int *in, int nin);

/* The node's name, or "<op type>_<index>" in buf when it has none. */
const char *onnx_node_name(const onnx_ctx *c, int ni, char *buf, size_t len);

/* Add a new tensor for value `name` and track it (uses from the name table). */
int onnx_new_tensor(onnx_ctx *c, const char *name, qb_net_type type, int ndim, const long *dims,
                    void *data);
/* Add a node producing value `out`, infer its shape; the node's index or a
 * negative QB_E*. */
int onnx_emit(onnx_ctx *c, const char *name, qb_net_op op, const int *in, int nin, const char *out,
              const qb_net_attr *a);

/* One node being mapped (onnx_node.c): the context, the ONNX node, its
 * name and op type, its first output's name and its inputs' tensors. */
typedef struct {
    onnx_ctx *c;
    const Onnx__NodeProto *n;
    int ni;
    const char *name, *op, *out;
    const int *in;
    int nin;
} onnx_node_in;

/* Record "node N: op type T [with why] is not supported" and return ONNX_UNSUPPORTED. */
int onnx_unsupported(const onnx_node_in *x, const char *why);
/* Input i's tensor, or NULL when omitted. */
qb_net_tensor *onnx_in(const onnx_node_in *x, int i);
/* QB_EINPUT naming the node unless its first k inputs are given. */
int onnx_need(const onnx_node_in *x, int k);
/* Emit the node as graph node `op` on these inputs: QB_OK or a QB_E*. */
int onnx_emit_node(const onnx_node_in *x, qb_net_op op, const int *in, int nin,
                   const qb_net_attr *a);

static inline bool onnx_is_const(const qb_net_tensor *t)
{
    return t && t->data;
}

/* Conv, MaxPool/AveragePool, BatchNormalization (onnx_conv.c). */
int onnx_conv(const onnx_node_in *x);
int onnx_pool(const onnx_node_in *x, qb_net_op op);
int onnx_batchnorm(const onnx_node_in *x);
/* QuantizeLinear (dequant false) and DequantizeLinear (onnx_qdq.c). */
int onnx_qdq(const onnx_node_in *x, bool dequant);

/* The whole import of an unpacked model (onnx_import.c). */
int onnx_import(const char *what, Onnx__ModelProto *m, const qb_net_load_opts *o, qb_net_graph *g);

#endif
