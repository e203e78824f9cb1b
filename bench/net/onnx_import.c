/* The import of one unpacked ONNX model: count every value's uses, take the
 * initializers over as constants, set the input's shape from the options,
 * turn the nodes into graph nodes in order, mark the outputs, and drop the
 * tensors nothing reads any more (folded batch norms, shape constants). */
#include "onnx_import.h"

#include "error.h"
#include "net_infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long default_opset(const Onnx__ModelProto *m)
{
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *s = m->opset_import[i];
        if ((!s->domain || !*s->domain || strcmp(s->domain, "ai.onnx") == 0) && s->has_version)
            return (long)s->version;
    }
    return -1;
}

/* Uses, producers and consumers of every value; Constant nodes' values. */
static int count_uses(onnx_ctx *c)
{
    const Onnx__GraphProto *gp = c->gp;
    for (size_t i = 0; i < gp->n_initializer; i++) {
        onnx_value *v = onnx_names_get(&c->names, gp->initializer[i]->name, true);
        if (!v) {
            if (!gp->initializer[i]->name) continue;
            return QB_ENOMEM;
        }
        v->init = gp->initializer[i];
    }
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *n = gp->node[i];
        for (size_t k = 0; k < n->n_input; k++) {
            if (!*n->input[k]) continue;
            onnx_value *v = onnx_names_get(&c->names, n->input[k], true);
            if (!v) return QB_ENOMEM;
            v->uses++;
            v->consumer = (int)i;
        }
        for (size_t k = 0; k < n->n_output; k++) {
            if (!*n->output[k]) continue;
            onnx_value *v = onnx_names_get(&c->names, n->output[k], true);
            if (!v) return QB_ENOMEM;
            v->producer = (int)i;
            if (k == 0 && n->op_type && strcmp(n->op_type, "Constant") == 0) {
                const Onnx__AttributeProto *a = onnx_attr(n, "value");
                if (a) v->init = a->t;
            }
        }
    }
    for (size_t i = 0; i < gp->n_output; i++) {
        onnx_value *v = onnx_names_get(&c->names, gp->output[i]->name, false);
        if (v) v->uses++;
    }
    return QB_OK;
}

static int take_initializers(onnx_ctx *c)
{
    for (size_t i = 0; i < c->gp->n_initializer; i++) {
        Onnx__TensorProto *t = c->gp->initializer[i];
        if (!t->name || !*t->name) continue;
        onnx_value *v = onnx_names_get(&c->names, t->name, false);
        if (!v || v->uses == 0) continue; /* read by nothing */
        if (v->tensor >= 0)
            return qb_fail(QB_EINPUT, "%s: initializer %s is given twice", c->what, t->name);
        qb_net_type type;
        int ndim;
        long dims[QB_NET_MAXDIM];
        void *data;
        int rc = onnx_tensor_take(c, t, &type, &ndim, dims, &data);
        if (rc) return rc;
        rc = onnx_new_tensor(c, t->name, type, ndim, dims, data);
        if (rc < 0) return rc;
    }
    return QB_OK;
}

