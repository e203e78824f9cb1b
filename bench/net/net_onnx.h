/* Reading an ONNX model file into a network graph, with protobuf-c. */
#ifndef QB_NET_ONNX_H
#define QB_NET_ONNX_H

#include "net_load.h"

#include <stddef.h>

/* Import the model in buf[0..len) (`what` names it in messages) into g,
 * shapes inferred node by node. Never crashes on malformed bytes: they are
 * QB_EINPUT with one line naming the problem. On error g is left empty. */
int qb_net_onnx_parse(const void *buf, size_t len, const char *what, const qb_net_load_opts *o,
                      qb_net_graph *g);

/* The same from a file, mapped into memory rather than read, with the
 * file's pages released as their bytes are copied out. */
int qb_net_onnx_load(const char *path, const qb_net_load_opts *o, qb_net_graph *g);

#endif
