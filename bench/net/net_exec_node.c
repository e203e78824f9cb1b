/* Running one prepared layer on the executor's buffers, per kind and dtype. */
#include "net_exec_int.h"

#include "error.h"
#include "gemm_f16.h"
#include "quant.h"

#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <string.h>

static size_t numel(const qb_net_exec *e, int t)
{
    return e->t[t].numel;
}

/* A fused or standalone Relu/Clip on n float values in place. */
static void act_f32(const ex_node *n, float *y, size_t cnt, int threads)
{
    if (n->act) qb_clip_f32(y, y, cnt, n->lo, n->hi, threads);
}

/* The same on binary16 values: widened eight at a time (F16C), clipped,
 * narrowed (round to nearest even). */
static void act_f16(const ex_node *n, uint16_t *y, size_t cnt, int threads)
{
    if (!n->act) return;
    const __m256 lo = _mm256_set1_ps(n->lo), hi = _mm256_set1_ps(n->hi);
    const size_t full = cnt / 8 * 8;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < full; i += 8) {
        const __m256 v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i)));
        _mm_storeu_si128((__m128i *)(y + i),
                         _mm256_cvtps_ph(_mm256_min_ps(_mm256_max_ps(v, lo), hi), _MM_FROUND_TO_NEAREST_INT));
    }
    for (size_t i = full; i < cnt; i++) {
        const float v = qb_f16_to_f32(y[i]);
        y[i] = qb_f32_to_f16(v < n->lo ? n->lo : v > n->hi ? n->hi : v);
    }
}

/* The same on one thread's span (inside a parallel region: no nested team). */
static void act_span(const ex_node *n, float *y, size_t cnt)
{
    if (!n->act) return;
    const float lo = n->lo, hi = n->hi;
    for (size_t i = 0; i < cnt; i++) {
        const float v = y[i] < lo ? lo : y[i];
        y[i] = v > hi ? hi : v;
    }
}

static qb_qt qt(const qb_net_exec *e, int t)
{
    return (qb_qt){.scale = e->t[t].scale, .zp = e->t[t].zp, .s8 = false};
}

/* A Clip(0, hi) (ReLU6) rides in the float epilogue as a ReLU with a cap;
 * other bounds take a pass over the output after the GEMM. */
static bool clip_in_epi(const ex_node *n)
{
    return n->act == QB_NOP_CLIP && n->lo == 0.0f && n->hi > 0.0f && n->hi < INFINITY;
}

/* The float epilogue (bias, and ReLU or ReLU6 while the tile is in
 * registers). */
qb_epilogue qb_ex_float_epi(const qb_net_exec *e, const ex_node *n, void *y, long ldc, bool rows)
{
    const bool cap = clip_in_epi(n);
    qb_epilogue ep = {.kind = e->o.dtype == QB_FP16 ? QB_EPI_F16 : QB_EPI_F32, .c = y, .ldc = ldc,
                      .channel_is_row = rows, .relu = n->act == QB_NOP_RELU || cap,
                      .cap = cap ? n->hi : 0.0f, .bias = n->bias};
    return ep;
}

void qb_ex_act_after(const qb_net_exec *e, const ex_node *n, void *y, size_t cnt)
{
    if (n->act != QB_NOP_CLIP || e->o.dtype == QB_INT8 || clip_in_epi(n)) return;
    if (e->o.dtype == QB_FP32) act_f32(n, y, cnt, e->o.threads);
    else act_f16(n, y, cnt, e->o.threads);
}

static int run_conv(qb_net_exec *e, const qb_net_node *nd, const ex_node *n)
{
    qb_conv_group cg = n->cg;
    cg.w = n->w;
    const long P = cg.geo.OH * cg.geo.OW;
    const size_t in_img = (size_t)(cg.geo.C * cg.group * cg.geo.H * cg.geo.W) * e->esz;
    const size_t out_img = (size_t)(n->K * P) * e->esz;
    const qb_epilogue ep = e->o.dtype == QB_INT8 ? n->epi : qb_ex_float_epi(e, n, NULL, P, true);
    for (long b = 0; b < n->N; b++) {
        int rc = qb_conv_group_image(e->ws, &cg, (const char *)e->t[nd->in[0]].p + b * in_img,
                                     (char *)e->t[nd->out].p + b * out_img, &ep, e->o.threads);
        if (rc) return rc;
    }
    qb_ex_act_after(e, n, e->t[nd->out].p, numel(e, nd->out));
    return QB_OK;
}