/* The one activation input: its type and shape, the options' shape and batch. */
static int take_input(onnx_ctx *c)
{
    const Onnx__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < c->gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = c->gp->input[i];
        const onnx_value *v = onnx_names_get(&c->names, vi->name, false);
        if (!vi->name || (v && (v->init || v->tensor >= 0)))
            continue; /* an initializer listed as input */
        if (v && v->uses == 0) continue;
        if (in)
            return qb_fail(QB_EINPUT,
                           "%s: the model has inputs %s and %s; qbench reads models with one input",
                           c->what, in->name, vi->name);
        in = vi;
    }
    if (!in) return qb_fail(QB_EINPUT, "%s: the model has no input", c->what);
    const Onnx__TypeProto *tp = in->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return qb_fail(QB_EINPUT, "%s: input %s is not a tensor", c->what, in->name);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    qb_net_type type;
    if (tt->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        type = QB_NT_F32;
    else if (tt->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
        type = QB_NT_I64;
    else
        return qb_fail(QB_EINPUT, "%s: input %s is neither float nor int64", c->what, in->name);
    long dims[QB_NET_MAXDIM] = {0};
    int ndim = 0;
    const char *param[QB_NET_MAXDIM] = {NULL};
    if (tt->shape) {
        if (tt->shape->n_dim > QB_NET_MAXDIM)
            return qb_fail(QB_EINPUT, "%s: input %s has more than %d dimensions", c->what, in->name,
                           QB_NET_MAXDIM);
        ndim = (int)tt->shape->n_dim;
        for (int i = 0; i < ndim; i++) {
            const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
            if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                d->dim_value > 0 && d->dim_value <= QB_NET_MAX_NUMEL)
                dims[i] = (long)d->dim_value;
            else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
                param[i] = d->dim_param;
        }
    }
    const qb_net_load_opts *o = c->o;
    if (o->input_ndim > 0) {
        if (tt->shape && o->input_ndim != ndim)
            return qb_fail(QB_EINPUT, "%s: --input-shape has %d dimensions, input %s has %d",
                           c->what, o->input_ndim, in->name, ndim);
        ndim = o->input_ndim;
        for (int i = 0; i < ndim; i++)
            dims[i] = o->input_shape[i];
    } else if (!tt->shape) {
        return qb_fail(QB_EINPUT, "%s: input %s has no shape; give --input-shape", c->what,
                       in->name);
    }
    if (ndim > 0 && o->batch > 0)
        dims[0] = o->batch;
    else if (ndim > 0 && dims[0] <= 0)
        dims[0] = 1; /* a symbolic batch, none asked for */
    long total = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] <= 0)
            return qb_fail(QB_EINPUT,
                           "%s: input %s: dimension %d is dynamic (%s); give --input-shape",
                           c->what, in->name, i, param[i] && *param[i] ? param[i] : "unnamed");
        if (__builtin_mul_overflow(total, dims[i], &total) || total > QB_NET_MAX_NUMEL)
            return qb_fail(QB_ENOMEM, "%s: input %s of more than %ld elements", c->what, in->name,
                           QB_NET_MAX_NUMEL);
    }
    const int t = onnx_new_tensor(c, in->name, type, ndim, dims, NULL);
    if (t < 0) return t;
    c->g->tensors[t].is_input = true;
    c->g->input = t;
    return QB_OK;
}

const char *onnx_node_name(const onnx_ctx *c, int ni, char *buf, size_t len)
{
    const Onnx__NodeProto *n = c->gp->node[ni];
    if (n->name && *n->name) return n->name;
    snprintf(buf, len, "%s_%d", n->op_type ? n->op_type : "node", ni);
    return buf;
}

/* Leave out an unsupported node: its output stands for its first input. */
static int skip_node(onnx_ctx *c, int ni, const int *in, int nin)
{
    const Onnx__NodeProto *n = c->gp->node[ni];
    char buf[64];
    const char *name = onnx_node_name(c, ni, buf, sizeof buf);
    int x = -1;
    for (int i = 0; i < nin && x < 0; i++)
        x = in[i];
    if (x < 0 || !n->n_output || !*n->output[0])
        return qb_fail(QB_EINPUT, "%s: node %s (%s) cannot be left out: it has no input to pass on",
                       c->what, name, n->op_type ? n->op_type : "");
    const qb_net_tensor *t = &c->g->tensors[x];
    int rc = qb_net_add_skipped(c->g, name, n->op_type ? n->op_type : "", (double)qb_net_numel(t));
    if (!rc) rc = onnx_alias(c, n->output[0], x);
    return rc;
}

static int take_nodes(onnx_ctx *c)
{
    for (size_t i = 0; i < c->gp->n_node; i++) {
        if (c->absorbed[i]) continue;
        const Onnx__NodeProto *n = c->gp->node[i];
        char buf[64];
        const char *name = onnx_node_name(c, (int)i, buf, sizeof buf);
        if (n->n_input > QB_NET_MAXIN)
            return qb_fail(QB_EINPUT, "%s: node %s (%s) has %zu inputs, at most %d are supported",
                           c->what, name, n->op_type ? n->op_type : "", n->n_input, QB_NET_MAXIN);
        int in[QB_NET_MAXIN];
        /* a chain found by the pattern pass reads the chain's inputs */
        const onnx_fused *f = &c->fused[i];
        const int nin = f->op ? f->nin : (int)n->n_input;
        for (int k = 0; k < nin; k++) {
            const char *iname = f->op ? f->in[k] : n->input[k];
            in[k] = -1;
            if (!*iname) continue;
            const onnx_value *v = onnx_names_get(&c->names, iname, false);
            if (!v || v->tensor < 0)
                return qb_fail(QB_EINPUT,
                               "%s: node %s reads %s, which no earlier node or initializer gives",
                               c->what, name, iname);
            in[k] = v->tensor;
        }
        int rc = onnx_node(c, (int)i, in, nin);
        if (rc == ONNX_UNSUPPORTED) {
            if (!c->o->skip_unsupported) return QB_EINPUT;
            rc = skip_node(c, (int)i, in, nin);
        }
        if (rc) return rc;
    }
    return QB_OK;
}

