/* Change points and trends on seeded synthetic series (no measurement): a
 * 10% step in 30 noisy runs found at its run, a slow drift reported as a
 * trend and not as steps, a flat series with outliers left alone, and the
 * Mann-Kendall statistic against hand-computed values. */
#include "check.h"
#include "changepoint.h"
#include "error.h"
#include "history_detect.h"
#include "stats.h"
#include "trend.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNS 30
#define SEEDS 10

static uint64_t rng;

static double uniform(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

/* Gaussian noise of relative deviation sd, and one run in 20 slowed by a
 * host hiccup of 8 to 20%: what a shared CI runner does to a time. */
static double noisy(double level, double sd)
{
    const double g = sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
    double v = level * (1 + sd * g);
    if (uniform() < 1.0 / 20) v *= 1.08 + 0.12 * uniform();
    return v;
}

static void make_series(qb_hseries *s, qb_hpoint *pts, const double *x, size_t n)
{
    memset(s, 0, sizeof *s);
    s->machine = "m";
    s->id = "ops/x/fp32";
    s->metric = "time";
    s->unit = "s";
    s->better = -1;
    s->pts = pts;
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        memset(&pts[i], 0, sizeof pts[i]);
        pts[i].value = x[i];
        pts[i].run = (long)i + 1;
    }
}

