/* The zoo's table: each model's name, builder and default input shape. */
#include "net_zoo.h"

#include "error.h"
#include "zoo_build.h"

#include <string.h>

static const struct {
    const char *name;
    int (*build)(qb_zoo *z, const long *dims, int ndim);
    int ndim;
    long dims[4]; /* batch first; the batch is set by the options */
} models[] = {
    {"mobilenet-v2", qb_zoo_mobilenet_v2, 4, {1, 3, 224, 224}},
    {"resnet-50", qb_zoo_resnet50, 4, {1, 3, 224, 224}},
    {"bert-base-layer", qb_zoo_bert_layer, 3, {1, 128, 768}},
    {"lstm-lm", qb_zoo_lstm_lm, 2, {1, 35}},
};
#define NMODELS ((int)(sizeof models / sizeof models[0]))

static int find(const char *name)
{
    for (int i = 0; i < NMODELS; i++)
        if (strcmp(models[i].name, name) == 0) return i;
    return -1;
}

bool qb_net_zoo_has(const char *name)
{
    return find(name) >= 0;
}

int qb_net_zoo_build(const char *name, const qb_net_load_opts *o, qb_net_graph *g)
{
    const int m = find(name);
    if (m < 0) return qb_fail(QB_EINPUT, "model %s: not in the zoo (%s)", name, QB_NET_ZOO_NAMES);
    long dims[QB_NET_MAXDIM];
    int ndim = models[m].ndim;
    if (o->input_ndim > 0) {
        ndim = o->input_ndim;
        memcpy(dims, o->input_shape, sizeof(long) * (size_t)ndim);
    } else {
        memcpy(dims, models[m].dims, sizeof(long) * (size_t)ndim);
    }
    if (o->batch > 0) dims[0] = o->batch;
    qb_net_init(g, name);
    if (!g->name) return qb_fail(QB_ENOMEM, "model zoo: out of memory");
    qb_zoo z;
    zoo_begin(&z, g, o->seed);
    const int rc = models[m].build(&z, dims, ndim);
    if (rc) qb_net_free(g);
    return rc;
}
