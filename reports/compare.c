#include "compare.h"

#include "defaults.h"
#include "error.h"
#include "stats.h"

#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATTERN_MAX 255

const char *qb_cmp_status_name(qb_cmp_status s)
{
    switch (s) {
    case QB_CMP_UNCHANGED: return "unchanged";
    case QB_CMP_NOISE: return "noise";
    case QB_CMP_IMPROVED: return "improved";
    case QB_CMP_REGRESSED: return "regressed";
    case QB_CMP_UNRELIABLE: return "unreliable";
    case QB_CMP_INFO: return "info";
    }
    return "?";
}

void qb_cmp_options_default(qb_cmp_options *o)
{
    memset(o, 0, sizeof *o);
    o->threshold = QB_COMPARE_THRESHOLD_DEFAULT;
    o->alpha = QB_COMPARE_ALPHA_DEFAULT;
    o->noise_k = QB_COMPARE_NOISE_DEFAULT;
    o->min_samples = QB_COMPARE_MIN_SAMPLES_DEFAULT;
}

/* ---- patterns ---- */

static bool id_matches(const char *pat, const char *id)
{
    if (fnmatch(pat, id, 0) == 0) return true;
    const size_t l = strlen(pat);
    return l > 0 && strncmp(id, pat, l) == 0 && (id[l] == '/' || pat[l - 1] == '/');
}

/* One item "ID[:METRIC]" against id and metric (NULL metric: any). The last
 * ':' separates the metric unless a '/' follows it (ids hold no ':' today,
 * but a pattern must not break if one ever does). */
static bool item_selects(const char *item, size_t len, const char *id, const char *metric)
{
    char buf[PATTERN_MAX + 1];
    if (len == 0 || len > PATTERN_MAX) return false;
    memcpy(buf, item, len);
    buf[len] = '\0';
    char *colon = strrchr(buf, ':');
    const char *mpat = NULL;
    if (colon && !strchr(colon, '/')) {
        *colon = '\0';
        mpat = colon + 1;
    }
    const char *ipat = buf[0] ? buf : "*";
    if (!id_matches(ipat, id)) return false;
    return !metric || !mpat || !*mpat || fnmatch(mpat, metric, 0) == 0;
}

bool qb_cmp_selects(const char *patterns, const char *id, const char *metric)
{
    if (!patterns) return true;
    for (const char *s = patterns;;) {
        const char *e = strchr(s, ',');
        const size_t len = e ? (size_t)(e - s) : strlen(s);
        if (item_selects(s, len, id, metric)) return true;
        if (!e) return false;
        s = e + 1;
    }
}

int qb_cmp_check_patterns(const char *option, const char *patterns)
{
    if (!patterns) return QB_OK;
    for (const char *s = patterns;;) {
        const char *e = strchr(s, ',');
        const size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 0)
            return qb_fail(QB_EUSAGE, "%s: empty pattern in '%s'", option, patterns);
        if (len > PATTERN_MAX)
            return qb_fail(QB_EUSAGE, "%s: pattern '%.40s...' is longer than %d",
                           option, s, PATTERN_MAX);
        if (!e) return QB_OK;
        s = e + 1;
    }
}

/* ---- judging one metric ---- */

/* The p10..p90 width of sorted samples relative to the reported value: how
 * far the host moved this number within one run, on the scale the change is
 * measured on (the value is the best round's median, which a shared host can
 * put well below the median of all samples). */
static double spread(const double *s, size_t n, double value)
{
    const double w = qb_percentile_sorted(s, n, 90) - qb_percentile_sorted(s, n, 10);
    return value != 0 && isfinite(w / fabs(value)) ? w / fabs(value) : 0;
}

/* Sorted copies of both files' samples serve the spreads and the U test. */
static int test_samples(qb_cmp_metric *x)
{
    const qb_metric *b = x->base, *c = x->cur;
    double *s = malloc((b->nsamples + c->nsamples) * sizeof *s);
    if (!s) return qb_fail(QB_ENOMEM, "out of memory");
    double *sb = s, *sc = s + b->nsamples;
    memcpy(sb, b->samples, b->nsamples * sizeof *s);
    memcpy(sc, c->samples, c->nsamples * sizeof *s);
    qb_sort_doubles(sb, b->nsamples);
    qb_sort_doubles(sc, c->nsamples);
    /* Both runs are noisy: the spread of their difference adds in quadrature. */
    x->noise = hypot(spread(sb, b->nsamples, b->value), spread(sc, c->nsamples, c->value));
    /* cur first, so u1 counts the pairs where the new sample is larger. */
    const int rc = qb_mwu_test_sorted(sc, c->nsamples, sb, b->nsamples, &x->mwu);
    free(s);
    x->tested = rc == QB_OK;
    return rc;
}

