/* The quantization library against hand-computed cases (per-tensor against
 * per-channel, rounding, pow2 shifts), and the error metrics against known values. */
#include "check.h"
#include "error.h"
#include "qerror.h"
#include "quant.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static void hand_tables(void)
{
    /* Four values quantized with one per-tensor scale 0.1: it clips
     * the large values; per-channel gives the second pair its own scale 1. */
    const float x[4] = {-0.3f, 2.1f, 13.2f, 15.7f};
    const int32_t per_tensor[4] = {-3, 21, 127, 127};
    for (int i = 0; i < 4; i++) CHECK(qb_quant1(x[i], 0.1f, 0, -128, 127) == per_tensor[i]);

    qb_qspec spec = qb_qspec_default(QB_SYMMETRIC);
    spec.gran = QB_PER_CHANNEL;
    qb_qparams p;
    CHECK(qb_qparams_init(&p, &spec, 2) == QB_OK);
    p.scale[0] = 0.1f;
    p.scale[1] = 1.0f;
    const size_t dims[2] = {2, 2};
    int8_t q[4];
    CHECK(qb_quantize(x, dims, 2, &p, q) == QB_OK);
    /* 15.7 at scale 1 is 16: round to nearest (half to even), not truncation,
     * which would give 15. */
    CHECK(q[0] == -3 && q[1] == 21 && q[2] == 13 && q[3] == 16);
    float back[4];
    CHECK(qb_dequantize(q, dims, 2, &p, back) == QB_OK);
    CHECK_NEAR(back[0], -0.3, 1e-6);
    CHECK_NEAR(back[1], 2.1, 1e-6);
    CHECK_NEAR(back[2], 13.0, 0);
    CHECK_NEAR(back[3], 16.0, 0);
    qb_qparams_free(&p);

    /* Single values: 1.3 / 0.1 -> 13; shift 4 -> 1.3 * 16 = 20.8 -> 21. */
    CHECK(qb_quant1(1.3f, 0.1f, 0, -128, 127) == 13);
    CHECK(qb_quant1(1.3f, ldexpf(1.0f, -4), 0, -128, 127) == 21);
}

static void rounding_and_saturation(void)
{
    CHECK(qb_quant1(0.5f, 1.0f, 0, -128, 127) == 0);
    CHECK(qb_quant1(1.5f, 1.0f, 0, -128, 127) == 2);
    CHECK(qb_quant1(2.5f, 1.0f, 0, -128, 127) == 2);
    CHECK(qb_quant1(-2.5f, 1.0f, 0, -128, 127) == -2);
    CHECK(qb_quant1(-3.5f, 1.0f, 0, -128, 127) == -4);
    CHECK(qb_quant1(1000.0f, 1.0f, 0, -128, 127) == 127);
    CHECK(qb_quant1(-1000.0f, 1.0f, 0, -127, 127) == -127);
    CHECK(qb_quant1(-1.0f, 1.0f, 10, 0, 255) == 9);
    CHECK(qb_quant1(-20.0f, 1.0f, 10, 0, 255) == 0);
    CHECK(qb_quant1(1e30f, 1e-30f, 0, -128, 127) == 127); /* x / s is +Inf */
    CHECK(qb_quant1(NAN, 0.1f, 0, -128, 127) == 0);
    CHECK(qb_quant1(NAN, 0.1f, 7, 0, 255) == 7);
    CHECK(qb_quant1(INFINITY, 0.1f, 0, -128, 127) == 127);
    CHECK(qb_quant1(-INFINITY, 0.1f, 3, 0, 255) == 0);
    CHECK(qb_dequant1(9, 0.5f, 10) == -0.5f);
}

static int choose1(const float *x, size_t n, const qb_qspec *spec, qb_qparams *p)
{
    const size_t dims[1] = {n};
    return qb_qchoose(x, dims, 1, spec, p);
}

