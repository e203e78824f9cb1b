/* lstm: one unidirectional LSTM layer (ONNX gate order i, o, f, c; h0 = c0 = 0).
 * The input projection of all time steps is one GEMM, G = X W^T + b over
 * [T*batch, 4H]; each step then adds h_{t-1} R^T (a [batch, 4H] GEMM) and runs
 * the gates (lstm_gates.c). The cell state stays fp32 in every data type.
 * int8: X by the policy, W and R in 8 bits (AVX512-VNNI) or 7 (AVX2) per-tensor or per gate row, both
 * GEMMs dequantized to float in their epilogues; h is requantized every step
 * with the fixed scale 1/127 (|h| < 1; 1/128 for pow2) and is the int8 output
 * and, +128, the next step's u8 operand. */
#include "ops_compute.h"

#include "big_buf.h"
#include "error.h"
#include "gemm.h"
#include "gemm_f16.h"
#include "lstm.h"
#include "timer.h"
#include "ops_compute_util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

struct qb_op_instance {
    qb_variant v;
    qb_gemm_isa isa;
    bool zmm; /* the gates sixteen units a vector (qb_gemm_f32_zmm of isa) */
    long T, B, I, H;
    qb_gemm_ws *ws;
    float *x, *w, *r, *bias, *y;
    float *g, *gh, *cst;      /* input projection, recurrent term, cell state */
    uint16_t *xh, *wh, *rh, *yh;
    qb_cq_act act;
    int8_t *wq, *rq, *yq;
    qb_qparams wp, rp;
    float *mult_w, *mult_r, hscale;
    int32_t *bias_w, *bias_r;
    uint8_t *hu;
    qb_mat wpk, rpk; /* W and R packed once at creation (constant weights) */
};

static int check(const qb_shape *s)
{
    static const char *const key[] = {"T", "batch", "input", "hidden"};
    for (int i = 0; i < 4; i++) {
        int rc = qb_cq_key_range("lstm", key[i], s->v[i], 1, 1L << 16);
        if (rc) return rc;
    }
    const double T = (double)s->v[0], B = (double)s->v[1], I = (double)s->v[2], H = (double)s->v[3];
    return qb_cq_mem_check("lstm", (T * B * I + 4 * H * (I + H) + T * B * 5 * H) * 4 * 1.5 + 64e6);
}

static double ops(const qb_shape *s)
{
    return 2.0 * s->v[0] * s->v[1] * 4.0 * s->v[3] * (double)(s->v[2] + s->v[3]);
}

static double bytes(const qb_shape *s, const qb_variant *v)
{
    const double T = (double)s->v[0], B = (double)s->v[1], I = (double)s->v[2], H = (double)s->v[3];
    const double e = (double)qb_dtype_bytes(v->dtype);
    double by = (T * B * I + 4 * H * I + 4 * H * H + T * B * H) * e + 4 * H * 4;
    if (v->dtype == QB_INT8) by += v->gran == QB_PER_CHANNEL ? 2 * 4 * H * 4 : 8;
    return by;
}

static size_t output_elems(const qb_shape *s)
{
    return (size_t)(s->v[0] * s->v[1] * s->v[3]);
}

static void destroy(qb_op_instance *c)
{
    if (!c) return;
    qb_gemm_ws_destroy(c->ws);
    qb_gemm_packed_free(&c->wpk);
    qb_gemm_packed_free(&c->rpk);
    void *bufs[] = {c->x, c->w, c->r, c->bias, c->y, c->g, c->gh, c->cst, c->xh, c->wh, c->rh,
                    c->yh, c->wq, c->rq, c->yq, c->mult_w, c->mult_r, c->bias_w, c->bias_r, c->hu};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) qb_big_free(bufs[i]);
    qb_cq_act_free(&c->act);
    qb_qparams_free(&c->wp);
    qb_qparams_free(&c->rp);
    free(c);
}

/* Several threads: one parallel region for the whole sequence. Thread t owns
 * hidden units [j0, j1) of all four gates: it computes their columns of the
 * input projection and of every step's recurrent GEMM, and their gates, so
 * the only synchronisation is one barrier per step (h_t complete before step
 * t+1 reads it). int8's u8 copy of h alternates between two buffers so a
 * fast thread cannot overwrite what a slow one still reads. */
