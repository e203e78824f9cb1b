#include "gate.h"

#include "compare.h"
#include "defaults.h"
#include "error.h"
#include "mannwhitney.h"
#include "stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *qb_gate_status_name(qb_gate_status s)
{
    switch (s) {
    case QB_GATE_UNCHANGED: return "unchanged";
    case QB_GATE_IMPROVED: return "improved";
    case QB_GATE_REGRESSED: return "regressed";
    case QB_GATE_FEW_ROUNDS: return "few-rounds";
    case QB_GATE_DERIVED: return "derived";
    case QB_GATE_ONE_SIDE: return "one-side";
    }
    return "?";
}

void qb_gate_options_default(qb_gate_options *o)
{
    memset(o, 0, sizeof *o);
    o->min_effect = QB_GATE_MIN_EFFECT_DEFAULT;
    o->alpha = QB_GATE_ALPHA_DEFAULT;
    o->min_rounds = QB_GATE_MIN_ROUNDS_DEFAULT;
}

void qb_gate_warn(qb_gate *g, const char *fmt, ...)
{
    if (g->nwarnings >= QB_GATE_MAX_WARNINGS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->warnings[g->nwarnings++], sizeof g->warnings[0], fmt, ap);
    va_end(ap);
}

/* ---- filling ---- */

/* "ops/gemm/fp32/..." -> "ops/gemm": the benchmark group a geomean line sums. */
static char *group_of(const char *id)
{
    const char *a = strchr(id, '/');
    const char *b = a ? strchr(a + 1, '/') : NULL;
    const size_t n = b ? (size_t)(b - id) : strlen(id);
    char *s = malloc(n + 1);
    if (!s) return NULL;
    memcpy(s, id, n);
    s[n] = '\0';
    return s;
}

static qb_gate_metric *find_entry(qb_gate *g, size_t *hint, const char *id, const char *metric)
{
    if (*hint < g->nm && strcmp(g->m[*hint].id, id) == 0 && strcmp(g->m[*hint].metric, metric) == 0)
        return &g->m[(*hint)++];
    for (size_t i = 0; i < g->nm; i++)
        if (strcmp(g->m[i].id, id) == 0 && strcmp(g->m[i].metric, metric) == 0) {
            *hint = i + 1;
            return &g->m[i];
        }
    return NULL;
}

static qb_gate_metric *new_entry(qb_gate *g, const char *id, const char *metric, const char *unit, int better)
{
    if (g->nm == g->cap) {
        const size_t cap = g->cap ? 2 * g->cap : 64;
        qb_gate_metric *nm = realloc(g->m, cap * sizeof *nm);
        if (!nm) return NULL;
        g->m = nm;
        g->cap = cap;
    }
    qb_gate_metric *x = &g->m[g->nm];
    memset(x, 0, sizeof *x);
    x->id = strdup(id);
    x->group = group_of(id);
    x->metric = strdup(metric);
    x->unit = strdup(unit);
    x->better = better;
    if (!x->id || !x->group || !x->metric || !x->unit) {
        free(x->id), free(x->group), free(x->metric), free(x->unit);
        return NULL;
    }
    g->nm++;
    return x;
}

/* The entry (id, metric) in *out, new or found; QB_EINPUT when a found one
 * has another unit or direction (name: the run, for the message). */
static int entry_for(qb_gate *g, size_t *hint, const char *name, const char *id, const char *metric,
                     const char *unit, int better, qb_gate_metric **out)
{
    qb_gate_metric *x = find_entry(g, hint, id, metric);
    if (!x) {
        x = new_entry(g, id, metric, unit, better);
        if (!x) return qb_fail(QB_ENOMEM, "out of memory");
        *hint = g->nm;
    } else if (strcmp(x->unit, unit) != 0 || x->better != better) {
        return qb_fail(QB_EINPUT,
                       "%s: record '%s' metric '%s' is in '%s', %s is better, in an earlier run but in '%s', %s "
                       "is better, here: not comparable",
                       name, id, metric, x->unit, x->better < 0 ? "lower" : "higher", unit,
                       better < 0 ? "lower" : "higher");
    }
    *out = x;
    return QB_OK;
}

