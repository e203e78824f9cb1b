/* Preparing each layer once, before any run: its kind (which kernel runs
 * it), the fusion of a following Relu/Clip, and its weights converted,
 * quantized and packed as an inference engine does at load time. */
#include "net_exec_int.h"

#include "error.h"
#include "gemm_f16.h"
#include "ops_compute_util.h"
#include "quant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qb_ex_free_node(ex_node *n)
{
    if (n->w)
        for (long g = 0; g < (n->group > 0 ? n->group : 1); g++) qb_gemm_packed_free(&n->w[g]);
    free(n->w);
    free(n->bias);
    free(n->bias_i32);
    free(n->mult);
    free(n->dw_w);
    free(n->dw_wh);
    free(n->dw_wq);
    free(n->dw_wb);
    free(n->dw_wt);
    free(n->rq);
    free(n->bn_a);
    free(n->bn_b);
    free(n->lstm_gx);
    free(n->lstm_gh);
    free(n->lstm_c);
    qb_conv_nhwc_free(&n->nc);
    memset(n, 0, sizeof *n);
}

static int nomem(const qb_net_node *nd)
{
    return qb_fail(QB_ENOMEM, "node %s: out of memory for its weights", nd->name);
}

static int as_f32(qb_net_exec *e, int i)
{
    e->nodes[i].kind = EX_F32;
    e->layers[i].kernel = "via fp32";
    if (e->o.dtype == QB_FP32) e->layers[i].kernel = "fp32 loops";
    return QB_OK;
}

static void set_act(ex_node *n, qb_net_op op, float lo, float hi)
{
    n->act = op;
    n->lo = op == QB_NOP_RELU ? 0.0f : lo;
    n->hi = op == QB_NOP_RELU ? INFINITY : hi;
}

/* The activation the importer or the zoo already fused into node i
 * (attr.fused_act), run the same way as one fused here. */
static void fused_attr(qb_net_exec *e, int i)
{
    const qb_net_node *nd = &e->g->nodes[i];
    if (!nd->attr.fused_act) return;
    set_act(&e->nodes[i], nd->attr.fused_act, nd->attr.clip_min, nd->attr.clip_max);
    snprintf(e->layers[i].fused, sizeof e->layers[i].fused, "%s%s", nd->op == QB_NOP_ADD ? "" : "bias+",
             nd->attr.fused_act == QB_NOP_RELU ? "relu" : "clip");
}

/* Pack float weights (rows of M x K, group by group) in the exec's float dtype. */
static int pack_groups(qb_net_exec *e, ex_node *n, const float *w, long M, long K, long groups)
{
    n->w = calloc((size_t)groups, sizeof *n->w);
    if (!n->w) return QB_ENOMEM;
    uint16_t *h = NULL;
    if (e->o.dtype == QB_FP16) {
        h = malloc((size_t)(groups * M * K) * sizeof *h);
        if (!h) return QB_ENOMEM;
        qb_f32_to_f16_n(w, h, (size_t)(groups * M * K));
    }
    int rc = QB_OK;
    for (long g = 0; g < groups && !rc; g++) {
        const qb_mat a = {.p = h ? (const void *)(h + g * M * K) : (const void *)(w + g * M * K),
                          .ld = K, .type = h ? QB_MAT_F16 : QB_MAT_F32};
        rc = qb_gemm_pack_a(&a, M, K, &n->w[g]);
    }
    free(h);
    return rc;
}

/* Which depthwise route a layer takes: planes whose rows fill a vector
 * several times over run as planes; narrower ones (MobileNetV2's 28-, 14-
 * and 7-wide layers), where most lanes of a row's vectors would be empty,
 * run in 8-channel blocks, about twice as fast there; on 56- and 112-wide
 * planes the plane kernels are faster (measured in docs/method.md). */
static bool dw_blocked(const qb_dw_geom *g)
{
    return g->OW <= 28;
}

