#include "results_pool.h"

#include "error.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Each pass's rounds in pass order (a pass without them is one round): the
 * pooled metric keeps when each group of its samples was taken. pm[p] is the
 * metric in pass p, NULL where the pass lacks it. */
static int pool_rounds(qb_metric *out, const qb_metric *const *pm, int np)
{
    size_t cap = 0;
    for (int p = 0; p < np; p++)
        if (pm[p]) cap += pm[p]->nrounds ? pm[p]->nrounds : 1;
    double *med = malloc(cap * sizeof *med);
    size_t *sz = malloc(cap * sizeof *sz);
    if (!med || !sz) {
        free(med);
        free(sz);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (int p = 0; p < np; p++) {
        const qb_metric *m = pm[p];
        if (!m) continue;
        if (m->nrounds) {
            memcpy(med + n, m->round_medians, m->nrounds * sizeof *med);
            memcpy(sz + n, m->round_sizes, m->nrounds * sizeof *sz);
            n += m->nrounds;
        } else {
            med[n] = m->has_stats ? m->st.median : m->value;
            sz[n++] = m->samples ? m->nsamples : 1;
        }
    }
    const int rc = qb_metric_set_rounds(out, med, sz, n);
    free(med);
    free(sz);
    return rc;
}

/* One metric of out pooled from the record's copies pr[0..np) (NULL where a
 * pass lacks the record); pm is scratch for np metric pointers. */
static int pool_metric(qb_record *out, const qb_metric *m0, const qb_record *const *pr, int np,
                       const qb_metric **pm)
{
    size_t total = 0;
    double best = m0->value, lo = m0->value, hi = m0->value;
    for (int p = 0; p < np; p++) {
        const qb_metric *m = pm[p] = pr[p] ? qb_record_find_metric(pr[p], m0->name) : NULL;
        if (!m) continue;
        total += m->samples ? m->nsamples : 1;
        const double v = m->value;
        if ((m0->better == QB_BETTER_LOWER && v < best) || (m0->better == QB_BETTER_HIGHER && v > best))
            best = v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    double *all = malloc(total * sizeof *all);
    if (!all) return qb_fail(QB_ENOMEM, "out of memory");
    size_t n = 0;
    for (int p = 0; p < np; p++) {
        const qb_metric *m = pm[p];
        if (!m) continue;
        if (m->samples) {
            memcpy(all + n, m->samples, m->nsamples * sizeof *all);
            n += m->nsamples;
        } else {
            all[n++] = m->value;
        }
    }
    int rc = qb_record_metric_samples(out, m0->name, m0->unit, m0->better, all, n);
    free(all);
    if (rc) return rc;
    qb_metric *o = &out->metrics[out->nmetrics - 1];
    /* A pass is only ever slowed by the host, so its best is the machine's
     * figure. A ratio of two times (unit "x", a speedup) moves either way
     * when the host slows one of them: its best pass would be the one where
     * the host hurt the slower form most, so it keeps the samples' median. */
    const bool ratio = strcmp(m0->unit, "x") == 0;
    if (!ratio) o->value = best;
    rc = pool_rounds(o, pm, np);
    if (rc) return rc;
    if (np > 1 && best != 0 && (hi - lo) / fabs(best) > 0.03 && m0->better != QB_BETTER_NONE)
        rc = qb_record_note(out, "%s: passes range %.4g..%.4g %s; %s is reported", m0->name, lo, hi, m0->unit,
                            ratio ? "the median over the passes' samples" : "the best pass");
    return rc;
}

/* Whether notes a and b say the same thing but for their numbers (a
 * leading "pass N: " aside): "spread up to 4.1%" and "spread up to 6.3%". */
static bool same_kind(const char *a, const char *b)
{
    for (int k = 0; k < 2; k++) {
        const char **p = k ? &b : &a;
        if (strncmp(*p, "pass ", 5) == 0) {
            const char *q = *p + 5;
            while (isdigit((unsigned char)*q)) q++;
            if (q > *p + 5 && strncmp(q, ": ", 2) == 0) *p = q + 2;
        }
    }
    for (;;) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (isdigit((unsigned char)*a) || *a == '.') a++;
            while (isdigit((unsigned char)*b) || *b == '.') b++;
            continue;
        }
        if (*a != *b) return false;
        if (!*a) return true;
        a++, b++;
    }
}

static bool has_kind(const cJSON *notes, const char *s)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, notes)
    {
        if (cJSON_IsString(n) && same_kind(n->valuestring, s)) return true;
    }
    return false;
}

/* The record's notes are its first pass's. A later pass's note of a kind
 * no earlier pass said (a trial dropped, threads far apart) follows,
 * naming its pass (first: the index of pr[0]'s pass); one that differs
 * only in its numbers does not repeat it. */
static int merge_notes(qb_record *out, const qb_record *const *pr, int np, int first)
{
    for (int q = 1; q < np; q++) {
        if (!pr[q]) continue;
        const cJSON *n;
        cJSON_ArrayForEach(n, pr[q]->notes)
        {
            if (!cJSON_IsString(n) || has_kind(out->notes, n->valuestring)) continue;
            const int rc = qb_record_note(out, "pass %d: %s", first + q + 1, n->valuestring);
            if (rc) return rc;
        }
    }
    return QB_OK;
}

int qb_results_pool(qb_results *dst, const qb_results *passes, int np)
{
    /* each record is looked up once per pass, not once per metric and loop */
    const qb_record **pr = malloc((size_t)(np > 0 ? np : 1) * sizeof *pr);
    const qb_metric **pm = malloc((size_t)(np > 0 ? np : 1) * sizeof *pm);
    int rc = pr && pm ? QB_OK : qb_fail(QB_ENOMEM, "out of memory");
    for (int p = 0; p < np && rc == QB_OK; p++) {
        for (size_t i = 0; i < passes[p].n && rc == QB_OK; i++) {
            const qb_record *r = &passes[p].recs[i];
            if (qb_results_find(dst, r->id)) continue;
            qb_record *o = qb_results_add(dst, r->group, r->id + strlen(r->group) + 1);
            if (!o) {
                rc = QB_ENOMEM;
                break;
            }
            cJSON_Delete(o->params);
            cJSON_Delete(o->notes);
            o->params = cJSON_Duplicate(r->params, 1);
            o->notes = cJSON_Duplicate(r->notes, 1);
            if (!o->params || !o->notes) {
                rc = qb_fail(QB_ENOMEM, "out of memory");
                break;
            }
            for (int q = p; q < np; q++) pr[q - p] = q == p ? r : qb_results_find(&passes[q], r->id);
            rc = merge_notes(o, pr, np - p, p);
            for (size_t m = 0; m < r->nmetrics && rc == QB_OK; m++)
                rc = pool_metric(o, &r->metrics[m], pr, np - p, pm);
        }
    }
    free(pr);
    free(pm);
    return rc;
}
