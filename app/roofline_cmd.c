/* qbench roofline: ceilings (stored machine profile, a results file, or a
 * quick measurement) + operator points (measured now or read from a saved
 * run) -> verdicts, a table, and a chart. */
#include "ceilings.h"
#include "profile.h"
#include "commands.h"
#include "error.h"
#include "gnuplot.h"
#include "interrupt.h"
#include "ops_run.h"
#include "output.h"
#include "pin.h"
#include "suite.h"
#include "roofline.h"
#include "roofline_sizes.h"
#include "sysinfo.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    const char *op, *dtype, *quant, *policy;
} rl_filter;

static bool in_list(const char *list, const char *word)
{
    if (!list || strcmp(list, "all") == 0) return true;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (fnmatch(t, word, 0) == 0) return true;
    return false;
}

static bool wanted(const rl_filter *f, const qb_record *r)
{
    const char *op = cJSON_GetStringValue(cJSON_GetObjectItem(r->params, "op"));
    const char *dt = cJSON_GetStringValue(cJSON_GetObjectItem(r->params, "dtype"));
    const char *q = cJSON_GetStringValue(cJSON_GetObjectItem(r->params, "quant"));
    const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(r->params, "policy"));
    if (!op || !dt) return false;
    const bool quantized = strcmp(dt, "int8") == 0;
    return in_list(f->op, op) && in_list(f->dtype, dt) &&
           (!quantized || ((!q || in_list(f->quant, q)) && (!p || in_list(f->policy, p))));
}

/* Keep only the wanted ops records of a saved run (ceilings stay). */
static int select_points(const qb_results *from, const rl_filter *f, qb_results *out)
{
    int rc = qb_results_init(out);
    if (rc) return rc;
    for (size_t i = 0; i < from->n && rc == QB_OK; i++) {
        const qb_record *r = &from->recs[i];
        if (strcmp(r->group, "ops") != 0 || !wanted(f, r)) continue;
        qb_record *c = qb_results_add(out, r->group, r->id + strlen(r->group) + 1);
        if (!c) return QB_ENOMEM;
        cJSON_Delete(c->params);
        c->params = cJSON_Duplicate(r->params, 1);
        for (size_t m = 0; m < r->nmetrics && rc == QB_OK; m++)
            rc = qb_record_metric(c, r->metrics[m].name, r->metrics[m].unit, r->metrics[m].better,
                                  r->metrics[m].value);
    }
    return rc;
}

static int ensure_dir(const char *dir)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return qb_fail(QB_EIO, "cannot create '%s': %s", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return qb_fail(QB_EUSAGE, "'%s' is not a folder", dir);
    return QB_OK;
}

