/* qb_probe_storage_measure: write the test file, then the three read
 * benchmarks in interleaved rounds under the repetition policy, then one
 * record each. Every trial is a fixed stretch of time, so a run's length is
 * bounded by the policy whatever the device's speed. */
#include "storage.h"

#include "cli.h"
#include "defaults.h"
#include "error.h"
#include "interrupt.h"
#include "output.h"
#include "pooled.h"
#include "probes.h"
#include "repeat.h"
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_QD1 0x51D1ull
#define SEED_QD32 0x51D32ull

void qb_storage_opts_init(qb_storage_opts *o, bool quick)
{
    memset(o, 0, sizeof *o);
    o->quick = quick;
    o->trial_ms = quick ? QB_STORAGE_QUICK_TRIAL_MS : QB_STORAGE_TRIAL_MS_DEFAULT;
    o->reads = QB_STORAGE_READ_ALL;
}

int qb_storage_parse_reads(qb_storage_opts *o, const char *list)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"qd1", QB_STORAGE_READ_QD1}, {"qd32", QB_STORAGE_READ_QD32}, {"seq", QB_STORAGE_READ_SEQ}};
    char buf[64], *w[8];
    const int n = qb_split_words("qbench probe storage --reads", list, buf, sizeof buf, w, 8);
    if (n < 0) return QB_EUSAGE;
    o->reads = 0;
    for (int i = 0; i < n; i++) {
        size_t k = 0;
        while (k < sizeof names / sizeof names[0] && strcmp(w[i], names[k].name) != 0) k++;
        if (k == sizeof names / sizeof names[0])
            return qb_fail(QB_EUSAGE, "qbench probe storage --reads: '%s' is not qd1, qd32 or seq", w[i]);
        o->reads |= names[k].bit;
    }
    return QB_OK;
}

int qb_storage_check(const qb_storage_opts *o)
{
    qb_storage_dev dev;
    int rc = qb_storage_dev_probe(o->path, &dev);
    if (rc) return rc;
    if (o->size > dev.free_bytes)
        return qb_fail(QB_EUSAGE,
                       "qbench probe storage --size: %zu MiB does not fit in the %llu MiB free "
                       "in '%s'", o->size >> 20, dev.free_bytes >> 20, o->path);
    return QB_OK;
}

typedef struct {
    const qb_storage_file *f;
    uint64_t trial_ns;
    /* queue depth 1 */
    qb_storage_rng rng;
    double *lat;      /* kept read latencies, us */
    size_t nlat, cap; /* cap: where this round's keeping stops */
    int calls, warmup;
    uint64_t timed_reads; /* reads of the timed trials, kept or not */
    /* queue depth 32 */
    qb_storage_uring *uring;
    /* sequential */
    size_t pos;
} bench;

/* A trial's value: the mean latency of its reads (us). Every read of the
 * timed trials is kept, as fio keeps every completion it times; the warm-up
 * trials' reads are not. */
static int trial_qd1(void *v, double out[2])
{
    bench *b = v;
    const bool timed = b->calls++ >= b->warmup;
    uint64_t reads, ns;
    const int rc = qb_storage_qd1(b->f, &b->rng, b->trial_ns, b->lat, timed ? b->cap : b->nlat,
                                  &b->nlat, &reads, &ns);
    if (rc) return rc;
    if (timed) b->timed_reads += reads;
    out[0] = (double)ns * 1e-3 / (double)reads;
    return QB_OK;
}

static int trial_qd32(void *v, double out[2])
{
    bench *b = v;
    uint64_t reads, ns;
    const int rc = qb_storage_uring_run(b->uring, b->trial_ns, &reads, &ns);
    if (rc) return rc;
    out[0] = (double)reads * 1e9 / (double)ns;
    return QB_OK;
}

