/* The channels-last layout (net_exec.h): whether a graph can run in it, its
 * layers' weights and kernels, and the permutations of the tensors the
 * caller reads and writes. */
#include "net_exec_int.h"

#include "depthwise_nhwc.h"
#include "error.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

static bool is4(const qb_net_exec *e, int t)
{
    return t >= 0 && e->g->tensors[t].ndim == 4;
}

/* One pixel per image: both layouts hold the same bytes. */
static bool one_pixel(const qb_net_exec *e, int t)
{
    const qb_net_tensor *x = &e->g->tensors[t];
    return !is4(e, t) || x->dims[2] * x->dims[3] == 1;
}

static bool same_dims(const qb_net_exec *e, int a, int b)
{
    const qb_net_tensor *x = &e->g->tensors[a], *y = &e->g->tensors[b];
    if (x->ndim != y->ndim) return false;
    for (int k = 0; k < x->ndim; k++)
        if (x->dims[k] != y->dims[k]) return false;
    return true;
}

/* The route a plain conv (groups 1) takes channels-last: 0 when none can. */
static int conv_route(const qb_net_exec *e, const qb_net_node *nd, const ex_node *n,
                      qb_conv_nhwc *nc)
{
    const qb_im2col *c = &n->cg.geo;
    if (n->group != 1 || !is4(e, nd->in[0])) return 0;
    if (c->R == 1 && c->S == 1 && c->sh == 1 && c->sw == 1 && c->ph == 0 && c->pw == 0 &&
        nd->attr.pads[2] == 0 && nd->attr.pads[3] == 0)
        return CL_GEMM;
    const long *p = nd->attr.pads;
    if (c->sh != c->sw || p[0] != p[1] || p[0] != p[2] || p[0] != p[3]) return 0;
    const qb_mat_type t = e->o.dtype == QB_INT8 ? QB_MAT_U8 : QB_MAT_F32;
    if (!qb_conv_nhwc_init(nc, t, e->isa, c->C, c->H, c->W, c->R, c->S, c->sh, p[0], n->K))
        return 0;
    return nc->OH == c->OH && nc->OW == c->OW ? CL_DIRECT : 0;
}

/* Whether layer i runs channels-last as prepared. */
static bool layer_ok(const qb_net_exec *e, int i)
{
    const qb_net_node *nd = &e->g->nodes[i];
    const ex_node *n = &e->nodes[i];
    const int x = nd->nin > 0 ? nd->in[0] : -1, y = nd->out;
    qb_conv_nhwc nc;
    switch (n->kind) {
    case EX_SKIP: /* an alias, a fused activation: the layout carries over, or does not matter */
        if (e->layers[i].skipped) return false;
        return x < 0 || !e->t[x].act || same_dims(e, x, y) || (one_pixel(e, x) && one_pixel(e, y));
    case EX_CONV:
        return conv_route(e, nd, n, &nc) != 0;
    case EX_DW:
        return n->dg.R * n->dg.S <= QB_DW_NHWC_MAX_TAPS;
    case EX_ADD:
        return same_dims(e, x, y) && same_dims(e, nd->in[1], y);
    case EX_ACT:
        return true;
    case EX_GAP:
    case EX_MAXPOOL:
        return is4(e, x);
    case EX_FC:
        return one_pixel(e, x);
    default:
        return false;
    }
}

/* A float conv's weights packed for its route (int8: qb_ex_nhwc_int8). */
static int pack_float(qb_net_exec *e, int i)
{
    const qb_net_node *nd = &e->g->nodes[i];
    ex_node *n = &e->nodes[i];
    const float *w = qb_ex_const(e->g, nd->in[1]);
    const long C = n->cg.geo.C;
    qb_gemm_packed_free(&n->w[0]);
    if (n->cl == CL_DIRECT) return qb_conv_nhwc_pack_weights(&n->nc, w, &n->w[0]);
    /* B(k, j) = w[j][k]: the weights [K][C] read as columns */
    const qb_mat B = {.p = w, .ld = C, .type = QB_MAT_F32, .layout = QB_MAT_COLS};
    return qb_gemm_pack_b(&B, C, n->K, &n->w[0]);
}

