/* A whole network in memory: the one description that the ONNX importer and
 * the built-in model zoo fill, shape inference completes, and the network
 * executor runs layer by layer.
 *
 * A graph is a list of tensors and a list of nodes in execution order (every
 * node's inputs are graph inputs, constants or outputs of earlier nodes).
 * Tensors are named by index. Shapes are in the layouts ONNX uses: NCHW for
 * images, [rows, cols] for matrices, [seq, batch, features] for recurrent
 * inputs. A dimension of 0 is not known yet (a symbolic ONNX dimension):
 * qb_net_infer fills it from the input shape. */
#ifndef QB_NET_GRAPH_H
#define QB_NET_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QB_NET_MAXDIM 8
#define QB_NET_MAXIN 8

/* The operator kinds the executor knows. The ONNX importer maps op types to
 * these (and folds the ones that change no data, or fuse into a neighbour);
 * an op type with no kind is an unsupported node. */
typedef enum {
    QB_NOP_CONV = 0,      /* Conv: groups, strides, pads, dilations 1; bias optional */
    QB_NOP_GEMM,          /* Gemm: Y = alpha A op(B) + beta C; B constant (a fully connected layer) */
    QB_NOP_MATMUL,        /* MatMul: batched over leading dims, either side may be an activation */
    QB_NOP_ADD,           /* Add, Sub, Mul, Div: elementwise with numpy broadcasting */
    QB_NOP_SUB,
    QB_NOP_MUL,
    QB_NOP_DIV,
    QB_NOP_RELU,
    QB_NOP_CLIP,          /* min/max in attr.clip_min/clip_max (ReLU6: 0, 6) */
    QB_NOP_SIGMOID,
    QB_NOP_TANH,
    QB_NOP_GELU,          /* erf form; the importer folds x*0.5*(1+Erf(x/sqrt 2)) into it */
    QB_NOP_ERF,
    QB_NOP_MAXPOOL,
    QB_NOP_AVGPOOL,
    QB_NOP_GLOBALAVGPOOL,
    QB_NOP_BATCHNORM,     /* standalone; one after a conv is folded into its weights and bias */
    QB_NOP_LAYERNORM,     /* over the last axis; scale and bias inputs */
    QB_NOP_SOFTMAX,       /* along attr.axis */
    QB_NOP_FLATTEN,       /* no copy: the output aliases the input */
    QB_NOP_RESHAPE,       /* no copy */
    QB_NOP_TRANSPOSE,     /* attr.perm */
    QB_NOP_CONCAT,        /* along attr.axis */
    QB_NOP_GATHER,        /* embedding lookup: data constant, indices an input */
    QB_NOP_LSTM,          /* one layer, forward; W, R, B as ONNX orders them (gates i, o, f, c) */
    QB_NOP_QUANTIZE,      /* QuantizeLinear / DequantizeLinear of a QDQ model: the importer */
    QB_NOP_DEQUANTIZE,    /* turns them into tensor scales, the executor never runs them */
    QB_NOP_COUNT
} qb_net_op;

/* "Conv", "Gemm", ... (the ONNX op type of each kind). */
const char *qb_net_op_name(qb_net_op op);

typedef enum { QB_NT_F32 = 0, QB_NT_I64 = 1, QB_NT_I8 = 2, QB_NT_U8 = 3, QB_NT_I32 = 4 } qb_net_type;

typedef struct {
    char *name;
    int ndim;
    long dims[QB_NET_MAXDIM];
    qb_net_type type;
    /* Constant data (weights, biases, shapes), owned by the graph, or NULL
     * for an activation. Weights of a model without data (the zoo) are drawn
     * from a seeded generator when the graph is built. */
    void *data;
    bool is_input, is_output;
    /* Quantization read from a QDQ model: the scale(s) and zero point(s) the
     * tensor was quantized with (nscale 1: per tensor, >1: per channel along
     * qaxis), or nscale 0. */
    float *scale;
    int32_t *zero_point;
    long nscale;
    int qaxis;
    /* The quantized originals of a QDQ model's constant (int8 weights, int32
     * bias) in qtype, beside their dequantized floats in data; NULL when the
     * file held floats. For a quantized activation, qtype is the integer
     * type its zero point had (uint8 or int8). */
    void *qdata;
    qb_net_type qtype;
} qb_net_tensor;

typedef struct {
    long kernel[2], strides[2], dilations[2];
    long pads[4];          /* top, left, bottom, right */
    long group;
    long axis;             /* softmax, concat, flatten, gather, quantize */
    long perm[QB_NET_MAXDIM];
    int nperm;
    float alpha, beta;     /* gemm */
    int trans_a, trans_b;  /* gemm */
    float clip_min, clip_max;
    float epsilon;         /* batch norm, layer norm */
    long hidden;           /* LSTM hidden size */
    bool ceil_mode;        /* pooling */
    bool count_include_pad;
    /* Fused by the importer or the zoo: an activation applied to this node's
     * output (0 none, else QB_NOP_RELU or QB_NOP_CLIP with clip_min/max). */
    qb_net_op fused_act;
} qb_net_attr;

typedef struct {
    char *name;     /* the ONNX node name, or one the zoo gives ("conv1", "block3.expand") */
    qb_net_op op;
    int in[QB_NET_MAXIN];
    int nin;        /* tensor indices; -1 for an omitted optional input */
    int out;        /* one output tensor (extra ONNX outputs such as LSTM's Y_h are dropped) */
    qb_net_attr attr;
} qb_net_node;

/* A node the importer dropped (--skip-unsupported): its output stands for
 * its first input, and its work is estimated at one operation per element of
 * that input, so a listing can say what share was left out. */
typedef struct {
    char *name;
    char *op_type;         /* the ONNX op type */
    int before;            /* index of the graph node it came before (nnodes: at the end) */
    double ops;
} qb_net_skipped;

typedef struct {
    char *name;            /* "mobilenet-v2", or the ONNX graph's name */
    qb_net_tensor *tensors;
    int ntensors, cap_tensors;
    qb_net_node *nodes;
    int nnodes, cap_nodes;
    int input;             /* the one activation input's tensor index */
    int output;            /* the output's tensor index */
    qb_net_skipped *skipped;
    int nskipped, cap_skipped;
} qb_net_graph;

/* ONNX's defaults: strides, dilations and group 1, alpha and beta 1, no
 * padding, axis 0, epsilon 1e-5, no fused activation. */
void qb_net_attr_init(qb_net_attr *a);

void qb_net_init(qb_net_graph *g, const char *name);
void qb_net_free(qb_net_graph *g);
/* Add a tensor (name copied; data taken over when not NULL) and return its
 * index, or -1 with the error set. */
int qb_net_add_tensor(qb_net_graph *g, const char *name, qb_net_type type, int ndim,
                      const long *dims, void *data);
/* Add a node (name copied) and return its index, or -1 with the error set. */
int qb_net_add_node(qb_net_graph *g, const char *name, qb_net_op op, const int *in, int nin, int out,
                    const qb_net_attr *attr);
/* Record a dropped node (names copied), or fail with QB_ENOMEM. */
int qb_net_add_skipped(qb_net_graph *g, const char *name, const char *op_type, double ops);
/* Find a tensor by name: index or -1. */
int qb_net_find_tensor(const qb_net_graph *g, const char *name);
/* Number of elements of a tensor with all dimensions known. */
long qb_net_numel(const qb_net_tensor *t);
size_t qb_net_type_bytes(qb_net_type t);

#endif