static int prep_conv(qb_net_exec *e, int i)
{
    const qb_net_graph *g = e->g;
    const qb_net_node *nd = &g->nodes[i];
    ex_node *n = &e->nodes[i];
    const qb_net_tensor *x = &g->tensors[nd->in[0]], *y = &g->tensors[nd->out];
    const float *w = nd->nin > 1 ? qb_ex_const(g, nd->in[1]) : NULL;
    const qb_net_attr *a = &nd->attr;
    if (x->ndim != 4 || y->ndim != 4 || !w || g->tensors[nd->in[1]].ndim != 4 ||
        (a->dilations[0] > 1 || a->dilations[1] > 1))
        return 1; /* not a plain 2-D conv: the fp32 route would not know it either */
    const qb_net_tensor *wt = &g->tensors[nd->in[1]];
    const long G = a->group > 0 ? a->group : 1, C = x->dims[1], K = wt->dims[0];
    const long R = wt->dims[2], S = wt->dims[3];
    const long sh = a->strides[0] > 0 ? a->strides[0] : 1, sw = a->strides[1] > 0 ? a->strides[1] : 1;
    if (C % G || K % G || wt->dims[1] != C / G || y->dims[1] != K) return 1;
    n->N = x->dims[0];
    n->group = G;
    n->bias = calloc((size_t)K, sizeof *n->bias);
    if (!n->bias) return nomem(nd);
    const float *b = nd->nin > 2 ? qb_ex_const(g, nd->in[2]) : NULL;
    if (b) memcpy(n->bias, b, (size_t)K * sizeof *b);
    fused_attr(e, i);
    const long *p = a->pads;
    if (G == C && K == C && p[0] == p[1] && p[0] == p[2] && p[0] == p[3] && sh == sw && R <= 16 &&
        S <= 16 && p[0] < R && p[0] < S) {
        n->kind = EX_DW;
        qb_dw_geom_make(&n->dg, (size_t)x->dims[2], (size_t)x->dims[3], (int)R, (int)S, (int)sh,
                        (int)p[0]);
        if ((long)n->dg.OH != y->dims[2] || (long)n->dg.OW != y->dims[3]) return 1;
        n->dw_w = malloc((size_t)(C * R * S) * sizeof *n->dw_w);
        if (!n->dw_w) return nomem(nd);
        memcpy(n->dw_w, w, (size_t)(C * R * S) * sizeof *w);
        e->layers[i].kernel = "depthwise (direct, padded planes)";
        if (dw_blocked(&n->dg)) {
            e->layers[i].kernel = "depthwise (8-channel blocks)";
            qb_dw_c8_make(&n->dc, &n->dg, (size_t)C);
            if (!(n->dw_wb = malloc(qb_dw_c8_weights_len(&n->dc) * sizeof *n->dw_wb)))
                return nomem(nd);
            /* int8 fills them from its quantized weights (qb_ex_prep_int8) */
            if (e->o.dtype != QB_INT8) qb_dw_c8_weights_f32(&n->dc, w, n->dw_wb);
        }
        if (e->o.dtype == QB_FP16) {
            n->dw_wh = malloc((size_t)(C * R * S) * sizeof *n->dw_wh);
            if (!n->dw_wh) return nomem(nd);
            qb_f32_to_f16_n(w, n->dw_wh, (size_t)(C * R * S));
        }
        return QB_OK;
    }
    n->kind = EX_CONV;
    e->layers[i].kernel = G > 1 ? "gemm per group (implicit im2col)" : "gemm (implicit im2col)";
    n->K = K;
    n->cg = (qb_conv_group){
        .group = G,
        .geo = {.C = C / G, .H = x->dims[2], .W = x->dims[3], .R = R, .S = S, .sh = sh, .sw = sw,
                .ph = p[0], .pw = p[1], .OH = y->dims[2], .OW = y->dims[3]},
        .Kg = K / G,
        .xt = e->o.dtype == QB_FP32 ? QB_MAT_F32 : e->o.dtype == QB_FP16 ? QB_MAT_F16 : QB_MAT_U8};
    if (e->o.dtype != QB_INT8 && pack_groups(e, n, w, K / G, C / G * R * S, G)) return nomem(nd);
    return QB_OK;
}