int qb_ex_nhwc_choose(qb_net_exec *e)
{
    /* fp16 has no direct conv; int8's wants AVX512-VNNI */
    if (e->o.planar || e->o.dtype == QB_FP16 || !qb_dw_nhwc_ok() || !qb_gemm_f32_zmm(e->isa) ||
        (e->o.dtype == QB_INT8 && !qb_gemm_isa_vnni(e->isa)))
        return QB_OK;
    for (int i = 0; i < e->g->nnodes; i++)
        if (!layer_ok(e, i)) return QB_OK;
    e->nhwc = true;
    for (int i = 0; i < e->g->nnodes; i++) {
        const qb_net_node *nd = &e->g->nodes[i];
        ex_node *n = &e->nodes[i];
        int rc = QB_OK;
        if (n->kind == EX_CONV) {
            n->cl = conv_route(e, nd, n, &n->nc);
            e->layers[i].kernel =
                n->cl == CL_GEMM ? "gemm (1x1, channels-last)" : "direct conv (channels-last)";
            if (n->cl == CL_DIRECT && qb_conv_nhwc_padded_bytes(&n->nc) > e->xpad_bytes)
                e->xpad_bytes = qb_conv_nhwc_padded_bytes(&n->nc);
            if (e->o.dtype == QB_FP32) rc = pack_float(e, i);
        } else if (n->kind == EX_DW) {
            const size_t C = (size_t)e->g->tensors[nd->in[0]].dims[1],
                         taps = (size_t)(n->dg.R * n->dg.S);
            free(n->dw_wb);
            n->dw_wb = NULL;
            n->dw_wt = malloc(taps * qb_dw_nhwc_cp(C) * sizeof *n->dw_wt);
            if (!n->dw_wt)
                return qb_fail(QB_ENOMEM, "node %s: out of memory for its weights", nd->name);
            if (e->o.dtype == QB_FP32) qb_dw_nhwc_weights_f32(n->dw_w, C, taps, n->dw_wt);
            e->layers[i].kernel = "depthwise (channels-last)";
        } else if (n->kind == EX_GAP || n->kind == EX_MAXPOOL) {
            e->layers[i].kernel =
                e->o.dtype == QB_INT8 ? "int8 loops (channels-last)" : "fp32 loops (channels-last)";
        }
        if (rc) return qb_fail(rc, "node %s: out of memory for its weights", nd->name);
    }
    /* an input read only by direct convs stays planar: they gather it into
     * their padded copy, which they make anyway */
    const int in = e->g->input;
    e->in_planar = true;
    for (int i = 0; i < e->g->nnodes; i++)
        for (int j = 0; j < e->g->nodes[i].nin; j++)
            if (e->g->nodes[i].in[j] == in &&
                (e->nodes[i].kind != EX_CONV || e->nodes[i].cl != CL_DIRECT || j))
                e->in_planar = false;
    for (int i = 0; i < e->g->nnodes && e->in_planar; i++)
        if (e->nodes[i].cl == CL_DIRECT && e->g->nodes[i].in[0] == in)
            e->nodes[i].nc.planar_in = true;
    if (e->xpad_bytes && !(e->xpad = aligned_alloc(64, (e->xpad_bytes + 63) & ~(size_t)63)))
        return qb_fail(QB_ENOMEM, "network executor: out of memory");
    if (qb_ex_nhwc_tensor(e, in) && !(e->cl_in = malloc(e->t[in].numel * e->esz + 64)))
        return qb_fail(QB_ENOMEM, "network executor: out of memory");
    return QB_OK;
}

int qb_ex_nhwc_int8(qb_net_exec *e, int i, const int8_t *wq)
{
    ex_node *n = &e->nodes[i];
    n->epi.channel_is_row = false;
    if (n->kind == EX_DW) {
        const qb_net_node *nd = &e->g->nodes[i];
        const size_t C = (size_t)e->g->tensors[nd->in[0]].dims[1],
                     taps = (size_t)(n->dg.R * n->dg.S);
        qb_dw_nhwc_weights_i8(wq, C, taps, n->dw_wt);
        for (size_t c = 0; c < C; c++) {
            n->bias_i32[c] = n->rq[c].bias;
            n->mult[c] = n->rq[c].mult;
        }
        return QB_OK;
    }
    n->w = calloc(1, sizeof *n->w);
    if (!n->w) return QB_ENOMEM;
    if (n->cl == CL_DIRECT) return qb_conv_nhwc_pack_weights(&n->nc, wq, &n->w[0]);
    const qb_mat B = {.p = wq, .ld = n->cg.geo.C, .type = QB_MAT_S8, .layout = QB_MAT_COLS};
    return qb_gemm_pack_b(&B, n->cg.geo.C, n->K, &n->w[0]);
}

