/* Synthetic tensors, the analytic noise model and the Monte Carlo behind
 * qbench quant: parsers against bad words, the generator's moments, the
 * model against closed forms, and the Monte Carlo mean against the model. */
#include "check.h"
#include "error.h"
#include "quant_bench.h"
#include "quant_model.h"
#include "tensor_gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void parsing(void)
{
    qb_tensor_spec t;
    CHECK(qb_tensor_spec_parse("gaussian:256x256", 0, &t) == QB_OK);
    CHECK(t.dist == QB_DIST_GAUSSIAN && t.ndim == 2 && t.dims[0] == 256 && t.dims[1] == 256);
    CHECK(qb_tensor_count(&t) == 65536);
    char buf[32];
    qb_tensor_shape_str(&t, buf, sizeof buf);
    CHECK(strcmp(buf, "256x256") == 0);
    CHECK(qb_tensor_spec_parse("laplace:64x3x3x3", 0, &t) == QB_OK && t.ndim == 4);
    CHECK(qb_tensor_spec_parse("uniform:1000", 0, &t) == QB_OK && t.ndim == 1);
    const char *bad[] = {"cauchy:10", "gaussian", "gaussian:", "gaussian:0x5", "gaussian:10x",
                         "gaussian:1x2x3x4x5", "gaussian:-3", "gaussian:3y4", ":10",
                         "gaussian:99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(qb_tensor_spec_parse(bad[i], 0, &t) == QB_EUSAGE);
        CHECK(strstr(qb_last_error(QB_EUSAGE), bad[i][0] == ':' ? "" : bad[i]) != NULL ||
              strstr(qb_last_error(QB_EUSAGE), "cauchy") != NULL);
    }
    /* bigger than allowed: refused before anything is allocated */
    CHECK(qb_tensor_spec_parse("gaussian:100000x100000", (size_t)1 << 30, &t) == QB_EINPUT);
    CHECK(qb_tensor_spec_parse("gaussian:2097152x1048576", 0, &t) == QB_EINPUT);
}