int qb_cmd_roofline(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    rl_filter f = {.op = "conv", .dtype = "fp32,fp16,int8", .quant = "per-tensor,per-channel", .policy = "symmetric"};
    const char *from = NULL, *ceil_file = NULL, *level = "cache", *dir = NULL;
    long threads = qb_cpu_count();
    bool refresh = false, json = false, warm = true, cold = false;
    const char *sizes = NULL, *cache_s = NULL;
    const qb_opt opts[] = {
        {"op", 0, QB_OPT_STRING, &f.op, "LIST", "operators (names, patterns or all)", 0, 0},
        {"dtype", 0, QB_OPT_STRING, &f.dtype, "LIST", "data types", 0, 0},
        {"quant", 0, QB_OPT_STRING, &f.quant, "LIST", "int8 granularities", 0, 0},
        {"policy", 0, QB_OPT_STRING, &f.policy, "LIST", "int8 policies", 0, 0},
        {"threads", 't', QB_OPT_INT, &threads, "N", "threads (default: every CPU)", 1, 4096},
        {"level", 0, QB_OPT_STRING, &level, "MODE", "cache (cache-aware roofline) or dram (classic)", 0, 0},
        {"from", 0, QB_OPT_STRING, &from, "FILE", "analyse a saved run (ops records) without measuring", 0, 0},
        {"ceilings", 0, QB_OPT_STRING, &ceil_file, "FILE", "take the ceilings from a results file (probe peak + probe mem)", 0, 0},
        {"refresh", 0, QB_OPT_FLAG, &refresh, NULL, "measure the machine profile again", 0, 0},
        {"sizes", 0, QB_OPT_STRING, &sizes, "LIST",
         "run each memory-bound op at a footprint inside each level: L1,L2,L3,DRAM or byte sizes (16K,8M)", 0, 0},
        {"cache", 0, QB_OPT_STRING, &cache_s, "MODE",
         "warm, cold (caches evicted before each sample) or warm,cold (default warm)", 0, 0},
        {"json", 0, QB_OPT_FLAG, &json, NULL, "print the JSON results to stdout, no table", 0, 0},
        {"output", 'o', QB_OPT_STRING, &dir, "DIR", "write roofline.json and the chart (roofline.svg, .dat, .gp) to DIR", 0, 0},
        QB_POLICY_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "roofline",
        .summary = "Place operators under the measured ceilings: compute-bound or memory-bound, and how far below the roof.",
        .details =
            "Ceilings come from --ceilings FILE, else from the saved run (--from) when it has\n"
            "them, else from the stored machine profile (measured quickly the first time and\n"
            "kept under $XDG_CACHE_HOME/qbench/). Each point lives in the memory level that\n"
            "holds its footprint (the bytes one call touches, by the operator's byte formula)\n"
            "by the capacities probe mem measured, never by its speed; the cache-aware\n"
            "roofline holds it to that level's roof (--level dram: the DRAM roof), of the\n"
            "same store kind as the operator (non-temporal stores: the copy-nt/triad-nt\n"
            "ceiling). Points below half their roof, or above it, say why in a note.",
        .examples = "  qbench roofline --op conv\n"
                    "  qbench roofline --op conv,gemm,relu --dtype fp32,int8 -o out/roofline\n"
                    "  qbench roofline --op relu,add --sizes L1,L2,L3,DRAM --threads 1\n"
                    "  qbench roofline --op relu --sizes 16K,64M --cache warm,cold\n"
                    "  qbench roofline --from results.json --level dram --json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    char *pos[1];
    int npos;
    qb_rep_policy pol;
    int rc = qb_cli_parse_policy(&spec, argc, argv, pos, &npos, &ro, &pol);
    if (rc) return rc;
    if (strcmp(level, "cache") != 0 && strcmp(level, "dram") != 0)
        return qb_fail(QB_EUSAGE, "qbench roofline --level: '%s' is not cache or dram", level);
    if (threads > qb_cpu_count())
        return qb_fail(QB_EUSAGE, "qbench roofline --threads: %ld threads but only %d CPUs", threads,
                       qb_cpu_count());
    if (dir && (rc = ensure_dir(dir))) return rc;
    if ((rc = qb_ops_parse_cache("qbench roofline --cache", cache_s, &warm, &cold))) return rc;
    if (from && (sizes || cache_s))
        return qb_fail(QB_EUSAGE, "qbench roofline: --sizes and --cache measure; --from analyses a saved run");

    qb_results saved = {0}, points = {0}, out = {0};
    bool have_saved = false;
    qb_ceilings c = {0};
    if (from) {
        rc = qb_results_read(from, &saved);
        if (rc) return rc;
        have_saved = true;
    }
    if (ceil_file) {
        qb_results cf;
        rc = qb_results_read(ceil_file, &cf);
        if (rc) goto out;
        rc = qb_ceilings_from_results(&cf, (int)threads, &c);
        qb_results_free(&cf);
        if (rc == QB_OK && (c.ncompute == 0 || c.nmemory == 0))
            rc = qb_fail(QB_EINPUT, "'%s' has no %s ceilings for %ld thread(s) (probe.peak and probe.mem level records)",
                         ceil_file, c.ncompute == 0 ? "compute" : "bandwidth", threads);
    } else if (have_saved && qb_ceilings_from_results(&saved, (int)threads, &c) == QB_OK &&
               c.ncompute > 0 && c.nmemory > 0) {
        rc = QB_OK;
    } else {
        rc = qb_ceilings_obtain((int)threads, refresh, &c);
    }
    if (rc) goto out;

    if (have_saved) {
        rc = select_points(&saved, &f, &points);
    } else {
        /* Measure the operator points now, on the chosen thread count. */
        const int th = (int)threads;
        qb_ops_opts oo;
        qb_ops_opts_init(&oo);
        oo.ops = f.op;
        oo.dtypes = f.dtype;
        oo.quants = f.quant;
        oo.policies = f.policy;
        oo.threads = &th;
        oo.nthreads = 1;
        oo.quick = ro.quick;
        /* Not qb_cmd_measure: these points are one input of the document built below. */
        rc = qb_results_init(&points);
        qb_interrupt_install();
        if (rc == QB_OK && sizes) {
            /* each size once warm and once cold, as asked */
            for (int pass = 0; pass < 2 && rc == QB_OK; pass++) {
                if (!(pass ? cold : warm)) continue;
                oo.cold = pass == 1;
                rc = qb_roofline_sizes_measure(&points, sizes, &c, &oo, &pol);
            }
        } else if (rc == QB_OK) {
            rc = qb_ops_measure_caches(&points, &oo, &pol, warm, cold);
        }
    }
    if (rc) goto out;

    rc = qb_results_init(&out);
    if (rc) goto out;
    if (have_saved) {
        cJSON_Delete(out.machine);
        out.machine = cJSON_Duplicate(saved.machine, 1);
    } else {
        rc = qb_sysinfo_fill(out.machine);
    }
    if (!rc) rc = qb_settings_record(&out, &pol, ro.quick);
    if (!rc) rc = qb_roofline_records(&points, &c, (int)threads, strcmp(level, "cache") == 0, &out);
    if (rc) goto out;
    if (dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/roofline.json", dir);
        rc = qb_results_write(&out, path);
        if (rc) goto out;
        const int crc = qb_roofline_chart(&out, dir);
        if (crc == QB_EUNSUPPORTED)
            fprintf(stderr, "qbench: %s\n", qb_last_error(crc));
        else if (crc)
            rc = crc;
    }
    if (rc) goto out;
    if (json) {
        rc = qb_results_write(&out, NULL);
    } else {
        qb_roofline_print(&out);
        if (dir) printf("\nroofline.json and the chart (roofline.svg) written to %s\n", dir);
    }
out:
    qb_results_free(&out);
    qb_results_free(&points);
    if (have_saved) qb_results_free(&saved);
    return rc;
}
