/* qbench probe mem: cache and DRAM bandwidth and latency, per level and over
 * a working-set sweep. */
#include "commands.h"
#include "defaults.h"
#include "error.h"
#include "fmt.h"
#include "mem_alloc.h"
#include "mem_kernels.h"
#include "mem_sizes.h"
#include "output.h"
#include "pin.h"
#include "suite.h"
#include "probes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The record of a kernel at (level or bytes, threads); level "" means a sweep record. */
static const qb_record *lookup(const qb_results *res, const char *level, const char *kernel,
                               double threads, double bytes)
{
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "probe.mem") != 0 || strcmp(qb_param_str(r, "level"), level) != 0 ||
            strcmp(qb_param_str(r, "kernel"), kernel) != 0 || qb_param_num(r, "threads") != threads)
            continue;
        if (level[0] || qb_param_num(r, "bytes") == bytes) return r;
    }
    return NULL;
}

static int add_unique(double *v, int n, int max, double x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x) return n;
    if (n < max) v[n++] = x;
    return n;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void print_levels(const qb_results *res, const double *threads, int nt)
{
    static const char *const lvls[] = {"L1", "L2", "L3", "L4", "DRAM"};
    static const char *const head[] = {"level", "sysfs", "measured", "streaming", "point", "latency ns",
                                       "cycles", "pages"};
    qb_table t;
    qb_table_init(&t, 8, head);
    for (int l = 0; l < 5; l++) {
        const qb_record *r = lookup(res, lvls[l], "latency", 1, 0);
        if (!r) continue;
        char s[6][24];
        qb_fmt_bytes(s[0], sizeof s[0], qb_param_num(r, "sysfs_bytes"));
        qb_fmt_bytes(s[1], sizeof s[1], qb_param_num(r, "measured_bytes"));
        qb_fmt_bytes(s[2], sizeof s[2], qb_param_num(r, "streaming_bytes"));
        qb_fmt_bytes(s[3], sizeof s[3], qb_param_num(r, "bytes"));
        qb_fmt_num(s[4], sizeof s[4], qb_metric_value(r, "latency"), "%.2f");
        qb_fmt_num(s[5], sizeof s[5], qb_metric_value(r, "latency_cycles"), "%.1f");
        qb_table_rowf(&t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", lvls[l], s[0], s[1], s[2], s[3], s[4],
                      s[5], qb_param_str(r, "pages"));
    }
    if (t.rows) {
        printf("Memory levels: capacity by sysfs, measured by random loads and by streaming reads\n"
               "(where latency, or time per byte, is halfway up to the next level on a log scale),\n"
               "and load latency at the level's point\n\n");
        qb_table_print(&t, stdout);
        printf("\n");
    }
    qb_table_free(&t);

    static const char *const bhead[] = {"level", "threads", "point", "read", "write", "write-nt",
                                        "copy", "triad", "copy-nt", "triad-nt"};
    qb_table_init(&t, 10, bhead);
    for (int ti = 0; ti < nt; ti++) {
        for (int l = 0; l < 5; l++) {
            char cells[10][24];
            bool any = false;
            double point = NAN;
            for (int k = 0; k < qb_mem_kernel_count && k < 7; k++) {
                const qb_record *r = lookup(res, lvls[l], qb_mem_kernels[k].name, threads[ti], 0);
                qb_fmt_num(cells[3 + k], sizeof cells[0], qb_metric_value(r, "bandwidth"), "%.1f");
                if (r) {
                    any = true;
                    point = qb_param_num(r, "bytes");
                }
            }
            if (!any) continue;
            qb_fmt_bytes(cells[2], sizeof cells[2], point);
            qb_table_rowf(&t, "%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", lvls[l], threads[ti], cells[2], cells[3],
                          cells[4], cells[5], cells[6], cells[7], cells[8], cells[9]);
        }
    }
    if (t.rows) {
        printf("Bandwidth per level, GB/s (1e9 bytes/s, STREAM counting: no write-allocate)\n\n");
        qb_table_print(&t, stdout);
        printf("\n");
    }
    qb_table_free(&t);
}