/* Gemm (B constant, A not transposed) and MatMul with a constant 2-D right
 * operand: one GEMM of M rows. */
static int prep_fc(qb_net_exec *e, int i)
{
    const qb_net_graph *g = e->g;
    const qb_net_node *nd = &g->nodes[i];
    ex_node *n = &e->nodes[i];
    const bool gemm = nd->op == QB_NOP_GEMM;
    const float *w = nd->nin > 1 ? qb_ex_const(g, nd->in[1]) : NULL;
    if (!w || g->tensors[nd->in[1]].ndim != 2 || (gemm && nd->attr.trans_a)) return 1;
    const qb_net_tensor *x = &g->tensors[nd->in[0]], *wt = &g->tensors[nd->in[1]];
    const bool tb = gemm && nd->attr.trans_b;
    n->K = tb ? wt->dims[1] : wt->dims[0];
    n->Nn = tb ? wt->dims[0] : wt->dims[1];
    if (x->ndim < 1 || x->dims[x->ndim - 1] != n->K) return 1;
    n->M = qb_net_numel(x) / n->K;
    n->kind = EX_FC;
    e->layers[i].kernel = "gemm (weights packed)";
    fused_attr(e, i);
    const float alpha = gemm && nd->attr.alpha != 0 ? nd->attr.alpha : 1.0f;
    const float beta = gemm && nd->attr.beta != 0 ? nd->attr.beta : 1.0f;
    n->bias = calloc((size_t)n->Nn, sizeof *n->bias);
    float *ws = malloc((size_t)(n->K * n->Nn) * sizeof *ws);
    if (!n->bias || !ws) {
        free(ws);
        return nomem(nd);
    }
    const float *b = gemm && nd->nin > 2 ? qb_ex_const(g, nd->in[2]) : NULL;
    if (b && qb_net_numel(&g->tensors[nd->in[2]]) == n->Nn)
        for (long j = 0; j < n->Nn; j++) n->bias[j] = beta * b[j];
    else if (b && qb_net_numel(&g->tensors[nd->in[2]]) == 1)
        for (long j = 0; j < n->Nn; j++) n->bias[j] = beta * b[0];
    for (long j = 0; j < n->K * n->Nn; j++) ws[j] = alpha * w[j];
    /* keep the float weights in dw_w for the int8 preparation */
    n->dw_w = ws;
    n->epi.channel_is_row = false;
    if (e->o.dtype == QB_INT8) return QB_OK;
    uint16_t *h = NULL;
    if (e->o.dtype == QB_FP16) {
        h = malloc((size_t)(n->K * n->Nn) * sizeof *h);
        if (!h) return nomem(nd);
        qb_f32_to_f16_n(ws, h, (size_t)(n->K * n->Nn));
    }
    const qb_mat B = {.p = h ? (const void *)h : (const void *)ws, .ld = tb ? n->K : n->Nn,
                      .type = h ? QB_MAT_F16 : QB_MAT_F32, .layout = tb ? QB_MAT_COLS : QB_MAT_ROWS};
    n->w = calloc(1, sizeof *n->w);
    n->group = 1;
    int rc = n->w ? qb_gemm_pack_b(&B, n->K, n->Nn, n->w) : QB_ENOMEM;
    free(h);
    return rc ? nomem(nd) : QB_OK;
}

