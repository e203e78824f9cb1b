/* One encoder layer of BERT-base as published: hidden size 768, 12
 * attention heads of 64, a feed-forward of 3072 with GELU, post-layer-norm
 * residuals, on a sequence of 128 by default; the input is the hidden
 * states [batch, seq, 768] (no attention mask). The layers are the ones an
 * ONNX export has: MatMul and bias Add for each projection, Reshape and
 * Transpose to split and merge the heads, the scores scaled by 1/8. */
#include "zoo_build.h"

#include "error.h"

#include <stdio.h>

enum { HIDDEN = 768, HEADS = 12, HEAD = 64, FFN = 3072 };

/* x @ W + b, W [in, out] */
static int linear(qb_zoo *z, const char *name, int x, long in, long out)
{
    char wn[80], bn[80];
    snprintf(wn, sizeof wn, "%s.weight", name);
    snprintf(bn, sizeof bn, "%s.bias", name);
    const long wd[2] = {in, out};
    const int w = zoo_weight(z, wn, 2, wd, in);
    const int b = zoo_weight(z, bn, 1, &out, 600);
    const int a[2] = {x, w};
    const int y = zoo_node(z, name, QB_NOP_MATMUL, a, 2, NULL);
    char an[80];
    snprintf(an, sizeof an, "%s.bias_add", name);
    const int c[2] = {y, b};
    return zoo_node(z, an, QB_NOP_ADD, c, 2, NULL);
}

static int transpose(qb_zoo *z, const char *name, int x, long p0, long p1, long p2, long p3)
{
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.nperm = 4;
    a.perm[0] = p0;
    a.perm[1] = p1;
    a.perm[2] = p2;
    a.perm[3] = p3;
    return zoo_node(z, name, QB_NOP_TRANSPOSE, &x, 1, &a);
}

static int layernorm(qb_zoo *z, const char *name, int x)
{
    char gn[80], bn[80];
    snprintf(gn, sizeof gn, "%s.weight", name);
    snprintf(bn, sizeof bn, "%s.bias", name);
    const long d = HIDDEN;
    const int in[3] = {x, zoo_fill(z, gn, 1, &d, 1.0f), zoo_fill(z, bn, 1, &d, 0.0f)};
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.axis = -1;
    a.epsilon = 1e-12f;
    return zoo_node(z, name, QB_NOP_LAYERNORM, in, 3, &a);
}

int qb_zoo_bert_layer(qb_zoo *z, const long *dims, int ndim)
{
    if (ndim != 3 || dims[2] != HIDDEN)
        return qb_fail(QB_EINPUT, "bert-base-layer: the input shape must be N,SEQ,768");
    const int x = zoo_input(z, "hidden", QB_NT_F32, ndim, dims);
    static const int64_t split[4] = {0, 0, HEADS, HEAD}, merge[3] = {0, 0, HIDDEN};
    const int split_shape = zoo_shape(z, "attn.split_shape", 4, split);
    const int merge_shape = zoo_shape(z, "attn.merge_shape", 3, merge);
    int q = linear(z, "attn.q", x, HIDDEN, HIDDEN);
    int k = linear(z, "attn.k", x, HIDDEN, HIDDEN);
    int v = linear(z, "attn.v", x, HIDDEN, HIDDEN);
    int in[2] = {q, split_shape};
    q = transpose(z, "attn.q.transpose", zoo_node(z, "attn.q.reshape", QB_NOP_RESHAPE, in, 2, NULL),
                  0, 2, 1, 3);
    in[0] = k;
    k = transpose(z, "attn.k.transpose", zoo_node(z, "attn.k.reshape", QB_NOP_RESHAPE, in, 2, NULL),
                  0, 2, 3, 1);
    in[0] = v;
    v = transpose(z, "attn.v.transpose", zoo_node(z, "attn.v.reshape", QB_NOP_RESHAPE, in, 2, NULL),
                  0, 2, 1, 3);
    const int qk[2] = {q, k};
    int s = zoo_node(z, "attn.scores", QB_NOP_MATMUL, qk, 2, NULL);
    const int sc[2] = {s, zoo_fill(z, "attn.scale.divisor", 0, NULL, 8.0f)}; /* sqrt(64) */
    s = zoo_node(z, "attn.scale", QB_NOP_DIV, sc, 2, NULL);
    qb_net_attr sm;
    qb_net_attr_init(&sm);
    sm.axis = -1;
    s = zoo_node(z, "attn.softmax", QB_NOP_SOFTMAX, &s, 1, &sm);
    const int pv[2] = {s, v};
    int c = zoo_node(z, "attn.context", QB_NOP_MATMUL, pv, 2, NULL);
    c = transpose(z, "attn.context.transpose", c, 0, 2, 1, 3);
    const int mg[2] = {c, merge_shape};
    c = zoo_node(z, "attn.context.reshape", QB_NOP_RESHAPE, mg, 2, NULL);
    c = linear(z, "attn.out", c, HIDDEN, HIDDEN);
    const int r1[2] = {c, x};
    c = layernorm(z, "attn.norm", zoo_node(z, "attn.residual", QB_NOP_ADD, r1, 2, NULL));
    int f = linear(z, "ffn.up", c, HIDDEN, FFN);
    f = zoo_node(z, "ffn.gelu", QB_NOP_GELU, &f, 1, NULL);
    f = linear(z, "ffn.down", f, FFN, HIDDEN);
    const int r2[2] = {f, c};
    f = layernorm(z, "ffn.norm", zoo_node(z, "ffn.residual", QB_NOP_ADD, r2, 2, NULL));
    return zoo_end(z, f);
}