static void print_sweep(const qb_results *res, const double *threads, int nt)
{
    double sizes[QB_MEM_MAX_SIZES];
    int ns = 0;
    bool lat = false;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "probe.mem") != 0 || qb_param_str(r, "level")[0] ||
            strncmp(qb_param_str(r, "kernel"), "loaded", 6) == 0)
            continue;
        ns = add_unique(sizes, ns, QB_MEM_MAX_SIZES, qb_param_num(r, "bytes"));
        lat |= strcmp(qb_param_str(r, "kernel"), "latency") == 0;
    }
    if (ns == 0) return;
    qsort(sizes, (size_t)ns, sizeof *sizes, cmp_double);
    /* Columns: size, latency, then each kernel on each thread count present. */
    const char *head[QB_TABLE_MAX_COLS];
    char names[QB_TABLE_MAX_COLS][24];
    int ncol = 0, colk[QB_TABLE_MAX_COLS];
    double colt[QB_TABLE_MAX_COLS];
    head[ncol++] = "bytes";
    if (lat) {
        head[ncol] = "lat ns";
        colk[ncol++] = -1;
    }
    for (int ti = 0; ti < nt; ti++) {
        for (int k = 0; k < qb_mem_kernel_count && ncol < QB_TABLE_MAX_COLS; k++) {
            bool present = false;
            for (int s = 0; s < ns && !present; s++)
                present = lookup(res, "", qb_mem_kernels[k].name, threads[ti], sizes[s]) != NULL;
            if (!present) continue;
            snprintf(names[ncol], sizeof names[0], "%s t%.0f", qb_mem_kernels[k].name, threads[ti]);
            head[ncol] = names[ncol];
            colk[ncol] = k;
            colt[ncol++] = threads[ti];
        }
    }
    qb_table t;
    qb_table_init(&t, ncol, head);
    for (int s = 0; s < ns; s++) {
        char cells[QB_TABLE_MAX_COLS][24];
        const char *row[QB_TABLE_MAX_COLS];
        qb_fmt_bytes(cells[0], sizeof cells[0], sizes[s]);
        row[0] = cells[0];
        for (int c = 1; c < ncol; c++) {
            if (colk[c] < 0)
                qb_fmt_num(cells[c], sizeof cells[c],
                           qb_metric_value(lookup(res, "", "latency", 1, sizes[s]), "latency"),
                           "%.2f");
            else
                qb_fmt_num(cells[c], sizeof cells[c],
                           qb_metric_value(
                               lookup(res, "", qb_mem_kernels[colk[c]].name, colt[c], sizes[s]),
                               "bandwidth"),
                           "%.1f");
            row[c] = cells[c];
        }
        qb_table_row(&t, row);
    }
    printf("Sweep: %s by working set (all threads together)\n\n",
           lat ? "latency (ns per load) and bandwidth (GB/s)" : "bandwidth (GB/s)");
    qb_table_print(&t, stdout);
    qb_table_free(&t);
}

/* Notes of the level records in full, but for the one reason the figures
 * a VM's host decides are no gate, said once; the sweep's only counted
 * (they are many, and the level records carry the ones that matter). */
static void print_notes(const qb_results *res)
{
    int counted = 0, nogate = 0;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        const bool level = qb_param_str(r, "level")[0] != 0;
        const cJSON *n;
        cJSON_ArrayForEach(n, r->notes)
        {
            const char *s = n->valuestring;
            if (!level || strstr(s, "dropped") || strstr(s, "within a round") || strstr(s, "round medians")) {
                counted++;
            } else if (qb_note_is_no_gate(s)) {
                nogate++;
            } else {
                printf("note: %s: %s\n", r->id, s);
            }
        }
    }
    qb_print_no_gate(nogate, "level figures on every vCPU (shared levels, non-temporal stores)");
    if (counted)
        printf("(%d more notes, on rounds that disagreed, dropped trials and spread targets, are in the JSON output)\n",
               counted);
}

