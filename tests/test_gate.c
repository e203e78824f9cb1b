/* qb_gate on the synthetic fixtures in fixtures/gate (make.py writes them):
 * the same code twice is no regression, even with one round in a slow spell;
 * a 20% slower time regresses and its rates are shown, not counted; faster
 * is an improvement; too few rounds is a warning, not a verdict; another
 * machine or another suite is refused; several runs per side pool their
 * rounds; and the detectable change follows the rounds' count and spread. */
#include "check.h"
#include "error.h"
#include "gate.h"

#include <math.h>
#include <string.h>

#define FIX "fixtures/gate/"

static const qb_gate_metric *find(const qb_gate *g, const char *id, const char *metric)
{
    for (size_t i = 0; i < g->nm; i++)
        if (strcmp(g->m[i].id, id) == 0 && strcmp(g->m[i].metric, metric) == 0) return &g->m[i];
    return NULL;
}

/* Judge base against the named files; returns the judge's status. */
static int gate_files(qb_gate *g, const char *const *base, int nb, const char *const *cur, int nc,
                      const qb_gate_options *o)
{
    memset(g, 0, sizeof *g);
    int rc = QB_OK;
    for (int side = 0; side < 2 && rc == QB_OK; side++) {
        const char *const *files = side ? cur : base;
        for (int i = 0; i < (side ? nc : nb) && rc == QB_OK; i++) {
            qb_results r;
            rc = qb_results_read(files[i], &r);
            if (rc) return rc;
            rc = qb_gate_add_run(g, side, &r, files[i], o);
            qb_results_free(&r);
        }
    }
    return rc ? rc : qb_gate_judge(g, o);
}

static void same_code(const qb_gate_options *o)
{
    const char *b[] = {FIX "base.json"}, *n[] = {FIX "rerun.json"};
    qb_gate g;
    CHECK(gate_files(&g, b, 1, n, 1, o) == QB_OK);
    CHECK(g.regressions == 0);
    CHECK(g.gated == 5); /* four ops times and one probe latency */
    const qb_gate_metric *relu = find(&g, "ops/relu/fp32/none/none/t1", "time");
    CHECK(relu && relu->status == QB_GATE_UNCHANGED && relu->n[0] == 6 && relu->n[1] == 6);
    CHECK(relu && isfinite(relu->mde) && relu->mde < 0.05);
    const qb_gate_metric *lat = find(&g, "probe.inst/add-r64", "latency");
    CHECK(lat && lat->primary && lat->gating);
    const qb_gate_metric *tp = find(&g, "probe.inst/add-r64", "throughput");
    CHECK(tp && !tp->primary && tp->status == QB_GATE_DERIVED);
    CHECK(g.nwarnings == 0);
    qb_gate_free(&g);
}

static void slower(const qb_gate_options *o)
{
    const char *b[] = {FIX "base.json"}, *n[] = {FIX "slow.json"};
    qb_gate g;
    CHECK(gate_files(&g, b, 1, n, 1, o) == QB_OK);
    CHECK(g.regressions == 2);
    const qb_gate_metric *t = find(&g, "ops/gemm/fp32/none/none/t1", "time");
    CHECK(t && t->status == QB_GATE_REGRESSED && t->gating);
    CHECK(t && t->worse > 0.15 && t->worse < 0.25 && t->p < 0.01);
    const qb_gate_metric *gops = find(&g, "ops/gemm/fp32/none/none/t1", "gops");
    CHECK(gops && gops->status == QB_GATE_DERIVED && !gops->gating);
    CHECK(gops && gops->worse > 0.15); /* a fall in GOP/s is worse, by the time's measure */
    CHECK(find(&g, "ops/gemm/fp32/none/none/t1", "ops") == NULL); /* better: none */
    size_t n_gm = 0;
    const double gm = qb_gate_group_geomean(&g, "ops/conv", &n_gm);
    CHECK(n_gm == 1 && gm > 0.8 && gm < 0.87);
    qb_gate_free(&g);

    /* only what --fail-on names gates */
    qb_gate_options only = *o;
    only.fail_on = "ops/relu*";
    CHECK(gate_files(&g, b, 1, n, 1, &only) == QB_OK);
    CHECK(g.regressions == 0 && g.count[QB_GATE_REGRESSED] == 2);
    qb_gate_free(&g);

    /* a minimum effect above the change */
    qb_gate_options big = *o;
    big.min_effect = 0.30;
    CHECK(gate_files(&g, b, 1, n, 1, &big) == QB_OK);
    CHECK(g.regressions == 0);
    qb_gate_free(&g);
}

static void faster(const qb_gate_options *o)
{
    const char *b[] = {FIX "base.json"}, *n[] = {FIX "fast.json"};
    qb_gate g;
    CHECK(gate_files(&g, b, 1, n, 1, o) == QB_OK);
    CHECK(g.regressions == 0 && g.count[QB_GATE_IMPROVED] == 1);
    qb_gate_free(&g);
}