static int take_outputs(onnx_ctx *c)
{
    for (size_t i = 0; i < c->gp->n_output; i++) {
        const char *name = c->gp->output[i]->name;
        const onnx_value *v = onnx_names_get(&c->names, name, false);
        if (!v || v->tensor < 0)
            return qb_fail(QB_EINPUT, "%s: output %s is not computed by the graph", c->what,
                           name ? name : "");
        c->g->tensors[v->tensor].is_output = true;
        if (c->g->output < 0) c->g->output = v->tensor;
    }
    if (c->g->output < 0) return qb_fail(QB_EINPUT, "%s: the model has no output", c->what);
    return QB_OK;
}

/* Drop the tensors no node, input or output refers to, renumbering the rest. */
static int compact(qb_net_graph *g)
{
    int *map = malloc(sizeof *map * (size_t)(g->ntensors + 1));
    if (!map) return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
    for (int i = 0; i < g->ntensors; i++)
        map[i] = g->tensors[i].is_input || g->tensors[i].is_output;
    for (int i = 0; i < g->nnodes; i++) {
        const qb_net_node *n = &g->nodes[i];
        map[n->out] = 1;
        for (int k = 0; k < n->nin; k++)
            if (n->in[k] >= 0) map[n->in[k]] = 1;
    }
    int kept = 0;
    for (int i = 0; i < g->ntensors; i++) {
        qb_net_tensor *t = &g->tensors[i];
        if (!map[i]) {
            free(t->name);
            free(t->data);
            free(t->scale);
            free(t->zero_point);
            free(t->qdata);
            map[i] = -1;
            continue;
        }
        map[i] = kept;
        g->tensors[kept++] = *t;
    }
    g->ntensors = kept;
    for (int i = 0; i < g->nnodes; i++) {
        qb_net_node *n = &g->nodes[i];
        n->out = map[n->out];
        for (int k = 0; k < n->nin; k++)
            if (n->in[k] >= 0) n->in[k] = map[n->in[k]];
    }
    g->input = map[g->input];
    g->output = map[g->output];
    free(map);
    return QB_OK;
}

int onnx_import(const char *what, Onnx__ModelProto *m, const qb_net_load_opts *o, qb_net_graph *g)
{
    memset(g, 0, sizeof *g);
    if (!m->graph) return qb_fail(QB_EINPUT, "%s: not an ONNX model (no graph)", what);
    onnx_ctx c;
    memset(&c, 0, sizeof c);
    c.what = what;
    c.o = o;
    c.g = g;
    c.gp = m->graph;
    c.opset = default_opset(m);
    if (c.opset < 1)
        return qb_fail(QB_EINPUT, "%s: not an ONNX model (no opset of the default domain)", what);
    qb_net_init(g, c.gp->name && *c.gp->name ? c.gp->name : what);
    if (!g->name) return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
    int rc = QB_OK;
    const size_t nn = c.gp->n_node ? c.gp->n_node : 1;
    c.absorbed = calloc(nn, sizeof *c.absorbed);
    c.fused = calloc(nn, sizeof *c.fused);
    if (!c.absorbed || !c.fused) rc = qb_fail(QB_ENOMEM, "ONNX import: out of memory");
    if (!rc) rc = count_uses(&c);
    if (!rc) rc = onnx_find_patterns(&c);
    if (!rc) rc = take_initializers(&c);
    if (!rc) rc = take_input(&c);
    if (!rc) rc = take_nodes(&c);
    if (!rc) rc = take_outputs(&c);
    if (!rc) rc = compact(g);
    free(c.absorbed);
    free(c.fused);
    free(c.tensor_uses);
    free(c.tensor_producer);
    onnx_names_free(&c.names);
    if (rc) qb_net_free(g);
    return rc;
}
