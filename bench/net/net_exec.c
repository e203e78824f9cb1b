/* The executor's life cycle: layers prepared, activations planned into one
 * arena, the graph run layer after layer, tensors read and written as float. */
#include "net_exec_int.h"

#include "error.h"
#include "gemm_f16.h"
#include "net_plan.h"
#include "ops_compute_util.h"
#include "quant.h"
#include "timer.h"

#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes kept readable before and after every activation: the im2col
 * packers' overreads (gemm.h). */
#define GUARD 64

const float *qb_ex_const(const qb_net_graph *g, int i)
{
    if (i < 0 || i >= g->ntensors) return NULL;
    const qb_net_tensor *t = &g->tensors[i];
    return t->data && t->type == QB_NT_F32 ? t->data : NULL;
}

void qb_ex_store(const qb_net_exec *e, int t, const float *x, size_t n)
{
    qb_ex_store_at(e, t, x, n, e->t[t].p);
}

void qb_ex_store_at(const qb_net_exec *e, int t, const float *x, size_t n, void *dst)
{
    const ex_tensor *et = &e->t[t];
    if (e->o.dtype == QB_FP32 || et->raw) {
        memcpy(dst, x, n * sizeof *x);
    } else if (e->o.dtype == QB_FP16) {
        qb_f32_to_f16_n(x, dst, n);
    } else {
        /* qb_quant1 eight at a time: one division, clamped in float to
         * [-zp, 255 - zp] before the rounding conversion (half to even) */
        uint8_t *q = dst;
        const __m256 s = _mm256_set1_ps(et->scale), lo = _mm256_set1_ps((float)-et->zp),
                     hi = _mm256_set1_ps((float)(255 - et->zp));
        const __m256i zp = _mm256_set1_epi32(et->zp);
        const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                              0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
        const size_t full = n / 8 * 8;
#pragma omp parallel for num_threads(e->o.threads) schedule(static)
        for (size_t i = 0; i < full; i += 8) {
            const __m256 r = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(x + i), s),
                                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            const __m256i v = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(r, lo), hi)), zp);
            const __m256i b = _mm256_shuffle_epi8(v, pick);
            const uint32_t w0 = (uint32_t)_mm256_extract_epi32(b, 0), w1 = (uint32_t)_mm256_extract_epi32(b, 4);
            memcpy(q + i, &w0, 4);
            memcpy(q + i + 4, &w1, 4);
        }
        for (size_t i = full; i < n; i++)
            q[i] = (uint8_t)qb_quant1(x[i], et->scale, et->zp, 0, 255);
    }
}

void qb_ex_load(const qb_net_exec *e, int t, float *x, size_t n)
{
    qb_ex_load_at(e, t, e->t[t].p, x, n);
}

void qb_ex_load_at(const qb_net_exec *e, int t, const void *src, float *x, size_t n)
{
    const ex_tensor *et = &e->t[t];
    if (e->o.dtype == QB_FP32 || et->raw) {
        memcpy(x, src, n * sizeof *x);
    } else if (e->o.dtype == QB_FP16) {
        qb_f16_to_f32_n(src, x, n);
    } else {
        const uint8_t *q = src;
        for (size_t i = 0; i < n; i++)
            x[i] = qb_dequant1(q[i], et->scale, et->zp);
    }
}

void qb_net_exec_destroy(qb_net_exec *e)
{
    if (!e) return;
    if (e->nodes)
        for (int i = 0; i < e->g->nnodes; i++) qb_ex_free_node(&e->nodes[i]);
    free(e->nodes);
    free(e->layers);
    free(e->t);
    free(e->arena);
    for (int k = 0; k < e->nf32; k++) free(e->f32[k]);
    free(e->dw_scratch);
    free(e->lay_tmp);
    free(e->xpad);
    free(e->cl_in);
    qb_gemm_ws_destroy(e->ws);
    free(e);
}

static int root_of(const qb_net_exec *e, int t)
{
    while (e->t[t].root != t) t = e->t[t].root;
    return t;
}

