/* The executor's channels-last layout against its planar one on a small
 * MobileNet-like graph (a 3x3 stride-2 stem with ReLU6, depthwise 3x3 convs
 * of stride 1 and 2 and a 5x5 one, 1x1 convs whose channel counts are not
 * multiples of 16, a residual Add, max pooling, global average pooling,
 * Flatten, Gemm),
 * batch 2, 1 and 2 threads: every tensor read back alike (fp32 to float
 * rounding; int8 bit for bit, since both layouts calibrate alike and their
 * integer kernels requantize alike), the channels-last kernels chosen, and
 * a graph with a layer it cannot run kept planar. The planar route itself
 * is checked against a scalar reference in test_net_exec.c. */
#include "check.h"
#include "cpu_features.h"
#include "error.h"
#include "net_exec.h"
#include "net_graph.h"
#include "ops_compute_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NB = 2 };

static int tensor(qb_net_graph *g, const char *name, int ndim, long d0, long d1, long d2, long d3,
                  uint64_t seed)
{
    const long dims[4] = {d0, d1, d2, d3};
    float *data = NULL;
    if (seed) {
        long n = 1;
        for (int i = 0; i < ndim; i++)
            n *= dims[i];
        data = malloc((size_t)n * sizeof *data);
        qb_cq_fill(data, (size_t)n, seed, -0.5f, 0.5f);
    }
    return qb_net_add_tensor(g, name, QB_NT_F32, ndim, dims, data);
}

static uint64_t seed = 10;

/* conv of x (C x H x H) to K channels, k x k, stride st, pad k/2, groups G,
 * with a Clip(0, 6) after it when clip; returns the output tensor. */
static int conv(qb_net_graph *g, const char *name, int x, long K, long k, long st, long G,
                bool clip)
{
    const qb_net_tensor *xt = &g->tensors[x];
    const long C = xt->dims[1], H = xt->dims[2], OH = (H + 2 * (k / 2) - k) / st + 1;
    char n[64];
    snprintf(n, sizeof n, "%s.w", name);
    const int w = tensor(g, n, 4, K, C / G, k, k, seed++);
    snprintf(n, sizeof n, "%s.b", name);
    const int b = tensor(g, n, 1, K, 0, 0, 0, seed++);
    const int y = tensor(g, name, 4, NB, K, OH, OH, 0);
    qb_net_attr a = {.group = G};
    a.kernel[0] = a.kernel[1] = k;
    a.strides[0] = a.strides[1] = st;
    a.dilations[0] = a.dilations[1] = 1;
    a.pads[0] = a.pads[1] = a.pads[2] = a.pads[3] = k / 2;
    qb_net_add_node(g, name, QB_NOP_CONV, (int[]){x, w, b}, 3, y, &a);
    if (!clip) return y;
    snprintf(n, sizeof n, "%s.clip", name);
    const int c = tensor(g, n, 4, NB, K, OH, OH, 0);
    a = (qb_net_attr){.clip_min = 0, .clip_max = 6};
    qb_net_add_node(g, n, QB_NOP_CLIP, (int[]){y}, 1, c, &a);
    return c;
}

/* The graph; with `pool`, a 3x3 pooling before the head (QB_NOP_MAXPOOL,
 * which runs channels-last, or QB_NOP_AVGPOOL, which does not); with `pre`,
 * a 1x1 conv before the stem (the input is then permuted on entry, not
 * gathered by the stem). */
static void build(qb_net_graph *g, qb_net_op pool, bool pre)
{
    qb_net_init(g, "mobile");
    const int x = tensor(g, "x", 4, NB, 3, 15, 15, 0);
    g->input = x;
    g->tensors[x].is_input = true;
    int t = pre ? conv(g, "pre", x, 3, 1, 1, 1, false) : x;
    t = conv(g, "stem", t, 24, 3, 2, 1, true); /* 24 x 8 x 8 */
    t = conv(g, "dw1", t, 24, 3, 1, 24, true);
    const int p = conv(g, "project1", t, 20, 1, 1, 1, false);
    t = conv(g, "expand2", p, 40, 1, 1, 1, true);
    t = conv(g, "dw2", t, 40, 3, 1, 40, true);
    t = conv(g, "project2", t, 20, 1, 1, 1, false);
    const int a = tensor(g, "add", 4, NB, 20, 8, 8, 0);
    qb_net_add_node(g, "add", QB_NOP_ADD, (int[]){t, p}, 2, a, NULL);
    t = conv(g, "expand3", a, 36, 1, 1, 1, true);
    t = conv(g, "dw3", t, 36, 3, 2, 36,
             false); /* 36 x 4 x 4; unclipped: dw4 pads with a nonzero zero point */
    t = conv(g, "dw4", t, 36, 5, 1, 36, false); /* the generic-tap path */
    if (pool) {
        /* stride 2 with padding: windows of 4, 6 and 9 taps (36 channels:
         * the u8 kernel's 32-byte vectors and a tail) */
        const int m = tensor(g, "pool", 4, NB, 36, 2, 2, 0);
        qb_net_attr pa = {0};
        pa.kernel[0] = pa.kernel[1] = 3;
        pa.strides[0] = pa.strides[1] = 2;
        pa.pads[0] = pa.pads[1] = pa.pads[2] = pa.pads[3] = 1;
        qb_net_add_node(g, "pool", pool, (int[]){t}, 1, m, &pa);
        t = m;
    }
    const int gp = tensor(g, "gap", 4, NB, 36, 1, 1, 0);
    qb_net_add_node(g, "gap", QB_NOP_GLOBALAVGPOOL, (int[]){t}, 1, gp, NULL);
    const int fl = tensor(g, "flat", 2, NB, 36, 0, 0, 0);
    qb_net_attr fa = {.axis = 1};
    qb_net_add_node(g, "flatten", QB_NOP_FLATTEN, (int[]){gp}, 1, fl, &fa);
    const int w = tensor(g, "fc.w", 2, 10, 36, 0, 0, seed++),
              b = tensor(g, "fc.b", 1, 10, 0, 0, 0, seed++);
    const int y = tensor(g, "y", 2, NB, 10, 0, 0, 0);
    fa = (qb_net_attr){.alpha = 1, .beta = 1, .trans_b = 1};
    qb_net_add_node(g, "fc", QB_NOP_GEMM, (int[]){fl, w, b}, 3, y, &fa);
    g->output = y;
    g->tensors[y].is_output = true;
}