static bool record_gates(const qb_record *r)
{
    return !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r->params, "gate"));
}

/* cur_rec: the new file's record (x->rec is the base file's). */
static int judge(qb_cmp_metric *x, const qb_record *cur_rec, const qb_cmp_options *o)
{
    const qb_metric *b = x->base, *c = x->cur;
    x->change = b->value != 0 ? (c->value - b->value) / fabs(b->value) : c->value == 0 ? 0 : NAN;
    if (!isfinite(x->change)) x->change = NAN;
    x->base_median = b->has_stats ? b->st.median : NAN;
    x->cur_median = c->has_stats ? c->st.median : NAN;
    const size_t need = o->min_samples > 0 ? (size_t)o->min_samples : 1;
    if (b->samples && c->samples && b->nsamples >= need && c->nsamples >= need) {
        const int rc = test_samples(x);
        if (rc) return rc;
    }
    x->limit = fmax(o->threshold, o->noise_k * x->noise);
    if (b->better == QB_BETTER_NONE) {
        x->status = QB_CMP_INFO;
    } else if (isnan(x->change)) {
        x->status = QB_CMP_UNRELIABLE; /* from zero: no relative change to judge */
    } else if (fabs(x->change) <= x->limit) {
        x->status = QB_CMP_UNCHANGED;
    } else if (!x->tested) {
        x->status = QB_CMP_UNRELIABLE;
    } else {
        const double half = (double)x->mwu.n1 * (double)x->mwu.n2 / 2;
        const bool agree = x->change > 0 ? x->mwu.u1 > half : x->mwu.u1 < half;
        const bool worse = b->better == QB_BETTER_LOWER ? x->change > 0 : x->change < 0;
        if (x->mwu.p < o->alpha && agree)
            x->status = worse ? QB_CMP_REGRESSED : QB_CMP_IMPROVED;
        else
            x->status = QB_CMP_NOISE;
    }
    /* A record may say in either file that it is no gate (params.gate false:
     * a figure the host decides); --fail-on naming it makes it one anyway. */
    x->gating = b->better != QB_BETTER_NONE &&
                (o->fail_on ? qb_cmp_selects(o->fail_on, x->rec->id, b->name)
                            : record_gates(x->rec) && record_gates(cur_rec));
    return QB_OK;
}

/* ---- pairing ---- */

static int cmp_rec_ptr(const void *a, const void *b)
{
    return strcmp((*(const qb_record *const *)a)->id, (*(const qb_record *const *)b)->id);
}

static int add_name(char ***list, size_t *n, const char *id, const char *metric)
{
    char **nl = realloc(*list, (*n + 1) * sizeof *nl);
    if (!nl) return qb_fail(QB_ENOMEM, "out of memory");
    *list = nl;
    const size_t len = strlen(id) + (metric ? strlen(metric) + 1 : 0) + 1;
    char *s = malloc(len);
    if (!s) return qb_fail(QB_ENOMEM, "out of memory");
    snprintf(s, len, "%s%s%s", id, metric ? ":" : "", metric ? metric : "");
    nl[(*n)++] = s;
    return QB_OK;
}

static void warn(qb_comparison *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(qb_comparison *c, const char *fmt, ...)
{
    if (c->nwarnings >= QB_CMP_MAX_WARNINGS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->warnings[c->nwarnings++], sizeof c->warnings[0], fmt, ap);
    va_end(ap);
}

static void short_json(const cJSON *v, char *buf, size_t size)
{
    char *s = v ? cJSON_PrintUnformatted(v) : NULL;
    snprintf(buf, size, "%s", s ? s : "(none)");
    free(s);
}

/* A different machine makes every number suspect but is not an error: CI
 * runners change. Differing run settings (--quick against a full run) too. */
static void check_context(const qb_results *base, const qb_results *cur, qb_comparison *c)
{
    static const char *const keys[] = {"cpu", "vendor", "family", "model", "cores"};
    char diff[200] = "", bv[64], cv[64];
    size_t used = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(base->machine, keys[i]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(cur->machine, keys[i]);
        if ((!a && !b) || (a && b && cJSON_Compare(a, b, true))) continue;
        short_json(a, bv, sizeof bv);
        short_json(b, cv, sizeof cv);
        const int w = snprintf(diff + used, sizeof diff - used, "%s%s %s -> %s", used ? ", " : "",
                               keys[i], bv, cv);
        if (w < 0 || (size_t)w >= sizeof diff - used) break;
        used += (size_t)w;
    }
    if (used)
        warn(c, "the files come from different machines (%s): changes may be the machine's, not the code's",
             diff);
    const cJSON *qa = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(base->settings, "repetition"), "quick");
    const cJSON *qc = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cur->settings, "repetition"), "quick");
    if (cJSON_IsBool(qa) && cJSON_IsBool(qc) && cJSON_IsTrue(qa) != cJSON_IsTrue(qc))
        warn(c, "base is %s run and new is %s run: sample counts and spreads differ",
             cJSON_IsTrue(qa) ? "a --quick" : "a full", cJSON_IsTrue(qc) ? "a --quick" : "a full");
}

