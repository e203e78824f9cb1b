/* Where a network comes from: a model of the built-in zoo by name
 * ("mobilenet-v2", "resnet-50", "bert-base-layer", "lstm-lm"), built in
 * memory with seeded weights, or an ONNX file read with protobuf-c. Either
 * way the result is a graph with every shape inferred from the input shape,
 * ready for the executor. */
#ifndef QB_NET_LOAD_H
#define QB_NET_LOAD_H

#include "net_graph.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    /* The input's shape (--input-shape), ndim 0: the model's own, with its
     * batch dimension set to `batch`. */
    long input_shape[QB_NET_MAXDIM];
    int input_ndim;
    long batch;            /* >= 1: replaces the first input dimension; 0: the model's
                            * own (from the shape above, or the model's, 1 where symbolic) */
    bool skip_unsupported; /* keep going past nodes the executor cannot run */
    uint64_t seed;         /* zoo weights */
} qb_net_load_opts;

/* Load `model` (a zoo name, or a path to an .onnx file) into g and infer its
 * shapes. One-line errors naming the file, node and op type (QB_EINPUT), and
 * QB_ENOMEM when the activations cannot fit in memory. */
int qb_net_load(const char *model, const qb_net_load_opts *o, qb_net_graph *g);

/* Operation count of one node (a multiply-add counts 2) and the bytes it
 * moves at element size `elem` (inputs, weights and output, each once). */
double qb_net_node_ops(const qb_net_graph *g, const qb_net_node *n);
double qb_net_node_bytes(const qb_net_graph *g, const qb_net_node *n, double elem);

#endif
