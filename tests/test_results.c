/* The results model: JSON round trip, atomic write, and rejection of bad files. */
#include "check.h"
#include "error.h"
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/qbench-test-XXXXXX";

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static int read_rc(const char *path)
{
    qb_results r;
    const int rc = qb_results_read(path, &r);
    if (rc == QB_OK) qb_results_free(&r);
    return rc;
}

int main(void)
{
    CHECK(mkdtemp(tmpdir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/r.json", tmpdir);

    qb_results r;
    CHECK(qb_results_init(&r) == QB_OK);
    cJSON_AddStringToObject(r.machine, "cpu", "test cpu");
    qb_record *rec = qb_results_add(&r, "probe.inst", "add-r64");
    CHECK(rec != NULL);
    CHECK(qb_record_param_num(rec, "threads", 1) == QB_OK);
    CHECK(qb_record_param_str(rec, "form", "ADD r64, r64") == QB_OK);
    const double lat[] = {1.0, 1.01, 0.99, 1.0, 1.0};
    CHECK(qb_record_metric_samples(rec, "latency", "cycles", QB_BETTER_LOWER, lat, 5) == QB_OK);
    CHECK(qb_record_metric(rec, "throughput", "per_cycle", QB_BETTER_HIGHER, 3.96) == QB_OK);
    /* the samples' timed groups: sizes must add up to the samples */
    qb_metric *lm = &rec->metrics[0]; /* latency, 5 samples */
    const double rmed[] = {1.0, 1.0};
    const size_t rsz[] = {3, 2}, rbad[] = {3, 3}, rzero[] = {5, 0};
    CHECK(qb_metric_set_rounds(lm, rmed, rbad, 2) == QB_EINPUT);
    CHECK(qb_metric_set_rounds(lm, rmed, rzero, 2) == QB_EINPUT);
    CHECK(qb_metric_set_rounds(lm, rmed, rsz, 2) == QB_OK);
    CHECK(qb_record_note(rec, "a note %d", 7) == QB_OK);
    /* a note longer than any fixed buffer is kept whole */
    char longer[700];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    CHECK(qb_record_note(rec, "%s.", longer) == QB_OK);
    const cJSON *last = cJSON_GetArrayItem(rec->notes, cJSON_GetArraySize(rec->notes) - 1);
    CHECK(last && strlen(last->valuestring) == sizeof longer && last->valuestring[sizeof longer - 1] == '.');
    /* ids are unique within a run */
    CHECK(qb_results_add(&r, "probe.inst", "add-r64") == NULL);
    CHECK(qb_record_metric(rec, "bad", "x", QB_BETTER_NONE, NAN) == QB_EINTERNAL);
    CHECK(qb_results_write(&r, path) == QB_OK);

    qb_results back;
    CHECK(qb_results_read(path, &back) == QB_OK);
    CHECK(back.n == 1);
    CHECK(strcmp(back.recs[0].id, "probe.inst/add-r64") == 0);
    CHECK(strcmp(back.recs[0].group, "probe.inst") == 0);
    const qb_metric *m = qb_record_find_metric(&back.recs[0], "latency");
    CHECK(m && m->nsamples == 5 && strcmp(m->unit, "cycles") == 0 && m->better == QB_BETTER_LOWER);
    CHECK(m && m->samples[1] == 1.01 && m->value == 1.0);
    CHECK(m && m->nrounds == 2 && m->round_sizes[0] == 3 && m->round_sizes[1] == 2 &&
          m->round_medians[1] == 1.0);
    m = qb_record_find_metric(&back.recs[0], "throughput");
    CHECK(m && m->value == 3.96 && m->samples == NULL && m->better == QB_BETTER_HIGHER);
    CHECK(cJSON_GetArraySize(back.recs[0].notes) == 2);
    CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(back.machine, "cpu")), "test cpu") == 0);
    CHECK(strcmp(back.started, r.started) == 0);
    /* Write what was read: the second file is byte-identical to the first. */
    char path2[256];
    snprintf(path2, sizeof path2, "%s/r2.json", tmpdir);
    CHECK(qb_results_write(&back, path2) == QB_OK);
    char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    FILE *fa = fopen(path, "r"), *fb = fopen(path2, "r");
    CHECK(getdelim(&a, &la, '\0', fa) > 0 && getdelim(&b, &lb, '\0', fb) > 0);
    CHECK(a && b && strcmp(a, b) == 0);
    fclose(fa);
    fclose(fb);
    free(a);
    free(b);
    qb_results_free(&back);
    qb_results_free(&r);

    /* No temporary file is left beside the result. */
    char tmpname[300];
    snprintf(tmpname, sizeof tmpname, "%s/r.json.tmp.%ld", tmpdir, (long)getpid());
    CHECK(access(tmpname, F_OK) != 0);

    /* Bad inputs: each is QB_EINPUT with a message. */
    CHECK(read_rc("fixtures/truncated.json") == QB_EINPUT);
    CHECK(strstr(qb_last_error(QB_EINPUT), "truncated") != NULL);
    CHECK(read_rc("fixtures/wrong-schema.json") == QB_EINPUT);
    CHECK(strstr(qb_last_error(QB_EINPUT), "schema") != NULL);
    CHECK(read_rc("fixtures/not-json.txt") == QB_EINPUT);
    CHECK(read_rc("fixtures/missing-key.json") == QB_EINPUT);
    CHECK(strstr(qb_last_error(QB_EINPUT), "unit") != NULL);
    CHECK(read_rc("fixtures/bad-id.json") == QB_EINPUT);
    CHECK(read_rc("/nonexistent/file.json") == QB_EINPUT);
    snprintf(path, sizeof path, "%s/empty.json", tmpdir);
    write_text(path, "");
    CHECK(read_rc(path) == QB_EINPUT);
    snprintf(path, sizeof path, "%s/array.json", tmpdir);
    write_text(path, "[1,2,3]");
    CHECK(read_rc(path) == QB_EINPUT);
    CHECK(read_rc("fixtures/valid.json") == QB_OK);
    /* rounds that do not add up to the samples, or are not numbers */
    static const char *const bad_rounds[] = {
        "[2], \"round_sizes\": [3]",           /* the one good document */
        "[1, 1], \"round_sizes\": [1, 1]",     /* 2 of 3 samples */
        "[1, 1], \"round_sizes\": [1, 2, 3]",  /* lengths differ */
        "[1], \"round_sizes\": [1.5]",         /* not whole */
        "[1], \"round_sizes\": [0]",           /* empty round */
        "[\"x\"], \"round_sizes\": [3]",     /* not a number */
        "{}, \"round_sizes\": [3]",            /* not an array */
    };
    for (size_t i = 0; i < sizeof bad_rounds / sizeof bad_rounds[0]; i++) {
        char doc[1024];
        snprintf(doc, sizeof doc,
                 "{\"schema\": \"qbench.results/1\", \"tool\": {}, \"machine\": {}, \"settings\": {}, "
                 "\"started\": \"x\", \"results\": [{\"id\": \"g/a\", \"group\": \"g\", \"params\": {}, "
                 "\"metrics\": {\"t\": {\"value\": 1, \"unit\": \"s\", \"better\": \"lower\", "
                 "\"samples\": [1, 2, 3], \"round_medians\": %s}}}]}",
                 bad_rounds[i]);
        snprintf(path, sizeof path, "%s/rounds%zu.json", tmpdir, i);
        write_text(path, doc);
        CHECK(read_rc(path) == (i == 0 ? QB_OK : QB_EINPUT));
        /* one readable line naming the record once */
        if (i == 1) {
            const char *msg = qb_last_error(QB_EINPUT), *at = strstr(msg, "record 'g/a'");
            CHECK(strstr(msg, "round_sizes add up to 2, the metric has 3 samples") != NULL);
            CHECK(at != NULL && strstr(at + 1, "record 'g/a'") == NULL);
        }
    }

    /* Writing into a folder that does not exist fails cleanly. */
    qb_results w;
    CHECK(qb_results_init(&w) == QB_OK);
    CHECK(qb_results_write(&w, "/nonexistent/dir/out.json") == QB_EIO);
    qb_results_free(&w);

    /* One metric derived from another times a factor: value, samples, rounds
     * and statistics follow; an existing metric of that name is replaced. */
    qb_results sc;
    CHECK(qb_results_init(&sc) == QB_OK);
    qb_record *sr = qb_results_add(&sc, "probe.mem", "read/t2/4096");
    const double bw[] = {100, 120, 110, 90};
    const double med2[] = {110, 100};
    const size_t sz2[] = {2, 2};
    CHECK(sr && qb_record_metric_samples(sr, "bandwidth", "GB/s", QB_BETTER_HIGHER, bw, 4) == QB_OK);
    sr->metrics[0].value = 110; /* the best round's median */
    CHECK(qb_metric_set_rounds(&sr->metrics[0], med2, sz2, 2) == QB_OK);
    CHECK(qb_record_metric(sr, "bytes_per_cycle", "bytes/cycle/core", QB_BETTER_HIGHER, 99) == QB_OK);
    CHECK(qb_record_derive_metric(sr, "bytes_per_cycle", "bytes/cycle/core", QB_BETTER_HIGHER, "bandwidth", 0.5) ==
          QB_OK);
    CHECK(sr->nmetrics == 2); /* replaced, not added again */
    const qb_metric *pc = qb_record_find_metric(sr, "bytes_per_cycle");
    CHECK(pc && strcmp(pc->unit, "bytes/cycle/core") == 0 && pc->better == QB_BETTER_HIGHER);
    CHECK_NEAR(pc->value, 55, 1e-12);
    CHECK(pc->nsamples == 4 && pc->has_stats && pc->nrounds == 2 && pc->round_sizes[1] == 2);
    CHECK_NEAR(pc->samples[1], 60, 1e-12);
    CHECK_NEAR(pc->round_medians[1], 50, 1e-12);
    CHECK_NEAR(pc->st.median, 52.5, 1e-12); /* of 45, 50, 55, 60 */
    CHECK_NEAR(qb_record_find_metric(sr, "bandwidth")->value, 110, 0); /* the source is untouched */
    CHECK(qb_record_derive_metric(sr, "bytes_per_cycle", "bytes/cycle/core", QB_BETTER_HIGHER, "nonesuch", 2) ==
          QB_OK);
    CHECK_NEAR(pc->value, 55, 1e-12); /* nothing to rescale from: unchanged */

    /* A rate of a time: amount over each value, from the same record or
     * another; the best (lowest) time gives the best (highest) rate. */
    qb_record *tr = qb_results_add(&sc, "ops", "relu/t1");
    const double ts[] = {2, 4, 5, 8};
    const double tmed[] = {3, 6.5};
    CHECK(tr && qb_record_metric_samples(tr, "time", "s", QB_BETTER_LOWER, ts, 4) == QB_OK);
    tr->metrics[0].value = 3; /* the best round's median */
    CHECK(qb_metric_set_rounds(&tr->metrics[0], tmed, sz2, 2) == QB_OK);
    CHECK(qb_record_rate_metric(tr, "bandwidth", "GB/s", QB_BETTER_HIGHER, qb_record_find_metric(tr, "time"), 12) ==
          QB_OK);
    const qb_metric *rb = qb_record_find_metric(tr, "bandwidth");
    CHECK(rb && rb->better == QB_BETTER_HIGHER && strcmp(rb->unit, "GB/s") == 0);
    CHECK_NEAR(rb->value, 4, 1e-12);
    CHECK(rb->nsamples == 4 && rb->nrounds == 2 && rb->round_sizes[0] == 2);
    CHECK_NEAR(rb->samples[0], 6, 1e-12);
    CHECK_NEAR(rb->samples[3], 1.5, 1e-12);
    CHECK_NEAR(rb->round_medians[1], 12 / 6.5, 1e-12);
    CHECK_NEAR(rb->st.median, (12.0 / 4 + 12.0 / 5) / 2, 1e-12);
    CHECK_NEAR(qb_record_find_metric(tr, "time")->value, 3, 0); /* the time is untouched */
    qb_record *rr = qb_results_add(&sc, "roofline", "relu/t1");
    CHECK(rr && qb_record_rate_metric(rr, "performance", "GOP/s", QB_BETTER_HIGHER, qb_record_find_metric(tr, "time"),
                                      6) == QB_OK);
    CHECK(rr->nmetrics == 1 && rr->metrics[0].nsamples == 4);
    CHECK_NEAR(rr->metrics[0].value, 2, 1e-12);
    CHECK(qb_record_rate_metric(rr, "none", "x", QB_BETTER_HIGHER, NULL, 1) == QB_OK && rr->nmetrics == 1);
    /* a zero time gives no finite rate: an internal error, nothing added */
    const double zero[] = {0, 1};
    CHECK(qb_record_metric_samples(rr, "t0", "s", QB_BETTER_LOWER, zero, 2) == QB_OK);
    CHECK(qb_record_rate_metric(rr, "r0", "x", QB_BETTER_HIGHER, qb_record_find_metric(rr, "t0"), 1) ==
          QB_EINTERNAL);
    CHECK(qb_record_find_metric(rr, "r0") == NULL);
    qb_results_free(&sc);
    TEST_DONE();
}
