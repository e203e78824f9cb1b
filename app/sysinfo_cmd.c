/* qbench sysinfo: options and the printed description of the machine. */
#include "commands.h"
#include "cli.h"
#include "error.h"
#include "machine_state.h"
#include "output.h"
#include "sysinfo.h"
#include <stdio.h>
#include <stdlib.h>

static void print_sysinfo(const qb_results *res)
{
    const cJSON *m = res->machine;
#define S(k) (cJSON_GetStringValue(cJSON_GetObjectItem(m, k)) ? cJSON_GetStringValue(cJSON_GetObjectItem(m, k)) : "")
#define N(k) cJSON_GetNumberValue(cJSON_GetObjectItem(m, k))
    printf("CPU          %s\n", S("cpu"));
    printf("vendor       %s, family %d (0x%x), model %d (0x%x), stepping %d, uarch %s\n", S("vendor"),
           (int)N("family"), (int)N("family"), (int)N("model"), (int)N("model"), (int)N("stepping"),
           S("uarch"));
    printf("cores        %d cores, %d threads (%d per core)\n", (int)N("cores"), (int)N("threads"),
           (int)N("threads_per_core"));
    printf("ISA         ");
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(m, "isa")) printf(" %s", f->valuestring);
    printf("\n");
    printf("virtualized  %s%s%s\n", cJSON_IsTrue(cJSON_GetObjectItem(m, "virtualized")) ? "yes" : "no",
           S("hypervisor")[0] ? ", hypervisor " : "", S("hypervisor"));
    printf("memory       %.1f GiB\n", atof(S("memory_bytes")) / (1024.0 * 1024 * 1024));
    printf("core clock   %.3f GHz (calibrated: dependent add chain)\n", N("core_ghz"));
    printf("TSC          %.3f GHz%s\n", N("tsc_ghz"),
           cJSON_IsTrue(cJSON_GetObjectItem(m, "invariant_tsc")) ? " (invariant)" : "");
    printf("kernel       %s\n", S("kernel"));
    printf("compiler     %s %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(res->tool, "compiler")),
           cJSON_GetStringValue(cJSON_GetObjectItem(res->tool, "flags")));
    const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "caches"), 0);
    printf("\ncaches (%s, cpu0):\n", c ? cJSON_GetStringValue(cJSON_GetObjectItem(c, "source")) : "none found");
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(m, "caches"))
    {
        const double b = cJSON_GetNumberValue(cJSON_GetObjectItem(c, "bytes"));
        printf("  L%d %-12s %8.0f KiB  %2d-way  %d B lines  shared by %d CPU(s)\n",
               (int)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "level")),
               cJSON_GetStringValue(cJSON_GetObjectItem(c, "type")), b / 1024,
               (int)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "ways")),
               (int)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "line_bytes")),
               (int)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "shared_by")));
        const char *note = cJSON_GetStringValue(cJSON_GetObjectItem(c, "note"));
        if (note) printf("     (%s)\n", note);
    }
    const cJSON *ct = cJSON_GetObjectItem(m, "counters");
    printf("\ncounters     %s\n", cJSON_IsTrue(cJSON_GetObjectItem(ct, "hardware"))
                                      ? "hardware counters available"
                                      : cJSON_GetStringValue(cJSON_GetObjectItem(ct, "reason")));
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(ct, "events"))
    {
        const cJSON *why = cJSON_GetObjectItem(e, "reason");
        printf("  %-32s %s%s%s\n", cJSON_GetStringValue(cJSON_GetObjectItem(e, "name")),
               cJSON_IsTrue(cJSON_GetObjectItem(e, "ok")) ? "ok" : "unavailable",
               why ? ": " : "", why ? why->valuestring : "");
    }
#undef S
#undef N
}

/* The description, then each state check: ok, or a warning with what to do. */
static void print_sysinfo_check(const qb_results *res)
{
    print_sysinfo(res);
    printf("\nstate checks (what can distort measurements):\n");
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(res->machine, "state"))
    {
        const bool ok = cJSON_IsTrue(cJSON_GetObjectItem(it, "ok"));
        printf("  %-4s %-16s %s\n", ok ? "ok" : "WARN", cJSON_GetStringValue(cJSON_GetObjectItem(it, "name")),
               cJSON_GetStringValue(cJSON_GetObjectItem(it, "value")));
        const char *advice = cJSON_GetStringValue(cJSON_GetObjectItem(it, "advice"));
        if (!ok && advice) printf("       -> %s\n", advice);
    }
    const int w = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(res->machine, "state_warnings"));
    printf("\n%d warning%s\n", w, w == 1 ? "" : "s");
}

int qb_cmd_sysinfo(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    bool check = false;
    const qb_opt opts[] = {
        {"check", 0, QB_OPT_FLAG, &check, NULL,
         "also check what can distort measurements (governor, boost, SMT, load, huge pages, VM, busy CPUs)", 0, 0},
        QB_OUTPUT_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "sysinfo",
        .summary = "Describe the machine: CPU, ISA, caches, calibrated core clock, TSC, counters.",
        .details = "The core clock is calibrated with a chain of dependent one-cycle adds; the TSC\n"
                   "runs at a fixed rate that is not the core clock. Cache sizes are read from\n"
                   "sysfs, or from cpuid where sysfs has none (the probes measure the usable\n"
                   "capacity).",
        .examples = "  qbench sysinfo\n  qbench sysinfo --check\n  qbench sysinfo --json\n"
                    "  qbench sysinfo -o out/sysinfo.json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    char *pos[1];
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return rc;
    qb_results res;
    rc = qb_results_init(&res);
    if (rc) return rc;
    rc = qb_sysinfo_fill(res.machine);
    if (rc == QB_OK && check) rc = qb_machine_state_json(res.machine);
    if (rc == QB_OK) rc = qb_emit(&ro, &res, check ? print_sysinfo_check : print_sysinfo);
    qb_results_free(&res);
    return rc;
}