static int trial_seq(void *v, double out[2])
{
    bench *b = v;
    uint64_t bytes, ns;
    const int rc = qb_storage_seq(b->f, &b->pos, b->trial_ns, &bytes, &ns);
    if (rc) return rc;
    out[0] = (double)bytes * 1e3 / (double)ns; /* MB/s = 1e6 bytes/s */
    return QB_OK;
}

static int run_round(const qb_rep_policy *pol, qb_trial_fn fn, bench *b, qb_pooled *p)
{
    qb_rep_result r;
    int rc = qb_repeat(pol, fn, b, &r);
    if (rc) return rc;
    rc = qb_pooled_add(p, &r);
    qb_rep_result_free(&r);
    return rc;
}

static int common_params(qb_record *rec, const char *path, const qb_storage_dev *dev, size_t size,
                         unsigned block, int qd, const char *engine)
{
    int rc = qb_record_param_str(rec, "path", path);
    if (!rc) rc = qb_record_param_str(rec, "device", dev->device);
    if (!rc) rc = qb_record_param_str(rec, "disk", dev->disk);
    if (!rc) {
        cJSON *rot = dev->rotational < 0 ? cJSON_CreateNull() : cJSON_CreateBool(dev->rotational);
        if (!rot || !cJSON_AddItemToObject(rec->params, "rotational", rot))
            rc = qb_fail(QB_ENOMEM, "out of memory");
    }
    if (!rc) rc = qb_record_param_str(rec, "fs_type", dev->fs_type);
    if (!rc) rc = qb_record_param_num(rec, "size_bytes", (double)size);
    if (!rc) rc = qb_record_param_num(rec, "block_bytes", block);
    if (!rc) rc = qb_record_param_num(rec, "queue_depth", qd);
    if (!rc) rc = qb_record_param_str(rec, "engine", engine);
    if (!rc && dev->rotational < 0)
        rc = qb_record_note(rec, "no block device found behind the folder (st_dev names none in "
                                 "/sys/dev/block): device and rotational unknown");
    return rc;
}

/* A rate over every trial of every round, valued at the mean of the trials'
 * rates. The trials last equally long, so that mean is the reads (or bytes)
 * over the time of all of them: the sustained rate, as fio reports it over
 * its run. Neither the best round's median (qb_pooled_record's value) nor
 * the median trial would do. A CPU kernel is only ever slowed by
 * interference, but a disk's pace moves both ways with whatever caches or
 * throttles it below the file system. And a rate-limited virtual disk can
 * stall for a few tens of ms in every period of about 100 ms: trials
 * shorter than a few periods then alternate between a fast and a slow rate,
 * and a median lands on either. The median trial and every sample stay in
 * the metric; a note says when the trials split so. */
static int pooled_record(qb_record *rec, const char *name, const char *unit, const qb_pooled *p,
                         double target_cv)
{
    const int before = cJSON_GetArraySize(rec->notes);
    int rc = qb_pooled_record(rec, name, unit, QB_BETTER_HIGHER, p, target_cv);
    if (rc) return rc;
    qb_metric *m = &rec->metrics[rec->nmetrics - 1];
    if (m->has_stats) m->value = m->st.mean;
    for (int i = cJSON_GetArraySize(rec->notes) - 1; !rc && i >= before; i--) {
        const char *n = cJSON_GetStringValue(cJSON_GetArrayItem(rec->notes, i));
        if (!n || !strstr(n, "round medians range")) continue;
        cJSON_DeleteItemFromArray(rec->notes, i);
        double lo = p->round_median[0], hi = lo;
        for (int r = 1; r < p->rounds; r++) {
            if (p->round_median[r] < lo) lo = p->round_median[r];
            if (p->round_median[r] > hi) hi = p->round_median[r];
        }
        rc = qb_record_note(rec, "%s: round medians range %.3g..%.3g %s: the device (or a cache "
                                 "or rate limit below the file system) changed pace during the "
                                 "run; the rate over all rounds is reported", name, lo, hi, unit);
    }
    if (!rc && m->has_stats && m->st.mean > 0 &&
        fabs(m->st.median - m->st.mean) > QB_STORAGE_SPLIT * m->st.mean)
        rc = qb_record_note(rec, "%s: the rate over all trials, %.3g %s, is %.0f%% off the median "
                                 "trial's %.3g (trials %.3g..%.3g, quartiles %.3g and %.3g): the "
                                 "device changes pace within about a trial's length, as a rate "
                                 "limit that stalls it for part of every period does; the rate "
                                 "over all trials is reported", name, m->st.mean, unit,
                            100 * fabs(m->st.median - m->st.mean) / m->st.mean, m->st.median,
                            m->st.min, m->st.max, m->st.p25, m->st.p75);
    return rc;
}

