/* The network executor on a small hand-built graph (conv, fused ReLU,
 * depthwise conv with a fused Clip, grouped 1x1 conv, residual Add, max and
 * average pooling, global average pooling, Flatten, Gemm, Softmax) against a
 * plain scalar run of the same graph: fp32 to float tolerance, fp16 to its
 * precision, int8 within a known error bound (cosine, NSR). Plus the memory
 * planner (no two live tensors share bytes), keep_all, an unsupported layer
 * refused or skipped, and a bad dtype refused. */
#include "check.h"
#include "error.h"
#include "net_accuracy.h"
#include "net_exec.h"
#include "net_graph.h"
#include "net_plan.h"
#include "ops_compute_util.h"
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NB = 2, C0 = 3, H0 = 9, C1 = 8, H1 = 5, H2 = 2, NOUT = 5 };

static int tensor(qb_net_graph *g, const char *name, int ndim, long d0, long d1, long d2, long d3, uint64_t seed)
{
    const long dims[4] = {d0, d1, d2, d3};
    float *data = NULL;
    if (seed) {
        long n = 1;
        for (int i = 0; i < ndim; i++) n *= dims[i];
        data = malloc((size_t)n * sizeof *data);
        qb_cq_fill(data, (size_t)n, seed, -0.5f, 0.5f);
    }
    return qb_net_add_tensor(g, name, QB_NT_F32, ndim, dims, data);
}

static qb_net_attr conv_attr(long k, long stride, long pad, long group)
{
    qb_net_attr a = {0};
    a.kernel[0] = a.kernel[1] = k;
    a.strides[0] = a.strides[1] = stride;
    a.dilations[0] = a.dilations[1] = 1;
    a.pads[0] = a.pads[1] = a.pads[2] = a.pads[3] = pad;
    a.group = group;
    return a;
}

/* The graph; its tensor indices in ids (for the reference). */
static struct {
    int x, w1, b1, c1, r1, wd, bd, d, dc, wg, bg, gc, add, mp, ap, gap, fl, wf, bf, fc, sm;
} id;

static void build(qb_net_graph *g)
{
    qb_net_init(g, "tiny");
    id.x = tensor(g, "x", 4, NB, C0, H0, H0, 0);
    id.w1 = tensor(g, "w1", 4, C1, C0, 3, 3, 1);
    id.b1 = tensor(g, "b1", 1, C1, 0, 0, 0, 2);
    id.c1 = tensor(g, "c1", 4, NB, C1, H0, H0, 0);
    id.r1 = tensor(g, "r1", 4, NB, C1, H0, H0, 0);
    id.wd = tensor(g, "wd", 4, C1, 1, 3, 3, 3);
    id.bd = tensor(g, "bd", 1, C1, 0, 0, 0, 4);
    id.d = tensor(g, "d", 4, NB, C1, H1, H1, 0);
    id.dc = tensor(g, "dc", 4, NB, C1, H1, H1, 0);
    id.wg = tensor(g, "wg", 4, C1, C1 / 2, 1, 1, 5);
    id.bg = tensor(g, "bg", 1, C1, 0, 0, 0, 6);
    id.gc = tensor(g, "gc", 4, NB, C1, H1, H1, 0);
    id.add = tensor(g, "add", 4, NB, C1, H1, H1, 0);
    id.mp = tensor(g, "mp", 4, NB, C1, H1, H1, 0);
    id.ap = tensor(g, "ap", 4, NB, C1, H2, H2, 0);
    id.gap = tensor(g, "gap", 4, NB, C1, 1, 1, 0);
    id.fl = tensor(g, "fl", 2, NB, C1, 0, 0, 0);
    id.wf = tensor(g, "wf", 2, NOUT, C1, 0, 0, 7);
    id.bf = tensor(g, "bf", 1, NOUT, 0, 0, 0, 8);
    id.fc = tensor(g, "fc", 2, NB, NOUT, 0, 0, 0);
    id.sm = tensor(g, "sm", 2, NB, NOUT, 0, 0, 0);
    g->input = id.x;
    g->output = id.sm;
    g->tensors[id.x].is_input = g->tensors[id.sm].is_output = true;
    qb_net_attr a = conv_attr(3, 1, 1, 1);
    qb_net_add_node(g, "conv1", QB_NOP_CONV, (int[]){id.x, id.w1, id.b1}, 3, id.c1, &a);
    qb_net_add_node(g, "relu1", QB_NOP_RELU, (int[]){id.c1}, 1, id.r1, NULL);
    a = conv_attr(3, 2, 1, C1);
    qb_net_add_node(g, "dw", QB_NOP_CONV, (int[]){id.r1, id.wd, id.bd}, 3, id.d, &a);
    a = (qb_net_attr){.clip_min = 0, .clip_max = 6};
    qb_net_add_node(g, "clip", QB_NOP_CLIP, (int[]){id.d}, 1, id.dc, &a);
    a = conv_attr(1, 1, 0, 2);
    qb_net_add_node(g, "gconv", QB_NOP_CONV, (int[]){id.dc, id.wg, id.bg}, 3, id.gc, &a);
    qb_net_add_node(g, "add", QB_NOP_ADD, (int[]){id.gc, id.dc}, 2, id.add, NULL);
    a = conv_attr(3, 1, 1, 0);
    qb_net_add_node(g, "maxpool", QB_NOP_MAXPOOL, (int[]){id.add}, 1, id.mp, &a);
    a = conv_attr(2, 2, 0, 0);
    qb_net_add_node(g, "avgpool", QB_NOP_AVGPOOL, (int[]){id.mp}, 1, id.ap, &a);
    qb_net_add_node(g, "gap", QB_NOP_GLOBALAVGPOOL, (int[]){id.ap}, 1, id.gap, NULL);
    a = (qb_net_attr){.axis = 1};
    qb_net_add_node(g, "flatten", QB_NOP_FLATTEN, (int[]){id.gap}, 1, id.fl, &a);
    a = (qb_net_attr){.alpha = 1, .beta = 1, .trans_b = 1};
    qb_net_add_node(g, "fc", QB_NOP_GEMM, (int[]){id.fl, id.wf, id.bf}, 3, id.fc, &a);
    a = (qb_net_attr){.axis = -1};
    qb_net_add_node(g, "softmax", QB_NOP_SOFTMAX, (int[]){id.fc}, 1, id.sm, &a);
}

