/* qbench probe storage: what the disk behind a folder does for reads that
 * bypass the page cache: random 4 KiB latency one at a time, random 4 KiB
 * reads 32 deep, and sequential bandwidth. */
#include "cli.h"
#include "commands.h"
#include "defaults.h"
#include "error.h"
#include "fmt.h"
#include "mem_sizes.h"
#include "output.h"
#include "probes.h"
#include "suite.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void print_storage(const qb_results *res)
{
    const qb_record *any = NULL;
    for (size_t i = 0; i < res->n && !any; i++)
        if (strcmp(res->recs[i].group, "probe.storage") == 0) any = &res->recs[i];
    if (any) {
        const cJSON *rot = cJSON_GetObjectItem(any->params, "rotational");
        printf("qbench probe storage: %s on %s (disk %s, %s, %s), %.0f MiB test file, O_DIRECT\n\n",
               qb_param_str(any, "path"), qb_param_str(any, "device"), qb_param_str(any, "disk"),
               cJSON_IsBool(rot) ? (cJSON_IsTrue(rot) ? "rotational" : "not rotational")
                                 : "rotational unknown",
               qb_param_str(any, "fs_type"), qb_param_num(any, "size_bytes") / 1048576);
    }
    static const char *const head[] = {"reads", "depth", "engine", "p50 us", "p99 us", "mean us",
                                       "IOPS", "MB/s"};
    qb_table t;
    qb_table_init(&t, 8, head);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "probe.storage") != 0) continue;
        char c[6][32];
        qb_fmt_num(c[0], sizeof c[0], qb_metric_value(r, "latency"), "%.1f");
        qb_fmt_num(c[1], sizeof c[1], qb_metric_value(r, "latency_p99"), "%.1f");
        qb_fmt_num(c[2], sizeof c[2], qb_metric_value(r, "latency_mean"), "%.1f");
        qb_fmt_num(c[3], sizeof c[3], qb_metric_value(r, "iops"), "%.0f");
        double mbs = qb_metric_value(r, "bandwidth");
        if (isnan(mbs)) mbs = qb_metric_value(r, "iops") * qb_param_num(r, "block_bytes") * 1e-6;
        qb_fmt_num(c[4], sizeof c[4], mbs, "%.0f");
        const double block = qb_param_num(r, "block_bytes");
        snprintf(c[5], sizeof c[5], "%s %s", strstr(r->id, "seq") ? "sequential" : "random",
                 block >= 1048576 ? "1 MiB" : "4 KiB");
        char qd[16];
        snprintf(qd, sizeof qd, "%.0f", qb_param_num(r, "queue_depth"));
        qb_table_rowf(&t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", c[5], qd, qb_param_str(r, "engine"),
                      c[0], c[1], c[2], c[3], c[4]);
    }
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    printf("\nLatency: percentiles of every timed read. IOPS and MB/s (1e6 bytes/s): reads and\n"
           "bytes over the time of every trial, the sustained rate.\n"
           "Compare with fio --direct=1 on the same folder (psync at depth 1, io_uring at 32).\n\n");
    qb_print_notes(res);
}

typedef struct {
    const char *path, *size_s, *reads;
    qb_storage_opts o;
} storage_args;

static int check_storage(const qb_run_opts *ro, qb_rep_policy *pol, void *ctx)
{
    storage_args *a = ctx;
    qb_storage_opts_init(&a->o, ro->quick);
    if (!a->path || !a->path[0])
        return qb_fail(QB_EUSAGE, "qbench probe storage: --path DIR is required (a folder on the "
                                  "disk to measure)");
    a->o.path = a->path;
    const char *size_s = a->size_s ? a->size_s
                                   : ro->quick ? QB_STORAGE_QUICK_SIZE : QB_STORAGE_SIZE_DEFAULT;
    int rc = qb_mem_parse_size("qbench probe storage --size", size_s, &a->o.size);
    if (rc) return rc;
    if (a->reads && (rc = qb_storage_parse_reads(&a->o, a->reads)) != QB_OK) return rc;
    if (a->o.size % (1u << 20) != 0 || a->o.size < (4u << 20))
        return qb_fail(QB_EUSAGE, "qbench probe storage --size: '%s' must be a whole number of "
                                  "MiB, at least 4M", size_s);
    /* Disk trials are long next to a CPU kernel's: a budget of their own
     * unless --budget asks for another. */
    if (ro->budget < 0) pol->budget_s = ro->quick ? QB_STORAGE_QUICK_BUDGET_S : QB_STORAGE_BUDGET_S_DEFAULT;
    return qb_storage_check(&a->o);
}

static int measure_storage(qb_results *res, const qb_rep_policy *pol, void *ctx)
{
    const storage_args *a = ctx;
    return qb_probe_storage_measure(res, &a->o, pol);
}

int qb_cmd_probe_storage(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    storage_args a = {0};
    const qb_opt opts[] = {
        {"path", 0, QB_OPT_STRING, &a.path, "DIR", "folder on the disk to measure (required)", 0, 0},
        {"size", 0, QB_OPT_STRING, &a.size_s, "SIZE",
         "test file size, whole MiB (default " QB_STORAGE_SIZE_DEFAULT ", " QB_STORAGE_QUICK_SIZE
         " with --quick)", 0, 0},
        {"reads", 0, QB_OPT_STRING, &a.reads, "LIST",
         "the benchmarks to run: qd1, qd32, seq (default all three)", 0, 0},
        QB_POLICY_OPTS(ro),
        QB_OUTPUT_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "probe storage",
        .summary = "Disk read latency, IOPS and bandwidth with O_DIRECT (page cache bypassed).",
        .details =
            "Writes a test file of non-zero data in DIR with O_DIRECT (named\n"
            ".qbench-storage-PID.tmp and unlinked as soon as it is open, so nothing is left\n"
            "behind), then in interleaved rounds:\n"
            "  random 4 KiB preads at queue depth 1: latency p50, p99 and mean (us);\n"
            "  random 4 KiB reads at queue depth 32 through io_uring: IOPS and MB/s\n"
            "    (reported unavailable, with the reason, without io_uring);\n"
            "  sequential 1 MiB preads: MB/s (1e6 bytes/s).\n"
            "Offsets come from a seeded random stream. Each trial reads for 50 ms (20 with\n"
            "--quick); the budget per benchmark and round is 2 s (0.3 with --quick).\n"
            "Latency is the median of every timed read; IOPS and MB/s are the reads and\n"
            "bytes over the time of every trial of every round (the sustained rate, as\n"
            "fio reports it), not the best round's median: a disk's pace moves both ways,\n"
            "and a rate-limited one can stall for part of every 100 ms or so.\n"
            "The records name the block device behind DIR, whether it is rotational and\n"
            "the file system. tmpfs (no O_DIRECT), read-only folders and a size above the\n"
            "free space are refused.",
        .examples = "  qbench probe storage --path /var/tmp --quick\n"
                    "  qbench probe storage --path /var/tmp --quick --reads qd32\n"
                    "  qbench probe storage --path /data --size 4G -o storage.json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    return qb_cmd_parse_measure(&spec, argc, argv, &ro, check_storage, measure_storage, &a,
                                print_storage);
}
