/* The memory probe's pieces against known answers: the chase is one cycle
 * through every node, each kernel touches exactly the elements its byte
 * count claims, sizes parse or are refused, and the level logic places and
 * reads levels as documented. */
#include "check.h"
#include "defaults.h"
#include "error.h"
#include "fmt.h"
#include "mem_bw.h"
#include "mem_chase.h"
#include "mem_kernels.h"
#include "mem_levels.h"
#include "mem_ports.h"
#include "mem_sizes.h"
#include "probes.h"
#include "results.h"

#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_chase(size_t nodes, uint64_t seed)
{
    void *mem = aligned_alloc(64, nodes * QB_CHASE_NODE_BYTES);
    void *start = qb_chase_build(mem, nodes, seed);
    CHECK(start != NULL);
    /* Returning to the start after exactly `nodes` steps, never leaving the
     * nodes, means every node was visited once: one cycle covers them all. */
    CHECK(qb_chase_cycle_length(mem, nodes, start, nodes + 1) == nodes);
    /* From any node, too. */
    void *mid = (char *)mem + (nodes / 2) * QB_CHASE_NODE_BYTES;
    CHECK(qb_chase_cycle_length(mem, nodes, mid, nodes + 1) == nodes);
    if (nodes % 16 == 0) CHECK(qb_chase_run(start, nodes) == start);
    /* Random, not the address order: few nodes point at their neighbour. */
    if (nodes >= 1000) {
        size_t adjacent = 0;
        for (size_t i = 0; i + 1 < nodes; i++)
            adjacent += *(void **)((char *)mem + i * QB_CHASE_NODE_BYTES) ==
                        (void *)((char *)mem + (i + 1) * QB_CHASE_NODE_BYTES);
        CHECK(adjacent < nodes / 100);
    }
    free(mem);
}

/* Run one kernel on arrays with NaN guards around them and check it used
 * exactly n elements of each array. */
static void check_kernel(const qb_mem_kernel *k)
{
    enum { N = 3 * QB_MEM_BLOCK_FLOATS, GUARD = 64 };
    float *buf[3];
    for (int j = 0; j < 3; j++) {
        buf[j] = aligned_alloc(64, (N + 2 * GUARD) * sizeof(float));
        for (int i = 0; i < N + 2 * GUARD; i++) buf[j][i] = NAN;
        for (int i = 0; i < N; i++) buf[j][GUARD + i] = j == 0 ? 1.0f : j == 1 ? 2.0f : 0.25f;
    }
    qb_mem_arrays a = {.n = N, .scalar = 0.5f};
    if (k->reads >= 1) a.src0 = buf[0] + GUARD;
    if (k->reads >= 2) a.src1 = buf[1] + GUARD;
    if (k->writes) a.dst = buf[2] + GUARD;
    k->run(&a, 2);
    if (strcmp(k->name, "read") == 0) {
        CHECK_NEAR(a.sum, 2.0 * N, 0); /* a NaN guard read would make it NaN */
    } else if (k->writes) {
        bool ok = true;
        for (int i = 0; i < N; i++) {
            /* copy-nt and triad-nt compute what copy and triad do */
            const float want = strncmp(k->name, "copy", 4) == 0    ? 1.0f
                               : strncmp(k->name, "triad", 5) == 0 ? 1.0f + 0.5f * 2.0f
                                                                   : 0.5f;
            ok &= buf[2][GUARD + i] == want;
        }
        CHECK(ok);
        for (int i = 0; i < GUARD; i++) {
            CHECK(isnan(buf[2][i]));
            CHECK(isnan(buf[2][GUARD + N + i]));
        }
    }
    /* STREAM counting: each array once per pass, no write-allocate. */
    CHECK_NEAR(qb_mem_kernel_bytes(k, N), (double)(k->reads + k->writes) * N * sizeof(float), 0);
    for (int j = 0; j < 3; j++) free(buf[j]);
}