/* Lifetimes of the alias groups' roots, the placement, the arena. */
static int plan(qb_net_exec *e)
{
    const qb_net_graph *g = e->g;
    const int n = g->ntensors;
    qb_net_live *live = calloc((size_t)n, sizeof *live);
    size_t *off = calloc((size_t)n, sizeof *off);
    if (!live || !off) {
        free(live);
        free(off);
        return qb_fail(QB_ENOMEM, "network executor: out of memory");
    }
    for (int i = 0; i < n; i++) {
        live[i].first = g->nnodes;
        live[i].last = -1;
    }
    for (int i = 0; i < n; i++) {
        if (!e->t[i].act) continue;
        const int r = root_of(e, i);
        live[r].bytes = e->t[r].numel * (e->t[r].raw ? sizeof(float) : e->esz) + 2 * GUARD;
        if (i == g->input || g->tensors[i].is_input) live[r].first = -1;
        if (i == g->output || g->tensors[i].is_output) live[r].last = g->nnodes;
    }
    for (int k = 0; k < g->nnodes; k++) {
        const qb_net_node *nd = &g->nodes[k];
        const int ro = root_of(e, nd->out);
        if (k < live[ro].first) live[ro].first = k;
        if (k > live[ro].last) live[ro].last = k;
        for (int j = 0; j < nd->nin; j++) {
            if (nd->in[j] < 0 || !e->t[nd->in[j]].act) continue;
            const int ri = root_of(e, nd->in[j]);
            if (k > live[ri].last) live[ri].last = k;
        }
    }
    e->total_bytes = 0;
    for (int i = 0; i < n; i++) {
        if (!live[i].bytes) continue;
        if (live[i].first > live[i].last) live[i].last = live[i].first; /* written, never read */
        if (e->o.keep_all) live[i].first = -1, live[i].last = g->nnodes;
        e->total_bytes += live[i].bytes;
    }
    e->arena_bytes = qb_net_plan(live, n, off);
    char what[160];
    snprintf(what, sizeof what, "network %s, its activations", g->name);
    int rc = e->arena_bytes == (size_t)-1 ? QB_OK : qb_cq_mem_check(what, (double)e->arena_bytes);
    if (rc) {
        free(live);
        free(off);
        return rc;
    }
    if (e->arena_bytes == (size_t)-1 ||
        !(e->arena = aligned_alloc(64, e->arena_bytes ? e->arena_bytes : 64))) {
        free(live);
        free(off);
        return qb_fail(QB_ENOMEM, "network executor: the activations (%zu bytes) do not fit in memory",
                       e->total_bytes);
    }
    memset(e->arena, 0, e->arena_bytes);
    for (int i = 0; i < n; i++)
        if (e->t[i].act) e->t[i].p = e->arena + off[root_of(e, i)] + GUARD;
    free(live);
    free(off);
    return QB_OK;
}

/* Scratch of the fp32 route (one buffer per activation input and one for
 * the output, as many as the widest such layer needs; fp32 needs none) and
 * of the depthwise kernel (per thread). */
