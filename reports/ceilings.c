#include "ceilings.h"

#include "defaults.h"
#include "error.h"
#include "suite.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The bytes a level holds for a stream, as probe mem measured it: the
 * streaming capacity, else the random-load one, else the size the cache
 * description gives. A measured figure beyond QB_RL_CAPACITY_SLACK times the
 * described size is not believed (a sweep disturbed by other work on the
 * host placed an L3 of 96 MiB at 138 MiB, and the roofline then called a
 * 128 MiB footprint L3-bound): the next figure is taken. A per-core level
 * holds that much on every thread. */
static double level_capacity(const qb_record *r, int threads)
{
    static const char *const keys[] = {"streaming_bytes", "measured_bytes", "sysfs_bytes"};
    const double described = qb_param_num(r, "sysfs_bytes");
    double bytes = 0;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0] && !(bytes > 0); k++) {
        bytes = qb_param_num(r, keys[k]);
        if (described > 0 && bytes > QB_RL_CAPACITY_SLACK * described) bytes = 0;
    }
    if (!(bytes > 0)) return 0;
    const cJSON *pc = cJSON_GetObjectItemCaseSensitive(r->params, "per_core");
    const char *level = qb_param_str(r, "level");
    /* Files written before the flag: L1 and L2 are per core on every x86 design. */
    const bool per_core = cJSON_IsBool(pc) ? cJSON_IsTrue(pc) : strcmp(level, "L1") == 0 || strcmp(level, "L2") == 0;
    return per_core ? bytes * threads : bytes;
}

/* The kernels that read and write with non-temporal stores, as the operators
 * write a large output (write-nt only writes: no operator does that). */
static bool nt_kernel(const char *kernel)
{
    return strcmp(kernel, "copy-nt") == 0 || strcmp(kernel, "triad-nt") == 0;
}

/* Each level's non-temporal ceiling: the fastest of its -nt kernels. */
static int set_nt_ceilings(const qb_results *res, int threads, qb_ceilings *c)
{
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "probe.mem") != 0 || qb_param_num(r, "threads") != threads) continue;
        const char *level = qb_param_str(r, "level"), *kernel = qb_param_str(r, "kernel");
        const qb_rl_memory *m = level[0] && nt_kernel(kernel) ? qb_ceilings_level(c, level) : NULL;
        const double v = qb_metric_value(r, "bandwidth");
        if (!m || !(v > m->gbs_nt)) continue;
        const int rc = qb_ceilings_set_memory_nt(c, level, v, kernel);
        if (rc) return rc;
    }
    return QB_OK;
}

static int set_capacities(const qb_results *res, int threads, qb_ceilings *c)
{
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "probe.mem") != 0 || qb_param_num(r, "threads") != threads) continue;
        const char *level = qb_param_str(r, "level");
        const qb_rl_memory *m = level[0] ? qb_ceilings_level(c, level) : NULL;
        const double cap = level_capacity(r, threads);
        if (m && cap > 0 && strcmp(level, "DRAM") != 0) {
            const int rc = qb_ceilings_set_capacity(c, level, cap);
            if (rc) return rc;
        }
    }
    return QB_OK;
}

int qb_ceilings_from_results(const qb_results *res, int threads, qb_ceilings *c)
{
    memset(c, 0, sizeof *c);
    c->threads = threads;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (qb_param_num(r, "threads") != threads) continue;
        if (strcmp(r->group, "probe.peak") == 0) {
            const qb_metric *m = qb_record_find_metric(r, "gops");
            if (!m || !qb_param_str(r, "dtype")[0]) continue;
            const qb_rl_compute *old = qb_ceilings_compute(c, qb_param_str(r, "dtype"));
            if (old && old->gops >= m->value) continue;
            const int rc = qb_ceilings_set_compute(c, qb_param_str(r, "dtype"), m->value);
            if (rc) return rc;
        } else if (strcmp(r->group, "probe.mem") == 0) {
            const char *level = qb_param_str(r, "level"), *kernel = qb_param_str(r, "kernel");
            const qb_metric *m = qb_record_find_metric(r, "bandwidth");
            if (!m || !level[0] || strcmp(kernel, "write-nt") == 0 || strcmp(kernel, "latency") == 0 ||
                nt_kernel(kernel))
                continue;
            const qb_rl_memory *old = qb_ceilings_level(c, level);
            if (old && old->gbs >= m->value) continue;
            const int rc = qb_ceilings_set_memory(c, level, m->value, kernel);
            if (rc) return rc;
        }
    }
    int rc = set_nt_ceilings(res, threads, c);
    return rc ? rc : set_capacities(res, threads, c);
}
