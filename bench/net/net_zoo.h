/* The built-in model zoo: published architectures built in memory with
 * seeded random weights (nothing is downloaded), batch norm already folded
 * into each convolution's weights and bias as an inference runtime would. */
#ifndef QB_NET_ZOO_H
#define QB_NET_ZOO_H

#include "net_load.h"

#include <stdbool.h>

/* "mobilenet-v2, resnet-50, bert-base-layer, lstm-lm" */
#define QB_NET_ZOO_NAMES "mobilenet-v2, resnet-50, bert-base-layer, lstm-lm"

bool qb_net_zoo_has(const char *name);

/* Build zoo model `name` for the input shape o asks for (its own default
 * otherwise) into g, shapes inferred. QB_EINPUT when the shape does not fit
 * the model. */
int qb_net_zoo_build(const char *name, const qb_net_load_opts *o, qb_net_graph *g);

#endif
