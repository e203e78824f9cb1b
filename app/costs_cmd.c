/* qbench costs: the two cost tables of a CPU-architecture primer, what one
 * step of executing an instruction costs and what the system's slow
 * operations cost, each row with the primer's textbook figure, this
 * machine's measured figure in core cycles and in ns, and the record it was
 * taken from. The probes it needs run first, quickly, into the same
 * document; every row becomes a costs/<row> record. */
#include "commands.h"
#include "defaults.h"
#include "error.h"
#include "fmt.h"
#include "mem_sizes.h"
#include "output.h"
#include "probes.h"
#include "suite.h"
#include "sysinfo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* How a row's cycles come from its source metric. */
typedef enum {
    FROM_CYCLES,   /* the metric is in cycles */
    FROM_NS,       /* the metric is in ns */
    FROM_US,       /* the metric is in microseconds */
    FROM_PER_CYCLE /* the metric is a throughput per cycle: 1 / it */
} cost_from;

typedef struct {
    const char *table;   /* "instruction" or "system" */
    const char *name;    /* the row's record name */
    const char *what;    /* the row, as printed */
    const char *primer;  /* the textbook figure */
    const char *source;  /* the record it is read from; "%L" and "%D": the L1 and memory sizes */
    const char *metric;
    cost_from from;
} cost_row;

static const cost_row rows[] = {
    {"instruction", "fetch-cache", "fetch or load, from the L1 cache", "1 cycle", "probe.mem/latency/%L",
     "latency_cycles", FROM_CYCLES},
    {"instruction", "fetch-memory", "fetch or load, from main memory", "100 cycles", "probe.mem/latency/%D",
     "latency_cycles", FROM_CYCLES},
    {"instruction", "decode-decoders", "decode, through the legacy decoders (per instruction)", "> 1 cycle",
     "probe.inst/add-r64-decoders", "throughput", FROM_PER_CYCLE},
    {"instruction", "decode-opcache", "decode, from the micro-op cache (per instruction)", "> 1 cycle",
     "probe.inst/add-r64", "throughput", FROM_PER_CYCLE},
    {"instruction", "execute-add", "execute: integer add (latency)", "1-5 cycles", "probe.inst/add-r64", "latency",
     FROM_CYCLES},
    {"instruction", "execute-imul", "execute: integer multiply (latency)", "1-5 cycles", "probe.inst/imul-r64",
     "latency", FROM_CYCLES},
    {"instruction", "execute-fma", "execute: fp32 fused multiply-add (latency)", "1-5 cycles",
     "probe.inst/vfmadd231ps-ymm", "latency", FROM_CYCLES},
    {"instruction", "execute-div", "execute: fp32 divide (latency)", "1-5 cycles", "probe.inst/divss", "latency",
     FROM_CYCLES},
    {"instruction", "writeback-cache", "write back to the cache and read again (store-to-load)", "1 cycle",
     "probe.inst/store-reload", "latency", FROM_CYCLES},
    {"instruction", "writeback-memory", "write back to main memory: one 64 B line of a non-temporal stream",
     "100 cycles", "probe.mem/write-nt/t1/%D", "bandwidth", FROM_NS},
    {"system", "process-switch-rebuild", "process switch, 256 KiB working set rebuilt in the cache",
     "1000+ cycles", "probe.ctx/process/same-cpu/ws262144", "latency_cycles", FROM_CYCLES},
    {"system", "process-switch", "process switch, no working set", "20 ms time slice",
     "probe.ctx/process/same-cpu/ws0", "latency_cycles", FROM_CYCLES},
    {"system", "thread-switch", "thread switch (registers)", "10-100 cycles", "probe.ctx/thread/same-cpu",
     "latency_cycles", FROM_CYCLES},
    {"system", "syscall", "system call (getppid)", "-", "probe.ctx/syscall", "latency_cycles", FROM_CYCLES},
    {"system", "python-add", "Python addition (small ints)", "100-1000 cycles", "probe.interp/add-int",
     "add_cycles", FROM_CYCLES},
    {"system", "ssd-read", "SSD random 4 KiB read (queue depth 1, median)", "0.002 ms",
     "probe.storage/randread/qd1", "latency", FROM_US},
    {"system", "disk-read", "spinning disk random 4 KiB read (queue depth 1, median)", "4 ms (seek)",
     "probe.storage/randread/qd1", "latency", FROM_US},
};
#define NROWS ((int)(sizeof rows / sizeof rows[0]))

typedef struct {
    size_t l1_bytes, mem_bytes; /* the working sets of the two latency points */
    const char *path;           /* the folder whose disk the storage rows read */
    char storage_why[200];      /* why the storage rows are empty, or "" */
} costs_args;