static void check_bw_set(int threads)
{
    const size_t ws = 96 * 1024;
    qb_bw_set s;
    CHECK(qb_bw_set_alloc(&s, ws, threads) == QB_OK);
    for (int ki = 0; ki < qb_mem_kernel_count; ki++) {
        const qb_mem_kernel *k = &qb_mem_kernels[ki];
        const double bytes = qb_bw_bytes_per_pass(&s, k);
        /* Whole blocks per thread and array: the counted bytes are the working set rounded down. */
        CHECK(bytes <= (double)ws);
        CHECK(bytes > (double)ws - (double)threads * qb_mem_kernel_arrays(k) * QB_MEM_BLOCK_BYTES);
        double sum = 0;
        for (int t = 0; t < threads; t++) {
            qb_mem_arrays a;
            qb_bw_arrays(&s, k, t, &a);
            const float *arr[3] = {a.src0, a.src1, a.dst};
            const char *slot = (const char *)s.map.base + s.slot * (size_t)t;
            for (int j = 0; j < 3; j++) {
                if (!arr[j]) continue;
                sum += (double)a.n * sizeof(float);
                /* Inside its owner's slot, 32-byte aligned. */
                CHECK((const char *)arr[j] >= slot && (const char *)(arr[j] + a.n) <= slot + s.slot);
                CHECK(((uintptr_t)arr[j] & 31) == 0);
                for (int i = j + 1; i < 3; i++) {
                    if (!arr[i]) continue;
                    /* Disjoint, and not at the same offset within a 4 KiB page. */
                    CHECK(arr[j] + a.n <= arr[i] || arr[i] + a.n <= arr[j]);
                    CHECK(((uintptr_t)arr[j] & 4095) != ((uintptr_t)arr[i] & 4095));
                }
            }
        }
        CHECK_NEAR(sum, bytes, 0);
    }
    CHECK(s.pages != NULL);
    qb_bw_set_free(&s);
}

static void check_sizes(void)
{
    size_t v;
    CHECK(qb_mem_parse_size("t", "16K", &v) == QB_OK && v == 16384);
    CHECK(qb_mem_parse_size("t", "256kb", &v) == QB_OK && v == 262144);
    CHECK(qb_mem_parse_size("t", "8MiB", &v) == QB_OK && v == 8u << 20);
    CHECK(qb_mem_parse_size("t", "1G", &v) == QB_OK && v == 1u << 30);
    CHECK(qb_mem_parse_size("t", "4096", &v) == QB_OK && v == 4096);
    const char *bad[] = {"", "abc", "16X", "16KX", "-1", "+4K", "1K", "4095", "99999999999999999999G", "1.5M"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(qb_mem_parse_size("t", bad[i], &v) == QB_EUSAGE);
        CHECK(strstr(qb_last_error(QB_EUSAGE), bad[i]) != NULL);
    }
    size_t list[8];
    int n = 0;
    CHECK(qb_mem_parse_sizes("t", "8M,16K,16K,1G", list, 8, &n) == QB_OK);
    CHECK(n == 3 && list[0] == 16384 && list[1] == 8u << 20 && list[2] == 1u << 30);
    CHECK(qb_mem_parse_sizes("t", "16K,,8M", list, 8, &n) == QB_EUSAGE);
    CHECK(qb_mem_parse_sizes("t", "16K,zz", list, 8, &n) == QB_EUSAGE);
    /* Sizes print as they parse; a missing size prints as "-". */
    char b[32];
    qb_fmt_bytes(b, sizeof b, 16384);
    CHECK(strcmp(b, "16K") == 0);
    qb_fmt_bytes(b, sizeof b, 5888);
    CHECK(strcmp(b, "5.75K") == 0);
    qb_fmt_bytes(b, sizeof b, 512);
    CHECK(strcmp(b, "512B") == 0);
    qb_fmt_bytes(b, sizeof b, 0);
    CHECK(strcmp(b, "-") == 0);

    CHECK(qb_mem_round_size(5792.6) == 5888); /* 4K * 2^0.5, five significant bits */
    CHECK(qb_mem_round_size(65536) == 65536);
    size_t sw[64];
    const size_t extra[] = {16384, 3 << 20, 1u << 30 /* outside: dropped */};
    const int k = qb_mem_sweep(4096, 128u << 20, 2, extra, 3, sw, 64);
    CHECK(k == 31 + 1); /* 15 octaves at 2 per octave, both ends, 3M added, 16K already there */
    CHECK(sw[0] == 4096 && sw[k - 1] == 128u << 20);
    bool has3m = false;
    for (int i = 1; i < k; i++) {
        CHECK(sw[i] > sw[i - 1]);
        has3m |= sw[i] == 3u << 20;
    }
    CHECK(has3m);
}