/* The loaded-latency curve: latency against the bandwidth the others draw. */
static void print_loaded(const qb_results *res)
{
    static const char *const head[] = {"delay", "streamers", "bandwidth GB/s", "latency ns", "cycles"};
    qb_table t;
    qb_table_init(&t, 5, head);
    const qb_record *knee = NULL;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(qb_param_str(r, "kernel"), "loaded-knee") == 0) knee = r;
        if (strcmp(qb_param_str(r, "kernel"), "loaded-latency") != 0) continue;
        char d[24], bw[24], lat[24], cyc[24];
        const double spins = qb_param_num(r, "delay_spins");
        if (spins < 0) snprintf(d, sizeof d, "idle");
        else snprintf(d, sizeof d, "%.0f", spins);
        qb_fmt_num(bw, sizeof bw, qb_metric_value(r, "bandwidth"), "%.1f");
        qb_fmt_num(lat, sizeof lat, qb_metric_value(r, "latency"), "%.1f");
        qb_fmt_num(cyc, sizeof cyc, qb_metric_value(r, "latency_cycles"), "%.0f");
        qb_table_rowf(&t, "%s\t%.0f\t%s\t%s\t%s", d, qb_param_num(r, "streamers"), bw, lat, cyc);
    }
    if (t.rows) {
        printf("Loaded latency: the chase on one CPU while the others stream reads with a pause between lines\n\n");
        qb_table_print(&t, stdout);
        if (knee && qb_record_find_metric(knee, "bandwidth"))
            printf("\nknee: %.1f GB/s drawn by the others with the latency still within %.2fx idle (%.1f -> %.1f ns)\n",
                   qb_metric_value(knee, "bandwidth"), qb_param_num(knee, "latency_factor"),
                   qb_metric_value(knee, "idle_latency"), qb_metric_value(knee, "latency"));
        printf("\n");
    }
    qb_table_free(&t);
}

static void print_mem(const qb_results *res)
{
    double threads[32];
    int nt = 0;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "probe.mem") == 0 && strcmp(qb_param_str(r, "kernel"), "latency") != 0 &&
            strncmp(qb_param_str(r, "kernel"), "loaded", 6) != 0)
            nt = add_unique(threads, nt, 32, qb_param_num(r, "threads"));
    }
    qsort(threads, (size_t)nt, sizeof *threads, cmp_double);
    printf("qbench probe mem (%s)\n\n", cJSON_GetStringValue(cJSON_GetObjectItem(res->machine, "cpu")));
    print_levels(res, threads, nt);
    print_sweep(res, threads, nt);
    print_loaded(res);
    printf("\n");
    print_notes(res);
}

typedef struct {
    const char *kernels, *sizes_s, *threads_s, *delays;
    long per_octave;
    bool levels_only, loaded;
    qb_mem_opts o;
    int threads[32];
} mem_args;

static int check_mem(const qb_run_opts *ro, qb_rep_policy *pol, void *ctx)
{
    (void)pol;
    mem_args *a = ctx;
    qb_mem_opts *o = &a->o;
    qb_mem_opts_init(o, ro->quick);
    o->kernels = a->kernels;
    o->per_octave = (int)a->per_octave;
    o->levels_only = a->levels_only;
    if (a->delays && !a->loaded) return qb_fail(QB_EUSAGE, "qbench probe mem: --loaded-delays goes with --loaded");
    if (a->loaded && (a->levels_only || a->kernels || a->threads_s))
        return qb_fail(QB_EUSAGE, "qbench probe mem --loaded: measures its own curve; no --levels-only, --kernels or --threads");
    if (a->threads_s) {
        int rc = qb_parse_threads("qbench probe mem --threads", a->threads_s, a->threads, 32,
                                  &o->nthreads);
        if (rc) return rc;
        o->threads = a->threads;
    }
    static size_t sizes[QB_MEM_MAX_SIZES];
    if (a->sizes_s) {
        if (a->levels_only)
            return qb_fail(QB_EUSAGE,
                           "qbench probe mem: --sizes and --levels-only do not go together");
        int rc = qb_mem_parse_sizes("qbench probe mem --sizes", a->sizes_s, sizes, QB_MEM_MAX_SIZES,
                                    &o->nsizes);
        if (rc) return rc;
        o->sizes = sizes;
    }
    return QB_OK;
}

static int measure_mem(qb_results *res, const qb_rep_policy *pol, void *ctx)
{
    const mem_args *a = ctx;
    if (a->loaded)
        return qb_probe_mem_loaded(res, a->delays, a->o.nsizes > 0 ? a->o.sizes[0] : qb_mem_past_caches_bytes(), pol);
    return qb_probe_mem_measure(res, &a->o, pol);
}