static int push(qb_gate_metric *x, int side, double v)
{
    if (!isfinite(v)) return QB_OK;
    if (x->n[side] == x->cap[side]) {
        const size_t cap = x->cap[side] ? 2 * x->cap[side] : 8;
        double *nv = realloc(x->rounds[side], cap * sizeof *nv);
        if (!nv) return qb_fail(QB_ENOMEM, "out of memory");
        x->rounds[side] = nv;
        x->cap[side] = cap;
    }
    x->rounds[side][x->n[side]++] = v;
    return QB_OK;
}

/* A run's values of one metric: its round medians, or one value when the
 * rounds were not recorded (then the whole run counts as one round). */
static int push_metric(qb_gate_metric *x, int side, const qb_metric *m)
{
    if (m->nrounds > 0) {
        for (size_t i = 0; i < m->nrounds; i++) {
            const int rc = push(x, side, m->round_medians[i]);
            if (rc) return rc;
        }
        return QB_OK;
    }
    return push(x, side, m->has_stats ? m->st.median : m->value);
}

static const char *const machine_keys[] = {"cpu", "vendor", "family", "model", "cores"};

/* "" when the machines match on every key of the fingerprint, else the first
 * key that differs with both values, in buf. */
static const char *machine_diff(const cJSON *a, const cJSON *b, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof machine_keys / sizeof machine_keys[0]; i++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, machine_keys[i]);
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, machine_keys[i]);
        if ((!x && !y) || (x && y && cJSON_Compare(x, y, true))) continue;
        char *sx = x ? cJSON_PrintUnformatted(x) : NULL, *sy = y ? cJSON_PrintUnformatted(y) : NULL;
        snprintf(buf, size, "%s %s, not %s", machine_keys[i], sy ? sy : "(none)", sx ? sx : "(none)");
        free(sx);
        free(sy);
        return buf;
    }
    return "";
}

static int run_quick(const qb_results *r)
{
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r->settings, "repetition"), "quick");
    return cJSON_IsBool(q) ? cJSON_IsTrue(q) : -1;
}

static int check_run(qb_gate *g, const qb_results *r, const char *name, const qb_gate_options *o)
{
    if (!g->machine) {
        g->machine = cJSON_Duplicate(r->machine, 1);
        g->quick = run_quick(r);
        return g->machine || !r->machine ? QB_OK : qb_fail(QB_ENOMEM, "out of memory");
    }
    char diff[200];
    const char *d = machine_diff(g->machine, r->machine, diff, sizeof diff);
    if (*d && !o->any_machine)
        return qb_fail(QB_EINPUT,
                       "%s comes from another machine than the first run (%s): its numbers are not "
                       "comparable (--any-machine compares anyway)",
                       name, d);
    if (*d) qb_gate_warn(g, "%s comes from another machine (%s): changes may be the machine's, not the code's", name, d);
    const int q = run_quick(r);
    if (q >= 0 && g->quick >= 0 && q != g->quick)
        qb_gate_warn(g, "%s is a %s run and the first run a %s one: rounds differ in size", name,
             q ? "--quick" : "full", g->quick ? "--quick" : "full");
    return QB_OK;
}

static bool record_gates(const qb_record *r)
{
    return !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r->params, "gate"));
}

int qb_gate_add_run(qb_gate *g, int side, const qb_results *r, const char *name,
                    const qb_gate_options *o)
{
    int rc = qb_cmp_check_patterns("--filter", o->filter);
    if (!rc) rc = qb_cmp_check_patterns("--fail-on", o->fail_on);
    if (!rc) rc = check_run(g, r, name, o);
    if (rc) return rc;
    size_t hint = 0;
    for (size_t i = 0; i < r->n; i++) {
        const qb_record *rec = &r->recs[i];
        const qb_metric *prim = qb_record_primary_metric(rec);
        for (size_t k = 0; k < rec->nmetrics; k++) {
            const qb_metric *m = &rec->metrics[k];
            if (m->better == QB_BETTER_NONE || !qb_cmp_selects(o->filter, rec->id, m->name)) continue;
            qb_gate_metric *x = NULL;
            rc = entry_for(g, &hint, name, rec->id, m->name, m->unit, m->better, &x);
            if (rc) return rc;
            if (m == prim) x->primary = true;
            if (!record_gates(rec)) x->no_gate = true;
            rc = push_metric(x, side, m);
            if (rc) return rc;
        }
    }
    g->runs[side]++;
    return QB_OK;
}