/* A Relu/Clip reading only the output of a conv, Gemm or Add runs inside it. */
static bool try_fuse(qb_net_exec *e, int i)
{
    const qb_net_graph *g = e->g;
    const qb_net_node *nd = &g->nodes[i];
    const int in = nd->in[0];
    /* through aliases (a fused bias Add, Flatten) to the buffer's writer, each read once */
    int r = in;
    while (e->t[r].uses == 1 && r != g->output && !g->tensors[r].is_output && e->t[r].root != r)
        r = e->t[r].root;
    const int p = e->t[r].producer;
    if (p < 0 || e->t[r].root != r || e->t[r].uses != 1 || r == g->output || g->tensors[r].is_output)
        return false;
    ex_node *pn = &e->nodes[p];
    if (pn->act || (pn->kind != EX_CONV && pn->kind != EX_DW && pn->kind != EX_FC && pn->kind != EX_ADD))
        return false;
    set_act(pn, nd->op, nd->attr.clip_min, nd->attr.clip_max);
    e->t[nd->out].root = in;
    e->nodes[i].kind = EX_SKIP;
    e->layers[i].kernel = "fused into its producer";
    snprintf(e->layers[p].fused, sizeof e->layers[p].fused, "%s%s",
             pn->kind == EX_ADD ? "" : "bias+", nd->op == QB_NOP_RELU ? "relu" : "clip");
    return true;
}

/* An Add of a constant vector to the output of a Gemm/MatMul (read by
 * nothing else): the vector joins the GEMM's bias (an ONNX export's MatMul
 * followed by its bias Add). */
static bool try_bias(qb_net_exec *e, int i)
{
    const qb_net_graph *g = e->g;
    const qb_net_node *nd = &g->nodes[i];
    if (nd->nin != 2 || nd->in[0] < 0 || nd->in[1] < 0) return false;
    const int a = e->t[nd->in[0]].act ? nd->in[0] : nd->in[1], c = a == nd->in[0] ? nd->in[1] : nd->in[0];
    const float *b = qb_ex_const(g, c);
    const int p = e->t[a].producer;
    if (!b || p < 0 || e->t[a].uses != 1 || a == g->output || g->tensors[a].is_output || e->t[a].root != a)
        return false;
    ex_node *pn = &e->nodes[p];
    if (pn->kind != EX_FC || pn->act || qb_net_numel(&g->tensors[c]) != pn->Nn ||
        e->t[nd->out].numel != e->t[a].numel)
        return false;
    for (long j = 0; j < pn->Nn; j++) pn->bias[j] += b[j];
    e->t[nd->out].root = a;
    e->nodes[i].kind = EX_SKIP;
    e->layers[i].kernel = "fused into its producer (bias)";
    snprintf(e->layers[p].fused, sizeof e->layers[p].fused, "bias");
    return true;
}

