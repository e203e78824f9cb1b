/* The zoo's building blocks: tensors with seeded weights, nodes with their
 * shapes inferred as they are added, convolutions with batch norm folded. */
#include "zoo_build.h"

#include "error.h"
#include "net_infer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void zoo_begin(qb_zoo *z, qb_net_graph *g, uint64_t seed)
{
    z->g = g;
    z->rc = QB_OK;
    qb_rng_seed(&z->rng, seed, 0);
}

static int fail(qb_zoo *z, int idx)
{
    if (idx < 0 && !z->rc) z->rc = QB_EINTERNAL;
    return idx;
}

int zoo_input(qb_zoo *z, const char *name, qb_net_type type, int ndim, const long *dims)
{
    if (z->rc) return -1;
    const int t = qb_net_add_tensor(z->g, name, type, ndim, dims, NULL);
    if (t < 0) {
        z->rc = QB_ENOMEM;
        return -1;
    }
    z->g->tensors[t].is_input = true;
    z->g->input = t;
    return t;
}

static float *alloc_floats(qb_zoo *z, int ndim, const long *dims, long *n)
{
    *n = 1;
    for (int i = 0; i < ndim; i++)
        *n *= dims[i];
    float *p = malloc((size_t)*n * sizeof *p + 1);
    if (!p) z->rc = qb_fail(QB_ENOMEM, "model zoo: out of memory for %ld weights", *n);
    return p;
}

static int add_const(qb_zoo *z, const char *name, qb_net_type type, int ndim, const long *dims,
                     void *p)
{
    const int t = qb_net_add_tensor(z->g, name, type, ndim, dims, p);
    if (t < 0) {
        free(p);
        z->rc = QB_ENOMEM;
    }
    return t;
}

int zoo_weight(qb_zoo *z, const char *name, int ndim, const long *dims, long fan_in)
{
    if (z->rc) return -1;
    long n;
    float *p = alloc_floats(z, ndim, dims, &n);
    if (!p) return -1;
    /* uniform on [-a, a) has variance a^2/3: a = sqrt(6/fan_in) gives He's 2/fan_in */
    const double a = sqrt(6.0 / (double)(fan_in > 0 ? fan_in : 1));
    for (long i = 0; i < n; i++)
        p[i] = (float)(a * (2.0 * qb_rng_uniform(&z->rng) - 1.0));
    return add_const(z, name, QB_NT_F32, ndim, dims, p);
}

int zoo_fill(qb_zoo *z, const char *name, int ndim, const long *dims, float v)
{
    if (z->rc) return -1;
    long n;
    float *p = alloc_floats(z, ndim, dims, &n);
    if (!p) return -1;
    for (long i = 0; i < n; i++)
        p[i] = v;
    return add_const(z, name, QB_NT_F32, ndim, dims, p);
}

int zoo_shape(qb_zoo *z, const char *name, int n, const int64_t *v)
{
    if (z->rc) return -1;
    int64_t *p = malloc(sizeof *p * (size_t)n);
    if (!p) {
        z->rc = qb_fail(QB_ENOMEM, "model zoo: out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++)
        p[i] = v[i];
    const long d = n;
    return add_const(z, name, QB_NT_I64, 1, &d, p);
}

int zoo_node(qb_zoo *z, const char *name, qb_net_op op, const int *in, int nin,
             const qb_net_attr *a)
{
    if (z->rc) return -1;
    for (int i = 0; i < nin; i++)
        if (in[i] < 0) return fail(z, -1);
    const int out = qb_net_add_tensor(z->g, name, QB_NT_F32, 0, NULL, NULL);
    if (out < 0) {
        z->rc = QB_ENOMEM;
        return -1;
    }
    qb_net_attr def;
    if (!a) {
        qb_net_attr_init(&def);
        a = &def;
    }
    const int ni = qb_net_add_node(z->g, name, op, in, nin, out, a);
    if (ni < 0) {
        z->rc = QB_ENOMEM;
        return -1;
    }
    const int rc = qb_net_infer_node(z->g, ni);
    if (rc) {
        z->rc = rc;
        return -1;
    }
    return out;
}

int zoo_conv(qb_zoo *z, const char *name, int x, long k, long r, long stride, long group,
             qb_net_op act)
{
    if (z->rc || x < 0) return fail(z, -1);
    const long c = z->g->tensors[x].dims[1];
    char wn[160], bn[160];
    snprintf(wn, sizeof wn, "%s.weight", name);
    snprintf(bn, sizeof bn, "%s.bias", name);
    const long wd[4] = {k, c / group, r, r};
    const int w = zoo_weight(z, wn, 4, wd, c / group * r * r);
    /* the folded batch norm's shift: small, as trained biases are */
    const int b = zoo_weight(z, bn, 1, &k, 600);
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.strides[0] = a.strides[1] = stride;
    for (int i = 0; i < 4; i++)
        a.pads[i] = r / 2;
    a.group = group;
    a.fused_act = act;
    if (act == QB_NOP_CLIP) {
        a.clip_min = 0;
        a.clip_max = 6;
    }
    const int in[3] = {x, w, b};
    return zoo_node(z, name, QB_NOP_CONV, in, 3, &a);
}

int zoo_fc(qb_zoo *z, const char *name, int x, long out)
{
    if (z->rc || x < 0) return fail(z, -1);
    const long in = z->g->tensors[x].dims[1];
    char wn[160], bn[160];
    snprintf(wn, sizeof wn, "%s.weight", name);
    snprintf(bn, sizeof bn, "%s.bias", name);
    const long wd[2] = {out, in};
    const int w = zoo_weight(z, wn, 2, wd, in);
    const int b = zoo_weight(z, bn, 1, &out, 600);
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.trans_b = 1;
    const int ins[3] = {x, w, b};
    return zoo_node(z, name, QB_NOP_GEMM, ins, 3, &a);
}

int zoo_classifier(qb_zoo *z, const char *pool, const char *flatten, const char *fc, int x, long classes)
{
    x = zoo_node(z, pool, QB_NOP_GLOBALAVGPOOL, &x, 1, NULL);
    qb_net_attr fl;
    qb_net_attr_init(&fl);
    fl.axis = 1;
    x = zoo_node(z, flatten, QB_NOP_FLATTEN, &x, 1, &fl);
    return zoo_fc(z, fc, x, classes);
}

int zoo_end(qb_zoo *z, int out)
{
    if (z->rc) return z->rc;
    if (out < 0) return qb_fail(QB_EINTERNAL, "model zoo: no output");
    z->g->tensors[out].is_output = true;
    z->g->output = out;
    return QB_OK;
}