static int run_parallel(qb_op_instance *c, const qb_mat *X, const qb_mat *W, const qb_mat *R,
                        const qb_epilogue *eg, const qb_epilogue *eh)
{
    const long T = c->T, B = c->B, I = c->I, H = c->H, G4 = 4 * H;
    const qb_dtype dt = c->v.dtype;
    int rc = QB_OK;
#pragma omp parallel num_threads(c->v.threads) reduction(min : rc)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        const long blocks = H / 16, j0 = blocks * t / nt * 16, j1 = blocks * (t + 1) / nt * 16;
        int r = QB_OK;
        for (long g = 0; g < 4 && !r; g++)
            r = qb_gemm_block(c->ws, t, T * B, G4, I, X, W, eg, 0, T * B, g * H + j0, g * H + j1);
        for (long b = 0; b < B; b++) memset(c->cst + b * H + j0, 0, (size_t)(j1 - j0) * sizeof *c->cst);
        for (long step = 0; step < T; step++) {
            const size_t prev = (size_t)((step - 1) & 1) * (size_t)(B * H), cur = (size_t)(step & 1) * (size_t)(B * H);
            if (step > 0 && !r) {
                qb_mat Hm = {.ld = H, .layout = QB_MAT_ROWS};
                if (dt == QB_FP32) Hm.p = c->y + (step - 1) * B * H, Hm.type = QB_MAT_F32;
                else if (dt == QB_FP16) Hm.p = c->yh + (step - 1) * B * H, Hm.type = QB_MAT_F16;
                else Hm.p = c->hu + prev, Hm.type = QB_MAT_U8;
                for (long g = 0; g < 4 && !r; g++)
                    r = qb_gemm_block(c->ws, t, B, G4, H, &Hm, R, eh, 0, B, g * H + j0, g * H + j1);
            }
            for (long b = 0; b < B && !r; b++) {
                const size_t row = (size_t)((step * B + b) * H);
                qb_lstm_hout o = {.scale = c->hscale, .zmm = c->zmm};
                if (dt == QB_FP32) o.f32 = c->y + row;
                else if (dt == QB_FP16) o.f16 = c->yh + row;
                else o.q = c->yq + row, o.u8 = c->hu + cur + b * H;
                qb_lstm_cell_range(H, j0, j1, c->g + (step * B + b) * G4, step ? c->gh + b * G4 : NULL,
                                   c->cst + b * H, &o);
            }
#pragma omp barrier
        }
        rc = r;
    }
    return rc;
}

/* The operands of a run: activations, packed weights and the two GEMMs'
 * epilogues, by dtype. */
static void operands(qb_op_instance *c, qb_mat *X, qb_mat *W, qb_mat *R, qb_epilogue *eg, qb_epilogue *eh)
{
    const long I = c->I, G4 = 4 * c->H;
    const qb_dtype dt = c->v.dtype;
    *X = (qb_mat){.ld = I, .layout = QB_MAT_ROWS};
    *eg = (qb_epilogue){.c = c->g, .ldc = G4, .bias = c->bias};
    *eh = (qb_epilogue){.c = c->gh, .ldc = G4};
    if (dt == QB_FP32) {
        X->p = c->x, X->type = QB_MAT_F32;
        eg->kind = eh->kind = QB_EPI_F32;
    } else if (dt == QB_FP16) {
        X->p = c->xh, X->type = QB_MAT_F16;
        eg->kind = eh->kind = QB_EPI_F32;
    } else {
        X->p = c->act.q, X->type = QB_MAT_U8;
        eg->kind = eh->kind = QB_EPI_DQ_F32;
        eg->mult = c->mult_w, eg->bias_i32 = c->bias_w;
        eh->mult = c->mult_r, eh->bias_i32 = c->bias_r;
    }
    *W = c->wpk, *R = c->rpk;
}

/* With ns (not NULL): the time since *t0 added to phase i, and *t0 moved on. */
static inline void phase_end(double *ns, int i, uint64_t *t0)
{
    if (!ns) return;
    const uint64_t t1 = qb_now_ns();
    ns[i] += (double)(t1 - *t0);
    *t0 = t1;
}

/* One step after another: the input projection, then per step the
 * recurrent GEMM (threads inside it) and the gates. ns: NULL, or the
 * nanoseconds of the three phases (input GEMM, recurrent GEMMs, gates),
 * added to. */
