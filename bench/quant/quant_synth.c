/* Quantization error of synthetic tensors by Monte Carlo: each trial draws a
 * fresh tensor from stream (seed, trial), chooses parameters by the policy,
 * quantizes, dequantizes and measures the error. The mean over trials, its
 * standard error, and the analytic model (quant_model.h) are recorded side
 * by side. When the model applies, its prediction given each trial's own
 * scale is a control variate with a known mean: subtracting it removes most
 * of the trial-to-trial spread (which comes from the random maximum), so few
 * trials pin the mean down; the plain mean is kept beside it. */
#include "quant_bench.h"

#include "defaults.h"
#include "error.h"
#include "interrupt.h"
#include "output.h"
#include "pin.h"
#include "qerror.h"
#include "quant_model.h"
#include "timer.h"

#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qb_mc_opts_default(qb_mc_opts *o, bool quick)
{
    o->trials = 0;
    o->min_trials = QB_QUANT_MIN_TRIALS_DEFAULT;
    o->max_trials = QB_QUANT_MAX_TRIALS_DEFAULT;
    o->target_rse = QB_QUANT_TARGET_RSE_DEFAULT;
    o->budget_s = quick ? QB_QUANT_QUICK_BUDGET_S : QB_QUANT_BUDGET_S_DEFAULT;
    o->seed = QB_QUANT_SEED_DEFAULT;
    o->threads = qb_cpu_count();
}