static const float *D(const qb_net_graph *g, int t)
{
    return g->tensors[t].data;
}

/* Plain convolution: x [NB][C][H][H] -> y [NB][K][OH][OH]. */
static void ref_conv(const float *x, long C, long H, const float *w, const float *b, long K, long R,
                     long st, long pad, long G, float *y, long OH)
{
    const long Cg = C / G, Kg = K / G;
    for (long n = 0; n < NB; n++)
        for (long k = 0; k < K; k++)
            for (long oh = 0; oh < OH; oh++)
                for (long ow = 0; ow < OH; ow++) {
                    double s = b[k];
                    for (long c = 0; c < Cg; c++)
                        for (long r = 0; r < R; r++)
                            for (long q = 0; q < R; q++) {
                                const long ih = oh * st - pad + r, iw = ow * st - pad + q;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= H) continue;
                                s += (double)x[((n * C + k / Kg * Cg + c) * H + ih) * H + iw] *
                                     w[((k * Cg + c) * R + r) * R + q];
                            }
                    y[((n * K + k) * OH + oh) * OH + ow] = (float)s;
                }
}

static void ref_pool(const float *x, long H, long R, long st, long pad, bool mx, float *y, long OH)
{
    for (long p = 0; p < NB * C1; p++)
        for (long oh = 0; oh < OH; oh++)
            for (long ow = 0; ow < OH; ow++) {
                double m = -INFINITY, s = 0;
                long cnt = 0;
                for (long r = 0; r < R; r++)
                    for (long q = 0; q < R; q++) {
                        const long ih = oh * st - pad + r, iw = ow * st - pad + q;
                        if (ih < 0 || ih >= H || iw < 0 || iw >= H) continue;
                        const double v = x[(p * H + ih) * H + iw];
                        m = v > m ? v : m;
                        s += v;
                        cnt++;
                    }
                y[(p * OH + oh) * OH + ow] = (float)(mx ? m : s / (double)cnt);
            }
}