static void few_rounds(const qb_gate_options *o)
{
    const char *b[] = {FIX "few-rounds.json"}, *n[] = {FIX "slow.json"};
    qb_gate g;
    CHECK(gate_files(&g, b, 1, n, 1, o) == QB_OK);
    CHECK(g.regressions == 0 && g.count[QB_GATE_FEW_ROUNDS] == 5 && g.gated == 0);
    CHECK(g.nwarnings == 1 && strstr(g.warnings[0], "fewer than 5 rounds"));
    qb_gate_free(&g);
    /* three quick runs a side pool their rounds: 6 a side, judged */
    const char *b3[] = {FIX "few-rounds.json", FIX "few-rounds.json", FIX "few-rounds.json"};
    const char *n3[] = {FIX "base.json"};
    CHECK(gate_files(&g, b3, 3, n3, 1, o) == QB_OK);
    CHECK(g.count[QB_GATE_FEW_ROUNDS] == 0 && g.runs[0] == 3 && g.runs[1] == 1);
    const qb_gate_metric *t = find(&g, "ops/gemm/fp32/none/none/t1", "time");
    CHECK(t && t->n[0] == 6);
    qb_gate_free(&g);
}

static void refused(const qb_gate_options *o)
{
    const char *b[] = {FIX "base.json"}, *m[] = {FIX "other-machine.json"}, *s[] = {FIX "other-suite.json"};
    qb_gate g;
    CHECK(gate_files(&g, b, 1, m, 1, o) == QB_EINPUT);
    CHECK(strstr(qb_last_error(QB_EINPUT), "other-machine.json") && strstr(qb_last_error(QB_EINPUT), "Intel Xeon"));
    qb_gate_free(&g);
    qb_gate_options any = *o;
    any.any_machine = true;
    CHECK(gate_files(&g, b, 1, m, 1, &any) == QB_OK);
    CHECK(g.nwarnings >= 1 && strstr(g.warnings[0], "another machine"));
    qb_gate_free(&g);
    CHECK(gate_files(&g, b, 1, s, 1, o) == QB_EINPUT);
    CHECK(strstr(qb_last_error(QB_EINPUT), "same suite"));
    qb_gate_free(&g);
}

static void detectable(void)
{
    const double a[] = {1.00, 1.01, 0.99, 1.02, 0.98, 1.00};
    const double wide[] = {1.00, 1.10, 0.90, 1.20, 0.80, 1.00};
    const double flat[] = {1, 1, 1, 1, 1, 1};
    /* 2 against 2 rounds: no ordering reaches p < 0.05 */
    CHECK(isinf(qb_gate_mde(a, 2, a, 2, 0.05)));
    const double m6 = qb_gate_mde(a, 6, a, 6, 0.05), m4 = qb_gate_mde(a, 4, a, 4, 0.05);
    CHECK(isfinite(m6) && m6 > 0 && m6 < 0.05);
    CHECK(m4 > m6);                                    /* fewer rounds, larger */
    CHECK(qb_gate_mde(wide, 6, wide, 6, 0.05) > 5 * m6); /* wider spread, larger */
    CHECK(qb_gate_mde(flat, 6, flat, 6, 0.05) == 0);
    CHECK(qb_gate_mde(a, 6, a, 6, 0.01) > m6);          /* stricter alpha, larger */
}

/* Values given directly, as from a store of earlier runs: one metric, six
 * base rounds, six new rounds 20% slower. */
static void values(const qb_gate_options *o)
{
    const double base[] = {1.00, 1.01, 0.99, 1.02, 0.98, 1.00};
    const double cur[] = {1.20, 1.21, 1.19, 1.22, 1.18, 1.20};
    qb_gate g = {0};
    CHECK(qb_gate_add_values(&g, 0, "ops/gemm/x", "time", "s", QB_BETTER_LOWER, true, true, base, 6) == QB_OK);
    CHECK(qb_gate_add_values(&g, 1, "ops/gemm/x", "time", "s", QB_BETTER_LOWER, true, true, cur, 6) == QB_OK);
    CHECK(qb_gate_add_values(&g, 1, "ops/gemm/x", "time", "ms", QB_BETTER_LOWER, true, true, cur, 6) == QB_EINPUT);
    CHECK(qb_gate_judge(&g, o) == QB_OK);
    CHECK(g.regressions == 1 && g.nm == 1 && g.m[0].n[0] == 6 && g.m[0].n[1] == 6);
    CHECK_NEAR(g.m[0].change, 0.20, 0.01);
    qb_gate_free(&g);
}

int main(void)
{
    qb_gate_options o;
    qb_gate_options_default(&o);
    same_code(&o);
    slower(&o);
    faster(&o);
    few_rounds(&o);
    refused(&o);
    detectable();
    values(&o);
    TEST_DONE();
}