static inline double hsum_pd(__m256d v)
{
    const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

static inline __m256d widen_add(__m256d acc, __m256 v)
{
    acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    return _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

/* Quantize, dequantize and accumulate the error of x[0..n) in one pass, with
 * the arithmetic of qb_quant1/qb_dequant1 (x / s, round half to even, clamp;
 * (q - zp) * s is the clamped rounded value times s). Float sums over short
 * blocks, double across blocks. Data is finite here (qb_qchoose checked). */
static void fake_quant_error(const float *x, size_t n, float s, int32_t zp, int32_t qmin,
                             int32_t qmax, qb_qerror_acc *a)
{
    const __m256 vs = _mm256_set1_ps(s);
    const __m256 vlo = _mm256_set1_ps((float)(qmin - zp)), vhi = _mm256_set1_ps((float)(qmax - zp));
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256d dn = _mm256_setzero_pd(), ds = dn, da = dn, dd = dn;
    __m256 vmax = _mm256_setzero_ps();
    size_t i = 0;
    while (i + 8 <= n) {
        const size_t end = i + 512 < n ? i + 512 : n;
        __m256 fn = _mm256_setzero_ps(), fs = fn, fa = fn, fd = fn;
        for (; i + 8 <= end; i += 8) {
            const __m256 v = _mm256_loadu_ps(x + i);
            __m256 r = _mm256_round_ps(_mm256_div_ps(v, vs), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            r = _mm256_min_ps(_mm256_max_ps(r, vlo), vhi);
            const __m256 y = _mm256_mul_ps(r, vs);
            const __m256 e = _mm256_sub_ps(y, v);
            fn = _mm256_fmadd_ps(e, e, fn);
            fs = _mm256_fmadd_ps(v, v, fs);
            fa = _mm256_fmadd_ps(y, y, fa);
            fd = _mm256_fmadd_ps(v, y, fd);
            vmax = _mm256_max_ps(vmax, _mm256_and_ps(e, absmask));
        }
        dn = widen_add(dn, fn);
        ds = widen_add(ds, fs);
        da = widen_add(da, fa);
        dd = widen_add(dd, fd);
    }
    float m8[8];
    _mm256_storeu_ps(m8, vmax);
    double mx = a->max_abs;
    for (int k = 0; k < 8; k++) mx = m8[k] > mx ? m8[k] : mx;
    double sn = hsum_pd(dn), ss = hsum_pd(ds), sa = hsum_pd(da), sd = hsum_pd(dd);
    for (; i < n; i++) {
        const double v = x[i];
        const double y = qb_dequant1(qb_quant1(x[i], s, zp, qmin, qmax), s, zp);
        sn += (y - v) * (y - v);
        ss += v * v;
        sa += y * y;
        sd += v * y;
        mx = fabs(y - v) > mx ? fabs(y - v) : mx;
    }
    a->n += n;
    a->noise += sn;
    a->signal += ss;
    a->approx_power += sa;
    a->dot += sd;
    a->max_abs = mx;
}

typedef struct {
    double nsr, ctrl, max_abs, cosine, worst_row;
} trial_out;

typedef struct {
    const qb_tensor_spec *in;
    const qb_qspec *spec;
    const qb_qmodel *model;
    size_t n;
    uint64_t seed;
} trial_ctx;

static int one_trial(const trial_ctx *c, long t, float *buf, trial_out *o)
{
    qb_rng r;
    qb_rng_seed(&r, c->seed, (uint64_t)t);
    qb_tensor_fill_spec(buf, c->in, &r);
    qb_qparams p;
    int rc = qb_qchoose(buf, c->in->dims, c->in->ndim, c->spec, &p);
    if (rc) return rc;
    qb_qlayout L;
    rc = qb_qlayout_make(c->in->dims, c->in->ndim, p.gran, p.axis, &L);
    if (rc) {
        qb_qparams_free(&p);
        return rc;
    }
    qb_qerror_acc a;
    qb_qerror_acc_init(&a);
    double s2 = 0, worst = 0;
    for (size_t ch = 0; ch < L.nch; ch++) s2 += (double)p.scale[ch] * p.scale[ch];
    /* row by row along axis 0, so the worst row's NSR is seen too: with
     * rows of different scales one scale for all drowns the small rows */
    const size_t rows = c->in->dims[0], R = c->n / rows;
    for (size_t row = 0; row < rows; row++) {
        qb_qerror_acc ra;
        qb_qerror_acc_init(&ra);
        for (size_t i = row * R, end = i + R; i < end;) {
            const size_t blk = i / L.inner, ch = blk % L.nch;
            const size_t stop = (blk + 1) * L.inner < end ? (blk + 1) * L.inner : end;
            fake_quant_error(buf + i, stop - i, p.scale[ch], p.zero_point[ch], p.qmin, p.qmax, &ra);
            i = stop;
        }
        const double rn = qb_nsr_ratio(ra.noise, ra.signal);
        worst = rn > worst ? rn : worst;
        qb_qerror_acc_merge(&a, &ra);
    }
    o->worst_row = worst;
    qb_qparams_free(&p);
    qb_qerror e;
    qb_qerror_acc_finish(&a, &e);
    o->nsr = e.nsr;
    o->max_abs = e.max_abs;
    o->cosine = e.cosine;
    o->ctrl = c->model->valid
                  ? (s2 / (double)L.nch) * c->model->noise_per_s2 / c->model->signal
                  : 0;
    return QB_OK;
}

/* mean and standard error of v[0..n) */
static void mean_se(const double *v, long n, double *mean, double *se)
{
    double s = 0;
    for (long i = 0; i < n; i++) s += v[i];
    const double m = s / (double)n;
    double q = 0;
    for (long i = 0; i < n; i++) q += (v[i] - m) * (v[i] - m);
    *mean = m;
    *se = n > 1 ? sqrt(q / (double)(n - 1) / (double)n) : INFINITY;
}

typedef struct {
    double *nsr, *resid, *max_abs, *cosine, *worst;
    long n, cap;
} trial_log;

static int log_reserve(trial_log *l, long want)
{
    if (want <= l->cap) return QB_OK;
    long cap = l->cap ? l->cap : 64;
    while (cap < want) cap *= 2;
    double **arr[5] = {&l->nsr, &l->resid, &l->max_abs, &l->cosine, &l->worst};
    for (int k = 0; k < 5; k++) {
        double *p = realloc(*arr[k], (size_t)cap * sizeof **arr[k]);
        if (!p) return qb_fail(QB_ENOMEM, "out of memory for %ld trial results", cap);
        *arr[k] = p;
    }
    l->cap = cap;
    return QB_OK;
}

static void log_free(trial_log *l)
{
    free(l->nsr);
    free(l->resid);
    free(l->max_abs);
    free(l->cosine);
    free(l->worst);
}

static void record_name(const qb_tensor_spec *in, const qb_qspec *s, char *buf, size_t len)
{
    char shape[64], div[32] = "", src[48];
    qb_tensor_shape_str(in, shape, sizeof shape);
    if (s->divisor > 0) snprintf(div, sizeof div, "-d%g", s->divisor);
    if (s->source == QB_SCALE_PERCENTILE) snprintf(src, sizeof src, "p%g", s->percentile);
    else snprintf(src, sizeof src, "%s", qb_qsource_name(s->source));
    char axis[16] = "";
    if (s->gran == QB_PER_CHANNEL && s->axis != 0) snprintf(axis, sizeof axis, "%d", s->axis);
    char spread[32] = "";
    if (in->spread != 1.0) snprintf(spread, sizeof spread, "-spread%g", in->spread);
    snprintf(buf, len, "%s-%s%s%s/%s-%s%s-%s-%s%s%s%s", qb_dist_name(in->dist), shape, spread,
             in->relu ? "-relu" : "", qb_qpolicy_name(s->policy), qb_qgran_name(s->gran), axis,
             qb_qrange_name(s->range), src, div, s->policy == QB_POW2 ? "-" : "",
             s->policy == QB_POW2 ? qb_pow2_round_name(s->pow2_round) : "");
}

static int describe(qb_record *rec, const qb_tensor_spec *in, const qb_qspec *s,
                    const qb_qmodel *m, const qb_mc_opts *mc)
{
    char shape[64];
    qb_tensor_shape_str(in, shape, sizeof shape);
    int32_t qmin, qmax;
    qb_qrange_limits(s->range, &qmin, &qmax);
    const double natural = s->policy == QB_ASYMMETRIC ? (double)(qmax - qmin) : (double)qmax;
    int rc = qb_record_param_str(rec, "input", qb_dist_name(in->dist));
    if (!rc) rc = qb_record_param_str(rec, "shape", shape);
    if (!rc) cJSON_AddBoolToObject(rec->params, "relu", in->relu);
    if (!rc && in->spread != 1.0) rc = qb_record_param_num(rec, "channel_spread", in->spread);
    if (!rc) rc = qb_record_param_num(rec, "elements", (double)qb_tensor_count(in));
    if (!rc) rc = qb_record_param_str(rec, "policy", qb_qpolicy_name(s->policy));
    if (!rc) rc = qb_record_param_str(rec, "granularity", qb_qgran_name(s->gran));
    if (!rc && s->gran == QB_PER_CHANNEL) rc = qb_record_param_num(rec, "axis", s->axis);
    if (!rc) rc = qb_record_param_str(rec, "range", qb_qrange_name(s->range));
    if (!rc) rc = qb_record_param_num(rec, "qmin", qmin);
    if (!rc) rc = qb_record_param_num(rec, "qmax", qmax);
    if (!rc) rc = qb_record_param_str(rec, "scale_source", qb_qsource_name(s->source));
    if (!rc && s->source == QB_SCALE_PERCENTILE) rc = qb_record_param_num(rec, "percentile", s->percentile);
    if (!rc) rc = qb_record_param_num(rec, "divisor", s->divisor > 0 ? s->divisor : natural);
    if (!rc && s->policy == QB_POW2) rc = qb_record_param_str(rec, "pow2_round", qb_pow2_round_name(s->pow2_round));
    if (!rc) rc = qb_record_param_str(rec, "rounding", "half-to-even");
    if (!rc) rc = qb_record_param_num(rec, "elements_per_scale", (double)m->n);
    if (!rc) rc = qb_record_param_num(rec, "seed", (double)mc->seed);
    if (!rc) rc = qb_record_param_num(rec, "threads", mc->threads);
    if (!rc && m->valid) {
        rc = qb_record_param_str(rec, "model", "E[s^2] ((P(x!=0) n - 1)/12 + e_max) / (n E[x^2]): s^2/12 rounding noise, the extreme's own error e_max, E[s^2] from the distribution of the max");
        if (!rc) rc = qb_record_param_num(rec, "model_expected_extreme", m->e_extreme);
    }
    if (!rc && !m->valid) rc = qb_record_note(rec, "no analytic model: %s", m->reason);
    return rc;
}

static int finish_record(qb_record *rec, const trial_log *l, const qb_qmodel *m,
                         const qb_mc_opts *mc, const char *stop, size_t rec_rows)
{
    double mean, se, cvm = 0, cvse = 0, mx, mxse, cs, csse;
    mean_se(l->nsr, l->n, &mean, &se);
    mean_se(l->max_abs, l->n, &mx, &mxse);
    mean_se(l->cosine, l->n, &cs, &csse);
    int rc = qb_record_param_num(rec, "trials", (double)l->n);
    if (!rc) rc = qb_record_param_str(rec, "trials_stop", stop);
    if (!rc) rc = qb_record_metric_samples(rec, "nsr", "ratio", QB_BETTER_LOWER, l->nsr, (size_t)l->n);
    if (rc) return rc;
    rec->metrics[rec->nmetrics - 1].value = mean; /* a Monte Carlo estimate is the mean */
    rc = qb_record_metric(rec, "nsr_se", "ratio", QB_BETTER_NONE, se);
    if (!rc && isfinite(qb_nsr_db(mean)))
        rc = qb_record_metric(rec, "nsr_db", "dB", QB_BETTER_LOWER, qb_nsr_db(mean));
    if (!rc && m->valid) {
        mean_se(l->resid, l->n, &cvm, &cvse);
        rc = qb_record_metric(rec, "nsr_cv", "ratio", QB_BETTER_LOWER, m->nsr + cvm);
        if (!rc) rc = qb_record_metric(rec, "nsr_cv_se", "ratio", QB_BETTER_NONE, cvse);
        if (!rc) rc = qb_record_metric(rec, "nsr_model", "ratio", QB_BETTER_NONE, m->nsr);
        if (!rc) rc = qb_record_metric(rec, "nsr_model_db", "dB", QB_BETTER_NONE, qb_nsr_db(m->nsr));
        if (!rc) rc = qb_record_metric(rec, "model_error", "ratio", QB_BETTER_NONE, mean / m->nsr - 1);
    }
    if (!rc) rc = qb_record_metric(rec, "max_abs_err", "abs", QB_BETTER_LOWER, mx);
    if (!rc) rc = qb_record_metric(rec, "cosine", "ratio", QB_BETTER_HIGHER, cs);
    if (!rc && rec_rows > 1) {
        double wm, wse;
        mean_se(l->worst, l->n, &wm, &wse);
        rc = qb_record_metric(rec, "nsr_worst_row", "ratio", QB_BETTER_LOWER, wm);
    }
    if (!rc && mc->trials == 0) {
        const double best = se / mean;
        if (!(best <= mc->target_rse))
            rc = qb_record_note(rec, "standard error %.2g%% of the mean missed the %.2g%% target (%s)",
                                100 * best, 100 * mc->target_rse, stop);
    }
    return rc;
}

/* Run trials for one spec until the stop rule says enough. */
static int run_spec(const trial_ctx *c, const qb_mc_opts *mc, float **bufs, trial_log *l,
                    const char **stop)
{
    const uint64_t t0 = qb_now_ns();
    long batch = mc->threads * 2L;
    int rc = QB_OK;
    for (;;) {
        long want = mc->trials > 0 ? mc->trials - l->n : batch;
        if (mc->trials == 0 && l->n + want > mc->max_trials) want = mc->max_trials - l->n;
        if (want <= 0) break;
        rc = log_reserve(l, l->n + want);
        if (rc) return rc;
        const uint64_t b0 = qb_now_ns();
        int bad = QB_OK;
        const long base = l->n;
#pragma omp parallel for num_threads(mc->threads) schedule(dynamic, 1)
        for (long t = base; t < base + want; t++) {
            int seen;
#pragma omp atomic read
            seen = bad;
            if (seen || qb_interrupted()) continue;
            trial_out o;
            const int r = one_trial(c, t, bufs[omp_get_thread_num()], &o);
            if (r) {
#pragma omp atomic write
                bad = r;
                continue;
            }
            l->nsr[t] = o.nsr;
            l->resid[t] = o.nsr - o.ctrl;
            l->max_abs[t] = o.max_abs;
            l->cosine[t] = o.cosine;
            l->worst[t] = o.worst_row;
        }
        if (bad) return qb_fail(bad, "quant: a trial failed (%s)", qb_strerror(bad));
        if (qb_interrupted()) {
            *stop = "interrupted";
            return qb_fail(QB_EINTR, "quant: interrupted");
        }
        l->n += want;
        const double el = (double)(qb_now_ns() - t0) * 1e-9;
        const double per = (double)(qb_now_ns() - b0) * 1e-9 / (double)want;
        qb_progress("quant: %ld trials, %.1f s", l->n, el);
        if (mc->trials > 0) {
            *stop = "fixed count";
            break;
        }
        if (l->n >= mc->min_trials) {
            /* the plain mean's own error decides: the control variate leans on
             * the model, and the Monte Carlo is there to check the model */
            double m, se;
            mean_se(l->nsr, l->n, &m, &se);
            if (se <= mc->target_rse * fabs(m)) {
                *stop = "target met";
                break;
            }
        }
        if (el >= mc->budget_s) {
            *stop = "time budget";
            break;
        }
        if (l->n >= mc->max_trials) {
            *stop = "max trials";
            break;
        }
        /* next batch: about a fifth of a second, within what is left of the budget */
        long next = (long)(0.2 / (per > 1e-9 ? per : 1e-9));
        const long left = (long)((mc->budget_s - el) / (per > 1e-9 ? per : 1e-9)) + 1;
        if (next > left) next = left;
        if (next < mc->threads) next = mc->threads;
        batch = next;
    }
    return rc;
}

int qb_quant_synth_measure(qb_results *res, const qb_tensor_spec *in, const qb_qspec *specs,
                           int nspecs, const qb_mc_opts *mc)
{
    const size_t n = qb_tensor_count(in);
    const size_t phys = qb_phys_mem_bytes();
    if (mc->threads < 1 || mc->threads > 256)
        return qb_fail(QB_EUSAGE, "quant: %d threads is not 1 to 256", mc->threads);
    if (phys && (double)n * sizeof(float) * mc->threads > QB_QUANT_MEM_FRACTION * (double)phys)
        return qb_fail(QB_EINPUT, "quant: %d tensors of %zu floats do not fit in memory",
                       mc->threads, n);
    for (int i = 0; i < nspecs; i++) {
        int rc = qb_qspec_check(&specs[i]);
        if (rc) return rc;
        qb_qlayout L;
        rc = qb_qlayout_make(in->dims, in->ndim, specs[i].gran, specs[i].axis, &L);
        if (rc) return rc;
    }
    float **bufs = calloc((size_t)mc->threads, sizeof *bufs);
    int rc = bufs ? QB_OK : qb_fail(QB_ENOMEM, "out of memory");
    for (int t = 0; t < mc->threads && rc == QB_OK; t++) {
        bufs[t] = malloc(n * sizeof(float));
        if (!bufs[t]) rc = qb_fail(QB_ENOMEM, "quant: out of memory for a %zu-float tensor", n);
    }
    for (int i = 0; i < nspecs && rc == QB_OK; i++) {
        const qb_qspec *s = &specs[i];
        qb_qlayout L;
        qb_qlayout_make(in->dims, in->ndim, s->gran, s->axis, &L);
        qb_qmodel model;
        qb_qmodel_eval(in->dist, in->relu, s, n / L.nch, &model);
        if (in->spread != 1.0 && model.valid) {
            model.valid = false;
            model.reason = "rows of different scales (--channel-spread): the model assumes iid values";
        }
        char name[192];
        record_name(in, s, name, sizeof name);
        qb_record *rec = qb_results_add(res, "quant", name);
        if (!rec) {
            rc = QB_ENOMEM;
            break;
        }
        rc = describe(rec, in, s, &model, mc);
        if (rc) break;
        const trial_ctx c = {.in = in, .spec = s, .model = &model, .n = n, .seed = mc->seed};
        trial_log l = {0};
        const char *stop = "";
        rc = run_spec(&c, mc, bufs, &l, &stop);
        if (l.n > 0 && (rc == QB_OK || rc == QB_EINTR)) {
            const int r2 = finish_record(rec, &l, &model, mc, stop, in->dims[0]);
            if (r2) rc = r2;
        } else if (rc == QB_EINTR) {
            qb_record_note(rec, "interrupted before a trial finished");
        }
        log_free(&l);
    }
    qb_progress_done();
    for (int t = 0; bufs && t < mc->threads; t++) free(bufs[t]);
    free(bufs);
    return rc;
}