int qb_gate_add_values(qb_gate *g, int side, const char *id, const char *metric, const char *unit, int better,
                       bool primary, bool gate, const double *v, size_t n)
{
    if (better == QB_BETTER_NONE) return QB_OK;
    /* callers that add metrics in the order of the entries find each at once */
    qb_gate_metric *x = NULL;
    int rc = entry_for(g, &g->values_hint, id, id, metric, unit, better, &x);
    if (rc) return rc;
    x->primary |= primary;
    x->no_gate |= !gate;
    for (size_t i = 0; i < n && rc == QB_OK; i++) rc = push(x, side, v[i]);
    return rc;
}

/* ---- judging ---- */

/* z with P(Z > z) = q, 0 < q < 1, by bisection on the normal tail. */
static double normal_quantile_upper(double q)
{
    double lo = -40, hi = 40;
    for (int i = 0; i < 200; i++) {
        const double mid = (lo + hi) / 2;
        if (qb_normal_sf(mid) > q) lo = mid;
        else hi = mid;
    }
    return (lo + hi) / 2;
}

/* 1.4826 x the median absolute deviation of log(v): a standard deviation
 * that one round caught in a slow spell of the host does not inflate. */
static double robust_log_sd(const double *v, size_t n, double *work)
{
    if (n < 2) return 0;
    for (size_t i = 0; i < n; i++) work[i] = log(v[i]);
    qb_sort_doubles(work, n);
    const double med = qb_percentile_sorted(work, n, 50);
    for (size_t i = 0; i < n; i++) work[i] = fabs(work[i] - med);
    qb_sort_doubles(work, n);
    return 1.4826 * qb_percentile_sorted(work, n, 50);
}

double qb_gate_mde(const double *base, size_t nb, const double *cur, size_t nc, double alpha)
{
    if (nb == 0 || nc == 0) return INFINITY;
    /* The smallest two-sided p the exact U test can give: every new round on
     * one side of every base round, 2 / C(nb + nc, nb). */
    const double log_min_p = log(2.0) - (lgamma((double)(nb + nc + 1)) - lgamma((double)(nb + 1)) -
                                         lgamma((double)(nc + 1)));
    if (log_min_p >= log(alpha)) return INFINITY;
    for (size_t i = 0; i < nb; i++)
        if (!(base[i] > 0)) return NAN;
    for (size_t i = 0; i < nc; i++)
        if (!(cur[i] > 0)) return NAN;
    double *work = malloc((nb > nc ? nb : nc) * sizeof *work);
    if (!work) return NAN;
    const double sb = robust_log_sd(base, nb, work), sc = robust_log_sd(cur, nc, work);
    free(work);
    /* pooled over both sides, weighted by their degrees of freedom */
    const double dfb = nb > 1 ? (double)(nb - 1) : 0, dfc = nc > 1 ? (double)(nc - 1) : 0;
    const double s = dfb + dfc > 0 ? sqrt((dfb * sb * sb + dfc * sc * sc) / (dfb + dfc)) : 0;
    const double z = normal_quantile_upper(alpha / 2) + normal_quantile_upper(1 - QB_GATE_POWER);
    const double d = z * s * sqrt(1.0 / (double)nb + 1.0 / (double)nc) * sqrt(M_PI / 3);
    return expm1(d);
}

static bool gates(const qb_gate_metric *x, const qb_gate_options *o)
{
    if (!x->primary) return false;
    if (o->fail_on) return qb_cmp_selects(o->fail_on, x->id, x->metric);
    return !x->no_gate;
}

static int judge(qb_gate_metric *x, const qb_gate_options *o)
{
    const size_t nb = x->n[0], nc = x->n[1];
    x->base = x->cur = x->change = x->worse = x->p = NAN;
    x->mde = INFINITY;
    x->gating = false;
    if (nb == 0 || nc == 0) {
        x->status = QB_GATE_ONE_SIDE;
        return QB_OK;
    }
    x->base = qb_median_of(x->rounds[0], nb);
    x->cur = qb_median_of(x->rounds[1], nc);
    x->change = x->base != 0 ? (x->cur - x->base) / fabs(x->base) : x->cur == 0 ? 0 : NAN;
    if (!isfinite(x->change)) x->change = NAN;
    /* higher is better: a fall to 1/(1+w) of the base is as bad as a rise of w in a time */
    x->worse = x->better == QB_BETTER_LOWER ? x->change
               : x->cur > 0 && x->base > 0 ? x->base / x->cur - 1
                                            : -x->change;
    if (!x->primary) {
        x->status = QB_GATE_DERIVED;
        return QB_OK;
    }
    x->gating = gates(x, o);
    const size_t need = o->min_rounds > 0 ? (size_t)o->min_rounds : 1;
    if (nb < need || nc < need) {
        x->status = QB_GATE_FEW_ROUNDS;
        return QB_OK;
    }
    x->mde = qb_gate_mde(x->rounds[0], nb, x->rounds[1], nc, o->alpha);
    qb_mwu_result u;
    const int rc = qb_mwu_test(x->rounds[1], nc, x->rounds[0], nb, &u);
    if (rc) return rc;
    x->p = u.p;
    const double half = (double)nb * (double)nc / 2;
    /* the ranks must move the way the medians did */
    const bool agree = x->change > 0 ? u.u1 > half : x->change < 0 ? u.u1 < half : false;
    if (isnan(x->worse) || !agree || u.p >= o->alpha || fabs(x->worse) <= o->min_effect)
        x->status = QB_GATE_UNCHANGED;
    else
        x->status = x->worse > 0 ? QB_GATE_REGRESSED : QB_GATE_IMPROVED;
    return QB_OK;
}