static void source_id(const cost_row *r, const costs_args *a, char *buf, size_t len)
{
    const char *mark = strchr(r->source, '%');
    if (!mark) {
        snprintf(buf, len, "%s", r->source);
        return;
    }
    snprintf(buf, len, "%.*s%zu", (int)(mark - r->source), r->source, mark[1] == 'L' ? a->l1_bytes : a->mem_bytes);
}

/* A row's cycles from its source record, or NAN with the reason. */
static double row_cycles(const cost_row *r, const qb_record *src, const costs_args *a, double ghz, char *why,
                         size_t len)
{
    if (!src) {
        const bool interp = strncmp(r->source, "probe.interp", 12) == 0;
        const bool storage = strncmp(r->source, "probe.storage", 13) == 0;
        snprintf(why, len, "not measured%s%s",
                 interp && !qb_probe_interp_available() ? ": qbench was built without libpython"
                 : storage && a->storage_why[0]         ? ": "
                                                        : "",
                 storage ? a->storage_why : "");
        return NAN;
    }
    const double v = qb_metric_value(src, r->metric);
    if (!isfinite(v) || v <= 0) {
        snprintf(why, len, "no %s in the record", r->metric);
        return NAN;
    }
    switch (r->from) {
    case FROM_CYCLES: return v;
    case FROM_NS: return 64.0 / v * ghz; /* 64 bytes at v GB/s take 64 / v ns */
    case FROM_US: return v * 1e3 * ghz;
    case FROM_PER_CYCLE: return 1.0 / v;
    }
    return NAN;
}

/* The storage rows speak of one kind of device each: the other says so. A
 * device is a spinning disk when the kernel marks it rotational and its
 * median read takes a seek's time; virtual disks are often marked
 * rotational whatever backs them. */
static bool device_fits(const cost_row *r, const qb_record *src, char *why, size_t len)
{
    if (!src || (strcmp(r->name, "ssd-read") && strcmp(r->name, "disk-read"))) return true;
    const bool marked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(src->params, "rotational"));
    const double us = qb_metric_value(src, "latency");
    const bool spinning = marked && us >= QB_COSTS_SEEK_MIN_US;
    const bool want = strcmp(r->name, "disk-read") == 0;
    if (spinning == want) return true;
    if (marked && !spinning)
        snprintf(why, len, "the kernel marks %s rotational, but its %.0f us median read is no seek: measured as an SSD",
                 qb_param_str(src, "disk"), us);
    else
        snprintf(why, len, "the measured device (%s) is %s", qb_param_str(src, "disk"),
                 spinning ? "a spinning disk" : "not a spinning disk");
    return false;
}

static int add_rows(qb_results *res, const costs_args *a)
{
    const double ghz = cJSON_GetNumberValue(cJSON_GetObjectItem(res->machine, "core_ghz"));
    for (int i = 0; i < NROWS; i++) {
        const cost_row *r = &rows[i];
        char id[128], why[320] = "";
        source_id(r, a, id, sizeof id);
        const qb_record *src = qb_results_find(res, id);
        double cycles = device_fits(r, src, why, sizeof why) ? row_cycles(r, src, a, ghz, why, sizeof why) : NAN;
        char name[64];
        snprintf(name, sizeof name, "%s/%s", r->table, r->name);
        qb_record *o = qb_results_add(res, "costs", name);
        if (!o) return qb_fail(QB_ENOMEM, "out of memory");
        int rc = qb_record_param_str(o, "table", r->table);
        if (!rc) rc = qb_record_param_str(o, "what", r->what);
        if (!rc) rc = qb_record_param_str(o, "primer", r->primer);
        if (!rc) rc = qb_record_param_str(o, "source", id);
        if (!rc) rc = qb_record_param_str(o, "source_metric", r->metric);
        if (!rc && isfinite(cycles)) {
            rc = qb_record_metric(o, "cycles", "cycles", QB_BETTER_LOWER, cycles);
            if (!rc) rc = qb_record_metric(o, "time", "ns", QB_BETTER_LOWER, cycles / ghz);
        } else if (!rc) {
            rc = qb_record_param_str(o, "missing", why);
        }
        if (rc) return rc;
    }
    return QB_OK;
}