static int scratch(qb_net_exec *e)
{
    size_t maxn = 0;
    long dwmax = 0;
    int need = 0;
    for (int i = 0; i < e->g->ntensors; i++)
        if (e->t[i].act && e->t[i].numel > maxn) maxn = e->t[i].numel;
    for (int i = 0; i < e->g->nnodes; i++) {
        const ex_node *n = &e->nodes[i];
        const qb_net_node *nd = &e->g->nodes[i];
        if (n->kind == EX_DW && !n->dw_wt) {
            const long s = n->dw_wb ? (long)qb_dw_c8_scratch(&n->dc)
                                    : (long)(n->dg.Hp * n->dg.Wp + n->dg.OH * n->dg.OW + 64) * 4;
            if (s > dwmax) dwmax = s;
        }
        int k = 1;
        for (int j = 0; j < nd->nin; j++)
            k += nd->in[j] >= 0 && e->t[nd->in[j]].act;
        if (e->o.dtype != QB_FP32 &&
            (n->kind == EX_F32 || (e->o.dtype == QB_FP16 && n->kind >= EX_ADD)) && k > need)
            need = k;
    }
    e->f32_elems = maxn;
    for (; e->nf32 < need; e->nf32++)
        if (!(e->f32[e->nf32] = malloc(maxn * sizeof(float) + GUARD)))
            return qb_fail(QB_ENOMEM, "network executor: out of memory");
    for (int i = 0; i < e->g->nnodes && !e->lay_tmp; i++)
        if ((e->nodes[i].kind == EX_TRANSPOSE || e->nhwc) &&
            !(e->lay_tmp = aligned_alloc(64, (size_t)e->o.threads * QB_LAY_TMP_BYTES)))
            return qb_fail(QB_ENOMEM, "network executor: out of memory");
    if (dwmax) {
        e->dw_scratch_sz = ((size_t)dwmax + 63) & ~(size_t)63; /* aligned_alloc wants a multiple */
        e->dw_scratch = aligned_alloc(64, (size_t)e->o.threads * e->dw_scratch_sz);
        if (!e->dw_scratch) return qb_fail(QB_ENOMEM, "network executor: out of memory");
    }
    return QB_OK;
}

int qb_net_exec_create(const qb_net_graph *g, const qb_net_exec_opts *o, qb_net_exec **out)
{
    *out = NULL;
    if (o->threads < 1 || o->dtype < QB_FP32 || o->dtype > QB_INT8)
        return qb_fail(QB_EUSAGE, "network executor: bad threads or dtype");
    if (g->input < 0 || g->output < 0 || g->nnodes < 1)
        return qb_fail(QB_EINPUT, "network %s: no input, output or layer", g->name);
    qb_net_exec *e = calloc(1, sizeof *e);
    if (!e) return qb_fail(QB_ENOMEM, "out of memory");
    e->g = g;
    e->o = *o;
    if (e->o.calib_batches < 1) e->o.calib_batches = 1;
    if (e->o.gran != QB_PER_CHANNEL) e->o.gran = QB_PER_TENSOR; /* int8 weights: per tensor unless asked */
    e->esz = qb_dtype_bytes(o->dtype);
    e->isa = qb_gemm_isa_resolve(QB_ISA_AUTO);
    e->nodes = calloc((size_t)g->nnodes, sizeof *e->nodes);
    e->layers = calloc((size_t)g->nnodes, sizeof *e->layers);
    e->t = calloc((size_t)g->ntensors, sizeof *e->t);
    int rc = !e->nodes || !e->layers || !e->t ? qb_fail(QB_ENOMEM, "out of memory") : QB_OK;
    if (!rc) rc = qb_gemm_ws_create(o->threads, e->isa, &e->ws);
    for (int i = 0; !rc && i < g->ntensors; i++) {
        const qb_net_tensor *t = &g->tensors[i];
        e->t[i].act = !t->data;
        e->t[i].root = i;
        e->t[i].numel = (size_t)qb_net_numel(t);
        e->t[i].scale = 1.0f;
        e->t[i].producer = -1;
        e->t[i].raw = !t->data && t->type != QB_NT_F32; /* token ids stay exact */
        if (e->t[i].act && qb_net_numel(t) <= 0)
            rc = qb_fail(QB_EINPUT, "tensor %s: a dimension is not known", t->name);
    }
    for (int i = 0; !rc && i < g->nnodes; i++) {
        const qb_net_node *nd = &g->nodes[i];
        if (nd->out < 0 || nd->out >= g->ntensors)
            rc = qb_fail(QB_EINPUT, "node %s: no output tensor", nd->name);
        else
            e->t[nd->out].producer = i;
        for (int j = 0; !rc && j < nd->nin; j++)
            if (nd->in[j] >= g->ntensors) rc = qb_fail(QB_EINPUT, "node %s: bad input", nd->name);
            else if (nd->in[j] >= 0) e->t[nd->in[j]].uses++;
    }
    for (int i = 0; !rc && i < g->nnodes; i++)
        rc = qb_ex_prep_node(e, i);
    if (!rc) rc = qb_ex_nhwc_choose(e);
    /* an alias of integer data is integer data too */
    for (int pass = 0; !rc && pass < 2; pass++)
        for (int i = 0; i < g->ntensors; i++) {
            const int r = root_of(e, i);
            e->t[i].raw = e->t[r].raw = e->t[i].raw || e->t[r].raw;
        }
    if (!rc) rc = plan(e);
    if (!rc) rc = scratch(e);
    if (!rc && o->dtype == QB_INT8) rc = qb_ex_calibrate(e);
    if (rc) {
        qb_net_exec_destroy(e);
        return rc;
    }
    *out = e;
    return QB_OK;
}