int qb_ex_prep_node(qb_net_exec *e, int i)
{
    const qb_net_graph *g = e->g;
    const qb_net_node *nd = &g->nodes[i];
    ex_node *n = &e->nodes[i];
    qb_net_layer *l = &e->layers[i];
    l->active = true;
    const int in0 = nd->nin > 0 ? nd->in[0] : -1;
    int rc = 1;
    switch (nd->op) {
    case QB_NOP_FLATTEN:
    case QB_NOP_RESHAPE:
    case QB_NOP_QUANTIZE:
    case QB_NOP_DEQUANTIZE:
        if (in0 < 0 || !e->t[in0].act || e->t[in0].numel != e->t[nd->out].numel) break;
        n->kind = EX_SKIP;
        l->kernel = "alias (no copy)";
        l->active = false;
        e->t[nd->out].root = in0;
        return QB_OK;
    case QB_NOP_RELU:
    case QB_NOP_CLIP:
        if (in0 >= 0 && try_fuse(e, i)) {
            l->active = false;
            return QB_OK;
        }
        n->kind = EX_ACT;
        set_act(n, nd->op, nd->attr.clip_min, nd->attr.clip_max);
        l->kernel = e->o.dtype == QB_INT8 ? "clamp of the quantized values" : "fp32 loops";
        return QB_OK;
    case QB_NOP_CONV:
        rc = prep_conv(e, i);
        break;
    case QB_NOP_GEMM:
    case QB_NOP_MATMUL:
        rc = prep_fc(e, i);
        if (rc == 1 && qb_ex_f32_supported(g, nd)) return as_f32(e, i);
        break;
    case QB_NOP_ADD:
        if (try_bias(e, i)) {
            l->active = false;
            return QB_OK;
        }
        if (nd->nin == 2 && in0 >= 0 && nd->in[1] >= 0 && e->t[in0].act && e->t[nd->in[1]].act &&
            e->t[in0].numel == e->t[nd->out].numel && e->t[nd->in[1]].numel == e->t[nd->out].numel) {
            n->kind = EX_ADD;
            fused_attr(e, i);
            l->kernel = e->o.dtype == QB_INT8 ? "int8 add (requantized)" : "fp32 loops";
            return QB_OK;
        }
        return as_f32(e, i);
    case QB_NOP_MAXPOOL:
    case QB_NOP_AVGPOOL: {
        const qb_net_tensor *x = &g->tensors[in0], *y = &g->tensors[nd->out];
        if (x->ndim != 4 || y->ndim != 4) break;
        const qb_net_attr *a = &nd->attr;
        qb_pool_geom_make(&n->pg, x->dims[0] * x->dims[1], x->dims[2], x->dims[3], a->kernel[0],
                          a->kernel[1], a->strides[0] > 0 ? a->strides[0] : 1,
                          a->strides[1] > 0 ? a->strides[1] : 1, a->pads, a->ceil_mode,
                          a->count_include_pad);
        n->pg.OH = y->dims[2];
        n->pg.OW = y->dims[3];
        n->kind = nd->op == QB_NOP_MAXPOOL ? EX_MAXPOOL : EX_AVGPOOL;
        l->kernel = e->o.dtype == QB_INT8 ? "int8 loops" : "fp32 loops";
        return QB_OK;
    }
    case QB_NOP_TRANSPOSE: {
        const qb_net_tensor *x = &g->tensors[in0];
        if (x->ndim < 1 || x->ndim > 4 || e->t[in0].raw || (nd->attr.nperm && nd->attr.nperm != x->ndim))
            return as_f32(e, i);
        /* padded to 4-D with leading axes of 1 */
        size_t dims[4] = {1, 1, 1, 1};
        int perm[4] = {0, 1, 2, 3};
        const int off = 4 - x->ndim;
        for (int k = 0; k < x->ndim; k++) {
            dims[off + k] = (size_t)x->dims[k];
            perm[off + k] = off + (int)(nd->attr.nperm ? nd->attr.perm[k] : x->ndim - 1 - k);
        }
        qb_lay_plan_permute(dims, perm, e->esz, &n->lay);
        n->kind = EX_TRANSPOSE;
        l->kernel = "layout plan (bytes moved as they are)";
        return QB_OK;
    }
    case QB_NOP_GLOBALAVGPOOL:
        if (g->tensors[in0].ndim < 3) break;
        n->kind = EX_GAP;
        l->kernel = e->o.dtype == QB_INT8 ? "int8 loops" : "fp32 loops";
        return QB_OK;
    case QB_NOP_BATCHNORM: {
        const float *sc = qb_ex_const(g, nd->in[1]), *bb = qb_ex_const(g, nd->in[2]),
                    *mean = qb_ex_const(g, nd->in[3]), *var = qb_ex_const(g, nd->in[4]);
        const long C = g->tensors[in0].ndim > 1 ? g->tensors[in0].dims[1] : 0;
        if (nd->nin < 5 || !sc || !bb || !mean || !var || C <= 0) break;
        n->bn_a = malloc((size_t)C * sizeof *n->bn_a);
        n->bn_b = malloc((size_t)C * sizeof *n->bn_b);
        if (!n->bn_a || !n->bn_b) return nomem(nd);
        for (long c = 0; c < C; c++) {
            n->bn_a[c] = sc[c] / sqrtf(var[c] + nd->attr.epsilon);
            n->bn_b[c] = bb[c] - mean[c] * n->bn_a[c];
        }
        return as_f32(e, i);
    }
    case QB_NOP_LSTM: {
        /* X [seq, batch, I], W [1, 4H, I], R [1, 4H, H], B [1, 8H] optional */
        const qb_net_tensor *x = &g->tensors[in0];
        const float *W = nd->nin > 2 ? qb_ex_const(g, nd->in[1]) : NULL, *R = nd->nin > 2 ? qb_ex_const(g, nd->in[2]) : NULL;
        if (x->ndim != 3 || !W || !R || g->tensors[nd->in[2]].ndim != 3) break;
        const long H = g->tensors[nd->in[2]].dims[2], rows = x->dims[0] * x->dims[1];
        if (g->tensors[nd->in[1]].dims[1] != 4 * H || g->tensors[nd->in[1]].dims[2] != x->dims[2]) break;
        n->lstm_gx = malloc((size_t)(rows * 4 * H) * sizeof(float));
        n->lstm_gh = malloc((size_t)(x->dims[1] * 4 * H) * sizeof(float));
        n->lstm_c = malloc((size_t)(x->dims[1] * H) * sizeof(float));
        n->bn_b = calloc((size_t)(4 * H), sizeof(float)); /* Wb + Rb */
        if (!n->lstm_gx || !n->lstm_gh || !n->lstm_c || !n->bn_b) return nomem(nd);
        const float *bias = nd->nin > 3 ? qb_ex_const(g, nd->in[3]) : NULL;
        if (bias && qb_net_numel(&g->tensors[nd->in[3]]) == 8 * H)
            for (long j = 0; j < 4 * H; j++) n->bn_b[j] = bias[j] + bias[4 * H + j];
        return as_f32(e, i);
    }
    default:
        if (qb_ex_f32_supported(g, nd)) return as_f32(e, i);
        break;
    }
    if (rc <= 0) return rc;
    if (!e->o.skip_unsupported)
        return qb_fail(QB_EINPUT, "node %s: op type %s is not supported by the executor%s", nd->name,
                       qb_net_op_name(nd->op),
                       nd->op == QB_NOP_CONV ? " in this form (dilation, or not 2-D)" : "");
    qb_ex_free_node(n);
    n->kind = EX_SKIP;
    l->kernel = "skipped (unsupported)";
    l->active = false;
    l->skipped = true;
    return QB_OK;
}