static void choosing(void)
{
    const float x[4] = {-0.3f, 2.1f, 13.2f, 15.7f};
    qb_qparams p;
    qb_qspec s = qb_qspec_default(QB_SYMMETRIC);
    CHECK(choose1(x, 4, &s, &p) == QB_OK);
    CHECK(p.nch == 1 && p.qmin == -128 && p.qmax == 127 && p.zero_point[0] == 0);
    CHECK(p.scale[0] == (float)(15.7f / 127.0));
    qb_qparams_free(&p);

    s.divisor = 128; /* the classic exercise: scale = max|x| / 128 */
    CHECK(choose1(x, 4, &s, &p) == QB_OK);
    CHECK(p.scale[0] == (float)(15.7f / 128.0));
    qb_qparams_free(&p);

    s = qb_qspec_default(QB_SYMMETRIC);
    s.gran = QB_PER_CHANNEL;
    const size_t d22[2] = {2, 2};
    CHECK(qb_qchoose(x, d22, 2, &s, &p) == QB_OK);
    CHECK(p.nch == 2);
    CHECK(p.scale[0] == (float)(2.1f / 127.0));
    CHECK(p.scale[1] == (float)(15.7f / 127.0));
    qb_qparams_free(&p);
    s.axis = 1; /* columns: {-0.3, 13.2} and {2.1, 15.7} */
    CHECK(qb_qchoose(x, d22, 2, &s, &p) == QB_OK);
    CHECK(p.scale[0] == (float)(13.2f / 127.0));
    CHECK(p.scale[1] == (float)(15.7f / 127.0));
    qb_qparams_free(&p);
    s.axis = 2;
    CHECK(qb_qchoose(x, d22, 2, &s, &p) == QB_EINPUT);

    /* asymmetric uint8 over [-1, 3]: s = 4/255, zp = rint(63.75) = 64 */
    const float a[3] = {-1.0f, 0.5f, 3.0f};
    s = qb_qspec_default(QB_ASYMMETRIC);
    CHECK(choose1(a, 3, &s, &p) == QB_OK);
    CHECK(p.qmin == 0 && p.qmax == 255);
    CHECK(p.scale[0] == (float)(4.0 / 255.0));
    CHECK(p.zero_point[0] == 64);
    CHECK(qb_quant1(0.0f, p.scale[0], p.zero_point[0], 0, 255) == 64); /* zero is exact */
    CHECK(qb_quant1(3.0f, p.scale[0], p.zero_point[0], 0, 255) == 255);
    CHECK(qb_quant1(-1.0f, p.scale[0], p.zero_point[0], 0, 255) == 0);
    qb_qparams_free(&p);

    /* after ReLU the range is [0, max]: zp 0, all 256 levels for the positives */
    const float r[3] = {0.0f, 1.0f, 2.0f};
    CHECK(choose1(r, 3, &s, &p) == QB_OK);
    CHECK(p.zero_point[0] == 0 && p.scale[0] == (float)(2.0 / 255.0));
    qb_qparams_free(&p);
    /* min and max both positive: the range still holds 0 */
    const float pos[2] = {1.0f, 2.0f};
    CHECK(choose1(pos, 2, &s, &p) == QB_OK);
    CHECK(p.zero_point[0] == 0 && p.scale[0] == (float)(2.0 / 255.0));
    qb_qparams_free(&p);

    /* pow2: 15.7/127 = 0.1236 -> ceil 2^-3; 10/127 = 0.0787 -> ceil 2^-3, nearest 2^-4 */
    s = qb_qspec_default(QB_POW2);
    CHECK(choose1(x, 4, &s, &p) == QB_OK);
    CHECK(p.scale[0] == 0.125f && p.shift[0] == 3 && p.zero_point[0] == 0);
    qb_qparams_free(&p);
    const float ten[2] = {-10.0f, 1.0f};
    CHECK(choose1(ten, 2, &s, &p) == QB_OK);
    CHECK(p.scale[0] == 0.125f && p.shift[0] == 3);
    qb_qparams_free(&p);
    s.pow2_round = QB_POW2_NEAREST;
    CHECK(choose1(ten, 2, &s, &p) == QB_OK);
    CHECK(p.scale[0] == 0.0625f && p.shift[0] == 4);
    qb_qparams_free(&p);
    const float exact[1] = {31.75f}; /* 31.75 / 127 = 0.25 exactly: ceil keeps 2^-2 */
    s.pow2_round = QB_POW2_CEIL;
    CHECK(choose1(exact, 1, &s, &p) == QB_OK);
    CHECK(p.scale[0] == 0.25f && p.shift[0] == 2);
    qb_qparams_free(&p);
    const float big[1] = {1000.0f}; /* 7.87 -> 2^3: a negative shift */
    CHECK(choose1(big, 1, &s, &p) == QB_OK);
    CHECK(p.scale[0] == 8.0f && p.shift[0] == -3);
    qb_qparams_free(&p);

    /* percentile (nearest rank) of |x| over 1..100: p99 -> 99 */
    float h[100];
    for (int i = 0; i < 100; i++) h[i] = (float)((i % 2 ? -1 : 1) * (100 - i));
    s = qb_qspec_default(QB_SYMMETRIC);
    CHECK(qb_qscale_parse("percentile:99", &s) == QB_OK);
    CHECK(choose1(h, 100, &s, &p) == QB_OK);
    CHECK(p.scale[0] == (float)(99.0 / 127.0));
    qb_qparams_free(&p);
    /* asymmetric percentile: the 1st and 99th of -50..49 (rank 99 -> 48, rank 0 -> -50) */
    float g[100];
    for (int i = 0; i < 100; i++) g[i] = (float)(((i * 37) % 100) - 50);
    s = qb_qspec_default(QB_ASYMMETRIC);
    CHECK(qb_qscale_parse("percentile:99", &s) == QB_OK);
    CHECK(choose1(g, 100, &s, &p) == QB_OK);
    CHECK(p.scale[0] == (float)(97.0 / 255.0)); /* [-49, 48] */
    qb_qparams_free(&p);
}