/* The queue-depth-1 record: every kept latency, its median, p99 and mean,
 * with the rounds' medians beside it. */
static int record_qd1(qb_results *res, const qb_storage_opts *o, const qb_storage_dev *dev,
                      const double *lat, const size_t *round_end, int rounds, uint64_t reads)
{
    qb_record *rec = qb_results_add(res, "probe.storage", "randread/qd1");
    if (!rec) return QB_ENOMEM;
    int rc = common_params(rec, o->path, dev, o->size, QB_STORAGE_BLOCK, 1, "pread");
    const size_t n = round_end[rounds - 1];
    if (!rc) rc = qb_record_metric_samples(rec, "latency", "us", QB_BETTER_LOWER, lat, n);
    double *sorted = rc ? NULL : malloc(n * sizeof *sorted);
    if (!rc && !sorted) rc = qb_fail(QB_ENOMEM, "out of memory");
    double medians[16];
    size_t sizes[16];
    for (int r = 0; !rc && r < rounds; r++) {
        const size_t from = r ? round_end[r - 1] : 0;
        sizes[r] = round_end[r] - from;
        memcpy(sorted, lat + from, sizes[r] * sizeof *sorted);
        qb_sort_doubles(sorted, sizes[r]);
        medians[r] = qb_percentile_sorted(sorted, sizes[r], 50);
    }
    if (!rc) rc = qb_metric_set_rounds(&rec->metrics[rec->nmetrics - 1], medians, sizes, (size_t)rounds);
    if (!rc) {
        memcpy(sorted, lat, n * sizeof *sorted);
        qb_sort_doubles(sorted, n);
        rc = qb_record_metric(rec, "latency_p99", "us", QB_BETTER_LOWER,
                              qb_percentile_sorted(sorted, n, 99));
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += lat[i];
    if (!rc) rc = qb_record_metric(rec, "latency_mean", "us", QB_BETTER_LOWER, sum / (double)n);
    /* One read in flight: the reads per second are the inverse of the mean latency. */
    if (!rc) rc = qb_record_metric(rec, "iops", "IOPS", QB_BETTER_HIGHER, 1e6 * (double)n / sum);
    if (!rc && n < reads)
        rc = qb_record_note(rec, "latency: %zu of %llu timed reads kept (at most %d over the rounds)",
                            n, (unsigned long long)reads, QB_STORAGE_MAX_LAT_SAMPLES);
    free(sorted);
    return rc;
}

int qb_probe_storage_measure(qb_results *res, const qb_storage_opts *o, const qb_rep_policy *pol)
{
    qb_storage_dev dev;
    int rc = qb_storage_dev_probe(o->path, &dev);
    if (rc) return rc;
    qb_storage_file f;
    rc = qb_storage_file_open(&f, o->path, o->size, &dev);
    if (rc) return rc;
    const int rounds = pol->rounds < 1 ? 1 : pol->rounds > 16 ? 16 : pol->rounds;
    bench b = {.f = &f, .trial_ns = (uint64_t)(o->trial_ms * 1e6), .warmup = pol->warmup};
    qb_pooled qd32 = {0}, seq = {0};
    size_t round_end[16];
    int done = 0; /* rounds every benchmark finished */
    char uring_why[256] = "";

    rc = qb_settings_put(res, "storage", "size_bytes", (double)o->size);
    if (!rc) rc = qb_settings_put(res, "storage", "trial_ms", o->trial_ms);
    if (!rc) rc = qb_settings_put(res, "storage", "rounds", rounds);
    b.lat = malloc(QB_STORAGE_MAX_LAT_SAMPLES * sizeof *b.lat);
    if (!rc && !b.lat) rc = qb_fail(QB_ENOMEM, "out of memory for latency samples");
    if (!rc) {
        qb_progress("probe storage: writing the %zu MiB test file", o->size >> 20);
        rc = qb_storage_file_fill(&f);
    }
    const bool qd1_on = o->reads & QB_STORAGE_READ_QD1, qd32_on = o->reads & QB_STORAGE_READ_QD32,
               seq_on = o->reads & QB_STORAGE_READ_SEQ;
    if (!rc && qd32_on && qb_storage_uring_open(&b.uring, &f, SEED_QD32) != QB_OK) {
        snprintf(uring_why, sizeof uring_why, "%s", qb_last_error(QB_EUNSUPPORTED));
        qb_clear_error();
    }
    qb_storage_rng_init(&b.rng, SEED_QD1, f.size);
    for (int r = 0; !rc && r < rounds; r++) {
        qb_progress("probe storage: round %d of %d", r + 1, rounds);
        /* Each round keeps at most its share of the latency samples. */
        b.cap = QB_STORAGE_MAX_LAT_SAMPLES / (size_t)rounds * (size_t)(r + 1);
        b.calls = 0;
        if (qd1_on) {
            qb_rep_result qr;
            rc = qb_repeat(pol, trial_qd1, &b, &qr);
            if (rc) break;
            qb_rep_result_free(&qr);
        }
        round_end[r] = b.nlat;
        if (b.uring) rc = run_round(pol, trial_qd32, &b, &qd32);
        if (!rc && seq_on) rc = run_round(pol, trial_seq, &b, &seq);
        if (!rc) done = r + 1;
    }
    qb_progress_done();
    qb_storage_uring_close(b.uring);
    qb_storage_file_close(&f);

    /* Records of the rounds every benchmark finished: an interrupted run
     * keeps them and still returns QB_EINTR. */
    int rc2 = QB_OK;
    if (done > 0 && b.nlat > 0)
        rc2 = record_qd1(res, o, &dev, b.lat, round_end, done, b.timed_reads);
    if (!rc2 && done > 0 && qd32_on) {
        qb_record *rec = qb_results_add(res, "probe.storage", "randread/qd32");
        rc2 = rec ? common_params(rec, o->path, &dev, o->size, QB_STORAGE_BLOCK, QB_STORAGE_QD,
                                  "io_uring")
                  : QB_ENOMEM;
        if (!rc2 && b.uring) {
            rc2 = pooled_record(rec, "iops", "IOPS", &qd32, pol->target_cv);
            if (!rc2)
                rc2 = qb_record_derive_metric(rec, "bandwidth", "MB/s", QB_BETTER_HIGHER, "iops",
                                              QB_STORAGE_BLOCK * 1e-6);
        } else if (!rc2) {
            cJSON_AddBoolToObject(rec->params, "available", false);
            rc2 = qb_record_note(rec, "unavailable: %s", uring_why);
        }
    }
    if (!rc2 && done > 0 && seq_on) {
        qb_record *rec = qb_results_add(res, "probe.storage", "seqread");
        rc2 = rec ? common_params(rec, o->path, &dev, o->size, QB_STORAGE_SEQ_BLOCK, 1, "pread")
                  : QB_ENOMEM;
        if (!rc2) rc2 = pooled_record(rec, "bandwidth", "MB/s", &seq, pol->target_cv);
    }
    qb_pooled_free(&qd32);
    qb_pooled_free(&seq);
    free(b.lat);
    return rc ? rc : rc2;
}