/* The int8 epilogue's output range: the whole u8 range, or the fused
 * activation's bounds quantized. */
static void out_range(const qb_net_exec *e, const ex_node *n, int out, int32_t *qmin, int32_t *qmax)
{
    const ex_tensor *t = &e->t[out];
    *qmin = 0;
    *qmax = 255;
    if (!n->act) return;
    *qmin = qb_quant1(n->lo, t->scale, t->zp, 0, 255);
    if (n->hi < INFINITY) *qmax = qb_quant1(n->hi, t->scale, t->zp, 0, 255);
}

/* A QDQ model's own int8 weights for tensor t, copied into q with their
 * scales in p, when they can run as they are: symmetric int8, the
 * granularity asked for (per channel along the layer's channel axis), count
 * values, no rescaling on the way (alpha 1), and kernels that keep 8 bits
 * (AVX512-VNNI; the AVX2 path needs 7-bit weights, so there they are
 * quantized again from the floats). False otherwise. */
static bool file_weights(const qb_net_exec *e, int t, long nch, int axis, size_t count, bool scaled,
                         int8_t *q, qb_qparams *p)
{
    const qb_net_tensor *w = &e->g->tensors[t];
    if (!w->qdata || w->qtype != QB_NT_I8 || scaled || !qb_gemm_isa_vnni(e->isa) ||
        (size_t)qb_net_numel(w) != count)
        return false;
    const bool pc = w->nscale == nch && (nch == 1 || w->qaxis == axis);
    if (e->o.gran == QB_PER_CHANNEL ? !pc : w->nscale != 1) return false;
    for (long c = 0; c < w->nscale; c++)
        if (w->zero_point[c] != 0 || !(w->scale[c] > 0) || !isfinite(w->scale[c])) return false;
    p->scale = malloc((size_t)w->nscale * sizeof *p->scale);
    p->zero_point = calloc((size_t)w->nscale, sizeof *p->zero_point);
    if (!p->scale || !p->zero_point) return false; /* the caller frees p, and quantizes */
    memcpy(p->scale, w->scale, (size_t)w->nscale * sizeof *p->scale);
    p->nch = (int)w->nscale;
    p->gran = w->nscale > 1 ? QB_PER_CHANNEL : QB_PER_TENSOR;
    p->axis = axis;
    p->qmin = -127;
    p->qmax = 127;
    memcpy(q, w->qdata, count);
    return true;
}