/* The whole graph by the loops above: the softmax output [NB][NOUT]. */
static void reference(const qb_net_graph *g, const float *x, float *out)
{
    static float c1[NB * C1 * H0 * H0], d[NB * C1 * H1 * H1], gc[NB * C1 * H1 * H1],
        mp[NB * C1 * H1 * H1], ap[NB * C1 * H2 * H2], gap[NB * C1];
    ref_conv(x, C0, H0, D(g, id.w1), D(g, id.b1), C1, 3, 1, 1, 1, c1, H0);
    for (size_t i = 0; i < sizeof c1 / sizeof *c1; i++) c1[i] = c1[i] > 0 ? c1[i] : 0;
    ref_conv(c1, C1, H0, D(g, id.wd), D(g, id.bd), C1, 3, 2, 1, C1, d, H1);
    for (size_t i = 0; i < sizeof d / sizeof *d; i++) d[i] = d[i] < 0 ? 0 : d[i] > 6 ? 6 : d[i];
    ref_conv(d, C1, H1, D(g, id.wg), D(g, id.bg), C1, 1, 1, 0, 2, gc, H1);
    for (size_t i = 0; i < sizeof gc / sizeof *gc; i++) gc[i] += d[i];
    ref_pool(gc, H1, 3, 1, 1, true, mp, H1);
    ref_pool(mp, H1, 2, 2, 0, false, ap, H2);
    for (long p = 0; p < NB * C1; p++)
        gap[p] = (ap[p * 4] + ap[p * 4 + 1] + ap[p * 4 + 2] + ap[p * 4 + 3]) / 4;
    for (long n = 0; n < NB; n++) {
        double z[NOUT], m = -INFINITY, s = 0;
        for (long j = 0; j < NOUT; j++) {
            z[j] = D(g, id.bf)[j];
            for (long k = 0; k < C1; k++) z[j] += (double)gap[n * C1 + k] * D(g, id.wf)[j * C1 + k];
            m = z[j] > m ? z[j] : m;
        }
        for (long j = 0; j < NOUT; j++) s += exp(z[j] - m);
        for (long j = 0; j < NOUT; j++) out[n * NOUT + j] = (float)(exp(z[j] - m) / s);
    }
}

static double rel_err(const float *a, const float *b, size_t n)
{
    double md = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        md = fmax(md, fabs((double)a[i] - b[i]));
        mb = fmax(mb, fabs((double)b[i]));
    }
    return md / mb;
}

/* The executor's output for opts o on input x. */
static int run(const qb_net_graph *g, const qb_net_exec_opts *o, const float *x, float *out)
{
    qb_net_exec *e = NULL;
    int rc = qb_net_exec_create(g, o, &e);
    if (rc) return rc;
    rc = qb_net_exec_run(e, x, NULL);
    if (!rc) rc = qb_net_exec_run(e, x, NULL); /* twice: the buffers are reused */
    if (!rc) rc = qb_net_exec_tensor(e, g->output, out);
    CHECK(qb_net_exec_peak_bytes(e) <= qb_net_exec_total_bytes(e));
    CHECK(!qb_net_exec_layer(e, 1)->active);             /* relu fused into conv1 */
    CHECK(strcmp(qb_net_exec_layer(e, 0)->fused, o->dtype == QB_INT8 ? "bias+relu+requant" : "bias+relu") == 0);
    CHECK(!qb_net_exec_layer(e, 3)->active);             /* clip fused into the depthwise conv */
    qb_net_exec_destroy(e);
    return rc;
}

/* Pre-softmax logits would show int8 error better; the softmax output of
 * this graph is what the user reads, so the bound is on it. */
static void dtypes(const qb_net_graph *g)
{
    float x[NB * C0 * H0 * H0], want[NB * NOUT], got[NB * NOUT];
    qb_cq_fill(x, sizeof x / sizeof *x, 99, -1.0f, 1.0f);
    reference(g, x, want);
    for (int threads = 1; threads <= 2; threads++) {
        qb_net_exec_opts o = {.dtype = QB_FP32, .threads = threads, .calib_batches = 2, .seed = 5};
        CHECK(run(g, &o, x, got) == QB_OK);
        const double e32 = rel_err(got, want, NB * NOUT);
        if (!(e32 < 1e-5)) fprintf(stderr, "fp32 t%d: %g\n", threads, e32);
        CHECK(e32 < 1e-5);
        o.dtype = QB_FP16;
        CHECK(run(g, &o, x, got) == QB_OK);
        const double e16 = rel_err(got, want, NB * NOUT);
        if (!(e16 < 1e-2)) fprintf(stderr, "fp16 t%d: %g\n", threads, e16);
        CHECK(e16 < 1e-2);
        for (int gr = QB_PER_TENSOR; gr <= QB_PER_CHANNEL; gr++)
            for (int cal = 0; cal < 2; cal++) {
                o.dtype = QB_INT8;
                o.gran = (qb_qgran)gr;
                o.calib = (qb_net_calib)cal;
                o.percentile = 99.9;
                CHECK(run(g, &o, x, got) == QB_OK);
                const double e8 = rel_err(got, want, NB * NOUT);
                if (!(e8 < 0.05)) fprintf(stderr, "int8 %d %d t%d: %g\n", gr, cal, threads, e8);
                CHECK(e8 < 0.05);
            }
    }
}