static void check_levels(void)
{
    /* A staircase: 1 ns to 32K, 4 ns to 1M, 15 ns to 5M, 150 ns beyond. */
    qb_mem_point p[] = {{4096, 1}, {16384, 1}, {32768, 1.1}, {65536, 4}, {262144, 4},
                        {1 << 20, 9}, {2 << 20, 15}, {4 << 20, 16}, {8 << 20, 140}, {64 << 20, 150}};
    const int n = (int)(sizeof p / sizeof p[0]);
    CHECK_NEAR(qb_mem_plateau(p, n, 0, 32768), 1, 0);
    CHECK_NEAR(qb_mem_plateau(p, n, 65536, 1 << 20), 4, 0);
    CHECK(isnan(qb_mem_plateau(p, n, 100, 200)));
    double a, b;
    CHECK(qb_mem_bracket(p, n, 2 << 20, sqrt(15.0 * 150.0), &a, &b));
    CHECK(a == 4 << 20 && b == 8 << 20);
    CHECK(!qb_mem_bracket(p, n, 0, 1000, &a, &b));
    /* Halfway on a log scale from 15 to 150 ns: 47.4 ns, between 16 (4M) and 140 (8M). */
    const double thr = sqrt(15.0 * 150.0);
    const double f = (thr - 16) / (140 - 16);
    CHECK_NEAR(qb_mem_crossing(p, n, 2 << 20, thr), (4 << 20) * pow(2.0, f), 1);
    CHECK(isnan(qb_mem_crossing(p, n, 0, 1000)));

    qb_mem_level lv[4] = {{"L1", 32768, 0, 0, true}, {"L2", 1 << 20, 0, 0, true},
                          {"L3", 32 << 20, 0, 0, false}, {"DRAM", 0, 0, 0, false}};
    CHECK(qb_mem_level_point(lv, 4, 0, 1, 128 << 20, false) == 16384);
    CHECK(qb_mem_level_point(lv, 4, 0, 2, 128 << 20, false) == 32768);
    CHECK(qb_mem_level_point(lv, 4, 1, 1, 128 << 20, false) == 262144);
    CHECK(qb_mem_level_point(lv, 4, 1, 2, 128 << 20, false) == 524288);
    CHECK(qb_mem_level_point(lv, 4, 3, 2, 128 << 20, false) == 128u << 20);
    /* Shared L3: between the range start past L1 + L2 and its capacity, sysfs's until measured. */
    const double above = 32768.0 + (1 << 20);
    CHECK(qb_mem_level_point(lv, 4, 2, 1, 128 << 20, false) == qb_mem_round_size(sqrt(QB_MEM_RANGE_START * above * (32 << 20))));
    lv[2].measured_bytes = 5 << 20;
    CHECK(qb_mem_level_point(lv, 4, 2, 1, 128 << 20, false) == qb_mem_round_size(sqrt(QB_MEM_RANGE_START * above * (5 << 20))));
    /* Bandwidth points go by the streaming capacity, sysfs's until it is measured. */
    CHECK(qb_mem_level_point(lv, 4, 2, 1, 128 << 20, true) == qb_mem_round_size(sqrt(QB_MEM_RANGE_START * above * (32 << 20))));
    lv[2].streaming_bytes = 24 << 20;
    CHECK(qb_mem_level_point(lv, 4, 2, 2, 128 << 20, true) == qb_mem_round_size(sqrt(2 * QB_MEM_RANGE_START * above * (24 << 20))));
    lv[2].measured_bytes = 1.5 * (1 << 20); /* no bigger than the range start: read at the range start */
    CHECK(qb_mem_level_point(lv, 4, 2, 1, 128 << 20, false) == qb_mem_round_size(QB_MEM_RANGE_START * above));
    /* Where each level starts serving: past what the levels above hold on these threads. */
    CHECK(qb_mem_level_floor(lv, 4, 0, 2, 128 << 20) == 0);
    CHECK(qb_mem_level_floor(lv, 4, 1, 2, 128 << 20) == QB_MEM_RANGE_START * 2 * 32768);
    CHECK(qb_mem_level_floor(lv, 4, 2, 2, 128 << 20) == QB_MEM_RANGE_START * 2 * above);
    CHECK(qb_mem_level_floor(lv, 4, 3, 1, 128 << 20) == 128 << 20);
    /* A per-core level scales with threads; a shared one need not. */
    CHECK(qb_mem_level_scales(&lv[0], 470, 236, 2));
    CHECK(qb_mem_level_scales(&lv[0], QB_MEM_SCALE_MIN * 2 * 236, 236, 2));
    CHECK(!qb_mem_level_scales(&lv[0], 236, 236, 2)); /* two vCPUs on one core */
    CHECK(!qb_mem_level_scales(&lv[1], 300, 118, 4));
    CHECK(qb_mem_level_scales(&lv[2], 100, 100, 2));
    CHECK(qb_mem_level_scales(&lv[0], 100, 236, 1));
    CHECK(qb_mem_level_scales(&lv[0], 100, NAN, 2)); /* no one-thread figure to hold it to */
    double lo, hi;
    qb_mem_plateau_range(lv, 4, 2, 128 << 20, &lo, &hi);
    CHECK(lo == QB_MEM_RANGE_START * (1 << 20) && hi == 32 << 20);
    qb_mem_plateau_range(lv, 4, 3, 128 << 20, &lo, &hi);
    CHECK(lo == 128 << 20 && hi == 128 << 20);
}

