#include "repeat.h"

#include "defaults.h"
#include "error.h"
#include "timer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

qb_rep_policy qb_rep_policy_default(bool quick)
{
    qb_rep_policy p = {
        .warmup = QB_WARMUP_DEFAULT,
        .min_reps = quick ? QB_QUICK_MIN_REPS : QB_MIN_REPS_DEFAULT,
        .max_reps = quick ? QB_QUICK_MAX_REPS : QB_MAX_REPS_DEFAULT,
        .budget_s = quick ? QB_QUICK_BUDGET_S : QB_BUDGET_S_DEFAULT,
        .target_cv = QB_TARGET_CV_DEFAULT,
        .max_dropped = QB_MAX_DROPPED_DEFAULT,
        .rounds = quick ? QB_QUICK_ROUNDS : QB_ROUNDS_DEFAULT,
    };
    return p;
}

int qb_rep_policy_check(const qb_rep_policy *p)
{
    if (p->warmup < 0) return qb_fail(QB_EUSAGE, "--warmup must be 0 or more");
    if (p->min_reps < 1) return qb_fail(QB_EUSAGE, "--reps must be at least 1");
    if (p->max_reps < p->min_reps)
        return qb_fail(QB_EUSAGE, "--max-reps (%d) is below --reps (%d)", p->max_reps, p->min_reps);
    if (!(p->budget_s > 0)) return qb_fail(QB_EUSAGE, "--budget must be positive");
    if (!(p->target_cv >= 0)) return qb_fail(QB_EUSAGE, "--target-cv must be 0 or more");
    if (p->rounds < 1 || p->rounds > 16) return qb_fail(QB_EUSAGE, "--rounds must be 1 to 16");
    return QB_OK;
}

static long involuntary_switches(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) != 0) return 0;
    return ru.ru_nivcsw;
}

int qb_repeat(const qb_rep_policy *p, qb_trial_fn fn, void *ctx, qb_rep_result *out)
{
    memset(out, 0, sizeof *out);
    int rc = qb_rep_policy_check(p);
    if (rc) return rc;
    out->samples = malloc((size_t)p->max_reps * sizeof *out->samples);
    out->aux = malloc((size_t)p->max_reps * sizeof *out->aux);
    if (!out->samples || !out->aux) {
        qb_rep_result_free(out);
        return qb_fail(QB_ENOMEM, "out of memory for samples");
    }

    double v[2];
    for (int i = 0; i < p->warmup; i++) {
        rc = fn(ctx, v);
        if (rc < 0) goto fail;
    }
    const uint64_t t0 = qb_now_ns();
    while (out->n < p->max_reps) {
        const long sw0 = involuntary_switches();
        v[1] = 0;
        rc = fn(ctx, v);
        if (rc < 0) goto fail;
        const bool preempted = involuntary_switches() != sw0;
        out->elapsed_s = (double)(qb_now_ns() - t0) * 1e-9;
        if ((preempted || rc == QB_TRIAL_DROP) && out->dropped < p->max_dropped) {
            out->dropped++;
        } else {
            out->aux[out->n] = v[1];
            out->samples[out->n++] = v[0];
        }
        if (out->n >= p->min_reps) {
            rc = qb_stats_compute(out->samples, (size_t)out->n, &out->st);
            if (rc) goto fail;
            if (out->st.cv <= p->target_cv) break;
            if (out->elapsed_s >= p->budget_s) {
                out->budget_hit = true;
                break;
            }
        } else if (out->elapsed_s >= 20 * p->budget_s && out->n > 0) {
            /* A trial far slower than the budget: keep what there is rather than hang. */
            out->budget_hit = true;
            break;
        }
    }
    rc = qb_stats_compute(out->samples, (size_t)out->n, &out->st);
    if (rc) goto fail;
    out->target_met = out->st.cv <= p->target_cv;
    return QB_OK;
fail:
    qb_rep_result_free(out);
    return rc;
}

void qb_rep_result_free(qb_rep_result *r)
{
    free(r->samples);
    free(r->aux);
    r->samples = r->aux = NULL;
    r->n = 0;
}