/* keep_all: every tensor readable after the run, equal to the reference's
 * first layer; without it, reading an intermediate is refused. */
static void keep_all(const qb_net_graph *g)
{
    float x[NB * C0 * H0 * H0], c1[NB * C1 * H0 * H0], want[NB * C1 * H0 * H0];
    qb_cq_fill(x, sizeof x / sizeof *x, 98, -1.0f, 1.0f);
    ref_conv(x, C0, H0, D(g, id.w1), D(g, id.b1), C1, 3, 1, 1, 1, want, H0);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) want[i] = want[i] > 0 ? want[i] : 0;
    qb_net_exec_opts o = {.dtype = QB_FP32, .threads = 1, .keep_all = true};
    qb_net_exec *e = NULL;
    CHECK(qb_net_exec_create(g, &o, &e) == QB_OK);
    CHECK(qb_net_exec_run(e, x, NULL) == QB_OK);
    CHECK(qb_net_exec_tensor(e, id.r1, c1) == QB_OK);
    CHECK(rel_err(c1, want, sizeof c1 / sizeof *c1) < 1e-5);
    CHECK(qb_net_exec_peak_bytes(e) == qb_net_exec_total_bytes(e) || qb_net_exec_peak_bytes(e) >= qb_net_exec_total_bytes(e));
    qb_net_exec_destroy(e);
    o.keep_all = false;
    CHECK(qb_net_exec_create(g, &o, &e) == QB_OK);
    CHECK(qb_net_exec_run(e, x, NULL) == QB_OK);
    CHECK(qb_net_exec_tensor(e, id.r1, c1) == QB_EINPUT);
    qb_clear_error();
    CHECK(qb_net_exec_peak_bytes(e) < qb_net_exec_total_bytes(e)); /* buffers were reused */
    qb_net_exec_destroy(e);
}

/* Random lifetimes: every pair of tensors alive at a common step gets
 * disjoint bytes. */
static void planner(void)
{
    enum { N = 200 };
    qb_net_live t[N];
    size_t off[N];
    uint64_t s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        const int a = (int)(s >> 33) % 100, len = (int)(s >> 20) % 20;
        t[i] = (qb_net_live){.bytes = (s >> 8) % 5000 + (i % 7 == 0 ? 0 : 1), .first = a, .last = a + len};
    }
    const size_t arena = qb_net_plan(t, N, off);
    size_t total = 0, bad = 0;
    for (int i = 0; i < N; i++) {
        total += t[i].bytes;
        if (t[i].bytes && off[i] % 64) bad++;
        if (t[i].bytes && off[i] + t[i].bytes > arena) bad++;
        for (int j = 0; j < i; j++) {
            if (!t[i].bytes || !t[j].bytes) continue;
            const bool live = t[i].first <= t[j].last && t[j].first <= t[i].last;
            const bool share = off[i] < off[j] + t[j].bytes && off[j] < off[i] + t[i].bytes;
            bad += live && share;
        }
    }
    CHECK(bad == 0);
    CHECK(arena < total);
}

/* int8 accuracy: per-channel weights beat per-tensor on the conv with
 * spread channels; each layer's isolated error is at most its accumulated
 * one plus slack, and the output's matches a direct comparison. */
static void accuracy(const qb_net_graph *g)
{
    qb_net_exec_opts o = {.dtype = QB_INT8, .gran = QB_PER_CHANNEL, .threads = 2, .calib_batches = 2, .seed = 5};
    qb_net_accuracy a;
    CHECK(qb_net_accuracy_run(g, &o, 2, &a) == QB_OK);
    CHECK(a.nnodes == g->nnodes);
    CHECK(a.output.n == 2 * NB * NOUT && a.output.cosine > 0.99 && a.output.nsr < 1e-2);
    CHECK(a.isolated[0].n > 0 && a.isolated[1].n == 0); /* relu1 is fused: nothing of its own */
    CHECK(a.isolated[0].nsr < 1e-2 && a.isolated[0].nsr > 0);
    /* the first layer sees the same input either way */
    CHECK_NEAR(a.isolated[0].nsr, a.accumulated[0].nsr, 1e-12);
    CHECK(a.accumulated[4].nsr > 0);
    qb_net_accuracy_free(&a);
    o.dtype = QB_FP16;
    CHECK(qb_net_accuracy_run(g, &o, 1, &a) == QB_OK);
    CHECK(a.output.nsr < 1e-5);
    qb_net_accuracy_free(&a);
}