static int run_serial(qb_op_instance *c, const qb_mat *X, const qb_mat *W, const qb_mat *R,
                      const qb_epilogue *eg, const qb_epilogue *eh, double *ns)
{
    const long T = c->T, B = c->B, I = c->I, H = c->H, G4 = 4 * H;
    const qb_dtype dt = c->v.dtype;
    uint64_t t0 = ns ? qb_now_ns() : 0;
    int rc = qb_gemm(c->ws, T * B, G4, I, X, W, eg, c->v.threads);
    if (rc) return rc;
    phase_end(ns, 0, &t0);
    memset(c->cst, 0, (size_t)(B * H) * sizeof *c->cst);
    for (long t = 0; t < T; t++) {
        const bool rec = t > 0;
        if (rec) {
            qb_mat Hm = {.ld = H, .layout = QB_MAT_ROWS};
            if (dt == QB_FP32) Hm.p = c->y + (t - 1) * B * H, Hm.type = QB_MAT_F32;
            else if (dt == QB_FP16) Hm.p = c->yh + (t - 1) * B * H, Hm.type = QB_MAT_F16;
            else Hm.p = c->hu, Hm.type = QB_MAT_U8;
            rc = qb_gemm(c->ws, B, G4, H, &Hm, R, eh, c->v.threads);
            if (rc) return rc;
            phase_end(ns, 1, &t0);
        }
        for (long b = 0; b < B; b++) {
            const size_t row = (size_t)((t * B + b) * H);
            qb_lstm_hout o = {.scale = c->hscale, .zmm = c->zmm};
            if (dt == QB_FP32) o.f32 = c->y + row;
            else if (dt == QB_FP16) o.f16 = c->yh + row;
            else o.q = c->yq + row, o.u8 = c->hu + b * H;
            qb_lstm_cell(H, c->g + (t * B + b) * G4, rec ? c->gh + b * G4 : NULL, c->cst + b * H, &o);
        }
        phase_end(ns, 2, &t0);
    }
    return QB_OK;
}

static int run(qb_op_instance *c)
{
    qb_mat X, W, R;
    qb_epilogue eg, eh;
    operands(c, &X, &W, &R, &eg, &eh);
    if (c->v.threads > 1 && c->H % 16 == 0 && c->H / 16 >= c->v.threads)
        return run_parallel(c, &X, &W, &R, &eg, &eh);
    return run_serial(c, &X, &W, &R, &eg, &eh, NULL);
}

static int phases(qb_op_instance *c, cJSON *params)
{
    qb_mat X, W, R;
    qb_epilogue eg, eh;
    operands(c, &X, &W, &R, &eg, &eh);
    double ns[QB_CQ_PHASE_REPS][QB_CQ_PHASE_MAX] = {{0}};
    for (int r = 0; r < QB_CQ_PHASE_REPS; r++) {
        const int rc = run_serial(c, &X, &W, &R, &eg, &eh, ns[r]);
        if (rc) return rc;
    }
    const double G4 = 4.0 * (double)c->H, TB = (double)(c->T * c->B);
    static const char *const names[] = {"input projection GEMM [T*batch x 4*hidden x input]",
                                        "recurrent GEMMs [batch x 4*hidden x hidden], one per step",
                                        "gates and cell state"};
    const double ops[] = {2 * TB * G4 * (double)c->I, 2 * (double)((c->T - 1) * c->B) * G4 * (double)c->H, 0};
    return qb_cq_phases_record(params, 3, names, ops, ns);
}

/* int8 weights [4H][K]: codes in the bits of the kernel's ISA
 * (qb_cq_weight_bits), dequantizing multipliers sa*sw and
 * the compensation -za * row sums. */
static int quant_weights(const float *w, long K, long H4, qb_qgran gran, qb_qpolicy pol, qb_gemm_isa isa,
                         float sa, int32_t za, qb_qparams *p, int8_t *q, float *mult, int32_t *bias)
{
    const size_t d[2] = {(size_t)H4, (size_t)K};
    int rc = qb_cq_weights(w, d, 2, 0, gran, pol, isa, p, q);
    if (rc) return rc;
    for (long n = 0; n < H4; n++) {
        int32_t sum = 0;
        for (long k = 0; k < K; k++) sum += q[n * K + k];
        mult[n] = sa * p->scale[p->nch == 1 ? 0 : n];
        bias[n] = -za * sum;
    }
    return QB_OK;
}

