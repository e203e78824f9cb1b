/* Shape inference: each node's output dimensions from its inputs' (and its
 * attributes'), as ONNX defines them for the op type, with the attributes
 * the executor reads normalised (axes made non-negative, strides, dilations
 * and group 0 read as 1, a convolution's or pool's kernel filled in). */
#ifndef QB_NET_INFER_H
#define QB_NET_INFER_H

#include "net_graph.h"

/* Largest element count one tensor may have: beyond it a shape is absurd
 * (and products of its dimensions could overflow). */
#define QB_NET_MAX_NUMEL (1L << 46)

/* Infer node `ni`'s output shape. QB_EINPUT naming the node when its inputs
 * do not fit the op (or a dimension is unknown), QB_ENOMEM when the output
 * would exceed QB_NET_MAX_NUMEL elements. */
int qb_net_infer_node(qb_net_graph *g, int ni);

/* Infer every node in order, then check that the activations fit in memory:
 * the bytes of every non-constant tensor together must stay below physical
 * memory (QB_ENOMEM otherwise). */
int qb_net_infer(qb_net_graph *g);

/* Bytes of all activation (non-constant) tensors. */
double qb_net_activation_bytes(const qb_net_graph *g);

/* A tensor's shape as "1x3x224x224" ("scalar" for none). */
void qb_net_dims_str(const qb_net_tensor *t, char *buf, size_t len);

#endif