static void generator(void)
{
    enum { N = 200000 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    qb_rng r, r2;
    qb_rng_seed(&r, 5, 3);
    qb_rng_seed(&r2, 5, 3);
    qb_tensor_fill(x, N, QB_DIST_GAUSSIAN, false, &r);
    qb_tensor_fill(y, N, QB_DIST_GAUSSIAN, false, &r2);
    CHECK(memcmp(x, y, N * sizeof *x) == 0); /* same (seed, stream), same tensor */
    qb_rng_seed(&r2, 5, 4);
    qb_tensor_fill(y, N, QB_DIST_GAUSSIAN, false, &r2);
    CHECK(memcmp(x, y, N * sizeof *x) != 0);
    static const double var[3] = {1.0, 1.0 / 3.0, 2.0};
    for (int d = 0; d < QB_NDISTS; d++) {
        qb_tensor_fill(x, N, (qb_dist)d, false, &r);
        double s = 0, s2 = 0, s4 = 0, mx = 0;
        for (int i = 0; i < N; i++) {
            s += x[i];
            s2 += (double)x[i] * x[i];
            s4 += (double)x[i] * x[i] * x[i] * x[i];
            mx = fabs(x[i]) > mx ? fabs(x[i]) : mx;
        }
        CHECK_NEAR(s / N, 0.0, 5 * sqrt(var[d] / N));
        CHECK_NEAR(s2 / N, var[d], 0.02 * var[d]);
        /* kurtosis tells the shapes apart: 3, 1.8 and 6 */
        static const double kurt[3] = {3.0, 1.8, 6.0};
        CHECK_NEAR(s4 / N / (var[d] * var[d]), kurt[d], 0.1 * kurt[d]);
        if (d == QB_DIST_UNIFORM) CHECK(mx <= 1.0);
        qb_tensor_fill(x, N, (qb_dist)d, true, &r);
        int neg = 0, zero = 0;
        for (int i = 0; i < N; i++) {
            neg += x[i] < 0;
            zero += x[i] == 0;
        }
        CHECK(neg == 0);
        CHECK_NEAR((double)zero / N, 0.5, 0.01);
    }
    /* the Gaussian tail beyond the ziggurat's base: P(|x| > 3.5) = 4.65e-4 */
    qb_tensor_fill(x, N, QB_DIST_GAUSSIAN, false, &r);
    int tail = 0;
    for (int i = 0; i < N; i++) tail += fabsf(x[i]) > 3.5f;
    CHECK_NEAR((double)tail / N, 4.653e-4, 1.5e-4);
    free(x);
    free(y);
}

static void model(void)
{
    qb_qmodel m;
    qb_qspec s = qb_qspec_default(QB_SYMMETRIC);
    /* uniform on [-1, 1]: max |x| of n is Beta(n, 1), E[a^2] = n / (n + 2) */
    qb_qmodel_eval(QB_DIST_UNIFORM, false, &s, 1000, &m);
    CHECK(m.valid);
    CHECK_NEAR(m.e_s2, 1000.0 / 1002.0 / (127.0 * 127.0), 1e-7 * m.e_s2 + 1e-12);
    CHECK_NEAR(m.e_extreme, 1000.0 / 1001.0, 1e-6);
    CHECK_NEAR(m.signal, 1.0 / 3.0, 1e-15);
    /* the extreme lands on 127 exactly: noise (n - 1) s^2 / 12 */
    CHECK_NEAR(m.noise_per_s2, (999.0 / 12.0) / 1000.0, 1e-15);
    /* Laplace: max |x| of n Exp(1) has mean H_n (harmonic number) */
    qb_qmodel_eval(QB_DIST_LAPLACE, false, &s, 1000, &m);
    double h = 0;
    for (int i = 1; i <= 1000; i++) h += 1.0 / i;
    CHECK_NEAR(m.e_extreme, h, 1e-5);
    /* exercise 1 (N(0,1), scale max|x|/128, no ReLU) at n = 256: E[max |x| of 65536 N(0,1)] = 4.4430 */
    s.divisor = 128;
    qb_qmodel_eval(QB_DIST_GAUSSIAN, false, &s, 65536, &m);
    CHECK(m.valid);
    CHECK_NEAR(m.e_extreme, 4.44304, 1e-4);
    CHECK_NEAR(m.nsr, 1.0078e-4, 0.0002e-4);
    /* exercise 2: after ReLU the max of 65536 N(0,1) (not of |x|) */
    qb_qmodel_eval(QB_DIST_GAUSSIAN, true, &s, 65536, &m);
    CHECK_NEAR(m.e_extreme, 4.29113, 1e-4);
    CHECK_NEAR(m.nsr, 9.408e-5, 0.002e-5); /* the clipped max adds 11/32768 */
    /* cases the model does not cover say so */
    s = qb_qspec_default(QB_SYMMETRIC);
    s.source = QB_SCALE_PERCENTILE;
    qb_qmodel_eval(QB_DIST_GAUSSIAN, false, &s, 65536, &m);
    CHECK(!m.valid && m.reason);
    s = qb_qspec_default(QB_SYMMETRIC);
    s.divisor = 400;
    qb_qmodel_eval(QB_DIST_GAUSSIAN, false, &s, 65536, &m);
    CHECK(!m.valid);
    s.divisor = 0;
    s.range = QB_RANGE_UINT8;
    qb_qmodel_eval(QB_DIST_GAUSSIAN, false, &s, 65536, &m);
    CHECK(!m.valid); /* negatives clip to 0 */
    qb_qmodel_eval(QB_DIST_GAUSSIAN, true, &s, 65536, &m);
    CHECK(m.valid);
    s = qb_qspec_default(QB_POW2);
    s.pow2_round = QB_POW2_NEAREST;
    qb_qmodel_eval(QB_DIST_GAUSSIAN, false, &s, 65536, &m);
    CHECK(!m.valid);
}

static const qb_record *only(const qb_results *res, size_t i)
{
    return i < res->n ? &res->recs[i] : NULL;
}

static double metric(const qb_record *r, const char *name)
{
    const qb_metric *m = r ? qb_record_find_metric(r, name) : NULL;
    return m ? m->value : NAN;
}

static void monte_carlo(void)
{
    qb_results res;
    CHECK(qb_results_init(&res) == QB_OK);
    qb_tensor_spec in;
    CHECK(qb_tensor_spec_parse("gaussian:64x64", 0, &in) == QB_OK);
    qb_qspec specs[3] = {qb_qspec_default(QB_SYMMETRIC), qb_qspec_default(QB_SYMMETRIC),
                         qb_qspec_default(QB_SYMMETRIC)};
    specs[0].divisor = 128;
    specs[1].gran = QB_PER_CHANNEL;
    specs[2].source = QB_SCALE_PERCENTILE;
    specs[2].percentile = 99.9;
    qb_mc_opts mc;
    qb_mc_opts_default(&mc, true);
    mc.trials = 400;
    mc.threads = 2;
    CHECK(qb_quant_synth_measure(&res, &in, specs, 3, &mc) == QB_OK);
    CHECK(res.n == 3);
    const qb_record *r = only(&res, 0);
    CHECK(r && strcmp(r->id, "quant/gaussian-64x64/symmetric-per-tensor-int8-absmax-d128") == 0);
    const qb_metric *nsr = r ? qb_record_find_metric(r, "nsr") : NULL;
    CHECK(nsr && nsr->nsamples == 400 && strcmp(nsr->unit, "ratio") == 0 &&
          nsr->better == QB_BETTER_LOWER);
    const double mean = metric(r, "nsr"), se = metric(r, "nsr_se"), model = metric(r, "nsr_model");
    CHECK(se > 0 && se < 0.02 * mean);
    CHECK(fabs(mean - model) < 4 * se + 0.002 * model);
    CHECK(fabs(metric(r, "nsr_cv") - model) < 4 * metric(r, "nsr_cv_se") + 0.005 * model);
    CHECK_NEAR(metric(r, "nsr_db"), 10 * log10(mean), 1e-9);
    CHECK(metric(r, "cosine") > 0.999 && metric(r, "cosine") <= 1.0);
    /* per-channel: each row its own scale, less noise than one scale */
    CHECK(metric(only(&res, 1), "nsr") < mean);
    CHECK(fabs(metric(only(&res, 1), "nsr_cv") - metric(only(&res, 1), "nsr_model")) <
          0.01 * metric(only(&res, 1), "nsr_model"));
    /* percentile: no model, a note says why */
    CHECK(isnan(metric(only(&res, 2), "nsr_model")));
    CHECK(only(&res, 2) && cJSON_GetArraySize(only(&res, 2)->notes) >= 1);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(r->params, "divisor")) &&
          cJSON_GetObjectItem(r->params, "divisor")->valuedouble == 128);

    /* the same seed gives the same numbers whatever the thread count */
    qb_results res1;
    CHECK(qb_results_init(&res1) == QB_OK);
    mc.threads = 1;
    CHECK(qb_quant_synth_measure(&res1, &in, specs, 1, &mc) == QB_OK);
    CHECK(res1.n == 1 && metric(only(&res1, 0), "nsr") == mean);
    qb_results_free(&res1);

    /* automatic trials stop at the target */
    qb_results res2;
    CHECK(qb_results_init(&res2) == QB_OK);
    mc.trials = 0;
    mc.threads = 2;
    mc.target_rse = 0.01;
    CHECK(qb_quant_synth_measure(&res2, &in, specs, 1, &mc) == QB_OK);
    r = only(&res2, 0);
    CHECK(r && metric(r, "nsr_se") <= 0.01 * metric(r, "nsr"));
    CHECK(r && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r->params, "trials_stop")),
                      "target met") == 0);
    qb_results_free(&res2);

    /* rows 100x apart: one scale drowns the small rows, per-channel does not */
    qb_results res4;
    CHECK(qb_results_init(&res4) == QB_OK);
    qb_tensor_spec sp = in;
    sp.spread = 100;
    qb_qspec two[2] = {qb_qspec_default(QB_SYMMETRIC), qb_qspec_default(QB_SYMMETRIC)};
    two[1].gran = QB_PER_CHANNEL;
    mc.trials = 20;
    CHECK(qb_quant_synth_measure(&res4, &sp, two, 2, &mc) == QB_OK);
    CHECK(res4.n == 2);
    CHECK(metric(only(&res4, 0), "nsr_worst_row") > 0.1);
    CHECK(metric(only(&res4, 1), "nsr_worst_row") < 1e-3);
    CHECK(metric(only(&res4, 1), "nsr") < metric(only(&res4, 0), "nsr"));
    CHECK(isnan(metric(only(&res4, 0), "nsr_model"))); /* not iid: no model */
    qb_results_free(&res4);
    mc.trials = 0;

    /* a bad axis is refused before anything runs */
    qb_results res3;
    CHECK(qb_results_init(&res3) == QB_OK);
    specs[1].axis = 5;
    CHECK(qb_quant_synth_measure(&res3, &in, specs + 1, 1, &mc) == QB_EINPUT);
    CHECK(res3.n == 0);
    qb_results_free(&res3);
    qb_results_free(&res);
}

int main(void)
{
    parsing();
    generator();
    model();
    monte_carlo();
    TEST_DONE();
}