static int create(const qb_shape *s, const qb_variant *v, qb_op_instance **out)
{
    *out = NULL;
    qb_op_instance *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    c->v = *v;
    int rc = qb_cq_isa(v, &c->isa);
    if (rc) goto fail;
    c->zmm = qb_gemm_f32_zmm(c->isa);
    c->T = s->v[0], c->B = s->v[1], c->I = s->v[2], c->H = s->v[3];
    const long G4 = 4 * c->H;
    const size_t nx = (size_t)(c->T * c->B * c->I), nw = (size_t)(G4 * c->I), nr = (size_t)(G4 * c->H);
    const size_t ny = output_elems(s);
    c->x = qb_big_alloc(nx * 4, 1);
    c->w = qb_big_alloc(nw * 4, 1);
    c->r = qb_big_alloc(nr * 4, 1);
    c->bias = malloc((size_t)G4 * 4);
    c->g = qb_big_alloc((size_t)(c->T * c->B * G4) * 4, 1);
    c->gh = malloc((size_t)(c->B * G4) * 4);
    c->cst = malloc((size_t)(c->B * c->H) * 4);
    if (!c->x || !c->w || !c->r || !c->bias || !c->g || !c->gh || !c->cst) goto nomem;
    /* weights around 1/sqrt(H) keep the gates out of saturation */
    const float ws = 1.0f / sqrtf((float)(c->I + c->H));
    qb_cq_fill(c->x, nx, 31, -1.0f, 1.0f);
    qb_cq_fill(c->w, nw, 32, -2 * ws, 2 * ws);
    qb_cq_fill(c->r, nr, 33, -2 * ws, 2 * ws);
    qb_cq_channel_spread(c->w, 1, (size_t)G4, (size_t)c->I); /* [4H][I], [4H][H]: by gate row */
    qb_cq_channel_spread(c->r, 1, (size_t)G4, (size_t)c->H);
    qb_cq_fill(c->bias, (size_t)G4, 34, -0.5f, 0.5f);
    rc = qb_gemm_ws_create(v->threads, c->isa, &c->ws);
    if (rc) goto fail;
    if (v->dtype == QB_FP32) {
        c->y = qb_big_alloc(ny * 4, 1);
        if (!c->y) goto nomem;
    } else if (v->dtype == QB_FP16) {
        c->xh = qb_big_alloc(nx * 2, 1);
        c->wh = qb_big_alloc(nw * 2, 1);
        c->rh = qb_big_alloc(nr * 2, 1);
        c->yh = qb_big_alloc(ny * 2, 1);
        if (!c->xh || !c->wh || !c->rh || !c->yh) goto nomem;
        qb_f32_to_f16_n(c->x, c->xh, nx);
        qb_f32_to_f16_n(c->w, c->wh, nw);
        qb_f32_to_f16_n(c->r, c->rh, nr);
    } else {
        c->wq = qb_big_alloc(nw, 1);
        c->rq = qb_big_alloc(nr, 1);
        c->yq = qb_big_alloc(ny, 1);
        c->hu = malloc((size_t)(2 * c->B * c->H)); /* two: run_parallel alternates */
        c->mult_w = malloc((size_t)G4 * 4);
        c->mult_r = malloc((size_t)G4 * 4);
        c->bias_w = malloc((size_t)G4 * 4);
        c->bias_r = malloc((size_t)G4 * 4);
        if (!c->wq || !c->rq || !c->yq || !c->hu || !c->mult_w || !c->mult_r || !c->bias_w || !c->bias_r)
            goto nomem;
        c->hscale = v->policy == QB_POW2 ? 1.0f / 128 : 1.0f / 127;
        rc = qb_cq_act_quant(c->x, nx, v->policy, &c->act);
        if (!rc) rc = quant_weights(c->w, c->I, G4, v->gran, v->policy, c->isa, c->act.p.scale[0], c->act.za,
                                    &c->wp, c->wq, c->mult_w, c->bias_w);
        if (!rc) rc = quant_weights(c->r, c->H, G4, v->gran, v->policy, c->isa, c->hscale, 128, &c->rp, c->rq,
                                    c->mult_r, c->bias_r);
        if (rc) goto fail;
    }
    /* the weights, packed once: the per-step GEMM has only `batch` rows, so
     * packing R in every step would cost more than multiplying by it */
    const qb_mat_type wt = v->dtype == QB_FP32 ? QB_MAT_F32 : v->dtype == QB_FP16 ? QB_MAT_F16 : QB_MAT_S8;
    const void *wsrc = v->dtype == QB_FP32 ? (const void *)c->w : v->dtype == QB_FP16 ? (const void *)c->wh : (const void *)c->wq;
    const void *rsrc = v->dtype == QB_FP32 ? (const void *)c->r : v->dtype == QB_FP16 ? (const void *)c->rh : (const void *)c->rq;
    const qb_mat Wm = {.p = wsrc, .ld = c->I, .type = wt, .layout = QB_MAT_COLS};
    const qb_mat Rm = {.p = rsrc, .ld = c->H, .type = wt, .layout = QB_MAT_COLS};
    rc = qb_gemm_pack_b(&Wm, c->I, G4, &c->wpk);
    if (!rc) rc = qb_gemm_pack_b(&Rm, c->H, G4, &c->rpk);
    if (rc) goto fail;
    *out = c;
    return QB_OK;
nomem:
    rc = qb_fail(QB_ENOMEM, "lstm: out of memory for the buffers");
fail:
    destroy(c);
    return rc;
}