static void refused(qb_net_graph *g)
{
    /* a bad dtype */
    qb_net_exec_opts o = {.dtype = (qb_dtype)7, .threads = 1};
    qb_net_exec *e = NULL;
    CHECK(qb_net_exec_create(g, &o, &e) == QB_EUSAGE);
    qb_clear_error();
    /* an LSTM the executor cannot run: refused, naming the node, or skipped */
    const long dims[2] = {NB, NOUT};
    const int y = qb_net_add_tensor(g, "lstm_out", QB_NT_F32, 2, dims, NULL);
    qb_net_add_node(g, "lstm1", QB_NOP_LSTM, (int[]){g->output}, 1, y, NULL);
    g->output = y;
    o.dtype = QB_FP32;
    CHECK(qb_net_exec_create(g, &o, &e) == QB_EINPUT);
    CHECK(strstr(qb_last_error(QB_EINPUT), "lstm1") != NULL);
    qb_clear_error();
    o.skip_unsupported = true;
    CHECK(qb_net_exec_create(g, &o, &e) == QB_OK);
    if (e) {
        CHECK(qb_net_exec_layer(e, g->nnodes - 1)->skipped);
        float x[NB * C0 * H0 * H0], out[NB * NOUT];
        qb_cq_fill(x, sizeof x / sizeof *x, 97, -1.0f, 1.0f);
        CHECK(qb_net_exec_run(e, x, NULL) == QB_OK && qb_net_exec_tensor(e, g->output, out) == QB_OK);
        int nz = 0;
        for (int i = 0; i < NB * NOUT; i++) nz += out[i] != 0;
        CHECK(nz == 0); /* the skipped layer's output reads as 0 */
        qb_net_exec_destroy(e);
    }
}

/* Gather then LSTM (fp32 route) against plain loops in double. */
static void recurrent(void)
{
    enum { SEQ = 4, B = 2, V = 10, DE = 6, H = 5 };
    qb_net_graph g;
    qb_net_init(&g, "rnn");
    const long td[2] = {SEQ, B};
    const int tok = qb_net_add_tensor(&g, "tokens", QB_NT_I64, 2, td, NULL); /* token ids */
    const int emb = tensor(&g, "emb", 2, V, DE, 0, 0, 21);
    const int x = tensor(&g, "x", 3, SEQ, B, DE, 0, 0);
    const int W = tensor(&g, "W", 3, 1, 4 * H, DE, 0, 22);
    const int R = tensor(&g, "R", 3, 1, 4 * H, H, 0, 23);
    const int bb = tensor(&g, "B", 2, 1, 8 * H, 0, 0, 24);
    const int y = tensor(&g, "y", 3, SEQ, B, H, 0, 0);
    g.input = tok;
    g.output = y;
    qb_net_attr a = {.axis = 0};
    qb_net_add_node(&g, "embed", QB_NOP_GATHER, (int[]){emb, tok}, 2, x, &a);
    a = (qb_net_attr){.hidden = H};
    qb_net_add_node(&g, "lstm", QB_NOP_LSTM, (int[]){x, W, R, bb}, 4, y, &a);
    float in[SEQ * B], got[SEQ * B * H];
    qb_cq_fill(in, SEQ * B, 77, -1.0f, 1.0f);
    const qb_net_exec_opts o = {.dtype = QB_FP32, .threads = 2};
    qb_net_exec *e = NULL;
    CHECK(qb_net_exec_create(&g, &o, &e) == QB_OK);
    CHECK(e && qb_net_exec_run(e, in, NULL) == QB_OK);
    CHECK(e && qb_net_exec_tensor(e, y, got) == QB_OK);
    qb_net_exec_destroy(e);
    const float *E = D(&g, emb), *w = D(&g, W), *r = D(&g, R), *bias = D(&g, bb);
    double h[B][H] = {{0}}, c[B][H] = {{0}}, maxd = 0;
    for (int t = 0; t < SEQ; t++) {
        double hn[B][H];
        for (int b = 0; b < B; b++) {
            const long k = (long)((in[t * B + b] + 1.0f) * 0.5f * (float)V);
            double gate[4 * H];
            for (int j = 0; j < 4 * H; j++) {
                double s = (double)bias[j] + bias[4 * H + j];
                for (int i = 0; i < DE; i++) s += (double)E[k * DE + i] * w[j * DE + i];
                for (int i = 0; i < H; i++) s += h[b][i] * r[j * H + i];
                gate[j] = s;
            }
            for (int j = 0; j < H; j++) {
                const double ig = 1 / (1 + exp(-gate[j])), og = 1 / (1 + exp(-gate[H + j]));
                const double fg = 1 / (1 + exp(-gate[2 * H + j])), z = tanh(gate[3 * H + j]);
                c[b][j] = fg * c[b][j] + ig * z;
                hn[b][j] = og * tanh(c[b][j]);
                maxd = fmax(maxd, fabs(hn[b][j] - got[(t * B + b) * H + j]));
            }
        }
        memcpy(h, hn, sizeof h);
    }
    if (!(maxd < 1e-5)) fprintf(stderr, "lstm: max difference %g\n", maxd);
    CHECK(maxd < 1e-5);
    /* fp16 and int8 read the same token ids (they are not narrowed or
     * quantized), so their outputs stay near fp32's */
    for (int d = QB_FP16; d <= QB_INT8; d++) {
        const qb_net_exec_opts q = {.dtype = (qb_dtype)d, .threads = 1, .calib_batches = 2};
        float approx[SEQ * B * H];
        CHECK(qb_net_exec_create(&g, &q, &e) == QB_OK);
        CHECK(e && qb_net_exec_run(e, in, NULL) == QB_OK && qb_net_exec_tensor(e, y, approx) == QB_OK);
        qb_net_exec_destroy(e);
        double md = 0;
        for (int i = 0; i < SEQ * B * H; i++) md = fmax(md, fabs((double)approx[i] - got[i]));
        if (!(md < (d == QB_FP16 ? 2e-3 : 0.15))) fprintf(stderr, "lstm dtype %d: max difference %g\n", d, md);
        CHECK(md < (d == QB_FP16 ? 2e-3 : 0.15));
    }
    qb_net_free(&g);
}