int qb_ex_prep_int8(qb_net_exec *e, int i)
{
    const qb_net_graph *g = e->g;
    const qb_net_node *nd = &g->nodes[i];
    ex_node *n = &e->nodes[i];
    if (n->kind != EX_CONV && n->kind != EX_DW && n->kind != EX_FC) return QB_OK;
    /* the epilogue writes the next layer's u8 directly */
    char *f = e->layers[i].fused;
    const size_t len = strlen(f);
    snprintf(f + len, sizeof e->layers[i].fused - len, "%srequant", len ? "+" : "bias+");
    const ex_tensor *xt = &e->t[nd->in[0]], *yt = &e->t[nd->out];
    const double sa = xt->scale, so = yt->scale;
    const int32_t za = xt->zp;
    const long nch = n->kind == EX_FC ? n->Nn : n->kind == EX_DW ? (long)g->tensors[nd->in[1]].dims[0] : n->K;
    qb_qparams wp = {0};
    int rc = QB_OK;
    n->mult = malloc((size_t)nch * sizeof *n->mult);
    n->bias_i32 = malloc((size_t)nch * sizeof *n->bias_i32);
    int32_t *wsum = malloc((size_t)nch * sizeof *wsum);
    int8_t *wq = NULL;
    if (!n->mult || !n->bias_i32 || !wsum) goto oom;
    if (n->kind == EX_DW) {
        const size_t taps = n->dg.R * (size_t)n->dg.S, wd[2] = {(size_t)nch, taps};
        qb_qspec ws = qb_qspec_default(QB_SYMMETRIC);
        ws.gran = e->o.gran;
        n->dw_wq = malloc((size_t)nch * taps);
        n->rq = calloc((size_t)nch, sizeof *n->rq);
        if (!n->dw_wq || !n->rq) goto oom;
        if (file_weights(e, nd->in[1], nch, 0, (size_t)nch * taps, false, n->dw_wq, &wp)) {
            e->layers[i].weights = "the file's int8";
        } else {
            qb_qparams_free(&wp);
            rc = qb_qchoose(n->dw_w, wd, 2, &ws, &wp);
            if (!rc) rc = qb_quantize(n->dw_w, wd, 2, &wp, n->dw_wq);
            if (rc) goto done;
            e->layers[i].weights = "quantized from the floats";
        }
        int32_t qmin, qmax;
        out_range(e, n, nd->out, &qmin, &qmax);
        for (long c = 0; c < nch; c++) {
            const double sw = wp.scale[wp.nch == 1 ? 0 : c];
            int32_t s = 0;
            for (size_t k = 0; k < taps; k++) s += n->dw_wq[(size_t)c * taps + k];
            const double b = rint((double)n->bias[c] / (sa * sw)) - (double)za * s;
            n->rq[c] = (qb_dw_rq){.bias = (int32_t)fmax(fmin(b, 2147483647.0), -2147483648.0),
                                  .mult = (float)(sa * sw / so), .zo = yt->zp, .qmin = qmin,
                                  .qmax = qmax, .u8 = true};
        }
        if (n->dw_wb) qb_dw_c8_weights_i8(&n->dc, n->dw_wq, n->dw_wb);
        if (n->dw_wt) rc = qb_ex_nhwc_int8(e, i, n->dw_wq);
        goto done;
    }
    const bool fc = n->kind == EX_FC, tb = fc && nd->op == QB_NOP_GEMM && nd->attr.trans_b;
    const float *w = fc ? n->dw_w : qb_ex_const(g, nd->in[1]);
    const long Kin = fc ? n->K : n->cg.geo.C * n->cg.geo.R * n->cg.geo.S;
    wq = malloc((size_t)(nch * Kin));
    if (!wq) goto oom;
    /* weights [channels][inputs], or gemm's [K][N] with channels along axis 1 */
    const size_t wd[2] = {fc && !tb ? (size_t)Kin : (size_t)nch, fc && !tb ? (size_t)nch : (size_t)Kin};
    const int axis = fc && !tb ? 1 : 0;
    const bool scaled = fc && nd->op == QB_NOP_GEMM && nd->attr.alpha != 0 && nd->attr.alpha != 1;
    if (file_weights(e, nd->in[1], nch, axis, (size_t)(nch * Kin), scaled, wq, &wp)) {
        e->layers[i].weights = "the file's int8";
    } else {
        qb_qparams_free(&wp);
        rc = qb_cq_weights(w, wd, 2, axis, e->o.gran, QB_SYMMETRIC, e->isa, &wp, wq);
        if (rc) goto done;
        e->layers[i].weights = "quantized from the floats";
    }
    qb_cq_wsum(wq, wd, 2, axis, wsum);
    for (long c = 0; c < nch; c++) {
        const double sw = wp.scale[wp.nch == 1 ? 0 : c];
        const double b = rint((double)n->bias[c] / (sa * sw)) - (double)za * wsum[c];
        n->bias_i32[c] = (int32_t)fmax(fmin(b, 2147483647.0), -2147483648.0);
        n->mult[c] = (float)(sa * sw / so);
    }
    n->epi.kind = QB_EPI_RQ_FLOAT;
    n->epi.zo = yt->zp;
    out_range(e, n, nd->out, &n->epi.qmin, &n->epi.qmax);
    n->epi.bias_i32 = n->bias_i32;
    n->epi.mult = n->mult;
    if (fc) {
        const qb_mat B = {.p = wq, .ld = tb ? Kin : nch, .type = QB_MAT_S8,
                          .layout = tb ? QB_MAT_COLS : QB_MAT_ROWS};
        n->w = calloc(1, sizeof *n->w);
        n->group = 1;
        rc = n->w ? qb_gemm_pack_b(&B, Kin, nch, n->w) : QB_ENOMEM;
    } else if (n->cl) {
        rc = qb_ex_nhwc_int8(e, i, wq);
    } else {
        n->cg.geo.pad_u8 = (uint8_t)za;
        n->w = calloc((size_t)n->group, sizeof *n->w);
        if (!n->w) goto oom;
        const long Kg = n->K / n->group;
        for (long gi = 0; gi < n->group && !rc; gi++) {
            const qb_mat a = {.p = wq + gi * Kg * Kin, .ld = Kin, .type = QB_MAT_S8};
            rc = qb_gemm_pack_a(&a, Kg, Kin, &n->w[gi]);
        }
    }
    goto done;
oom:
    rc = nomem(nd);
done:
    free(wsum);
    free(wq);
    qb_qparams_free(&wp);
    return rc;
}