int main(void)
{
    qb_cp_options o;
    qb_cp_options_default(&o);
    double x[RUNS];
    qb_hpoint pts[RUNS];
    qb_hseries s;
    qb_hfinding f;

    /* A 10% slowdown at a run that moves with the seed. */
    int found = 0;
    for (int seed = 1; seed <= SEEDS; seed++) {
        rng = (uint64_t)seed * 7919;
        const size_t at = 8 + (size_t)seed;
        for (size_t i = 0; i < RUNS; i++) x[i] = noisy(i < at ? 1e-3 : 1.1e-3, 0.015);
        make_series(&s, pts, x, RUNS);
        CHECK(qb_history_detect(&s, &o, &f) == QB_OK);
        const bool ok = f.nsteps == 1 && f.steps[0].at == at && f.steps[0].change > 0.05 &&
                        f.steps[0].p <= o.alpha && strcmp(qb_history_direction(-1, f.steps[0].change), "regression") == 0;
        found += ok;
        if (!ok) {
            fprintf(stderr, "step seed %d: %zu steps, first at %zu (want %zu), trend %d:", seed, f.nsteps,
                    f.nsteps ? f.steps[0].at : 0, at, f.has_trend);
            for (size_t i = at - 3; i < at + 3; i++) fprintf(stderr, " %.3f", x[i] * 1e3);
            fprintf(stderr, "\n");
        }
    }
    printf("10%% step found at its run in %d of %d seeds\n", found, SEEDS);
    CHECK(found >= 9);

    /* A drift of 0.6% a run (17% over 30 runs): no pair of runs shows it. */
    int trends = 0;
    for (int seed = 1; seed <= SEEDS; seed++) {
        rng = (uint64_t)seed * 104729;
        for (size_t i = 0; i < RUNS; i++) x[i] = noisy(1e-3 * (1 + 0.006 * (double)i), 0.01);
        make_series(&s, pts, x, RUNS);
        CHECK(qb_history_detect(&s, &o, &f) == QB_OK);
        const bool ok = f.has_trend && f.nsteps == 0 && f.trend.total > 0.1 && f.trend.total < 0.25;
        trends += ok;
        if (!ok)
            fprintf(stderr, "drift seed %d: trend %d (total %.3f, p %.3g), %zu steps\n", seed, f.has_trend,
                    f.trend.total, f.trend.p, f.nsteps);
    }
    printf("drift reported as a trend in %d of %d seeds\n", trends, SEEDS);
    CHECK(trends >= 9);

    /* Flat, noisy, with hiccups: nothing. */
    int quiet = 0;
    for (int seed = 1; seed <= SEEDS; seed++) {
        rng = (uint64_t)seed * 15485863;
        for (size_t i = 0; i < RUNS; i++) x[i] = noisy(1e-3, 0.03);
        make_series(&s, pts, x, RUNS);
        CHECK(qb_history_detect(&s, &o, &f) == QB_OK);
        quiet += f.nsteps == 0 && !f.has_trend;
        if (f.nsteps || f.has_trend)
            fprintf(stderr, "flat seed %d: %zu steps (%.3f), trend %d\n", seed, f.nsteps,
                    f.nsteps ? f.steps[0].change : 0, f.has_trend);
    }
    printf("flat series quiet in %d of %d seeds\n", quiet, SEEDS);
    CHECK(quiet == SEEDS);

    /* Two steps, up then back down: both, at their runs. */
    rng = 42;
    for (size_t i = 0; i < RUNS; i++) x[i] = noisy(i >= 10 && i < 20 ? 1.15 : 1.0, 0.01);
    make_series(&s, pts, x, RUNS);
    CHECK(qb_history_detect(&s, &o, &f) == QB_OK);
    CHECK(f.nsteps == 2 && f.steps[0].at == 10 && f.steps[1].at == 20);
    CHECK(f.nsteps == 2 && f.steps[1].change < -0.1);

    /* Mann-Kendall by hand: 1 3 2 4 has S = +5 - 1 = 4, var = 4*3*13/18. */
    const double mk[] = {1, 3, 2, 4};
    qb_trend t;
    CHECK(qb_trend_compute(mk, 4, &t) == QB_OK);
    CHECK_NEAR(t.s, 4, 0);
    CHECK_NEAR(t.z, 3 / sqrt(4 * 3 * 13 / 18.0), 1e-12);
    CHECK_NEAR(t.p, erfc(fabs(t.z) / sqrt(2.0)), 1e-15);
    /* Theil-Sen: slopes 2, 0.5, 1, -1, 0.5, 2 -> median 0.75; relative to the median 2.5. */
    CHECK_NEAR(t.slope, 0.75 / 2.5, 1e-12);
    /* ties: 1 1 1 has no variance left and no trend */
    const double ties[] = {1, 1, 1};
    CHECK(qb_trend_compute(ties, 3, &t) == QB_OK);
    CHECK(t.p == 1 && t.s == 0);

    /* Degenerate inputs: one point, constant series, too many points. */
    size_t n;
    qb_cp_step st[4];
    const double one[] = {5};
    CHECK(qb_changepoints(one, 1, &o, st, 4, &n, NULL, NULL) == QB_OK && n == 0);
    const double flat[] = {2, 2, 2, 2, 2, 2, 2, 2};
    CHECK(qb_changepoints(flat, 8, &o, st, 4, &n, NULL, NULL) == QB_OK && n == 0);
    /* 6 + 6 points: a split this extreme comes 2 times in 924 shuffles */
    const double stairs[] = {1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2};
    CHECK(qb_changepoints(stairs, 12, &o, st, 4, &n, NULL, NULL) == QB_OK && n == 1 && st[0].at == 6);
    CHECK(n == 1 && st[0].p <= o.alpha && st[0].change == 1);
    CHECK(qb_changepoints(one, QB_CP_MAX_POINTS + 1, &o, st, 4, &n, NULL, NULL) == QB_EUSAGE);
    CHECK_NEAR(qb_median_of(stairs, 12), 1.5, 0);
    /* the selection against a full sort, odd and even sizes, with ties */
    for (size_t len = 60; len <= 200; len += 7) {
        double v[200], sorted[200];
        rng = len;
        for (size_t i = 0; i < len; i++) v[i] = sorted[i] = floor(uniform() * 50);
        qb_sort_doubles(sorted, len);
        const double want = len % 2 ? sorted[len / 2] : 0.5 * (sorted[len / 2 - 1] + sorted[len / 2]);
        CHECK_NEAR(qb_median_of(v, len), want, 0);
    }
    TEST_DONE();
}