/* MatMul + bias Add + Relu: the Add and the Relu join the GEMM's epilogue. */
/* MatMul + bias Add + Relu (or a ReLU6-like Clip, which rides in the float
 * epilogue as a cap) fused into one GEMM layer. */
static void linear_fused(bool clip)
{
    enum { M = 3, K = 8, N = 5 };
    const float cap = 0.3f; /* low enough that some outputs reach it */
    qb_net_graph g;
    qb_net_init(&g, "linear");
    const int x = tensor(&g, "x", 2, M, K, 0, 0, 0), w = tensor(&g, "w", 2, K, N, 0, 0, 31);
    const int b = tensor(&g, "b", 1, N, 0, 0, 0, 32), y = tensor(&g, "y", 2, M, N, 0, 0, 0);
    const int z = tensor(&g, "z", 2, M, N, 0, 0, 0), r = tensor(&g, "r", 2, M, N, 0, 0, 0);
    g.input = x;
    g.output = r;
    qb_net_add_node(&g, "mm", QB_NOP_MATMUL, (int[]){x, w}, 2, y, NULL);
    qb_net_add_node(&g, "bias", QB_NOP_ADD, (int[]){y, b}, 2, z, NULL);
    qb_net_attr ca = {.clip_min = 0, .clip_max = cap};
    if (clip) qb_net_add_node(&g, "clip", QB_NOP_CLIP, (int[]){z}, 1, r, &ca);
    else qb_net_add_node(&g, "relu", QB_NOP_RELU, (int[]){z}, 1, r, NULL);
    float in[M * K], got[M * N], want[M * N];
    qb_cq_fill(in, M * K, 41, -1.0f, 1.0f);
    int capped = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = D(&g, b)[j];
            for (int k = 0; k < K; k++) s += (double)in[i * K + k] * D(&g, w)[k * N + j];
            s = s > 0 ? s : 0;
            if (clip && s > cap) s = cap, capped++;
            want[i * N + j] = (float)s;
        }
    CHECK(!clip || capped > 0);
    for (int d = QB_FP32; d <= QB_INT8; d++) {
        const qb_net_exec_opts o = {.dtype = (qb_dtype)d, .gran = QB_PER_CHANNEL, .threads = 1, .calib_batches = 4};
        qb_net_exec *e = NULL;
        CHECK(qb_net_exec_create(&g, &o, &e) == QB_OK);
        if (!e) continue;
        CHECK(!qb_net_exec_layer(e, 1)->active && !qb_net_exec_layer(e, 2)->active);
        CHECK(strncmp(qb_net_exec_layer(e, 0)->fused, clip ? "bias+clip" : "bias+relu", 9) == 0);
        CHECK(qb_net_exec_run(e, in, NULL) == QB_OK);
        CHECK(qb_net_exec_tensor(e, r, got) == QB_OK);
        const double err = rel_err(got, want, M * N);
        if (!(err < (d == QB_FP32 ? 1e-6 : d == QB_FP16 ? 2e-3 : 0.05)))
            fprintf(stderr, "linear %s %d: %g\n", clip ? "clip" : "relu", d, err);
        CHECK(err < (d == QB_FP32 ? 1e-6 : d == QB_FP16 ? 2e-3 : 0.05));
        qb_net_exec_destroy(e);
    }
    qb_net_free(&g);
}