/* The 8-channel-block route: each (image, block) pair is one task. */
static void run_dw_blocks(qb_net_exec *e, const qb_net_node *nd, const ex_node *n)
{
    const qb_dw_geom *g = &n->dg;
    const size_t C = n->dc.C, nb = (C + 7) / 8, images = numel(e, nd->in[0]) / (C * g->H * g->W);
    const size_t in_img = C * g->H * g->W * e->esz, out_img = C * g->OH * g->OW * e->esz;
    const qb_dw_c8_io io = {.type = e->o.dtype == QB_FP32   ? QB_DW_F32
                                    : e->o.dtype == QB_FP16 ? QB_DW_F16
                                                            : QB_DW_U8,
                            .bias = n->bias, .clamp = n->act != 0, .lo = n->lo, .hi = n->hi,
                            .za = (uint8_t)e->t[nd->in[0]].zp, .rq = n->rq};
    const char *x = e->t[nd->in[0]].p;
    char *y = e->t[nd->out].p;
#pragma omp parallel for num_threads(e->o.threads) schedule(static)
    for (size_t t = 0; t < images * nb; t++) {
        float *s = (float *)(e->dw_scratch + (size_t)omp_get_thread_num() * e->dw_scratch_sz);
        const size_t img = t / nb, b = t % nb;
        qb_dw_c8_run(&n->dc, &io, x + img * in_img, n->dw_wb, s, y + img * out_img, b, b + 1);
    }
}

static void run_dw(qb_net_exec *e, const qb_net_node *nd, const ex_node *n)
{
    if (n->dw_wb) {
        run_dw_blocks(e, nd, n);
        return;
    }
    const qb_dw_geom *g = &n->dg;
    const size_t C = (size_t)e->g->tensors[nd->in[0]].dims[1];
    const size_t planes = numel(e, nd->in[0]) / (g->H * g->W), in = g->H * g->W, out = g->OH * g->OW;
    const size_t taps = (size_t)(g->R * g->S);
    const bool vnni = qb_gemm_isa_vnni(e->isa);
    const uint8_t za = (uint8_t)e->t[nd->in[0]].zp;
#pragma omp parallel for num_threads(e->o.threads) schedule(static)
    for (size_t p = 0; p < planes; p++) {
        unsigned char *s = e->dw_scratch + (size_t)omp_get_thread_num() * e->dw_scratch_sz;
        const size_t ch = p % C;
        if (e->o.dtype == QB_FP32) {
            float *y = (float *)e->t[nd->out].p + p * out;
            qb_dw_pad_f32(g, (const float *)e->t[nd->in[0]].p + p * in, (float *)s, true);
            qb_dw_plane_f32(g, (const float *)s, n->dw_w + ch * taps, n->bias[ch], y);
            act_span(n, y, out);
        } else if (e->o.dtype == QB_FP16) {
            float wf[16 * 16], *yt = (float *)(s + g->Hp * g->Wp * 4);
            for (size_t k = 0; k < taps; k++) wf[k] = n->dw_w[ch * taps + k];
            qb_dw_pad_f16(g, (const uint16_t *)e->t[nd->in[0]].p + p * in, (float *)s, true);
            qb_dw_plane_f32(g, (const float *)s, wf, n->bias[ch], yt);
            act_span(n, yt, out);
            qb_f32_to_f16_n(yt, (uint16_t *)e->t[nd->out].p + p * out, out);
        } else {
            qb_dw_pad_u8(g, (const uint8_t *)e->t[nd->in[0]].p + p * in, za, s, true);
            qb_dw_plane_i8(g, s, n->dw_wq + ch * taps, &n->rq[ch], vnni,
                           (uint8_t *)e->t[nd->out].p + p * out);
        }
    }
}