static void defined_results(void)
{
    const float zero[4] = {0, 0, 0, 0};
    qb_qparams p;
    for (int pol = QB_SYMMETRIC; pol <= QB_POW2; pol++) {
        qb_qspec s = qb_qspec_default((qb_qpolicy)pol);
        CHECK(choose1(zero, 4, &s, &p) == QB_OK);
        CHECK(p.scale[0] == 1.0f && isfinite(p.scale[0]));
        CHECK(qb_dequant1(qb_quant1(0.0f, p.scale[0], p.zero_point[0], p.qmin, p.qmax),
                          p.scale[0], p.zero_point[0]) == 0.0f);
        qb_qparams_free(&p);
    }
    const float tiny[1] = {1e-44f}; /* a denormal: absmax/127 underflows, raised to FLT_MIN */
    qb_qspec s = qb_qspec_default(QB_SYMMETRIC);
    CHECK(choose1(tiny, 1, &s, &p) == QB_OK);
    CHECK(p.scale[0] == FLT_MIN);
    qb_qparams_free(&p);
    const float huge[1] = {FLT_MAX};
    s.divisor = 1e-3;
    CHECK(choose1(huge, 1, &s, &p) == QB_OK);
    CHECK(p.scale[0] == FLT_MAX);
    qb_qparams_free(&p);

    const float nan[3] = {1.0f, NAN, 2.0f};
    const float inf[3] = {1.0f, 2.0f, -INFINITY};
    s = qb_qspec_default(QB_SYMMETRIC);
    CHECK(choose1(nan, 3, &s, &p) == QB_EINPUT);
    CHECK(choose1(inf, 3, &s, &p) == QB_EINPUT);
    CHECK(p.scale == NULL); /* nothing to free after a failure */

    s.divisor = -1;
    CHECK(qb_qspec_check(&s) == QB_EUSAGE);
    s.divisor = NAN;
    CHECK(qb_qspec_check(&s) == QB_EUSAGE);
    s = qb_qspec_default(QB_SYMMETRIC);
    s.policy = QB_PNONE;
    CHECK(qb_qspec_check(&s) == QB_EUSAGE);
    s = qb_qspec_default(QB_SYMMETRIC);
    s.source = QB_SCALE_PERCENTILE;
    s.percentile = 20;
    CHECK(qb_qspec_check(&s) == QB_EUSAGE);
    const size_t zero_dim[2] = {0, 4};
    s = qb_qspec_default(QB_SYMMETRIC);
    CHECK(qb_qchoose(zero, zero_dim, 2, &s, &p) == QB_EINPUT);
}