/* int8 Add (a residual): every output equals the integer formula
 * rint(sa/so (qa - za) + sb/so (qb - zb)) + zo, clamped, on the vector
 * body and the tail alike. */
static void int8_add(void)
{
    qb_net_graph g;
    qb_net_init(&g, "residual");
    const int x = tensor(&g, "x", 4, 1, 1, 5, 7, 0), w = tensor(&g, "w", 4, 1, 1, 1, 1, 51);
    const int a = tensor(&g, "a", 4, 1, 1, 5, 7, 0), y = tensor(&g, "y", 4, 1, 1, 5, 7, 0);
    g.input = x;
    g.output = y;
    qb_net_attr at = conv_attr(1, 1, 0, 1);
    qb_net_add_node(&g, "conv", QB_NOP_CONV, (int[]){x, w}, 2, a, &at);
    qb_net_add_node(&g, "add", QB_NOP_ADD, (int[]){a, x}, 2, y, NULL);
    const qb_net_exec_opts o = {.dtype = QB_INT8, .threads = 2, .keep_all = true, .calib_batches = 2};
    qb_net_exec *e = NULL;
    const int crc = qb_net_exec_create(&g, &o, &e);
    if (crc) fprintf(stderr, "int8 add: %s\n", qb_last_error(crc));
    CHECK(crc == QB_OK);
    float in[35], fa[35], fx[35], fy[35];
    qb_cq_fill(in, 35, 52, -1.0f, 1.0f);
    float sa, sx, sy;
    int32_t za, zx, zy;
    CHECK(e && qb_net_exec_run(e, in, NULL) == QB_OK);
    CHECK(e && qb_net_exec_tensor(e, a, fa) == QB_OK && qb_net_exec_tensor(e, x, fx) == QB_OK &&
          qb_net_exec_tensor(e, y, fy) == QB_OK);
    CHECK(e && qb_net_exec_qparams(e, a, &sa, &za) && qb_net_exec_qparams(e, x, &sx, &zx) &&
          qb_net_exec_qparams(e, y, &sy, &zy));
    int bad = 0;
    /* loading a tensor quantizes eight lanes at a time as qb_quant1 does,
     * out-of-range values (x 3) clamped */
    float big[35], back[35];
    for (int i = 0; i < 35; i++) big[i] = 3 * in[i];
    CHECK(e && qb_net_exec_set_tensor(e, x, big) == QB_OK && qb_net_exec_tensor(e, x, back) == QB_OK);
    for (int i = 0; e && i < 35; i++)
        bad += back[i] != qb_dequant1(qb_quant1(big[i], sx, zx, 0, 255), sx, zx);
    for (int i = 0; e && i < 35; i++) {
        const long qa = lrintf(fa[i] / sa), qx = lrintf(fx[i] / sx), qy = lrintf(fy[i] / sy) + zy;
        float v = rintf(fmaf(sa / sy, (float)qa, sx / sy * (float)qx)) + (float)zy;
        v = v < 0 ? 0 : v > 255 ? 255 : v;
        bad += qy != (long)v;
    }
    CHECK(bad == 0);
    qb_net_exec_destroy(e);
    qb_net_free(&g);
}

/* Element-wise ops with numpy broadcasting on the fp32 route: a bias along
 * the last axis, a scalar, a column (the general index path). */
