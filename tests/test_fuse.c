/* The fusion chain: every form of every dtype against its scalar reference
 * (bit-exact), on sizes with ragged tails and one or two threads, the byte
 * formulas, the chains around the GEMM (fused output = unfused output), and
 * the records qb_fuse_measure makes. */
#include "check.h"
#include "error.h"
#include "fuse.h"
#include "pin.h"
#include "repeat.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

static void forms(void)
{
    static const char *const dts[] = {"fp32", "fp16", "int8"};
    static const size_t sizes[] = {1000003, 4096, 37};
    for (int d = 0; d < 3; d++)
        for (int s = 0; s < 3; s++)
            for (int threads = 1; threads <= 2; threads++) {
                qb_fuse_chain *c = NULL;
                CHECK(qb_fuse_chain_create(dts[d], sizes[s], threads, 3, &c) == QB_OK);
                if (!c) continue;
                for (int f = 0; f < QB_FUSE_NFORMS; f++) {
                    qb_fuse_chain_run(c, (qb_fuse_form)f);
                    double diff = -1, vs = -1;
                    CHECK(qb_fuse_chain_verify(c, (qb_fuse_form)f, &diff, &vs) == QB_OK);
                    CHECK(diff == 0);
                    if (diff != 0)
                        fprintf(stderr, "  %s n=%zu t=%d %s: %g\n", dts[d], sizes[s], threads,
                                qb_fuse_form_name((qb_fuse_form)f), diff);
                    /* fp32: x is a multiple of 2^-20 in [-8, 8), so every form is exact */
                    if (d == 0) CHECK(vs == 0);
                    /* fp16 unfused rounds each intermediate: at most a few binary16 steps apart */
                    if (d == 1) CHECK(vs <= 0.02);
                    /* int8: each requantization can move one step (22/127) */
                    if (d == 2) CHECK(vs <= 4 * 22.0 / 127.0);
                }
                qb_fuse_chain_destroy(c);
            }
    qb_fuse_chain *c = NULL;
    CHECK(qb_fuse_chain_create("bf16", 100, 1, 1, &c) == QB_EUSAGE && c == NULL);
}

static void formulas(void)
{
    CHECK(qb_fuse_passes(QB_FUSE_UNFUSED) == 4 && qb_fuse_passes(QB_FUSE_FUSED) == 1);
    CHECK(qb_fuse_bytes(QB_FUSE_UNFUSED, 1000, 4) == 32000);
    CHECK(qb_fuse_bytes(QB_FUSE_FUSED, 1000, 4) == 8000);
    CHECK(qb_fuse_bytes(QB_FUSE_FOLDED, 1000, 1) == 2000);
    CHECK(qb_fuse_bytes(QB_FUSE_UNFUSED, 1000, 2) / qb_fuse_bytes(QB_FUSE_FUSED, 1000, 2) == 4);
    CHECK(strcmp(qb_fuse_form_name(QB_FUSE_FOLDED), "folded") == 0);
}

static void measure(void)
{
    qb_results res;
    CHECK(qb_results_init(&res) == QB_OK);
    qb_rep_policy pol = qb_rep_policy_default(true);
    pol.min_reps = 2;
    pol.max_reps = 2;
    pol.warmup = 0;
    pol.rounds = 1;
    const char *const dts[] = {"fp32", "int8"};
    const char *const relu[] = {"relu-chain"};
    CHECK(qb_fuse_measure(&res, relu, 1, dts, 2, 65536, 1, &pol, true) == QB_OK);
    CHECK(res.n == 2);
    const qb_record *r = qb_results_find(&res, "fuse/relu-chain/fp32");
    CHECK(r != NULL);
    if (r) {
        const char *names[] = {"time_unfused", "time_fused", "time_folded", "speedup_fused",
                               "speedup_folded", "bytes_unfused", "bytes_saved_fused", "gbps_fused"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            CHECK(qb_record_find_metric(r, names[i]) != NULL);
        const qb_metric *b = qb_record_find_metric(r, "bytes_saved_fused");
        CHECK(b && b->value == 6.0 * 65536 * 4 && strcmp(b->unit, "bytes") == 0);
        const qb_metric *t = qb_record_find_metric(r, "time_unfused");
        CHECK(t && t->nsamples == 2 && strcmp(t->unit, "s") == 0);
        CHECK(cJSON_GetObjectItem(r->params, "max_err_fused") != NULL);
    }
    qb_results_free(&res);
    /* without the check (a later pass of qbench run): timed, no check params */
    CHECK(qb_results_init(&res) == QB_OK);
    CHECK(qb_fuse_measure(&res, relu, 1, dts, 1, 65536, 1, &pol, false) == QB_OK);
    r = qb_results_find(&res, "fuse/relu-chain/fp32");
    CHECK(r && qb_record_find_metric(r, "time_fused") && !cJSON_GetObjectItem(r->params, "max_err_fused"));
    qb_results_free(&res);
}

static void gemm_chains(void)
{
    CHECK(qb_fuse_gemm_count() == 4);
    for (int ch = 0; ch < qb_fuse_gemm_count(); ch++) {
        /* fusion removes bytes, never adds them */
        CHECK(qb_fuse_gemm_bytes(ch, true) < qb_fuse_gemm_bytes(ch, false));
        CHECK(qb_fuse_gemm_passes(ch, true) == 1 && qb_fuse_gemm_passes(ch, false) >= 2);
        for (int threads = 1; threads <= 2; threads++) {
            qb_fuse_gemm *c = NULL;
            CHECK(qb_fuse_gemm_create(ch, threads, &c) == QB_OK);
            if (!c) continue;
            double diff = -1;
            CHECK(qb_fuse_gemm_verify(c, &diff) == QB_OK);
            /* the same arithmetic fused or not: int8 byte for byte, fp32 exactly too
             * (bias and relu commute with nothing in between) */
            CHECK(diff == 0);
            if (diff != 0)
                fprintf(stderr, "  %s %s t=%d: fused differs by %g\n", qb_fuse_gemm_name(ch),
                        qb_fuse_gemm_dtype(ch), threads, diff);
            qb_fuse_gemm_destroy(c);
        }
    }
    /* gemm-relu fp32, 256x3072x768: C is 3.1 MB; the relu pass reads and writes it */
    CHECK(qb_fuse_gemm_bytes(0, false) - qb_fuse_gemm_bytes(0, true) == 2.0 * 4 * 256 * 3072);
}

int main(void)
{
    gemm_chains();
    forms();
    formulas();
    measure();
    TEST_DONE();
}