static int measure_costs(qb_results *res, const qb_rep_policy *pol, void *ctx)
{
    costs_args *a = ctx;
    int rc = qb_probe_inst_measure(res, "add-r64,add-r64-decoders,imul-r64,vfmadd231ps-ymm,divss,store-reload", -1,
                                   pol);
    if (rc == QB_OK) {
        const size_t sizes[2] = {a->l1_bytes, a->mem_bytes};
        const int one = 1;
        qb_mem_opts mo;
        qb_mem_opts_init(&mo, true);
        mo.kernels = "latency,write-nt";
        mo.sizes = sizes;
        mo.nsizes = 2;
        mo.threads = &one;
        mo.nthreads = 1;
        rc = qb_probe_mem_measure(res, &mo, pol);
    }
    if (rc == QB_OK) {
        const size_t ws[2] = {0, 256 << 10};
        qb_ctx_opts co;
        qb_ctx_opts_init(&co, true);
        co.kinds = "syscall,thread,process";
        co.placements = "same-cpu";
        co.ws = ws;
        co.nws = 2;
        rc = qb_probe_ctx_measure(res, &co, pol);
    }
    if (rc == QB_OK && qb_probe_interp_available()) {
        qb_interp_opts io;
        qb_interp_opts_init(&io, true);
        rc = qb_probe_interp_measure(res, &io, pol);
    }
    if (rc == QB_OK) {
        /* a folder the storage probe refuses (tmpfs, read-only) leaves its
         * rows empty with the reason, and the rest of the tables stand */
        qb_storage_opts so;
        qb_storage_opts_init(&so, true);
        so.path = a->path;
        so.size = QB_COSTS_STORAGE_BYTES;
        if (qb_storage_check(&so) != QB_OK) {
            snprintf(a->storage_why, sizeof a->storage_why, "%s", qb_last_error(QB_EUSAGE));
            qb_clear_error();
        } else {
            rc = qb_probe_storage_measure(res, &so, pol);
        }
    }
    if (rc == QB_OK || rc == QB_EINTR) {
        const int rrc = add_rows(res, a);
        if (rrc) return rrc;
    }
    return rc;
}

static void print_table(const qb_results *res, const char *table, const char *title)
{
    static const char *const head[] = {"step", "primer", "cycles", "ns", "measured by"};
    qb_table t;
    qb_table_init(&t, 5, head);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "costs") != 0 || strcmp(qb_param_str(r, "table"), table) != 0) continue;
        char cyc[32], ns[32], src[160];
        qb_fmt_num(cyc, sizeof cyc, qb_metric_value(r, "cycles"), "%.3g");
        qb_fmt_num(ns, sizeof ns, qb_metric_value(r, "time"), "%.3g");
        if (qb_param_str(r, "missing")[0])
            snprintf(src, sizeof src, "%s: %s", qb_param_str(r, "source"), qb_param_str(r, "missing"));
        else
            snprintf(src, sizeof src, "%s %s", qb_param_str(r, "source"), qb_param_str(r, "source_metric"));
        qb_table_rowf(&t, "%s\t%s\t%s\t%s\t%s", qb_param_str(r, "what"), qb_param_str(r, "primer"), cyc, ns, src);
    }
    printf("%s\n\n", title);
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    printf("\n");
}

static void print_costs(const qb_results *res)
{
    printf("core clock %.3f GHz (calibrated); 'primer' is the textbook figure, the rest measured here\n\n",
           cJSON_GetNumberValue(cJSON_GetObjectItem(res->machine, "core_ghz")));
    print_table(res, "instruction", "What one step of executing an instruction costs");
    print_table(res, "system", "What the system's slow operations cost");
    qb_print_notes(res);
}

int qb_cmd_costs(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    costs_args a = {0};
    a.path = ".";
    const qb_opt opts[] = {
        {"path", 0, QB_OPT_STRING, &a.path, "DIR",
         "a folder on the disk the storage rows read (default: the current folder)", 0, 0},
        QB_POLICY_OPTS(ro),
        QB_OUTPUT_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "costs",
        .summary = "What each step of an instruction and each slow system operation costs here, in cycles and ns.",
        .details = "Runs the probes the two tables need (instruction latencies and decode, load\n"
                   "latency from the L1 and from memory, a non-temporal store, syscall, thread and\n"
                   "process switches, an interpreted addition, a disk's random reads), then fills\n"
                   "each row with its textbook figure, the measured\n"
                   "cycles and ns, and the record it came from (costs/<table>/<row> records).\n"
                   "Cycles are core cycles at the calibrated clock.",
        .examples = "  qbench costs\n  qbench costs --quick --path /var/tmp\n  qbench costs -o out/costs.json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    /* the L1 point: half the L1 data cache; the memory point: past every cache */
    const long l1 = qb_sysinfo_cache_bytes(1);
    a.l1_bytes = qb_mem_round_size(l1 > 0 ? l1 / 2.0 : 16384.0);
    a.mem_bytes = qb_mem_past_caches_bytes();
    return qb_cmd_parse_measure(&spec, argc, argv, &ro, NULL, measure_costs, &a, print_costs);
}
