/* The roofline analysis on hand-made ceilings and points with known answers. */
#include "check.h"
#include "ceilings.h"
#include "ops_compute_util.h"
#include "error.h"
#include "results.h"
#include "roofline.h"
#include "roofline_model.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    qb_ceilings c = {0};
    CHECK(qb_ceilings_set_memory(&c, "DRAM", 20, "copy") == QB_OK);
    CHECK(qb_ceilings_set_memory(&c, "L1", 200, "read") == QB_OK);
    CHECK(qb_ceilings_set_memory(&c, "L2", 100, "read") == QB_OK);
    CHECK(qb_ceilings_set_memory(&c, "L3", 50, "read") == QB_OK);
    CHECK(c.nmemory == 4);
    CHECK(strcmp(c.memory[0].level, "L1") == 0 && strcmp(c.memory[3].level, "DRAM") == 0);
    CHECK(qb_ceilings_set_memory(&c, "L4", 1, "x") == QB_EINPUT);
    /* Before capacities are known, every footprint lives in DRAM. */
    CHECK(qb_ceilings_footprint_level(&c, 1024) == 3);
    CHECK(qb_ceilings_set_capacity(&c, "L1", 48 << 10) == QB_OK);
    CHECK(qb_ceilings_set_capacity(&c, "L2", 1 << 20) == QB_OK);
    CHECK(qb_ceilings_set_capacity(&c, "L3", 32 << 20) == QB_OK);
    CHECK(qb_ceilings_set_capacity(&c, "L4", 1) == QB_EINPUT);
    CHECK(qb_ceilings_footprint_level(&c, 8 << 10) == 0 && qb_ceilings_footprint_level(&c, 48 << 10) == 0);
    CHECK(qb_ceilings_footprint_level(&c, 512 << 10) == 1 && qb_ceilings_footprint_level(&c, 8 << 20) == 2);
    CHECK(qb_ceilings_footprint_level(&c, 128 << 20) == 3);
    CHECK(qb_ceilings_set_compute(&c, "fp32", 100) == QB_OK);
    CHECK(qb_ceilings_set_compute(&c, "int8", 200) == QB_OK);
    CHECK(qb_ceilings_set_compute(&c, "bad", -1) == QB_EINPUT);

    qb_rl_result r;
    /* GEMM-like: 2e9 ops over 1.2e7 bytes (AI 167) at 80 GOP/s: compute-bound, 80% of peak. */
    qb_rl_point gemm = {2e9, 1.2e7, 2e9 / 80e9, false};
    CHECK(qb_roofline_analyse(&c, "fp32", &gemm, true, &r) == QB_OK);
    CHECK(r.verdict == QB_RL_COMPUTE_BOUND && r.bound_level == -1);
    CHECK_NEAR(r.efficiency, 0.8, 1e-9);
    CHECK_NEAR(r.ridge[3], 100.0 / 20.0, 1e-12);
    /* int8 has twice the peak: its ridge point lies at twice the intensity. */
    qb_rl_result r8;
    CHECK(qb_roofline_analyse(&c, "int8", &gemm, true, &r8) == QB_OK);
    CHECK_NEAR(r8.ridge[3], 2 * r.ridge[3], 1e-12);

    /* ReLU over DRAM sizes: 1 op per 8 bytes at 2.4 GOP/s (19.2 GB/s): DRAM-bound. */
    qb_rl_point relu = {1.6e7, 1.28e8, 1.6e7 / 2.4e9, false};
    CHECK(qb_roofline_analyse(&c, "fp32", &relu, true, &r) == QB_OK);
    CHECK(r.verdict == QB_RL_MEMORY_BOUND && r.bound_level == 3);
    CHECK_NEAR(r.ai, 0.125, 1e-12);
    CHECK_NEAR(r.roof, 2.5, 1e-9);
    CHECK_NEAR(r.efficiency, 0.96, 1e-9);
    CHECK(!r.far_below && !r.above_roof);
    /* The same op with an 800 KB footprint lives in L2, whatever its speed. */
    qb_rl_point relu_l2 = {1e5, 8e5, 1e5 / 10e9, false};
    CHECK(qb_roofline_analyse(&c, "fp32", &relu_l2, true, &r) == QB_OK);
    CHECK(r.verdict == QB_RL_MEMORY_BOUND && r.bound_level == 1 && r.level == 1);
    CHECK_NEAR(r.roof, 12.5, 1e-9);
    CHECK(!r.above_roof && !r.far_below);
    /* The classic roofline holds it to the DRAM roof, which it passes. */
    CHECK(qb_roofline_analyse(&c, "fp32", &relu_l2, false, &r) == QB_OK);
    CHECK(r.above_roof && r.bound_level == 3 && r.level == 3);

    /* The cases a user met: an 8 KiB relu slower than the DRAM roof still lives
     * in L1 and is far below the L1 roof (it was labelled DRAM by its speed). */
    qb_rl_point relu_8k = {2048, 8192, 8192 / 15e9, false};
    CHECK(qb_roofline_analyse(&c, "fp32", &relu_8k, true, &r) == QB_OK);
    CHECK(r.level == 0 && r.bound_level == 0 && r.far_below && !r.above_roof);
    CHECK_NEAR(r.efficiency, 15.0 / 200, 1e-9);
    /* 512 KiB at 96% of the L2 roof: L2, not L3. */
    qb_rl_point relu_512k = {131072, 524288, 524288 / 96e9, false};
    CHECK(qb_roofline_analyse(&c, "fp32", &relu_512k, true, &r) == QB_OK);
    CHECK(r.level == 1 && r.bound_level == 1 && !r.far_below && !r.above_roof);
    CHECK_NEAR(r.efficiency, 0.96, 1e-9);
    /* 128 MiB streaming faster than the DRAM roof: still DRAM, flagged above
     * its roof (it was relabelled L3 and called far below). */
    qb_rl_point relu_128m = {33554432, 134217728, 134217728 / 26e9, false};
    CHECK(qb_roofline_analyse(&c, "fp32", &relu_128m, true, &r) == QB_OK);
    CHECK(r.level == 3 && r.bound_level == 3 && r.above_roof && !r.far_below);
    CHECK_NEAR(r.efficiency, 1.3, 1e-9);
    /* Written with non-temporal stores, it is held to the DRAM ceiling of the
     * same stores and byte count (copy-nt), where one was measured. */
    CHECK(qb_ceilings_set_memory_nt(&c, "DRAM", 28, "copy-nt") == QB_OK);
    CHECK(qb_ceilings_set_memory_nt(&c, "L5", 28, "copy-nt") == QB_EINPUT);
    qb_rl_point relu_nt = {33554432, 134217728, 134217728 / 26e9, true};
    CHECK(qb_roofline_analyse(&c, "fp32", &relu_nt, true, &r) == QB_OK);
    CHECK(r.level == 3 && !r.above_roof && !r.far_below);
    CHECK_NEAR(r.roof, 28.0 / 4, 1e-9);
    CHECK_NEAR(r.efficiency, 26.0 / 28, 1e-9);
    CHECK_NEAR(qb_ceilings_bw(&c, 3, true), 28, 0);
    CHECK_NEAR(qb_ceilings_bw(&c, 3, false), 20, 0);
    CHECK_NEAR(qb_ceilings_bw(&c, 1, true), 100, 0); /* no nt ceiling there: the ordinary one */
    c.memory[3].gbs_nt = 0;

    /* Data movement above the DRAM roof is flagged too, in both modes. */
    qb_rl_point copy_128m = {0, 134217728, 134217728 / 25e9, false};
    CHECK(qb_roofline_analyse(&c, "fp32", &copy_128m, true, &r) == QB_OK);
    CHECK(r.level == 3 && r.above_roof);
    CHECK(qb_roofline_analyse(&c, "fp32", &copy_128m, false, &r) == QB_OK);
    CHECK(r.level == 3 && r.above_roof);

    /* fp16 halves the bytes: the point moves right (higher intensity). */
    qb_rl_point relu16 = {1.6e7, 6.4e7, 1.6e7 / 4.8e9, false};
    CHECK(qb_roofline_analyse(&c, "fp32", &relu16, true, &r) == QB_OK);
    CHECK_NEAR(r.ai, 0.25, 1e-12);

    /* Far below the roof is flagged rather than trusted. */
    qb_rl_point slow = {2e9, 1.2e7, 2e9 / 10e9, false};
    CHECK(qb_roofline_analyse(&c, "fp32", &slow, true, &r) == QB_OK);
    CHECK(r.far_below);

    /* Pure data movement (transpose): memory-bound, efficiency in bytes. */
    qb_rl_point tr = {0, 1.28e8, 1.28e8 / 16e9, false};
    CHECK(qb_roofline_analyse(&c, "fp32", &tr, true, &r) == QB_OK);
    CHECK(r.verdict == QB_RL_MEMORY_BOUND && r.bound_level == 3);
    CHECK_NEAR(r.efficiency, 0.8, 1e-9);

    /* Missing ceilings and bad points are input errors. */
    CHECK(qb_roofline_analyse(&c, "fp64", &gemm, true, &r) == QB_EINPUT);
    qb_rl_point bad = {1, 0, 1, false};
    CHECK(qb_roofline_analyse(&c, "fp32", &bad, true, &r) == QB_EINPUT);
    qb_ceilings empty = {0};
    CHECK(qb_ceilings_set_compute(&empty, "fp32", 1) == QB_OK);
    CHECK(qb_roofline_analyse(&empty, "fp32", &gemm, true, &r) == QB_EINPUT);

    /* The roof of each record is the peak of the instructions its isa names,
     * and the dtype's own when the ceilings lack that peak. */
    {
        static const char *const cases[][3] = {
            {"int8", "avx512vnni", "int8-vnni-zmm"}, {"int8", "avx512vnni-ymm", "int8-vnni"},
            {"int8", "avx2", "int8"},                {"fp32", "avx512f", "fp32-avx512"},
            {"fp16", "avx512f+f16c", "fp32-avx512"}, {"fp32", "avx512", "fp32-avx512"},
            {"fp32", "avx2+fma", "fp32"},            {"fp16", "avx2+fma+f16c", "fp16"},
            {"int8", "avx512f", "fp32-avx512"}, /* int8 summed exactly in float FMAs */
        };
        qb_results res;
        CHECK(qb_results_init(&res) == QB_OK);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            char name[16];
            snprintf(name, sizeof name, "case%zu", i);
            qb_record *rec = qb_results_add(&res, "ops", name);
            CHECK(rec && qb_record_param_str(rec, "dtype", cases[i][0]) == QB_OK &&
                  qb_record_param_str(rec, "isa", cases[i][1]) == QB_OK);
            CHECK(strcmp(qb_roofline_ceiling_dtype(rec), cases[i][2]) == 0);
        }
        qb_record *z = qb_results_add(&res, "ops", "zmm");
        CHECK(z && qb_record_param_str(z, "dtype", "int8") == QB_OK &&
              qb_record_param_str(z, "isa", "avx512vnni") == QB_OK);
        CHECK(strcmp(qb_roofline_roof_dtype(&c, z), "int8") == 0); /* c has no int8-vnni-zmm */
        CHECK(qb_ceilings_set_compute(&c, "int8-vnni-zmm", 800) == QB_OK);
        CHECK(strcmp(qb_roofline_roof_dtype(&c, z), "int8-vnni-zmm") == 0);
        CHECK(qb_roofline_roof_dtype(&empty, z) == NULL);
        qb_results_free(&res);
    }

    /* A compute-bound operator far under its peak while the gemm measured
     * beside it on the same instructions is near it: the note says its shape
     * holds it back, and the record keeps the gemm's efficiency. */
    {
        qb_ceilings cc = {0};
        CHECK(qb_ceilings_set_memory(&cc, "DRAM", 20, "copy") == QB_OK);
        CHECK(qb_ceilings_set_compute(&cc, "int8-vnni-zmm", 800) == QB_OK);
        qb_results in, out;
        CHECK(qb_results_init(&in) == QB_OK && qb_results_init(&out) == QB_OK);
        static const struct {
            const char *op, *shape;
            double gops;
        } pts[] = {{"gemm", "1024,1024,1024", 720}, {"lstm", "32,8,512,512", 400}, {"matmul", "512,512,512", 680}};
        for (size_t i = 0; i < 3; i++) {
            char name[64];
            snprintf(name, sizeof name, "%s/int8/per-tensor/symmetric/t1", pts[i].op);
            qb_record *rec = qb_results_add(&in, "ops", name);
            CHECK(rec && qb_record_param_str(rec, "op", pts[i].op) == QB_OK &&
                  qb_record_param_str(rec, "dtype", "int8") == QB_OK &&
                  qb_record_param_str(rec, "quant", "per-tensor") == QB_OK &&
                  qb_record_param_str(rec, "isa", "avx512vnni") == QB_OK &&
                  qb_record_param_str(rec, "shape", pts[i].shape) == QB_OK &&
                  qb_record_param_str(rec, "shape_keys", "K,E,Y,S") == QB_OK && qb_record_param_num(rec, "threads", 1) == QB_OK &&
                  qb_record_param_num(rec, "empty_call_ns", 1000) == QB_OK);
            CHECK(qb_record_metric(rec, "ops", "op", QB_BETTER_NONE, 2e9) == QB_OK &&
                  qb_record_metric(rec, "bytes", "B", QB_BETTER_NONE, 3e6) == QB_OK &&
                  qb_record_metric(rec, "time", "s", QB_BETTER_LOWER, 2e9 / (pts[i].gops * 1e9)) == QB_OK);
            if (strcmp(pts[i].op, "lstm") == 0) {
                /* its phases timed apart, as qb_cq_phases_record writes them */
                static const char *const names[] = {"input GEMM", "gates"};
                const double ops[] = {1e9, 0};
                double ns[QB_CQ_PHASE_REPS][QB_CQ_PHASE_MAX] = {{3e6, 1e6}, {3.2e6, 0.9e6}, {2.8e6, 1.1e6}};
                CHECK(qb_cq_phases_record(rec->params, 2, names, ops, ns) == QB_OK);
            }
        }
        CHECK(qb_roofline_records(&in, &cc, 1, true, &out) == QB_OK);
        const qb_record *l = qb_results_find(&out, "roofline/lstm/int8/per-tensor/symmetric/t1");
        CHECK(l && fabs(qb_param_num(l, "gemm_efficiency") - 0.9) < 1e-9);
        const char *note = l && cJSON_GetArraySize(l->notes) > 0 ? cJSON_GetArrayItem(l->notes, 0)->valuestring : "";
        CHECK(strstr(note, "the gemm 1024,1024,1024") && strstr(note, "32,8,512,512") && strstr(note, "holds it back"));
        /* medians 3 ms and 1 ms: 75% and 25%, the GEMM at 1e9 op / 3 ms */
        CHECK(strstr(note, "its phases, timed apart: input GEMM 75% of the time at 333 GOP/s, gates 25% of the "
                           "time (no arithmetic counted)"));
        /* 85% of the peak needs no note; the gemm has no twin of itself */
        const qb_record *m = qb_results_find(&out, "roofline/matmul/int8/per-tensor/symmetric/t1");
        const qb_record *g = qb_results_find(&out, "roofline/gemm/int8/per-tensor/symmetric/t1");
        CHECK(m && cJSON_GetArraySize(m->notes) == 0 && g && !isfinite(qb_param_num(g, "gemm_efficiency")));
        qb_results_free(&in);
        qb_results_free(&out);
    }
    /* A level's measured capacity far beyond the size the CPU describes
     * (a disturbed sweep) is not believed: the described size stands in. */
    {
        static const struct {
            double streaming, described, want;
        } cases[] = {{138.0 * (1 << 20), 96.0 * (1 << 20), 96.0 * (1 << 20)},
                     {28.0 * (1 << 20), 96.0 * (1 << 20), 28.0 * (1 << 20)},
                     {100.0 * (1 << 20), 96.0 * (1 << 20), 100.0 * (1 << 20)},
                     {40.0 * (1 << 20), 0, 40.0 * (1 << 20)}};
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
            qb_results res;
            CHECK(qb_results_init(&res) == QB_OK);
            qb_record *mr = qb_results_add(&res, "probe.mem", "probe.mem/read/L3/t1");
            CHECK(mr && qb_record_param_str(mr, "level", "L3") == QB_OK && qb_record_param_str(mr, "kernel", "read") == QB_OK &&
                  qb_record_param_num(mr, "threads", 1) == QB_OK &&
                  qb_record_param_num(mr, "streaming_bytes", cases[i].streaming) == QB_OK &&
                  (cases[i].described <= 0 || qb_record_param_num(mr, "sysfs_bytes", cases[i].described) == QB_OK) &&
                  qb_record_metric(mr, "bandwidth", "GB/s", QB_BETTER_HIGHER, 40) == QB_OK);
            qb_ceilings cm;
            CHECK(qb_ceilings_from_results(&res, 1, &cm) == QB_OK);
            const qb_rl_memory *l3 = qb_ceilings_level(&cm, "L3");
            CHECK(l3 && l3->capacity == cases[i].want);
            qb_results_free(&res);
        }
    }
    TEST_DONE();
}