bool qb_ex_nhwc_tensor(const qb_net_exec *e, int t)
{
    return e->nhwc && e->t[t].act && !e->t[t].raw && is4(e, t) && !one_pixel(e, t) &&
           !(t == e->g->input && e->in_planar);
}

/* The layer's epilogue writing y, channels along its columns. */
static qb_epilogue epi(const qb_net_exec *e, const ex_node *n, void *y)
{
    qb_epilogue ep = e->o.dtype == QB_INT8 ? n->epi : qb_ex_float_epi(e, n, y, n->K, false);
    ep.c = y;
    ep.ldc = n->K;
    ep.channel_is_row = false;
    return ep;
}

static int run_conv(qb_net_exec *e, const qb_net_node *nd, const ex_node *n)
{
    const qb_im2col *c = &n->cg.geo;
    const char *x = e->t[nd->in[0]].p;
    char *y = e->t[nd->out].p;
    int rc = QB_OK;
    if (n->cl == CL_GEMM) {
        const qb_mat A = {
            .p = x, .ld = c->C, .type = e->o.dtype == QB_INT8 ? QB_MAT_U8 : QB_MAT_F32};
        const qb_epilogue ep = epi(e, n, y);
        rc = qb_gemm(e->ws, n->N * c->H * c->W, n->K, c->C, &A, n->w, &ep, e->o.threads);
    } else {
        const size_t in_img = (size_t)(c->C * c->H * c->W) * e->esz,
                     out_img = (size_t)(n->K * c->OH * c->OW) * e->esz;
        const uint8_t pad = e->o.dtype == QB_INT8 ? (uint8_t)e->t[nd->in[0]].zp : 0;
        for (long b = 0; b < n->N && !rc; b++) {
            const qb_epilogue ep = epi(e, n, y + b * out_img);
            rc = qb_conv_nhwc_run(&n->nc, x + b * in_img, pad, e->xpad, n->w, &ep, e->o.threads);
        }
    }
    if (!rc) qb_ex_act_after(e, n, y, e->t[nd->out].numel);
    return rc;
}

static void run_dw(qb_net_exec *e, const qb_net_node *nd, const ex_node *n)
{
    const qb_dw_geom *g = &n->dg;
    const size_t C = (size_t)e->g->tensors[nd->in[0]].dims[1];
    const size_t images = e->t[nd->in[0]].numel / (C * g->H * g->W);
    const size_t in_img = C * g->H * g->W * e->esz, out_img = C * g->OH * g->OW * e->esz;
    const bool q = e->o.dtype == QB_INT8;
    const qb_dw_nhwc_io io = {.type = q ? QB_DW_U8 : QB_DW_F32,
                              .bias = n->bias,
                              .clamp = n->act != 0,
                              .lo = n->lo,
                              .hi = n->hi,
                              .za = (uint8_t)e->t[nd->in[0]].zp,
                              .bias_i32 = n->bias_i32,
                              .mult = n->mult,
                              .zo = q ? n->rq[0].zo : 0,
                              .qmin = q ? n->rq[0].qmin : 0,
                              .qmax = q ? n->rq[0].qmax : 0};
    const char *x = e->t[nd->in[0]].p;
    char *y = e->t[nd->out].p;
    /* each thread its share of every image's output rows */
#pragma omp parallel num_threads(e->o.threads)
    {
        const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        for (size_t b = 0; b < images; b++)
            qb_dw_nhwc_rows(g, C, &io, x + b * in_img, n->dw_wt, y + b * out_img, g->OH * t / nt,
                            g->OH * (t + 1) / nt);
    }
}