int qb_gate_judge(qb_gate *g, const qb_gate_options *o)
{
    memset(g->count, 0, sizeof g->count);
    g->gated = g->regressions = 0;
    size_t both = 0, few = 0, blind = 0;
    double worst_mde = 0;
    long min_b = -1, min_c = -1;
    for (size_t i = 0; i < g->nm; i++) {
        qb_gate_metric *x = &g->m[i];
        const int rc = judge(x, o);
        if (rc) return rc;
        g->count[x->status]++;
        if (x->primary && x->status != QB_GATE_ONE_SIDE) {
            both++;
            if (min_b < 0 || (long)x->n[0] < min_b) min_b = (long)x->n[0];
            if (min_c < 0 || (long)x->n[1] < min_c) min_c = (long)x->n[1];
        }
        if (x->status == QB_GATE_FEW_ROUNDS) few++;
        if (x->gating && x->status != QB_GATE_FEW_ROUNDS && x->status != QB_GATE_ONE_SIDE) {
            g->gated++;
            /* a metric too noisy to have shown the minimum effect */
            if (!(x->mde <= o->min_effect)) {
                blind++;
                if (x->mde > worst_mde) worst_mde = x->mde;
            }
        }
        if (x->gating && x->status == QB_GATE_REGRESSED) g->regressions++;
    }
    if (both == 0)
        return qb_fail(QB_EINPUT, "the base and new runs share no record (%zu metrics in all): are they "
                                  "results of the same suite?",
                       g->nm);
    if (few)
        qb_gate_warn(g, "%zu metric%s had fewer than %ld rounds on a side (as few as %ld base, %ld new) and "
                "were not judged: take more runs or rounds",
             few, few == 1 ? "" : "s", o->min_rounds, min_b, min_c);
    if (blind) {
        if (isinf(worst_mde))
            qb_gate_warn(g, "%zu of %zu gated metrics could not have shown a change of %.3g%%: their rounds cannot "
                    "reach alpha %.3g",
                 blind, g->gated, 100 * o->min_effect, o->alpha);
        else
            qb_gate_warn(g, "%zu of %zu gated metrics could not have shown a change of %.3g%% (detectable up to "
                    "%.1f%%): the host moved them too much for their 'unchanged' to say much",
                 blind, g->gated, 100 * o->min_effect, 100 * worst_mde);
    }
    return QB_OK;
}

void qb_gate_free(qb_gate *g)
{
    for (size_t i = 0; i < g->nm; i++) {
        qb_gate_metric *x = &g->m[i];
        free(x->id);
        free(x->group);
        free(x->metric);
        free(x->unit);
        free(x->rounds[0]);
        free(x->rounds[1]);
    }
    free(g->m);
    cJSON_Delete(g->machine);
    memset(g, 0, sizeof *g);
}

double qb_gate_group_geomean(const qb_gate *g, const char *group, size_t *n)
{
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < g->nm; i++) {
        const qb_gate_metric *x = &g->m[i];
        if (!x->primary || strcmp(x->group, group) != 0 || !(x->base > 0) || !(x->cur > 0)) continue;
        if (x->status == QB_GATE_ONE_SIDE) continue;
        sum += x->better == QB_BETTER_HIGHER ? log(x->cur / x->base) : log(x->base / x->cur);
        k++;
    }
    if (n) *n = k;
    return k ? exp(sum / (double)k) : NAN;
}
