/* What the zoo's model builders share: a graph being built, the seeded
 * weight generator, and the first error (later calls do nothing once one
 * failed, so a builder checks once at the end). */
#ifndef QB_ZOO_BUILD_H
#define QB_ZOO_BUILD_H

#include "net_graph.h"
#include "tensor_gen.h"

#include <stdint.h>

typedef struct {
    qb_net_graph *g;
    qb_rng rng;
    int rc;
} qb_zoo;

void zoo_begin(qb_zoo *z, qb_net_graph *g, uint64_t seed);
/* The activation input (graph input). */
int zoo_input(qb_zoo *z, const char *name, qb_net_type type, int ndim, const long *dims);
/* A float weight drawn uniformly with He's variance 2/fan_in. */
int zoo_weight(qb_zoo *z, const char *name, int ndim, const long *dims, long fan_in);
/* A float constant of value v everywhere. */
int zoo_fill(qb_zoo *z, const char *name, int ndim, const long *dims, float v);
/* A 1-D int64 constant (a Reshape's target shape). */
int zoo_shape(qb_zoo *z, const char *name, int n, const int64_t *v);
/* A node whose output tensor has the node's name; its shape is inferred.
 * Returns the output tensor (-1 after an error). */
int zoo_node(qb_zoo *z, const char *name, qb_net_op op, const int *in, int nin,
             const qb_net_attr *a);
/* A convolution with batch norm folded in (weights and a bias), square
 * kernel r, "same" padding, and a fused activation (0, QB_NOP_RELU, or
 * QB_NOP_CLIP for ReLU6). */
int zoo_conv(qb_zoo *z, const char *name, int x, long k, long r, long stride, long group,
             qb_net_op act);
/* A fully connected layer as ONNX exports it from a linear layer: Gemm with
 * weights [out, in] (transB) and a bias. */
int zoo_fc(qb_zoo *z, const char *name, int x, long out);
/* An image classifier's head: global average pool, flatten and a fully
 * connected layer to `classes`, named pool, flatten and fc. */
int zoo_classifier(qb_zoo *z, const char *pool, const char *flatten, const char *fc, int x, long classes);
/* Mark out as the output; the graph's error code. */
int zoo_end(qb_zoo *z, int out);

/* Builders of each model, on the input shape dims (batch first). */
int qb_zoo_mobilenet_v2(qb_zoo *z, const long *dims, int ndim);
int qb_zoo_resnet50(qb_zoo *z, const long *dims, int ndim);
int qb_zoo_bert_layer(qb_zoo *z, const long *dims, int ndim);
int qb_zoo_lstm_lm(qb_zoo *z, const long *dims, int ndim);

#endif