static bool any_metric_selected(const char *filter, const qb_record *r)
{
    if (!filter) return true;
    for (size_t i = 0; i < r->nmetrics; i++)
        if (qb_cmp_selects(filter, r->id, r->metrics[i].name)) return true;
    return r->nmetrics == 0 && qb_cmp_selects(filter, r->id, NULL);
}

static int pair_record(const qb_record *rb, const qb_record *rc_, const qb_cmp_options *o,
                       qb_comparison *out)
{
    int rc = QB_OK;
    for (size_t i = 0; i < rb->nmetrics && rc == QB_OK; i++) {
        const qb_metric *mb = &rb->metrics[i];
        if (!qb_cmp_selects(o->filter, rb->id, mb->name)) continue;
        const qb_metric *mc = qb_record_find_metric(rc_, mb->name);
        if (!mc) {
            rc = add_name(&out->removed, &out->nremoved, rb->id, mb->name);
            continue;
        }
        if (strcmp(mb->unit, mc->unit) != 0)
            return qb_fail(QB_EINPUT,
                           "record '%s' metric '%s' is in '%s' in base but in '%s' in new: not comparable",
                           rb->id, mb->name, mb->unit, mc->unit);
        if (mb->better != mc->better)
            return qb_fail(QB_EINPUT,
                           "record '%s' metric '%s': 'better' differs between base and new", rb->id,
                           mb->name);
        qb_cmp_metric *x = &out->m[out->nm];
        memset(x, 0, sizeof *x);
        x->rec = rb;
        x->base = mb;
        x->cur = mc;
        rc = judge(x, rc_, o);
        if (rc) return rc;
        x->pairs = 1;
        x->votes = x->status == QB_CMP_REGRESSED || x->status == QB_CMP_IMPROVED;
        x->base_value = mb->value;
        x->cur_value = mc->value;
        out->count[x->status]++;
        if (x->status == QB_CMP_REGRESSED && x->gating) out->gating_regressions++;
        out->nm++;
    }
    for (size_t i = 0; i < rc_->nmetrics && rc == QB_OK; i++) {
        const qb_metric *mc = &rc_->metrics[i];
        if (qb_cmp_selects(o->filter, rc_->id, mc->name) && !qb_record_find_metric(rb, mc->name))
            rc = add_name(&out->added, &out->nadded, rc_->id, mc->name);
    }
    return rc;
}

static void geomean(qb_comparison *c)
{
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < c->nm; i++) {
        const qb_cmp_metric *x = &c->m[i];
        const double b = x->base->value, v = x->cur->value;
        if (x->status == QB_CMP_INFO || !(b > 0) || !(v > 0)) continue;
        sum += x->base->better == QB_BETTER_HIGHER ? log(v / b) : log(b / v);
        n++;
    }
    c->ngeomean = n;
    c->geomean = n ? exp(sum / (double)n) : NAN;
}

int qb_compare(const qb_results *base, const qb_results *cur, const qb_cmp_options *o,
               qb_comparison *out)
{
    memset(out, 0, sizeof *out);
    int rc = qb_cmp_check_patterns("qbench compare --filter", o->filter);
    if (!rc) rc = qb_cmp_check_patterns("qbench compare --fail-on", o->fail_on);
    if (rc) return rc;
    size_t cap = 0;
    for (size_t i = 0; i < base->n; i++) cap += base->recs[i].nmetrics;
    const qb_record **sorted = malloc((cur->n ? cur->n : 1) * sizeof *sorted);
    bool *matched = calloc(cur->n ? cur->n : 1, sizeof *matched);
    out->m = malloc((cap ? cap : 1) * sizeof *out->m);
    if (!sorted || !matched || !out->m) {
        rc = qb_fail(QB_ENOMEM, "out of memory");
        goto out;
    }
    /* Sorted ids make pairing n log n: full runs hold hundreds of records. */
    for (size_t i = 0; i < cur->n; i++) sorted[i] = &cur->recs[i];
    qsort(sorted, cur->n, sizeof *sorted, cmp_rec_ptr);
    for (size_t i = 0; i < base->n && rc == QB_OK; i++) {
        const qb_record *rb = &base->recs[i];
        const qb_record *key = rb;
        const qb_record **hit = cur->n ? bsearch(&key, sorted, cur->n, sizeof *sorted, cmp_rec_ptr) : NULL;
        if (!hit) {
            if (any_metric_selected(o->filter, rb))
                rc = add_name(&out->removed, &out->nremoved, rb->id, NULL);
            continue;
        }
        matched[*hit - cur->recs] = true;
        rc = pair_record(rb, *hit, o, out);
    }
    for (size_t i = 0; i < cur->n && rc == QB_OK; i++)
        if (!matched[i] && any_metric_selected(o->filter, &cur->recs[i]))
            rc = add_name(&out->added, &out->nadded, cur->recs[i].id, NULL);
    if (rc) goto out;
    check_context(base, cur, out);
    if (out->nm == 0 && base->n && cur->n)
        warn(out, "no metric is in both files: are these runs of the same suite?");
    geomean(out);
out:
    free(sorted);
    free(matched);
    if (rc) qb_comparison_free(out);
    return rc;
}