static int run_fc(qb_net_exec *e, const qb_net_node *nd, const ex_node *n)
{
    const qb_mat A = {.p = e->t[nd->in[0]].p, .ld = n->K,
                      .type = e->o.dtype == QB_FP32   ? QB_MAT_F32
                              : e->o.dtype == QB_FP16 ? QB_MAT_F16
                                                      : QB_MAT_U8};
    qb_epilogue ep = e->o.dtype == QB_INT8 ? n->epi : qb_ex_float_epi(e, n, NULL, n->Nn, false);
    ep.c = e->t[nd->out].p;
    ep.ldc = n->Nn;
    ep.channel_is_row = false;
    int rc = qb_gemm(e->ws, n->M, n->Nn, n->K, &A, n->w, &ep, e->o.threads);
    if (!rc) qb_ex_act_after(e, n, e->t[nd->out].p, numel(e, nd->out));
    return rc;
}

static void run_add_q8(const qb_net_exec *e, const qb_net_node *nd, const ex_node *n)
{
    const uint8_t *a = e->t[nd->in[0]].p, *b = e->t[nd->in[1]].p;
    uint8_t *y = e->t[nd->out].p;
    const ex_tensor *ta = &e->t[nd->in[0]], *tb = &e->t[nd->in[1]], *ty = &e->t[nd->out];
    const float ma = ta->scale / ty->scale, mb = tb->scale / ty->scale;
    const int32_t za = ta->zp, zb = tb->zp, zo = ty->zp;
    int32_t qmin = 0, qmax = 255;
    if (n->act) {
        qmin = qb_quant1(n->lo, ty->scale, zo, 0, 255);
        if (n->hi < INFINITY) qmax = qb_quant1(n->hi, ty->scale, zo, 0, 255);
    }
    const size_t cnt = numel(e, nd->out), full = cnt / 8 * 8;
    /* eight at a time: widen, scale in float, round half to even (vcvtps2dq),
     * add the zero point, clamp, narrow; the same arithmetic as the tail */
    const __m256 va = _mm256_set1_ps(ma), vb = _mm256_set1_ps(mb);
    const __m256i vza = _mm256_set1_epi32(za), vzb = _mm256_set1_epi32(zb), vzo = _mm256_set1_epi32(zo);
    const __m256i lo = _mm256_set1_epi32(qmin), hi = _mm256_set1_epi32(qmax);
    const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
#pragma omp parallel for num_threads(e->o.threads) schedule(static)
    for (size_t i = 0; i < full; i += 8) {
        const __m256i xa = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(a + i))), vza);
        const __m256i xb = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b + i))), vzb);
        const __m256 v = _mm256_fmadd_ps(va, _mm256_cvtepi32_ps(xa), _mm256_mul_ps(vb, _mm256_cvtepi32_ps(xb)));
        __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), vzo);
        q = _mm256_min_epi32(_mm256_max_epi32(q, lo), hi);
        const __m256i bytes = _mm256_shuffle_epi8(q, pick);
        const uint32_t w0 = (uint32_t)_mm256_extract_epi32(bytes, 0), w1 = (uint32_t)_mm256_extract_epi32(bytes, 4);
        memcpy(y + i, &w0, 4);
        memcpy(y + i + 4, &w1, 4);
    }
    for (size_t i = full; i < cnt; i++) {
        const float v = rintf(fmaf(ma, (float)(a[i] - za), mb * (float)(b[i] - zb))) + (float)zo;
        y[i] = (uint8_t)(v < (float)qmin ? qmin : v > (float)qmax ? qmax : (int32_t)v);
    }
}

/* The fp32 kernel of a pooling, Add or Relu/Clip layer. */
static void small_f32(const qb_net_exec *e, const qb_net_node *nd, const ex_node *n,
                      const float *x, const float *x2, float *y)
{
    const int T = e->o.threads;
    const qb_net_tensor *xt = &e->g->tensors[nd->in[0]];
    switch (n->kind) {
    case EX_MAXPOOL: qb_maxpool_f32(&n->pg, x, y, T); break;
    case EX_AVGPOOL: qb_avgpool_f32(&n->pg, x, y, T); break;
    case EX_GAP:
        qb_gap_f32(xt->dims[0] * xt->dims[1], (long)(numel(e, nd->in[0]) / (size_t)(xt->dims[0] * xt->dims[1])), x, y, T);
        break;
    case EX_ADD: {
        const size_t cnt = numel(e, nd->out);
#pragma omp parallel for num_threads(T) schedule(static)
        for (size_t i = 0; i < cnt; i++) y[i] = x[i] + x2[i];
        act_f32(n, y, cnt, T);
        break;
    }
    default: qb_clip_f32(x, y, numel(e, nd->out), n->lo, n->hi, T); break;
    }
}

