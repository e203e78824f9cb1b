/* Output, accumulated and isolated per-layer errors (net_accuracy.h): two
 * executors that keep every tensor, one in fp32 and one in the dtype. */
#include "net_accuracy.h"

#include "error.h"
#include "ops_compute_util.h"

#include <stdlib.h>
#include <string.h>

void qb_net_accuracy_free(qb_net_accuracy *a)
{
    free(a->accumulated);
    free(a->isolated);
    memset(a, 0, sizeof *a);
}

static size_t numel(const qb_net_graph *g, int t)
{
    return (size_t)qb_net_numel(&g->tensors[t]);
}

/* Tensor t in q against r, added to acc (a, b: room for it). */
static int compare(const qb_net_exec *r, const qb_net_exec *q, const qb_net_graph *g, int t,
                   float *a, float *b, qb_qerror_acc *acc)
{
    int rc = qb_net_exec_tensor(r, t, a);
    if (!rc) rc = qb_net_exec_tensor(q, t, b);
    if (!rc) qb_qerror_acc_add(acc, a, b, numel(g, t));
    return rc;
}

int qb_net_accuracy_run(const qb_net_graph *g, const qb_net_exec_opts *o, int batches,
                        qb_net_accuracy *out)
{
    memset(out, 0, sizeof *out);
    qb_net_exec_opts ro = *o, qo = *o;
    ro.dtype = QB_FP32;
    ro.keep_all = qo.keep_all = true;
    qb_net_exec *r = NULL, *q = NULL;
    size_t maxn = 0;
    for (int t = 0; t < g->ntensors; t++)
        if (!g->tensors[t].data && numel(g, t) > maxn) maxn = numel(g, t);
    const int nn = g->nnodes;
    qb_qerror_acc *acc = calloc((size_t)nn, sizeof *acc), *iso = calloc((size_t)nn, sizeof *iso), oacc;
    float *a = malloc(maxn * sizeof *a), *b = malloc(maxn * sizeof *b),
          *x = malloc(numel(g, g->input) * sizeof *x);
    out->accumulated = calloc((size_t)nn, sizeof *out->accumulated);
    out->isolated = calloc((size_t)nn, sizeof *out->isolated);
    out->nnodes = nn;
    int rc = !acc || !iso || !a || !b || !x || !out->accumulated || !out->isolated
                 ? qb_fail(QB_ENOMEM, "accuracy: out of memory")
                 : QB_OK;
    if (!rc) rc = qb_net_exec_create(g, &ro, &r);
    if (!rc) rc = qb_net_exec_create(g, &qo, &q);
    qb_qerror_acc_init(&oacc);
    for (int i = 0; i < nn && !rc; i++) {
        qb_qerror_acc_init(&acc[i]);
        qb_qerror_acc_init(&iso[i]);
    }
    for (int bt = 0; bt < batches && !rc; bt++) {
        qb_cq_fill(x, numel(g, g->input), o->seed + 1000 + (uint64_t)bt, -1.0f, 1.0f);
        rc = qb_net_exec_run(r, x, NULL);
        if (!rc) rc = qb_net_exec_run(q, x, NULL);
        if (!rc) rc = compare(r, q, g, g->output, a, b, &oacc);
        for (int i = 0; i < nn && !rc; i++)
            rc = compare(r, q, g, g->nodes[i].out, a, b, &acc[i]);
        /* isolated: each active layer on the fp32 run's inputs */
        for (int i = 0; i < nn && !rc; i++) {
            const qb_net_node *nd = &g->nodes[i];
            if (!qb_net_exec_layer(q, i)->active) continue;
            for (int j = 0; j < nd->nin && !rc; j++) {
                const int t = nd->in[j];
                if (t < 0 || g->tensors[t].data) continue;
                rc = qb_net_exec_tensor(r, t, a);
                if (!rc) rc = qb_net_exec_set_tensor(q, t, a);
            }
            if (!rc) rc = qb_net_exec_run_node(q, i);
            if (!rc) rc = compare(r, q, g, nd->out, a, b, &iso[i]);
        }
    }
    if (!rc) {
        qb_qerror_acc_finish(&oacc, &out->output);
        for (int i = 0; i < nn; i++) {
            qb_qerror_acc_finish(&acc[i], &out->accumulated[i]);
            qb_qerror_acc_finish(&iso[i], &out->isolated[i]);
        }
    }
    qb_net_exec_destroy(r);
    qb_net_exec_destroy(q);
    free(acc);
    free(iso);
    free(a);
    free(b);
    free(x);
    if (rc) qb_net_accuracy_free(out);
    return rc;
}