static void parsing(void)
{
    qb_qspec s = qb_qspec_default(QB_SYMMETRIC);
    CHECK(qb_qscale_parse("absmax/128", &s) == QB_OK && s.source == QB_SCALE_ABSMAX &&
          s.divisor == 128);
    CHECK(qb_qscale_parse("absmax", &s) == QB_OK && s.divisor == 0);
    CHECK(qb_qscale_parse("minmax/255", &s) == QB_OK && s.source == QB_SCALE_MINMAX);
    CHECK(qb_qscale_parse("percentile:99.9/127", &s) == QB_OK &&
          s.source == QB_SCALE_PERCENTILE && s.percentile == 99.9 && s.divisor == 127);
    const char *bad[] = {"absmax/0", "absmax/-1", "absmax/", "absmax/x", "foo", "percentile",
                         "percentile:10", "minmax:5", "absmax/inf", "absmax/nan",
                         "percentile:/2", "absmax/1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        qb_qspec t = s;
        CHECK(qb_qscale_parse(bad[i], &t) == QB_EUSAGE);
        CHECK(t.divisor == s.divisor && t.source == s.source); /* untouched on error */
    }
    qb_qpolicy pol;
    qb_qgran gr;
    qb_qrange rg;
    qb_pow2_round pr;
    CHECK(qb_qpolicy_parse("pow2", &pol) == QB_OK && pol == QB_POW2);
    CHECK(qb_qpolicy_parse("Symmetric", &pol) == QB_EUSAGE);
    CHECK(qb_qgran_parse("per-channel", &gr) == QB_OK && gr == QB_PER_CHANNEL);
    CHECK(qb_qgran_parse("channel", &gr) == QB_EUSAGE);
    CHECK(qb_qrange_parse("int8-narrow", &rg) == QB_OK && rg == QB_RANGE_INT8_NARROW);
    CHECK(qb_qrange_parse("int4", &rg) == QB_EUSAGE);
    CHECK(qb_pow2_round_parse("nearest", &pr) == QB_OK && pr == QB_POW2_NEAREST);
    CHECK(qb_pow2_round_parse("floor", &pr) == QB_EUSAGE);
}

static void requantization(void)
{
    qb_requant r;
    CHECK(qb_requant_make(0.5, &r) == QB_OK && r.mult == (1 << 30) && r.shift == 31);
    CHECK(qb_requant_value(r) == 0.5);
    CHECK(qb_requant_fixed(3, r, 0, -128, 127) == 2);   /* 1.5 -> 2 (half up) */
    CHECK(qb_requant_fixed(-3, r, 0, -128, 127) == -1); /* -1.5 -> -1 (half up) */
    CHECK(qb_requant_fixed(1000, r, 0, -128, 127) == 127);
    CHECK(qb_requant_fixed(-1000, r, 5, 0, 255) == 0);
    CHECK(qb_requant_fixed(20, r, 5, 0, 255) == 15);
    CHECK(qb_requant_float(3, 0.5f, 0, -128, 127) == 2);  /* half to even */
    CHECK(qb_requant_float(5, 0.5f, 0, -128, 127) == 2);
    CHECK(qb_requant_float(INT32_MAX, 4.0f, 0, -128, 127) == 127);
    CHECK(qb_requant_float(INT32_MIN, 4.0f, 0, -128, 127) == -128);

    CHECK(qb_requant_make(0.0, &r) == QB_EINPUT);
    CHECK(qb_requant_make(-1.0, &r) == QB_EINPUT);
    CHECK(qb_requant_make(NAN, &r) == QB_EINPUT);
    CHECK(qb_requant_make(1073741824.0, &r) == QB_EINPUT);
    CHECK(qb_requant_make(1073741823.9, &r) == QB_EINPUT); /* mult would round up to 2^31 */
    CHECK(qb_requant_make(1e-12, &r) == QB_OK && r.shift == 62);
    CHECK(qb_requant_fixed(INT32_MAX, r, 0, -128, 127) == 0);
    CHECK(qb_requant_make(3.0, &r) == QB_OK && qb_requant_value(r) == 3.0);
    CHECK(qb_requant_fixed(-7, r, 0, -128, 127) == -21);

    /* The pure shift is the fixed form with mult 2^30, shift 30 + k, exactly. */
    const int32_t accs[] = {0, 1, -1, 2, -2, 3, -3, 7, -7, 8, -8, 12345, -12345, INT32_MAX,
                            INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 1 << 20, -(1 << 20)};
    for (int k = 1; k <= 32; k++)
        for (size_t i = 0; i < sizeof accs / sizeof accs[0]; i++) {
            const qb_requant f = {1 << 30, 30 + k};
            CHECK(qb_requant_shift(accs[i], k, 3, -1000000, 1000000) ==
                  qb_requant_fixed(accs[i], f, 3, -1000000, 1000000));
        }
    CHECK(qb_requant_shift(5, 0, 0, -128, 127) == 5);
    CHECK(qb_requant_shift(5, -2, 0, -128, 127) == 20);
    CHECK(qb_requant_shift(5, -40, 0, -128, 127) == 127);
    CHECK(qb_requant_shift(-5, -40, 0, -128, 127) == -128);
    CHECK(qb_requant_shift(-5, 40, 0, -128, 127) == 0);

    /* Against the real product: within one step (the multiplier's own rounding). */
    uint64_t st = 12345;
    for (int i = 0; i < 20000; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        const int32_t acc = (int32_t)(st >> 40) - (1 << 23);
        const double M = ldexp(1.0 + (double)(st & 0xffff) / 65536.0, -(int)((st >> 16) % 24));
        CHECK(qb_requant_make(M, &r) == QB_OK);
        CHECK(r.mult >= (1 << 30) && r.shift >= 1 && r.shift <= 62);
        const double exact = floor((double)acc * M + 0.5);
        const int32_t got = qb_requant_fixed(acc, r, 0, INT32_MIN, INT32_MAX);
        CHECK(fabs((double)got - exact) <= 1.0);
        if (fabs((double)got - exact) > 1.0) break;
    }
}

