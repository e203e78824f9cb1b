/* The layer listing of a network graph: each node's name, op type (with the
 * activation fused into it), input, output and weight shapes and its work,
 * with the total and what --skip-unsupported left out; as text or JSON.
 * qbench model prints it; qbench net reuses it. */
#ifndef QB_NET_LAYERS_H
#define QB_NET_LAYERS_H

#include "net_graph.h"

#include <cjson/cJSON.h>
#include <stdio.h>

/* The table, a total line and, when nodes were left out, their share of the
 * work. Returns QB_OK or QB_ENOMEM. */
int qb_net_print_layers(const qb_net_graph *g, FILE *f);

/* The same as a JSON document (schema "qbench.model/1"), or NULL when out of memory. */
cJSON *qb_net_layers_json(const qb_net_graph *g);

#endif