/* Global average pooling over the pixels of each image (nn_kern.h). */
static void run_gap(qb_net_exec *e, const qb_net_node *nd)
{
    const qb_net_tensor *xt = &e->g->tensors[nd->in[0]];
    const long N = xt->dims[0], C = xt->dims[1], P = xt->dims[2] * xt->dims[3];
    const ex_tensor *xe = &e->t[nd->in[0]], *ye = &e->t[nd->out];
    if (e->o.dtype == QB_FP32) {
        qb_gap_nhwc_f32(N, P, C, xe->p, ye->p, e->o.threads);
        return;
    }
    const qb_qt xq = {.scale = xe->scale, .zp = xe->zp}, yq = {.scale = ye->scale, .zp = ye->zp};
    qb_gap_nhwc_q8(N, P, C, &xq, xe->p, &yq, ye->p, e->o.threads);
}

/* Max pooling: the bytes' max is the values' max (the output keeps the
 * input's int8 params, as the planar kernel's does). */
static void run_maxpool(qb_net_exec *e, const qb_net_node *nd, const ex_node *n)
{
    const qb_net_tensor *xt = &e->g->tensors[nd->in[0]];
    const void *x = e->t[nd->in[0]].p;
    void *y = e->t[nd->out].p;
    if (e->o.dtype == QB_FP32)
        qb_maxpool_nhwc_f32(&n->pg, xt->dims[0], xt->dims[1], x, y, e->o.threads);
    else
        qb_maxpool_nhwc_u8(&n->pg, xt->dims[0], xt->dims[1], x, y, e->o.threads);
}

int qb_ex_nhwc_run(qb_net_exec *e, int i)
{
    const qb_net_node *nd = &e->g->nodes[i];
    const ex_node *n = &e->nodes[i];
    if (n->kind == EX_CONV) return run_conv(e, nd, n);
    if (n->kind == EX_DW)
        run_dw(e, nd, n);
    else if (n->kind == EX_MAXPOOL)
        run_maxpool(e, nd, n);
    else
        run_gap(e, nd);
    return QB_OK;
}

/* Bytes of tensor t (elements of esz bytes) from src to dst: NCHW to NHWC
 * (to_cl), or back. */
static void permute(const qb_net_exec *e, int t, const void *src, void *dst, bool to_cl)
{
    const qb_net_tensor *x = &e->g->tensors[t];
    const size_t N = (size_t)x->dims[0], C = (size_t)x->dims[1], H = (size_t)x->dims[2],
                 W = (size_t)x->dims[3];
    qb_lay_plan p;
    if (to_cl)
        qb_lay_plan_permute((const size_t[4]){N, C, H, W}, (const int[4]){0, 2, 3, 1}, e->esz, &p);
    else
        qb_lay_plan_permute((const size_t[4]){N, H, W, C}, (const int[4]){0, 3, 1, 2}, e->esz, &p);
    const void *s[1] = {src};
#pragma omp parallel num_threads(e->o.threads)
    qb_lay_exec(&p, s, dst, false, e->lay_tmp + (size_t)omp_get_thread_num() * QB_LAY_TMP_BYTES,
                omp_get_thread_num(), omp_get_num_threads());
}

int qb_ex_nhwc_store(qb_net_exec *e, int t, const float *x)
{
    const size_t n = e->t[t].numel;
    /* the graph input's stage is kept: it is written on every run */
    void *stage = t == e->g->input ? e->cl_in : malloc(n * e->esz + 64);
    if (!stage) return qb_fail(QB_ENOMEM, "network executor: out of memory");
    qb_ex_store_at(e, t, x, n, stage);
    permute(e, t, stage, e->t[t].p, true);
    if (stage != e->cl_in) free(stage);
    return QB_OK;
}

int qb_ex_nhwc_load(const qb_net_exec *e, int t, float *x)
{
    const size_t n = e->t[t].numel;
    void *stage = malloc(n * e->esz + 64);
    if (!stage) return qb_fail(QB_ENOMEM, "network executor: out of memory");
    permute(e, t, e->t[t].p, stage, false);
    qb_ex_load_at(e, t, stage, x, n);
    free(stage);
    return QB_OK;
}