static void roundtrip(void)
{
    float x[64], y[64], z[64];
    for (int i = 0; i < 64; i++) x[i] = sinf((float)i * 0.37f) * (float)(1 + i % 4);
    const size_t dims[2] = {4, 16};
    for (int pol = QB_SYMMETRIC; pol <= QB_POW2; pol++)
        for (int gran = QB_PER_TENSOR; gran <= QB_PER_CHANNEL; gran++) {
            qb_qspec s = qb_qspec_default((qb_qpolicy)pol);
            s.gran = (qb_qgran)gran;
            s.axis = 1;
            qb_qparams p;
            CHECK(qb_qchoose(x, dims, 2, &s, &p) == QB_OK);
            CHECK(p.nch == (gran == QB_PER_CHANNEL ? 16 : 1));
            uint8_t q[64];
            CHECK(qb_quantize(x, dims, 2, &p, q) == QB_OK);
            CHECK(qb_dequantize(q, dims, 2, &p, y) == QB_OK);
            CHECK(qb_fake_quant(x, dims, 2, &p, z) == QB_OK);
            for (int i = 0; i < 64; i++) {
                CHECK(y[i] == z[i]);
                const float sc = p.scale[gran == QB_PER_CHANNEL ? i % 16 : 0];
                CHECK(fabsf(y[i] - x[i]) <= 0.5f * sc * 1.0001f); /* nothing clips here */
            }
            const size_t wrong[2] = {16, 4};
            if (gran == QB_PER_CHANNEL) CHECK(qb_quantize(x, wrong, 2, &p, q) == QB_EINPUT);
            qb_qparams_free(&p);
        }
}

static void metrics(void)
{
    const float ref[3] = {1, 2, 3}, app[3] = {1, 2, 4};
    qb_qerror e;
    qb_qerror_measure(ref, app, 3, &e);
    CHECK(e.n == 3 && e.signal == 14 && e.noise == 1);
    CHECK_NEAR(e.nsr, 1.0 / 14, 1e-15);
    CHECK_NEAR(e.nsr_db, 10 * log10(1.0 / 14), 1e-12);
    CHECK(e.max_abs == 1);
    CHECK_NEAR(e.cosine, 17.0 / (sqrt(14.0) * sqrt(21.0)), 1e-15);

    const float z[3] = {0, 0, 0};
    qb_qerror_measure(z, z, 3, &e);
    CHECK(e.nsr == 0 && isinf(e.nsr_db) && e.nsr_db < 0 && e.cosine == 1);
    qb_qerror_measure(z, app, 3, &e);
    CHECK(isinf(e.nsr) && e.cosine == 0);
    const float withnan[3] = {1, NAN, 3};
    qb_qerror_measure(ref, withnan, 3, &e);
    CHECK(e.nonfinite == 1 && e.noise == 0 && e.nsr == 0);

    /* pieces add up to the whole */
    qb_qerror_acc a, b;
    qb_qerror_acc_init(&a);
    qb_qerror_acc_init(&b);
    qb_qerror_acc_add(&a, ref, app, 2);
    qb_qerror_acc_add(&b, ref + 2, app + 2, 1);
    qb_qerror_acc_merge(&a, &b);
    qb_qerror_acc_finish(&a, &e);
    CHECK(e.signal == 14 && e.noise == 1 && e.max_abs == 1);
}

int main(void)
{
    hand_tables();
    rounding_and_saturation();
    choosing();
    defined_results();
    parsing();
    requantization();
    roundtrip();
    metrics();
    TEST_DONE();
}