static bool kernel_is(const qb_net_exec *e, const qb_net_graph *g, const char *node,
                      const char *kernel)
{
    for (int i = 0; i < g->nnodes; i++)
        if (strcmp(g->nodes[i].name, node) == 0)
            return strcmp(qb_net_exec_layer(e, i)->kernel, kernel) == 0;
    return false;
}

/* Both layouts on the same input; every tensor compared. */
static void compare(const qb_net_graph *g, qb_dtype dt, qb_qgran gran, int threads)
{
    const size_t nin = (size_t)qb_net_numel(&g->tensors[g->input]);
    float *x = malloc(nin * sizeof *x);
    qb_cq_fill(x, nin, 77, -1.0f, 1.0f);
    qb_net_exec_opts o = {.dtype = dt,
                          .gran = gran,
                          .threads = threads,
                          .calib_batches = 2,
                          .seed = 3,
                          .keep_all = true};
    qb_net_exec *cl = NULL, *pl = NULL;
    CHECK(qb_net_exec_create(g, &o, &cl) == QB_OK);
    o.planar = true;
    CHECK(qb_net_exec_create(g, &o, &pl) == QB_OK);
    if (!cl || !pl) return;
    CHECK(kernel_is(cl, g, "stem", "direct conv (channels-last)"));
    CHECK(kernel_is(cl, g, "project1", "gemm (1x1, channels-last)"));
    CHECK(kernel_is(cl, g, "dw4", "depthwise (channels-last)"));
    CHECK(!kernel_is(pl, g, "dw1", "depthwise (channels-last)"));
    for (int rep = 0; rep < 2; rep++) {
        CHECK(qb_net_exec_run(cl, x, NULL) == QB_OK);
        CHECK(qb_net_exec_run(pl, x, NULL) == QB_OK);
    }
    for (int t = 0; t < g->ntensors; t++) {
        if (g->tensors[t].data) continue;
        const size_t n = (size_t)qb_net_numel(&g->tensors[t]);
        float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        CHECK(qb_net_exec_tensor(cl, t, a) == QB_OK && qb_net_exec_tensor(pl, t, b) == QB_OK);
        double md = 0, mb = 0;
        for (size_t i = 0; i < n; i++) {
            md = fmax(md, fabs((double)a[i] - b[i]));
            mb = fmax(mb, fabs((double)b[i]));
        }
        const bool ok = dt == QB_INT8 ? md == 0 : md <= 1e-5 * mb;
        if (!ok)
            fprintf(stderr, "%s dtype %d gran %d t%d: max diff %g of %g\n", g->tensors[t].name, dt,
                    gran, threads, md, mb);
        CHECK(ok);
        free(a);
        free(b);
    }
    qb_net_exec_destroy(cl);
    qb_net_exec_destroy(pl);
    free(x);
}

int main(void)
{
    if (!qb_cpu_has("avx512f") || !qb_cpu_has("avx512bw") || !qb_cpu_has("avx512vl") ||
        !qb_cpu_has("avx512vnni")) {
        printf("skip: channels-last kernels need AVX-512 and AVX512-VNNI\n");
        return 0;
    }
    qb_net_graph g;
    for (int pre = 0; pre < 2; pre++) {
        build(&g, pre ? QB_NOP_MAXPOOL : 0, pre);
        for (int threads = 1; threads <= 2; threads++) {
            compare(&g, QB_FP32, QB_PER_TENSOR, threads);
            compare(&g, QB_INT8, QB_PER_TENSOR, threads);
            compare(&g, QB_INT8, QB_PER_CHANNEL, threads);
        }
        qb_net_free(&g);
    }
    /* an average pool has no channels-last kernel: the whole graph stays planar */
    build(&g, QB_NOP_AVGPOOL, false);
    qb_net_exec_opts o = {.dtype = QB_FP32, .threads = 1};
    qb_net_exec *e = NULL;
    CHECK(qb_net_exec_create(&g, &o, &e) == QB_OK);
    CHECK(e && kernel_is(e, &g, "project1", "gemm (implicit im2col)"));
    qb_net_exec_destroy(e);
    qb_net_free(&g);
    TEST_DONE();
}