/* ---- reference: plain loops over the first Tv steps ------------------------ */

static double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }

static int verify_float(qb_op_instance *c, long Tv, double *err)
{
    const long B = c->B, I = c->I, H = c->H, G4 = 4 * H;
    const bool half = c->v.dtype == QB_FP16;
    double *hp = calloc((size_t)(B * H), sizeof *hp), *cs = calloc((size_t)(B * H), sizeof *cs);
    double *g = malloc((size_t)G4 * sizeof *g);
    float *got = malloc((size_t)(Tv * B * H) * sizeof *got), *want = malloc((size_t)(Tv * B * H) * sizeof *want);
    int rc = QB_OK;
    if (!hp || !cs || !g || !got || !want) {
        rc = qb_fail(QB_ENOMEM, "lstm verify: out of memory");
        goto out;
    }
#define LD(f, h, i) (half ? (double)qb_f16_to_f32((h)[i]) : (double)(f)[i])
    for (long t = 0; t < Tv; t++) {
        for (long b = 0; b < B; b++) {
            for (long n = 0; n < G4; n++) {
                double a = c->bias[n];
                for (long k = 0; k < I; k++)
                    a += LD(c->x, c->xh, (t * B + b) * I + k) * LD(c->w, c->wh, n * I + k);
                for (long k = 0; k < H; k++) a += hp[b * H + k] * LD(c->r, c->rh, n * H + k);
                g[n] = a;
            }
            for (long j = 0; j < H; j++) {
                const double i = sigm(g[j]), o = sigm(g[H + j]), f = sigm(g[2 * H + j]), z = tanh(g[3 * H + j]);
                cs[b * H + j] = f * cs[b * H + j] + i * z;
                const size_t yi = (size_t)((t * B + b) * H + j);
                want[yi] = (float)(o * tanh(cs[b * H + j]));
                got[yi] = half ? qb_f16_to_f32(c->yh[yi]) : c->y[yi];
            }
        }
        /* the kernel feeds its fp16 output back: so does the reference */
        for (long b = 0; b < B; b++)
            for (long j = 0; j < H; j++) {
                const size_t yi = (size_t)((t * B + b) * H + j);
                hp[b * H + j] = half ? (double)qb_f16_to_f32(qb_f32_to_f16(want[yi])) : want[yi];
            }
    }
#undef LD
    *err = qb_cq_rel_err(got, want, (size_t)(Tv * B * H));
out:
    free(hp);
    free(cs);
    free(g);
    free(got);
    free(want);
    return rc;
}

/* u8 x s8 dot product of n terms in pairs, saturating each pair to int16 on AVX2. */
static int32_t dot_pairs(const uint8_t *a, const int8_t *w, long n, bool sat)
{
    int32_t acc = 0;
    for (long k = 0; k < n; k += 2) {
        int32_t p = a[k] * w[k] + (k + 1 < n ? a[k + 1] * w[k + 1] : 0);
        acc += sat ? (p > 32767 ? 32767 : p < -32768 ? -32768 : p) : p;
    }
    return acc;
}

