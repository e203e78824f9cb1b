/* qb_net_load: a zoo name or an ONNX file, then every shape inferred and the
 * activations checked against physical memory. */
#include "net_load.h"

#include "error.h"
#include "net_infer.h"
#include "net_onnx.h"
#include "net_zoo.h"

#include <string.h>
#include <unistd.h>

int qb_net_load(const char *model, const qb_net_load_opts *o, qb_net_graph *g)
{
    memset(g, 0, sizeof *g);
    if (!model || !*model)
        return qb_fail(QB_EUSAGE, "no model given (a zoo name: %s, or an .onnx file)",
                       QB_NET_ZOO_NAMES);
    if (o->batch < 0) return qb_fail(QB_EUSAGE, "batch %ld: must be at least 1", o->batch);
    if (o->input_ndim < 0 || o->input_ndim > QB_NET_MAXDIM)
        return qb_fail(QB_EUSAGE, "input shape of %d dimensions: 1 to %d are supported",
                       o->input_ndim, QB_NET_MAXDIM);
    for (int i = 0; i < o->input_ndim; i++)
        if (o->input_shape[i] < 1)
            return qb_fail(QB_EUSAGE, "input shape: dimension %d is %ld, must be at least 1", i,
                           o->input_shape[i]);
    if (!qb_net_zoo_has(model) && !strchr(model, '/') && !strstr(model, ".onnx") &&
        access(model, F_OK) != 0)
        return qb_fail(QB_EINPUT, "model %s: not in the zoo (%s) and no such file", model,
                       QB_NET_ZOO_NAMES);
    int rc = qb_net_zoo_has(model) ? qb_net_zoo_build(model, o, g) : qb_net_onnx_load(model, o, g);
    if (rc) return rc;
    rc = qb_net_infer(g);
    if (rc) qb_net_free(g);
    return rc;
}