int qb_net_exec_set_tensor(qb_net_exec *e, int tensor, const float *x)
{
    if (tensor < 0 || tensor >= e->g->ntensors || !e->t[tensor].act)
        return qb_fail(QB_EINPUT, "network executor: tensor %d is not an activation", tensor);
    if (qb_ex_nhwc_tensor(e, tensor)) return qb_ex_nhwc_store(e, tensor, x);
    qb_ex_store(e, tensor, x, e->t[tensor].numel);
    return QB_OK;
}

int qb_net_exec_run_node(qb_net_exec *e, int node)
{
    return e->nodes[node].kind == EX_SKIP ? QB_OK : qb_ex_run_node(e, node);
}

int qb_net_exec_run(qb_net_exec *e, const float *input, double *node_ns)
{
    int rc = qb_net_exec_set_tensor(e, e->g->input, input);
    if (rc) return rc;
    for (int i = 0; i < e->g->nnodes; i++) {
        if (e->nodes[i].kind == EX_SKIP) {
            if (node_ns) node_ns[i] = 0;
            /* a skipped layer's output reads as 0 (its buffer may hold another tensor's bytes) */
            const ex_tensor *t = &e->t[e->g->nodes[i].out];
            if (e->layers[i].skipped && t->act)
                memset(t->p, e->o.dtype == QB_INT8 && !t->raw ? t->zp : 0,
                       t->numel * (t->raw ? sizeof(float) : e->esz));
            continue;
        }
        const uint64_t t0 = node_ns ? qb_now_ns() : 0;
        rc = qb_ex_run_node(e, i);
        if (rc) return rc;
        if (node_ns) node_ns[i] = (double)(qb_now_ns() - t0);
    }
    return QB_OK;
}

int qb_net_exec_tensor(const qb_net_exec *e, int tensor, float *out)
{
    if (tensor < 0 || tensor >= e->g->ntensors || !e->t[tensor].act)
        return qb_fail(QB_EINPUT, "network executor: tensor %d is not an activation", tensor);
    if (!e->o.keep_all && tensor != e->g->output)
        return qb_fail(QB_EINPUT, "network executor: tensor %s was not kept (keep_all is off)",
                       e->g->tensors[tensor].name);
    if (qb_ex_nhwc_tensor(e, tensor)) return qb_ex_nhwc_load(e, tensor, out);
    qb_ex_load(e, tensor, out, e->t[tensor].numel);
    return QB_OK;
}

size_t qb_net_exec_peak_bytes(const qb_net_exec *e)
{
    return e->arena_bytes;
}

size_t qb_net_exec_total_bytes(const qb_net_exec *e)
{
    return e->total_bytes;
}

const qb_net_layer *qb_net_exec_layer(const qb_net_exec *e, int node)
{
    return &e->layers[node];
}

bool qb_net_exec_channels_last(const qb_net_exec *e)
{
    return e->nhwc;
}

bool qb_net_exec_qparams(const qb_net_exec *e, int tensor, float *scale, int32_t *zp)
{
    if (e->o.dtype != QB_INT8 || !e->t[tensor].act) return false;
    *scale = e->t[tensor].scale;
    *zp = e->t[tensor].zp;
    return true;
}

int qb_net_exec_file_scales(const qb_net_exec *e)
{
    return e->file_scales;
}
