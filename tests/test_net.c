/* Network graphs: shape inference by ONNX's rules (conv with stride, padding,
 * dilation and groups; pooling with ceil_mode; reshape with 0 and -1;
 * batched MatMul broadcasting; Gather), the FLOP formulas, the size checks,
 * the zoo at another input shape, and the ONNX reader on bytes that are not
 * a model (an error, never a crash). */
#include "check.h"
#include "error.h"
#include "net_infer.h"
#include "net_load.h"
#include "net_onnx.h"
#include "tensor_gen.h"

#include <stdlib.h>
#include <string.h>

static int act(qb_net_graph *g, const char *name, int ndim, const long *dims)
{
    return qb_net_add_tensor(g, name, QB_NT_F32, ndim, dims, NULL);
}

static int cst(qb_net_graph *g, const char *name, qb_net_type type, int ndim, const long *dims)
{
    long n = 1;
    for (int i = 0; i < ndim; i++)
        n *= dims[i];
    void *p = calloc((size_t)n + 1, qb_net_type_bytes(type));
    return qb_net_add_tensor(g, name, type, ndim, dims, p);
}

/* One node on fresh output; its inference's return code. */
static int node(qb_net_graph *g, qb_net_op op, const int *in, int nin, const qb_net_attr *a,
                int *out)
{
    *out = act(g, "y", 0, NULL);
    const int ni = qb_net_add_node(g, "n", op, in, nin, *out, a);
    return qb_net_infer_node(g, ni);
}

static bool dims_are(const qb_net_graph *g, int t, int ndim, const long *d)
{
    const qb_net_tensor *x = &g->tensors[t];
    if (x->ndim != ndim) return false;
    for (int i = 0; i < ndim; i++)
        if (x->dims[i] != d[i]) return false;
    return true;
}

static void conv(void)
{
    qb_net_graph g;
    qb_net_init(&g, "conv");
    const long xd[4] = {1, 3, 7, 7}, wd[4] = {4, 3, 3, 3};
    int in[2] = {act(&g, "x", 4, xd), cst(&g, "w", QB_NT_F32, 4, wd)}, y;
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.strides[0] = a.strides[1] = 2;
    for (int i = 0; i < 4; i++)
        a.pads[i] = 1;
    CHECK(node(&g, QB_NOP_CONV, in, 2, &a, &y) == QB_OK);
    CHECK(dims_are(&g, y, 4, (const long[]){1, 4, 4, 4}));
    CHECK(qb_net_node_ops(&g, &g.nodes[0]) == 2.0 * 4 * 4 * 4 * 3 * 3 * 3);
    qb_net_attr_init(&a);
    a.dilations[0] = a.dilations[1] = 2;
    CHECK(node(&g, QB_NOP_CONV, in, 2, &a, &y) == QB_OK);
    CHECK(dims_are(&g, y, 4, (const long[]){1, 4, 3, 3}));
    /* depthwise: 4 channels, group 4, weights 4x1x3x3 */
    const long xd4[4] = {2, 4, 8, 8}, dw[4] = {4, 1, 3, 3};
    int in4[2] = {act(&g, "x4", 4, xd4), cst(&g, "dw", QB_NT_F32, 4, dw)};
    qb_net_attr_init(&a);
    a.group = 4;
    CHECK(node(&g, QB_NOP_CONV, in4, 2, &a, &y) == QB_OK);
    CHECK(dims_are(&g, y, 4, (const long[]){2, 4, 6, 6}));
    CHECK(qb_net_node_ops(&g, &g.nodes[g.nnodes - 1]) == 2.0 * 2 * 4 * 6 * 6 * 1 * 3 * 3);
    a.group = 2; /* 4 channels against 1 per group x 2 groups: a mismatch */
    CHECK(node(&g, QB_NOP_CONV, in4, 2, &a, &y) == QB_EINPUT);
    qb_net_free(&g);
}

static void pool(void)
{
    qb_net_graph g;
    qb_net_init(&g, "pool");
    const long xd[4] = {1, 1, 8, 8};
    int x = act(&g, "x", 4, xd), y;
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.kernel[0] = a.kernel[1] = 3;
    a.strides[0] = a.strides[1] = 2;
    CHECK(node(&g, QB_NOP_MAXPOOL, &x, 1, &a, &y) == QB_OK);
    CHECK(dims_are(&g, y, 4, (const long[]){1, 1, 3, 3}));
    CHECK(qb_net_node_ops(&g, &g.nodes[0]) == 9.0 * 9);
    a.ceil_mode = true;
    CHECK(node(&g, QB_NOP_MAXPOOL, &x, 1, &a, &y) == QB_OK);
    CHECK(dims_are(&g, y, 4, (const long[]){1, 1, 4, 4}));
    CHECK(node(&g, QB_NOP_GLOBALAVGPOOL, &x, 1, NULL, &y) == QB_OK);
    CHECK(dims_are(&g, y, 4, (const long[]){1, 1, 1, 1}));
    qb_net_free(&g);
}

