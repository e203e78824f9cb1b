/* The Mann-Whitney U test against published values: the critical-value table
 * of the two-sided test at alpha 0.05, closed-form tail probabilities, R's
 * and SciPy's documented examples, and a hand-worked example with ties. */
#include "check.h"
#include "error.h"
#include "mannwhitney.h"

#include <math.h>
#include <stddef.h>

/* Largest u with two-sided P <= 0.05, i.e. P(U <= u) <= 0.025; -1 if none. */
static int critical_u(size_t n1, size_t n2)
{
    int c = -1;
    for (int u = 0; u <= (int)(n1 * n2 / 2); u++) {
        double p;
        if (qb_mwu_exact_cdf(n1, n2, u, &p) != QB_OK) return -2;
        if (p <= 0.025) c = u;
    }
    return c;
}

static void test_critical_values(void)
{
    /* The standard table of critical values of U, two-tailed alpha = 0.05
     * (e.g. Zar, Biostatistical Analysis, table B.11): a sample is
     * significant when min(U1, U2) <= the entry. "-" (no value) is -1. */
    static const struct {
        int n1, n2, u;
    } table[] = {
        {2, 8, 0},   {3, 3, -1},  {3, 5, 0},   {3, 6, 1},   {3, 7, 1},   {3, 8, 2},
        {3, 10, 3},  {4, 4, 0},   {4, 5, 1},   {4, 6, 2},   {4, 7, 3},   {4, 8, 4},
        {4, 10, 5},  {5, 5, 2},   {5, 6, 3},   {5, 7, 5},   {5, 8, 6},   {5, 10, 8},
        {6, 6, 5},   {6, 10, 11}, {7, 7, 8},   {7, 10, 14}, {8, 8, 13},  {8, 10, 17},
        {9, 9, 17},  {10, 10, 23}, {12, 12, 37}, {15, 15, 64}, {20, 20, 127},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const int c = critical_u((size_t)table[i].n1, (size_t)table[i].n2);
        if (c != table[i].u)
            fprintf(stderr, "critical U for n1=%d n2=%d: got %d, table says %d\n", table[i].n1,
                    table[i].n2, c, table[i].u);
        CHECK(c == table[i].u);
        /* The distribution does not depend on which sample is called first. */
        CHECK(critical_u((size_t)table[i].n2, (size_t)table[i].n1) == c);
    }
}

static void test_closed_forms(void)
{
    double p;
    /* U = 0 means every x is below every y: one arrangement of C(n1+n2, n1). */
    CHECK(qb_mwu_exact_cdf(3, 3, 0, &p) == QB_OK);
    CHECK_NEAR(p, 1.0 / 20, 1e-15);
    CHECK(qb_mwu_exact_cdf(5, 5, 0, &p) == QB_OK);
    CHECK_NEAR(p, 1.0 / 252, 1e-15);
    /* 5 x 5: the counts of U = 0..4 are the partitions fitting a 5x5 box: 1, 1, 2, 3, 5. */
    CHECK(qb_mwu_exact_cdf(5, 5, 4, &p) == QB_OK);
    CHECK_NEAR(p, 12.0 / 252, 1e-15);
    CHECK(qb_mwu_exact_cdf(5, 5, 4.5, &p) == QB_OK); /* a non-integer u floors */
    CHECK_NEAR(p, 12.0 / 252, 1e-15);
    CHECK(qb_mwu_exact_cdf(5, 5, 25, &p) == QB_OK && p == 1);
    CHECK(qb_mwu_exact_cdf(5, 5, -1, &p) == QB_OK && p == 0);
    /* Symmetric about n1 n2 / 2: P(U <= 12) + P(U <= 12) = 1 for 5 x 5 (U = 12.5 impossible). */
    CHECK(qb_mwu_exact_cdf(5, 5, 12, &p) == QB_OK);
    CHECK_NEAR(p, 0.5, 1e-15);
    /* 1 x n: U is uniform on 0..n. */
    CHECK(qb_mwu_exact_cdf(1, 9, 3, &p) == QB_OK);
    CHECK_NEAR(p, 0.4, 1e-15);
    /* The largest exact case: the tails stay accurate although the counts pass 2^53.
     * P(U = 0) = 1 / C(98, 49). */
    CHECK(qb_mwu_exact_cdf(49, 49, 0, &p) == QB_OK);
    CHECK_NEAR(p / (1.0 / 2.5477612258980856e28), 1.0, 1e-9);
    /* Sizes outside the exact range are refused. */
    CHECK(qb_mwu_exact_cdf(0, 5, 1, &p) == QB_EINPUT);
    CHECK(qb_mwu_exact_cdf(50, 5, 1, &p) == QB_EINPUT);
}