static int verify_int8(qb_op_instance *c, long Tv, double *err)
{
    const long B = c->B, I = c->I, H = c->H, G4 = 4 * H;
    const bool sat = c->isa == QB_ISA_AVX2;
    float *gx = malloc((size_t)G4 * 4), *gh = malloc((size_t)G4 * 4), *cs = calloc((size_t)(B * H), 4);
    uint8_t *hu = malloc((size_t)(B * H)), *hn = malloc((size_t)(B * H));
    int8_t *yr = malloc((size_t)H);
    int rc = QB_OK;
    if (!gx || !gh || !cs || !hu || !hn || !yr) {
        rc = qb_fail(QB_ENOMEM, "lstm verify: out of memory");
        goto out;
    }
    int maxd = 0;
    for (long t = 0; t < Tv; t++) {
        for (long b = 0; b < B; b++) {
            const uint8_t *xa = c->act.q + (t * B + b) * I;
            for (long n = 0; n < G4; n++) {
                /* the epilogue's arithmetic: one fused multiply-add per value */
                gx[n] = fmaf((float)(dot_pairs(xa, c->wq + n * I, I, sat) + c->bias_w[n]), c->mult_w[n], c->bias[n]);
                if (t > 0)
                    gh[n] = fmaf((float)(dot_pairs(hu + b * H, c->rq + n * H, H, sat) + c->bias_r[n]),
                                 c->mult_r[n], 0.0f);
            }
            const qb_lstm_hout o = {.q = yr, .u8 = hn + b * H, .scale = c->hscale};
            qb_lstm_cell(H, gx, t > 0 ? gh : NULL, cs + b * H, &o);
            for (long j = 0; j < H; j++) {
                const int d = abs(yr[j] - c->yq[(t * B + b) * H + j]);
                if (d > maxd) maxd = d;
            }
        }
        memcpy(hu, hn, (size_t)(B * H));
    }
    *err = maxd;
out:
    free(gx);
    free(gh);
    free(cs);
    free(hu);
    free(hn);
    free(yr);
    return rc;
}

static int verify(qb_op_instance *c, double *max_err, bool *ok)
{
    /* the recurrence cannot be sampled: check the first steps that fit the budget */
    const double per_step = (double)c->B * 4 * c->H * (double)(c->I + c->H);
    long Tv = (long)(4.0 * QB_CQ_VERIFY_MACS / per_step);
    if (Tv < 2) Tv = 2;
    if (Tv > c->T) Tv = c->T;
    int rc = c->v.dtype == QB_INT8 ? verify_int8(c, Tv, max_err) : verify_float(c, Tv, max_err);
    if (rc) return rc;
    *ok = c->v.dtype == QB_INT8 ? *max_err == 0
                                : *max_err <= (c->v.dtype == QB_FP16 ? QB_CQ_TOL_FP16 : QB_CQ_TOL_FP32);
    return QB_OK;
}

static int output(qb_op_instance *c, float *out)
{
    const size_t ny = (size_t)(c->T * c->B * c->H);
    if (c->v.dtype == QB_FP32) memcpy(out, c->y, ny * sizeof *out);
    else if (c->v.dtype == QB_FP16) qb_f16_to_f32_n(c->yh, out, ny);
    else
        for (size_t i = 0; i < ny; i++) out[i] = (float)c->yq[i] * c->hscale;
    return QB_OK;
}

static int describe(qb_op_instance *c, cJSON *params)
{
    int rc = qb_cq_describe(params, &c->v, c->isa);
    if (rc) return rc;
    const bool ok =
        cJSON_AddStringToObject(params, "algorithm",
                                c->zmm
                                    ? "input projection of all steps as one GEMM, then per step a [batch, 4H] GEMM "
                                      "and AVX-512 gates (16 units a vector); weights packed once at creation; "
                                      "threads own hidden units, one barrier per step; cell state fp32"
                                    : "input projection of all steps as one GEMM, then per step a [batch, 4H] GEMM "
                                      "and AVX2 gates (8 units a vector); weights packed once at creation; "
                                      "threads own hidden units, one barrier per step; cell state fp32") &&
        (c->v.dtype != QB_INT8 ||
         (cJSON_ReplaceItemInObject(params, "output", cJSON_CreateString("int8 h, fixed scale")) &&
          cJSON_AddNumberToObject(params, "hidden_scale", c->hscale) &&
          cJSON_ReplaceItemInObject(params, "requant", cJSON_CreateString("GEMMs dequantized to float (sa*sw per gate row); h quantized each step"))));
    return ok ? QB_OK : QB_ENOMEM;
}

const qb_op_desc qb_op_lstm = {
    .name = "lstm",
    .klass = "compute",
    .summary = "one LSTM layer: input GEMM for all steps, recurrent GEMM and gates per step",
    .shape_keys = "T,batch,input,hidden",
    .default_shape = "32,8,512,512",
    .shape_source = "an LSTM layer of a speech / translation encoder: 32 steps, batch 8, 512 -> 512",
    .per_channel = true,
    .check = check,
    .ops = ops,
    .bytes = bytes,
    .create = create,
    .run = run,
    .verify = verify,
    .destroy = destroy,
    .output_elems = output_elems,
    .output = output,
    .describe = describe,
    .phases = phases,
};