static void reshape_matmul_gather(void)
{
    qb_net_graph g;
    qb_net_init(&g, "shapes");
    const long xd[3] = {2, 3, 4}, sd = 2;
    const int x = act(&g, "x", 3, xd), s = cst(&g, "s", QB_NT_I64, 1, &sd);
    int64_t *sv = g.tensors[s].data;
    sv[0] = 0;
    sv[1] = -1;
    int in[2] = {x, s}, y;
    CHECK(node(&g, QB_NOP_RESHAPE, in, 2, NULL, &y) == QB_OK);
    CHECK(dims_are(&g, y, 2, (const long[]){2, 12}));
    CHECK(qb_net_node_bytes(&g, &g.nodes[0], 4) == 0);
    sv[0] = 5;
    CHECK(node(&g, QB_NOP_RESHAPE, in, 2, NULL, &y) == QB_EINPUT);

    const long ad[4] = {2, 1, 3, 4}, bd[3] = {5, 4, 6};
    int mm[2] = {act(&g, "a", 4, ad), act(&g, "b", 3, bd)};
    CHECK(node(&g, QB_NOP_MATMUL, mm, 2, NULL, &y) == QB_OK);
    CHECK(dims_are(&g, y, 4, (const long[]){2, 5, 3, 6}));
    CHECK(qb_net_node_ops(&g, &g.nodes[g.nnodes - 1]) == 2.0 * 2 * 5 * 3 * 6 * 4);

    const long ed[2] = {10, 4}, id[2] = {2, 3};
    int ga[2] = {cst(&g, "e", QB_NT_F32, 2, ed),
                 qb_net_add_tensor(&g, "i", QB_NT_I64, 2, id, NULL)};
    CHECK(node(&g, QB_NOP_GATHER, ga, 2, NULL, &y) == QB_OK);
    CHECK(dims_are(&g, y, 3, (const long[]){2, 3, 4}));

    /* an output past the element limit is refused, not overflowed */
    const long hd[2] = {1L << 30, 1L << 30};
    const int h = act(&g, "h", 2, hd);
    CHECK(node(&g, QB_NOP_RELU, &h, 1, NULL, &y) == QB_ENOMEM);
    qb_net_free(&g);
}

static void zoo(void)
{
    qb_net_load_opts o;
    memset(&o, 0, sizeof o);
    o.batch = 2;
    o.input_ndim = 4;
    const long d[4] = {9, 3, 96, 128};
    memcpy(o.input_shape, d, sizeof d);
    qb_net_graph g;
    CHECK(qb_net_load("mobilenet-v2", &o, &g) == QB_OK);
    CHECK(dims_are(&g, g.input, 4, (const long[]){2, 3, 96, 128}));
    CHECK(dims_are(&g, g.output, 2, (const long[]){2, 1000}));
    CHECK(strcmp(g.nodes[0].name, "stem") == 0 && g.nodes[0].attr.fused_act == QB_NOP_CLIP);
    CHECK(g.nodes[0].attr.clip_min == 0 && g.nodes[0].attr.clip_max == 6);
    /* the same seed gives the same weights */
    qb_net_graph h;
    CHECK(qb_net_load("mobilenet-v2", &o, &h) == QB_OK);
    CHECK(g.ntensors == h.ntensors);
    for (int i = 0; i < g.ntensors && i < h.ntensors; i++)
        if (g.tensors[i].data)
            CHECK(memcmp(g.tensors[i].data, h.tensors[i].data,
                         (size_t)qb_net_numel(&g.tensors[i]) *
                             qb_net_type_bytes(g.tensors[i].type)) == 0);
    qb_net_free(&h);
    qb_net_free(&g);
    o.batch = 0; /* the first dimension of the input shape */
    CHECK(qb_net_load("mobilenet-v2", &o, &g) == QB_OK);
    CHECK(dims_are(&g, g.input, 4, (const long[]){9, 3, 96, 128}));
    qb_net_free(&g);
    o.input_ndim = 0; /* the model's own */
    CHECK(qb_net_load("mobilenet-v2", &o, &g) == QB_OK);
    CHECK(dims_are(&g, g.input, 4, (const long[]){1, 3, 224, 224}));
    qb_net_free(&g);
    o.batch = -1;
    CHECK(qb_net_load("mobilenet-v2", &o, &g) == QB_EUSAGE);
    o.batch = 1;
    o.input_ndim = 3;
    CHECK(qb_net_load("mobilenet-v2", &o, &g) == QB_EINPUT);
    CHECK(qb_net_load("no-such-model", &o, &g) == QB_EINPUT);
}

/* Random and cut-off byte strings are errors: never a crash, never a graph. */
static void not_onnx(void)
{
    qb_net_load_opts o;
    memset(&o, 0, sizeof o);
    o.batch = 1;
    qb_rng r;
    qb_rng_seed(&r, 7, 0);
    unsigned char buf[512];
    for (int t = 0; t < 2000; t++) {
        const size_t n = 1 + (size_t)(qb_rng_next(&r) % sizeof buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)qb_rng_next(&r);
        qb_net_graph g;
        const int rc = qb_net_onnx_parse(buf, n, "random", &o, &g);
        CHECK(rc == QB_EINPUT);
        if (rc == QB_OK) qb_net_free(&g);
    }
    qb_net_graph g;
    CHECK(qb_net_onnx_parse("", 0, "empty", &o, &g) == QB_EINPUT);
    qb_clear_error();
}

int main(void)
{
    conv();
    pool();
    reshape_matmul_gather();
    zoo();
    not_onnx();
    TEST_DONE();
}