/* L1 ceilings from the ports: Zen 3 loads two 32-byte vectors and stores one
 * per cycle, so read 64, write 32, copy 64 (store-bound), triad 96 (store-bound). */
static void check_ports(void)
{
    const qb_mem_ports z3 = qb_mem_ports_of("zen3");
    CHECK(z3.loads == 2 && z3.stores == 1);
    CHECK(qb_mem_port_ceiling(&z3, qb_mem_kernel_find("read")) == 64);
    CHECK(qb_mem_port_ceiling(&z3, qb_mem_kernel_find("write")) == 32);
    CHECK(qb_mem_port_ceiling(&z3, qb_mem_kernel_find("copy")) == 64);
    CHECK(qb_mem_port_ceiling(&z3, qb_mem_kernel_find("triad")) == 96);
    CHECK(qb_mem_port_ceiling(&z3, qb_mem_kernel_find("write-nt")) == 0);
    const qb_mem_ports un = qb_mem_ports_of("unknown");
    CHECK(qb_mem_port_ceiling(&un, qb_mem_kernel_find("read")) == 0);
    CHECK(qb_mem_ports_of(NULL).loads == 0);
    /* flagged below 90% of the ceiling, never without one */
    CHECK(qb_mem_port_short(54.4, 64));
    CHECK(!qb_mem_port_short(58, 64));
    CHECK(!qb_mem_port_short(65.8, 64));
    CHECK(!qb_mem_port_short(1, 0));
}

int main(void)
{
    const size_t nodes[] = {2, 3, 16, 1000, 4096, 65536};
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        check_chase(nodes[i], 1);
        check_chase(nodes[i], 12345);
    }
    for (int i = 0; i < qb_mem_kernel_count; i++) check_kernel(&qb_mem_kernels[i]);
    CHECK(qb_mem_kernel_find("triad") == &qb_mem_kernels[4]);
    CHECK(qb_mem_kernel_find("nope") == NULL);
    for (int i = 0; i < qb_mem_kernel_count; i++) /* only the non-temporal stores skip the caches */
        CHECK(qb_mem_kernels[i].bypasses_cache == (strstr(qb_mem_kernels[i].name, "-nt") != NULL));
    check_bw_set(1);
    check_bw_set(2);
    check_sizes();
    check_levels();
    check_ports();
    /* bytes_per_cycle of a pooled document rewritten at one clock, and the
     * document's clock set to it; other groups are left alone. */
    qb_results doc;
    CHECK(qb_results_init(&doc) == QB_OK);
    cJSON_AddNumberToObject(doc.machine, "core_ghz", 3.5);
    qb_record *m2 = qb_results_add(&doc, "probe.mem", "level/L1/read/t2");
    qb_record *other = qb_results_add(&doc, "ops", "x/t2");
    const double gbs[] = {400, 480};
    for (int i = 0; i < 2; i++) {
        qb_record *r = i ? other : m2;
        CHECK(r && qb_record_param_num(r, "threads", 2) == QB_OK);
        CHECK(qb_record_metric_samples(r, "bandwidth", "GB/s", QB_BETTER_HIGHER, gbs, 2) == QB_OK);
        CHECK(qb_record_metric(r, "bytes_per_cycle", "bytes/cycle/core", QB_BETTER_HIGHER, 1) == QB_OK);
    }
    CHECK(qb_mem_per_cycle_at(&doc, 4.0) == QB_OK);
    CHECK_NEAR(qb_metric_value(m2, "bytes_per_cycle"), 440.0 / 8, 1e-9);
    CHECK_NEAR(qb_record_find_metric(m2, "bytes_per_cycle")->samples[1], 60, 1e-9);
    CHECK_NEAR(qb_metric_value(other, "bytes_per_cycle"), 1, 0);
    CHECK_NEAR(cJSON_GetObjectItem(doc.machine, "core_ghz")->valuedouble, 4.0, 0);
    CHECK(qb_mem_per_cycle_at(&doc, 0) == QB_EINTERNAL);
    qb_results_free(&doc);
    TEST_DONE();
}
