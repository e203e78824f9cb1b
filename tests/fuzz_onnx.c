/* libFuzzer target: the ONNX importer must survive any bytes. The input is
 * read as a model file; the last byte picks the options (batch 1..4, with or
 * without --skip-unsupported). A model that imports has its shapes inferred,
 * its work counted and its listing written as text and JSON; invariants of
 * the graph are checked with abort() so a broken one counts as a finding. */
#include "error.h"
#include "net_infer.h"
#include "net_layers.h"
#include "net_load.h"
#include "net_onnx.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static FILE *sink;

static void check(const qb_net_graph *g)
{
    if (g->input < 0 || g->input >= g->ntensors || g->output < 0 || g->output >= g->ntensors)
        abort();
    for (int i = 0; i < g->nnodes; i++) {
        const qb_net_node *n = &g->nodes[i];
        if (n->out < 0 || n->out >= g->ntensors) abort();
        for (int k = 0; k < n->nin; k++)
            if (n->in[k] < -1 || n->in[k] >= g->ntensors) abort();
        const qb_net_tensor *o = &g->tensors[n->out];
        for (int d = 0; d < o->ndim; d++)
            if (o->dims[d] <= 0) abort();
        const double ops = qb_net_node_ops(g, n), bytes = qb_net_node_bytes(g, n, 4);
        if (!(ops >= 0) || !isfinite(ops) || !(bytes >= 0) || !isfinite(bytes)) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sink) sink = fopen("/dev/null", "w");
    const unsigned pick = size ? data[size - 1] : 0;
    qb_net_load_opts o = {0};
    o.batch = 1 + pick % 4;
    o.skip_unsupported = (pick / 4) % 2;
    qb_net_graph g;
    if (qb_net_onnx_parse(data, size, "fuzz.onnx", &o, &g) == QB_OK) {
        if (qb_net_infer(&g) == QB_OK) {
            check(&g);
            qb_net_print_layers(&g, sink);
            cJSON *j = qb_net_layers_json(&g);
            char *s = j ? cJSON_PrintUnformatted(j) : NULL;
            free(s);
            cJSON_Delete(j);
        }
        qb_net_free(&g);
    }
    qb_clear_error();
    return 0;
}