int qb_cmd_probe_mem(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    mem_args a = {0};
    const qb_opt opts[] = {
        {"kernels", 'k', QB_OPT_STRING, &a.kernels, "LIST",
         "read, write, write-nt, copy, triad, copy-nt, triad-nt, latency (names or patterns; default all)", 0, 0},
        {"sizes", 's', QB_OPT_STRING, &a.sizes_s, "LIST",
         "working sets instead of the sweep, e.g. 16K,256K,8M,1G (no level records)", 0, 0},
        {"threads", 't', QB_OPT_STRING, &a.threads_s, "LIST",
         "thread counts, e.g. 1,2 or all (default: 1 and all CPUs)", 0, 0},
        {"per-octave", 0, QB_OPT_INT, &a.per_octave, "N",
         "sweep points per doubling (default " QB_STR(QB_MEM_PER_OCTAVE_DEFAULT) ", " QB_STR(
             QB_MEM_QUICK_PER_OCTAVE) " with --quick)",
         1, 16},
        {"levels-only", 0, QB_OPT_FLAG, &a.levels_only, NULL,
         "only the per-level records (the latency sweep still runs to place them)", 0, 0},
        {"loaded", 0, QB_OPT_FLAG, &a.loaded, NULL,
         "loaded latency: the chase on one CPU while the others stream reads (at the first --sizes, "
         "default past every cache)", 0, 0},
        {"loaded-delays", 0, QB_OPT_STRING, &a.delays, "LIST",
         "with --loaded: spin steps (about a cycle each) between the streamers' lines, idle for none (default "
         QB_LOADED_DELAYS_DEFAULT ")", 0, 0},
        QB_POLICY_OPTS(ro),
        QB_OUTPUT_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "probe mem",
        .summary = "Memory bandwidth (GB/s) and load latency (ns, cycles) per cache level and over a working-set sweep.",
        .details =
            "Bandwidth kernels (AVX 256-bit): read (vector loads, summed), write, write-nt\n"
            "(non-temporal stores), copy, triad (a = b + s*c), and copy-nt, triad-nt (the same\n"
            "with non-temporal stores, as operators write a large output). Bytes are counted as STREAM\n"
            "counts them: each array once per pass, no write-allocate; GB/s = 1e9 bytes/s.\n"
            "Threads are OpenMP threads pinned one per CPU; each first touches its own part.\n"
            "Latency: a pointer chase over a random single cycle, one node per 64-byte line,\n"
            "on transparent huge pages where the kernel gives them (the pages param says).\n"
            "The sweep runs from 4K to " QB_STR(QB_MEM_LLC_MULTIPLE) "x sysfs's last-level cache (" QB_STR(QB_MEM_QUICK_LLC_MULTIPLE) "x with --quick), log-spaced, plus the\n"
            "middle of each level. Each level's usable capacity is measured twice: by random\n"
            "loads (latency sweep) and by streaming reads (one-thread read sweep); a VM may\n"
            "report a cache it cannot fully use. A level's range starts at " QB_STR(QB_MEM_RANGE_START) "x what the\n"
            "levels above hold and ends at its point: half of L1, a quarter of a later private\n"
            "level (times the threads), for a shared level the geometric middle of the range\n"
            "start and its measured capacity. A level's figure is the best in its range.\n"
            "With 2 or more rounds each level's figure (each point's, with --sizes) is\n"
            "confirmed before it is reported: its best two rounds agree within 3%; a level's\n"
            "L1 figure also reaches 90% of what the core's ports allow, and on a VM a per-core\n"
            "level on N threads reaches 0.95 x N times one thread (else two vCPUs shared a\n"
            "core). Figures a VM's host decides (a shared level or non-temporal stores on\n"
            "every vCPU) are left alone. Unconfirmed figures get up to "
            QB_STR(QB_MEM_CONFIRM_ROUNDS) " more\n"
            "rounds within " QB_STR(QB_MEM_CONFIRM_BUDGET_S) " s (" QB_STR(QB_MEM_QUICK_CONFIRM_BUDGET_S) " with --quick), other figures' rounds between them.\n"
            "Trial length " QB_STR(QB_MEM_TRIAL_US_DEFAULT) " us (" QB_STR(QB_MEM_QUICK_TRIAL_US) " with --quick); a working set may use up to\n"
            QB_STR(QB_MEM_FREE_FRACTION) " of MemAvailable.",
        .examples = "  qbench probe mem --quick\n"
                    "  qbench probe mem --loaded --quick\n"
                    "  qbench probe mem --kernels triad,latency --threads 1\n"
                    "  qbench probe mem --sizes 16K,256K,8M,1G --kernels read,write,copy,triad\n"
                    "  qbench probe mem --levels-only --json -o mem.json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    return qb_cmd_parse_measure(&spec, argc, argv, &ro, check_mem, measure_mem, &a, print_mem);
}