static void test_published_examples(void)
{
    qb_mwu_result r;
    /* R's ?wilcox.test (Hollander & Wolfe, p. 69): W = 35 and, one-sided
     * ("greater"), p = 0.1272; the two-sided p doubles it. */
    const double x[] = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
    const double y[] = {1.15, 0.88, 0.90, 0.74, 1.21};
    CHECK(qb_mwu_test(x, 10, y, 5, &r) == QB_OK);
    CHECK(r.exact && !r.ties);
    CHECK_NEAR(r.u1, 35, 0);
    CHECK_NEAR(r.u2, 15, 0);
    CHECK_NEAR(r.p, 2 * 0.1272, 1e-4);

    /* SciPy's mannwhitneyu documentation: males against females,
     * U1 = 17, exact p = 0.1111 (= 2 * 7/126), asymptotic p = 0.11134688653314041. */
    const double males[] = {19, 22, 16, 29, 24}, females[] = {20, 11, 17, 12};
    CHECK(qb_mwu_test(males, 5, females, 4, &r) == QB_OK);
    CHECK(r.exact);
    CHECK_NEAR(r.u1, 17, 0);
    CHECK_NEAR(r.p, 2.0 * 7 / 126, 1e-12);
    /* The same with a tie added elsewhere forces the normal path; check the
     * formula on SciPy's untied value through a sample above the exact limit
     * instead: see test_normal_matches_exact. */
}

static void test_ties_by_hand(void)
{
    /* x = 1 2 3 3 5, y = 3 4 5 6 7. Sorted: 1x 2x 3x 3x 3y 4y 5x 5y 6y 7y; ranks
     * 1, 2, (3+4+5)/3 = 4 for the three 3s, 6, (7+8)/2 = 7.5 for the 5s, 9, 10.
     * R_x = 1 + 2 + 4 + 4 + 7.5 = 18.5, U1 = 18.5 - 15 = 3.5.
     * Ties: t = 3 and t = 2, sum(t^3 - t) = 24 + 6 = 30.
     * var = 5*5/12 * (11 - 30/(10*9)) = 22.2222..., mu = 12.5,
     * z = -(12.5 - 3.5 - 0.5) / sqrt(var) = -1.80312, p = 2 * P(Z > 1.80312) = 0.071370. */
    const double x[] = {1, 2, 3, 3, 5}, y[] = {3, 4, 5, 6, 7};
    qb_mwu_result r;
    CHECK(qb_mwu_test(x, 5, y, 5, &r) == QB_OK);
    CHECK(r.ties && !r.exact);
    CHECK_NEAR(r.u1, 3.5, 1e-12);
    CHECK_NEAR(r.u2, 21.5, 1e-12);
    const double var = 25.0 / 12 * (11 - 30.0 / 90);
    CHECK_NEAR(r.z, -8.5 / sqrt(var), 1e-12);
    CHECK_NEAR(r.p, 0.071370, 5e-6);
    /* Swapping the samples mirrors U and z and keeps p. */
    qb_mwu_result s;
    CHECK(qb_mwu_test(y, 5, x, 5, &s) == QB_OK);
    CHECK_NEAR(s.u1, 21.5, 1e-12);
    CHECK_NEAR(s.z, -r.z, 1e-12);
    CHECK_NEAR(s.p, r.p, 1e-15);

    /* Identical samples: every value tied, no evidence, p = 1. */
    const double same[] = {2, 2, 2, 2, 2};
    CHECK(qb_mwu_test(same, 5, same, 5, &r) == QB_OK);
    CHECK(r.p == 1 && r.u1 == 12.5);
    /* A sample compared with itself (ties within, no shift): p = 1. */
    CHECK(qb_mwu_test(x, 5, x, 5, &r) == QB_OK);
    CHECK_NEAR(r.p, 1, 1e-12);
}

static void test_normal_matches_exact(void)
{
    /* Without ties the normal approximation with continuity correction is
     * within about 1e-3 of the exact p at 40 x 40; a shifted pair of
     * interleaved sequences gives a mid-range p. */
    double x[60], y[60];
    for (int i = 0; i < 60; i++) {
        x[i] = i * 1.0;
        y[i] = i * 1.0 + 2.25;
    }
    qb_mwu_result e, big;
    CHECK(qb_mwu_test(x, 40, y, 40, &e) == QB_OK);
    CHECK(e.exact && e.p > 0.05 && e.p < 0.9);
    const double mu = 800, var = 40.0 * 40 * 81 / 12;
    const double z = (fabs(e.u1 - mu) - 0.5) / sqrt(var);
    CHECK_NEAR(e.p, 2 * qb_normal_sf(z), 2e-3);
    /* Past the exact limit the normal path is taken. */
    CHECK(qb_mwu_test(x, 60, y, 60, &big) == QB_OK);
    CHECK(!big.exact && big.p > 0 && big.p < 1);
    CHECK_NEAR(qb_normal_sf(1.959963984540054), 0.025, 1e-12);
    CHECK_NEAR(qb_normal_sf(0), 0.5, 1e-15);
}

static void test_bad_input(void)
{
    qb_mwu_result r;
    const double x[] = {1, 2, NAN}, y[] = {1, 2, 3};
    CHECK(qb_mwu_test(x, 3, y, 3, &r) == QB_EINPUT);
    CHECK(qb_mwu_test(y, 3, x, 3, &r) == QB_EINPUT);
    CHECK(qb_mwu_test(y, 0, y, 3, &r) == QB_EINPUT);
    const double inf[] = {INFINITY};
    CHECK(qb_mwu_test(y, 3, inf, 1, &r) == QB_EINPUT);
}

int main(void)
{
    test_critical_values();
    test_closed_forms();
    test_published_examples();
    test_ties_by_hand();
    test_normal_matches_exact();
    test_bad_input();
    TEST_DONE();
}
