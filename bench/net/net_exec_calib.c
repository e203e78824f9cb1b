/* int8 calibration: the ranges of every activation from fp32 runs of the
 * same graph on seeded inputs (uniform in [-1, 1)), turned into u8 params.
 *
 * absmax: the extremes seen over all batches. percentile: per batch the
 * p-th and (100-p)-th percentiles of the values (from an evenly strided
 * sample of at most QB_NET_CALIB_SAMPLE of them), averaged over batches, so
 * rare outliers do not stretch the scale. The range always includes 0, so 0
 * is exact; then scale = (hi - lo) / 255, zero point = round(-lo / scale).
 * A QDQ model's activation scales (QuantizeLinear's, kept on the tensors by
 * the importer) replace the calibrated ones where present. Layers that only
 * select or move values (max pooling, Relu/Clip run standalone, Transpose) keep their input's
 * params so their int8 kernels work on the bytes. */
#include "net_exec_int.h"

#include "defaults.h"
#include "error.h"
#include "ops_compute_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define QB_NET_CALIB_SAMPLE 65536

static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* lo, hi of n values under the policy; sample: QB_NET_CALIB_SAMPLE floats. */
static void range_of(const float *x, size_t n, const qb_net_exec_opts *o, float *sample, float *lo,
                     float *hi)
{
    if (o->calib == QB_CALIB_ABSMAX) {
        float a = x[0], b = x[0];
        for (size_t i = 1; i < n; i++) {
            a = x[i] < a ? x[i] : a;
            b = x[i] > b ? x[i] : b;
        }
        *lo = a;
        *hi = b;
        return;
    }
    const size_t m = n < QB_NET_CALIB_SAMPLE ? n : QB_NET_CALIB_SAMPLE;
    for (size_t j = 0; j < m; j++) sample[j] = x[m == n ? j : j * (n / m)];
    qsort(sample, m, sizeof *sample, cmp_float);
    const double p = o->percentile > 50 && o->percentile <= 100 ? o->percentile : 99.99;
    const size_t ih = (size_t)floor(p / 100.0 * (double)(m - 1) + 0.5);
    *hi = sample[ih];
    *lo = sample[m - 1 - ih];
}

static int root(const qb_net_exec *e, int t)
{
    while (e->t[t].root != t) t = e->t[t].root;
    return t;
}

int qb_ex_calibrate(qb_net_exec *e)
{
    const qb_net_graph *g = e->g;
    qb_net_exec_opts fo = e->o;
    fo.dtype = QB_FP32;
    fo.keep_all = false;
    /* planar whatever the int8 layout: the ranges do not depend on it */
    fo.planar = true;
    qb_net_exec *f = NULL;
    int rc = qb_net_exec_create(g, &fo, &f);
    if (rc) return rc;
    const size_t nin = e->t[g->input].numel;
    float *in = malloc(nin * sizeof *in), *buf = malloc(e->f32_elems * sizeof *buf + 64);
    float *sample = malloc(QB_NET_CALIB_SAMPLE * sizeof *sample);
    float *lo = calloc((size_t)g->ntensors, sizeof *lo), *hi = calloc((size_t)g->ntensors, sizeof *hi);
    if (!in || !buf || !sample || !lo || !hi) {
        rc = qb_fail(QB_ENOMEM, "calibration: out of memory");
        goto done;
    }
    /* each root tensor's range is read right after the layer that writes it
     * (a fused activation included), before the plan reuses its bytes */
    for (int b = 0; b < e->o.calib_batches && !rc; b++) {
        qb_cq_fill(in, nin, e->o.seed + (uint64_t)b, -1.0f, 1.0f);
        rc = qb_net_exec_set_tensor(f, g->input, in);
        for (int k = -1; k < g->nnodes && !rc; k++) {
            const int t = k < 0 ? g->input : g->nodes[k].out;
            if (k >= 0) rc = qb_net_exec_run_node(f, k);
            if (rc || e->t[t].root != t || (k >= 0 && f->nodes[k].kind == EX_SKIP)) continue;
            qb_ex_load(f, t, buf, e->t[t].numel);
            float l, h;
            range_of(buf, e->t[t].numel, &e->o, sample, &l, &h);
            const bool ext = e->o.calib == QB_CALIB_ABSMAX;
            lo[t] = b == 0 ? l : ext ? fminf(lo[t], l) : lo[t] + l;
            hi[t] = b == 0 ? h : ext ? fmaxf(hi[t], h) : hi[t] + h;
        }
    }
    if (rc) goto done;
    for (int t = 0; t < g->ntensors; t++) {
        if (!e->t[t].act || e->t[t].root != t) continue;
        float l = lo[t], h = hi[t];
        if (e->o.calib == QB_CALIB_PERCENTILE) l /= (float)e->o.calib_batches, h /= (float)e->o.calib_batches;
        l = fminf(l, 0.0f);
        h = fmaxf(h, 0.0f);
        float s = (h - l) / 255.0f;
        if (!(s > 0) || !isfinite(s)) s = 1.0f;
        const float z = rintf(-l / s);
        e->t[t].scale = s;
        e->t[t].zp = z < 0 ? 0 : z > 255 ? 255 : (int32_t)z;
    }
    /* a QDQ model's own activation scales win over the calibrated ones (an
     * int8 zero point is the same scale's u8 one shifted by 128) */
    for (int t = 0; t < g->ntensors; t++) {
        const qb_net_tensor *gt = &g->tensors[t];
        if (!e->t[t].act || gt->nscale != 1 || !(gt->scale[0] > 0) || !isfinite(gt->scale[0])) continue;
        const int r = root(e, t);
        const int32_t z = gt->zero_point ? gt->zero_point[0] : 0;
        const int32_t zu = z + (gt->qtype == QB_NT_I8 ? 128 : 0);
        if (zu < 0 || zu > 255) continue;
        e->t[r].scale = gt->scale[0];
        e->t[r].zp = zu;
        e->file_scales++;
    }
    /* value-selecting layers keep their input's params; aliases their root's */
    for (int i = 0; i < g->nnodes; i++) {
        const ex_kind k = e->nodes[i].kind;
        const int o = g->nodes[i].out, x = root(e, g->nodes[i].in[0]);
        if ((k == EX_MAXPOOL || k == EX_ACT || k == EX_TRANSPOSE) && e->t[o].root == o) {
            e->t[o].scale = e->t[x].scale;
            e->t[o].zp = e->t[x].zp;
        }
    }
    for (int t = 0; t < g->ntensors; t++) {
        if (!e->t[t].act) continue;
        const int r = root(e, t);
        e->t[t].scale = e->t[r].scale;
        e->t[t].zp = e->t[r].zp;
    }
    for (int i = 0; i < g->nnodes && !rc; i++) rc = qb_ex_prep_int8(e, i);
done:
    free(in);
    free(buf);
    free(sample);
    free(lo);
    free(hi);
    qb_net_exec_destroy(f);
    return rc;
}