static void broadcast(void)
{
    qb_net_graph g;
    qb_net_init(&g, "bcast");
    const int x = tensor(&g, "x", 3, 2, 3, 4, 0, 0), bias = tensor(&g, "bias", 1, 4, 0, 0, 0, 61);
    const int sc = tensor(&g, "s", 0, 0, 0, 0, 0, 62), col = tensor(&g, "col", 3, 2, 3, 1, 0, 63);
    const int y1 = tensor(&g, "y1", 3, 2, 3, 4, 0, 0), y2 = tensor(&g, "y2", 3, 2, 3, 4, 0, 0);
    const int y3 = tensor(&g, "y3", 3, 2, 3, 4, 0, 0);
    g.input = x;
    g.output = y3;
    qb_net_add_node(&g, "add", QB_NOP_ADD, (int[]){x, bias}, 2, y1, NULL);
    qb_net_add_node(&g, "div", QB_NOP_DIV, (int[]){y1, sc}, 2, y2, NULL);
    qb_net_add_node(&g, "sub", QB_NOP_SUB, (int[]){col, y2}, 2, y3, NULL);
    float in[24], got[24];
    qb_cq_fill(in, 24, 64, -1.0f, 1.0f);
    const qb_net_exec_opts o = {.dtype = QB_FP32, .threads = 2};
    qb_net_exec *e = NULL;
    CHECK(qb_net_exec_create(&g, &o, &e) == QB_OK);
    CHECK(e && qb_net_exec_run(e, in, NULL) == QB_OK && qb_net_exec_tensor(e, y3, got) == QB_OK);
    double md = 0;
    for (int i = 0; i < 24; i++) {
        const double want = D(&g, col)[i / 4] - (in[i] + D(&g, bias)[i % 4]) / D(&g, sc)[0];
        md = fmax(md, fabs(want - got[i]));
    }
    CHECK(md < 1e-4);
    qb_net_exec_destroy(e);
    qb_net_free(&g);
}

/* Transpose moves the dtype's bytes as they are: its output is the input
 * as stored (narrowed or quantized), permuted, exactly. */
static void transpose_bytes(void)
{
    enum { A0 = 2, A1 = 3, A2 = 4, A3 = 5, NT = A0 * A1 * A2 * A3 };
    qb_net_graph g;
    qb_net_init(&g, "transpose");
    const int x = tensor(&g, "x", 4, A0, A1, A2, A3, 0), y = tensor(&g, "y", 4, A0, A2, A3, A1, 0);
    g.input = x;
    g.output = y;
    qb_net_attr a = {.nperm = 4, .perm = {0, 2, 3, 1}};
    qb_net_add_node(&g, "t", QB_NOP_TRANSPOSE, (int[]){x}, 1, y, &a);
    float in[NT], back[NT], got[NT];
    qb_cq_fill(in, NT, 71, -1.0f, 1.0f);
    for (int d = QB_FP32; d <= QB_INT8; d++) {
        const qb_net_exec_opts o = {.dtype = (qb_dtype)d, .threads = 2, .keep_all = true};
        qb_net_exec *e = NULL;
        CHECK(qb_net_exec_create(&g, &o, &e) == QB_OK);
        if (!e) continue;
        CHECK(qb_net_exec_run(e, in, NULL) == QB_OK);
        CHECK(qb_net_exec_tensor(e, x, back) == QB_OK && qb_net_exec_tensor(e, y, got) == QB_OK);
        int bad = 0;
        for (int i0 = 0; i0 < A0; i0++)
            for (int i1 = 0; i1 < A1; i1++)
                for (int i2 = 0; i2 < A2; i2++)
                    for (int i3 = 0; i3 < A3; i3++)
                        bad += got[((i0 * A2 + i2) * A3 + i3) * A1 + i1] != back[((i0 * A1 + i1) * A2 + i2) * A3 + i3];
        CHECK(bad == 0);
        CHECK(strncmp(qb_net_exec_layer(e, 0)->kernel, "layout", 6) == 0);
        qb_net_exec_destroy(e);
    }
    qb_net_free(&g);
}

int main(void)
{
    qb_net_graph g;
    build(&g);
    CHECK(g.nnodes == 12);
    dtypes(&g);
    keep_all(&g);
    planner();
    accuracy(&g);
    recurrent();
    linear_fused(false);
    linear_fused(true);
    int8_add();
    broadcast();
    transpose_bytes();
    refused(&g);
    qb_net_free(&g);
    TEST_DONE();
}