void qb_comparison_free(qb_comparison *c)
{
    for (size_t i = 0; i < c->nadded; i++) free(c->added[i]);
    for (size_t i = 0; i < c->nremoved; i++) free(c->removed[i]);
    free(c->added);
    free(c->removed);
    free(c->m);
    memset(c, 0, sizeof *c);
}

/* The metric (id, name) in c, looked for at index hint first (pairs of files
 * from the same suite hold their metrics in the same order). */
static const qb_cmp_metric *find_metric(const qb_comparison *c, size_t hint, const char *id,
                                        const char *name)
{
    if (hint < c->nm && strcmp(c->m[hint].rec->id, id) == 0 && strcmp(c->m[hint].base->name, name) == 0)
        return &c->m[hint];
    for (size_t i = 0; i < c->nm; i++)
        if (strcmp(c->m[i].rec->id, id) == 0 && strcmp(c->m[i].base->name, name) == 0) return &c->m[i];
    return NULL;
}

int qb_compare_vote(qb_comparison *first, const qb_comparison *others, int nothers, int quorum)
{
    if (quorum < 1 || quorum > nothers + 1)
        return qb_fail(QB_EUSAGE, "qbench compare --quorum: %d is not between 1 and the %d pairs", quorum,
                       nothers + 1);
    double *ch = malloc(3 * (size_t)(nothers + 1) * sizeof *ch);
    if (!ch) return qb_fail(QB_ENOMEM, "out of memory");
    double *bv = ch + nothers + 1, *cv = bv + nothers + 1;
    memset(first->count, 0, sizeof first->count);
    first->gating_regressions = 0;
    for (size_t i = 0; i < first->nm; i++) {
        qb_cmp_metric *x = &first->m[i];
        int reg = x->status == QB_CMP_REGRESSED, imp = x->status == QB_CMP_IMPROVED, n = 0, nv = 1;
        if (!isnan(x->change)) ch[n++] = x->change;
        bv[0] = x->base_value;
        cv[0] = x->cur_value;
        x->pairs = 1;
        for (int p = 0; p < nothers; p++) {
            const qb_cmp_metric *y = find_metric(&others[p], i, x->rec->id, x->base->name);
            if (!y) continue;
            x->pairs++;
            reg += y->status == QB_CMP_REGRESSED;
            imp += y->status == QB_CMP_IMPROVED;
            if (!isnan(y->change)) ch[n++] = y->change;
            bv[nv] = y->base_value;
            cv[nv++] = y->cur_value;
        }
        if (n) x->change = qb_median_of(ch, (size_t)n);
        x->base_value = qb_median_of(bv, (size_t)nv);
        x->cur_value = qb_median_of(cv, (size_t)nv);
        x->votes = 0;
        if (x->status != QB_CMP_INFO && x->status != QB_CMP_UNRELIABLE) {
            if (reg >= quorum) x->status = QB_CMP_REGRESSED, x->votes = reg;
            else if (imp >= quorum) x->status = QB_CMP_IMPROVED, x->votes = imp;
            else if (x->status == QB_CMP_REGRESSED || x->status == QB_CMP_IMPROVED) x->status = QB_CMP_NOISE;
        }
        first->count[x->status]++;
        if (x->status == QB_CMP_REGRESSED && x->gating) first->gating_regressions++;
    }
    free(ch);
    double sum = 0;
    int n = 0;
    for (int p = -1; p < nothers; p++) {
        const double g = p < 0 ? first->geomean : others[p].geomean;
        if (g > 0) sum += log(g), n++;
    }
    first->geomean = n ? exp(sum / n) : NAN;
    return QB_OK;
}