static void small_q8(const qb_net_exec *e, const qb_net_node *nd, const ex_node *n)
{
    const int T = e->o.threads;
    const qb_qt xq = qt(e, nd->in[0]), yq = qt(e, nd->out);
    const uint8_t *x = e->t[nd->in[0]].p;
    uint8_t *y = e->t[nd->out].p;
    const qb_net_tensor *xt = &e->g->tensors[nd->in[0]];
    switch (n->kind) {
    case EX_MAXPOOL: qb_maxpool_q8(&n->pg, &xq, x, y, T); break;
    case EX_AVGPOOL: qb_avgpool_q8(&n->pg, &xq, x, &yq, y, T); break;
    case EX_GAP:
        qb_gap_q8(xt->dims[0] * xt->dims[1], (long)(numel(e, nd->in[0]) / (size_t)(xt->dims[0] * xt->dims[1])), &xq, x, &yq, y, T);
        break;
    case EX_ADD: run_add_q8(e, nd, n); break;
    default: qb_clip_q8(&xq, x, y, numel(e, nd->out), n->lo, n->hi, T); break;
    }
}

/* The fp32 route: activation inputs converted into scratch (fp16, int8),
 * the fp32 kernel, the output converted back. */
static int run_route(qb_net_exec *e, int i)
{
    const qb_net_node *nd = &e->g->nodes[i];
    const ex_node *n = &e->nodes[i];
    const float *in[QB_NET_MAXIN] = {0};
    int k = 0;
    for (int j = 0; j < nd->nin; j++) {
        const int t = nd->in[j];
        if (t < 0) continue;
        if (!e->t[t].act) {
            in[j] = qb_ex_const(e->g, t);
        } else if (e->o.dtype == QB_FP32) {
            in[j] = e->t[t].p;
        } else {
            qb_ex_load(e, t, e->f32[k], numel(e, t));
            in[j] = e->f32[k++];
        }
    }
    float *out = e->o.dtype == QB_FP32 ? (float *)e->t[nd->out].p : e->f32[k];
    int rc;
    if (n->kind == EX_F32) {
        rc = qb_ex_f32_node(e, i, in, out);
    } else {
        small_f32(e, nd, n, in[0], nd->nin > 1 ? in[1] : NULL, out);
        rc = QB_OK;
    }
    if (!rc && e->o.dtype != QB_FP32) qb_ex_store(e, nd->out, out, numel(e, nd->out));
    return rc;
}

int qb_ex_run_node(qb_net_exec *e, int i)
{
    const qb_net_node *nd = &e->g->nodes[i];
    const ex_node *n = &e->nodes[i];
    switch (n->kind) {
    case EX_SKIP: return QB_OK;
    case EX_CONV: return n->cl ? qb_ex_nhwc_run(e, i) : run_conv(e, nd, n);
    case EX_DW:
        if (n->dw_wt) return qb_ex_nhwc_run(e, i);
        run_dw(e, nd, n);
        return QB_OK;
    case EX_GAP:
    case EX_MAXPOOL:
        if (e->nhwc) return qb_ex_nhwc_run(e, i);
        break;
    case EX_FC: return run_fc(e, nd, n);
    case EX_F32: return run_route(e, i);
    case EX_TRANSPOSE: {
        const void *src[1] = {e->t[nd->in[0]].p};
        void *dst = e->t[nd->out].p;
#pragma omp parallel num_threads(e->o.threads)
        qb_lay_exec(&n->lay, src, dst, false, e->lay_tmp + (size_t)omp_get_thread_num() * QB_LAY_TMP_BYTES,
                    omp_get_thread_num(), omp_get_num_threads());
        return QB_OK;
    }
    default: break;
    }
    if (e->o.dtype == QB_INT8) {
        small_q8(e, nd, n);
        return QB_OK;
    }
    return run_route(e, i);
}
