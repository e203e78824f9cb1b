#include "machine_state.h"

#include "cpu_features.h"
#include "defaults.h"
#include "error.h"
#include "pin.h"
#include "sysinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static qb_state_item *add(qb_state_item *items, int *n, int max, const char *name, bool ok)
{
    if (*n >= max) return NULL;
    qb_state_item *it = &items[(*n)++];
    memset(it, 0, sizeof *it);
    snprintf(it->name, sizeof it->name, "%s", name);
    it->ok = ok;
    return it;
}

/* The governor of every CPU: "performance" keeps the clock at its top. */
static void check_governor(qb_state_item *items, int *n, int max)
{
    char path[96], gov[64], first[64] = "";
    bool same = true, any = false;
    for (int c = 0; c < qb_cpu_count(); c++) {
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", c);
        if (qb_read_line(path, gov, sizeof gov) != 0) continue;
        if (!any) snprintf(first, sizeof first, "%s", gov);
        same &= strcmp(gov, first) == 0;
        any = true;
    }
    qb_state_item *it = add(items, n, max, "governor", !any || (same && strcmp(first, "performance") == 0));
    if (!it) return;
    if (!any) {
        snprintf(it->value, sizeof it->value, "not exposed (no cpufreq governor in sysfs: the firmware or the host sets the clock)");
        return;
    }
    snprintf(it->value, sizeof it->value, "%s%s", first, same ? "" : " (differs between CPUs)");
    if (!it->ok)
        snprintf(it->advice, sizeof it->advice,
                 "the clock follows the load: set every CPU to performance (cpupower frequency-set -g performance)");
}

/* Boost (turbo) raises the clock with headroom, so it moves with temperature
 * and with what the other cores do. */
static void check_boost(qb_state_item *items, int *n, int max)
{
    char v[32];
    int on = -1;
    if (qb_read_line("/sys/devices/system/cpu/cpufreq/boost", v, sizeof v) == 0) on = atoi(v) != 0;
    else if (qb_read_line("/sys/devices/system/cpu/intel_pstate/no_turbo", v, sizeof v) == 0) on = atoi(v) == 0;
    qb_state_item *it = add(items, n, max, "boost", on != 1);
    if (!it) return;
    snprintf(it->value, sizeof it->value, "%s", on < 0 ? "not exposed" : on ? "on" : "off");
    if (on == 1)
        snprintf(it->advice, sizeof it->advice,
                 "the clock varies with temperature and load; qbench calibrates it around each trial, but for "
                 "steadier figures turn boost off (echo 0 > /sys/devices/system/cpu/cpufreq/boost)");
}

static void check_smt(qb_state_item *items, int *n, int max)
{
    char v[16];
    const bool known = qb_read_line("/sys/devices/system/cpu/smt/active", v, sizeof v) == 0;
    const bool active = known && atoi(v) != 0;
    qb_state_item *it = add(items, n, max, "smt", !active);
    if (!it) return;
    snprintf(it->value, sizeof it->value, "%s", !known ? "not exposed" : active ? "active" : "off or absent");
    if (active)
        snprintf(it->advice, sizeof it->advice,
                 "a busy SMT sibling takes half a core's ports: keep the siblings of the measured CPUs idle, or "
                 "turn SMT off (echo off > /sys/devices/system/cpu/smt/control)");
}

static void check_load(qb_state_item *items, int *n, int max)
{
    char v[128];
    double l1 = -1;
    if (qb_read_line("/proc/loadavg", v, sizeof v) == 0) l1 = atof(v);
    qb_state_item *it = add(items, n, max, "load", l1 >= 0 && l1 < QB_STATE_LOAD_MAX);
    if (!it) return;
    if (l1 < 0) snprintf(it->value, sizeof it->value, "unknown (no /proc/loadavg)");
    else snprintf(it->value, sizeof it->value, "%.2f runnable on average over the last minute", l1);
    if (!it->ok && l1 >= 0)
        snprintf(it->advice, sizeof it->advice,
                 "other work has been running: stop it (top shows what) or expect noisier figures");
}

/* qbench asks for huge pages with madvise: "always" and "madvise" give them. */
static void check_thp(qb_state_item *items, int *n, int max)
{
    char v[128];
    const bool known = qb_read_line("/sys/kernel/mm/transparent_hugepage/enabled", v, sizeof v) == 0;
    const bool never = known && strstr(v, "[never]") != NULL;
    qb_state_item *it = add(items, n, max, "thp", !never);
    if (!it) return;
    const char *sel = known ? strchr(v, '[') : NULL;
    snprintf(it->value, sizeof it->value, "%.*s", sel ? (int)strcspn(sel + 1, "]") : 11,
             sel ? sel + 1 : "not exposed");
    if (never)
        snprintf(it->advice, sizeof it->advice,
                 "no transparent huge pages: the memory probe's long streams and random loads pay TLB misses "
                 "(echo madvise > /sys/kernel/mm/transparent_hugepage/enabled)");
}

static void check_vm(qb_state_item *items, int *n, int max)
{
    const qb_cpu *c = qb_cpu_get();
    qb_state_item *it = add(items, n, max, "virtual machine", !c->hypervisor);
    if (!it) return;
    snprintf(it->value, sizeof it->value, "%s%s", c->hypervisor ? "yes, hypervisor " : "no",
             c->hypervisor ? c->hypervisor_vendor : "");
    if (c->hypervisor)
        snprintf(it->advice, sizeof it->advice,
                 "the host shares cores, caches and memory bandwidth with other guests: compare two things only "
                 "side by side in one run, and rerun to see the spread");
}

/* Per-CPU busy time from /proc/stat: user+nice+system+irq+softirq+steal. */
static int cpu_busy(long long *busy, long long *total, int max)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return 0;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        int cpu;
        long long u, ni, sy, id, io, irq, sirq, st;
        if (sscanf(line, "cpu%d %lld %lld %lld %lld %lld %lld %lld %lld", &cpu, &u, &ni, &sy, &id, &io, &irq, &sirq,
                   &st) != 9)
            continue;
        if (cpu < 0 || cpu >= max) continue;
        busy[cpu] = u + ni + sy + irq + sirq + st;
        total[cpu] = busy[cpu] + id + io;
        if (cpu + 1 > n) n = cpu + 1;
    }
    fclose(f);
    return n;
}

/* Another process on the CPUs: each CPU's busy share while qbench sleeps. */
static void check_busy(qb_state_item *items, int *n, int max)
{
    enum { MAXCPU = 256 };
    static long long b0[MAXCPU], t0[MAXCPU], b1[MAXCPU], t1[MAXCPU];
    const int n0 = cpu_busy(b0, t0, MAXCPU);
    const struct timespec ts = {0, QB_STATE_BUSY_WINDOW_MS * 1000000L};
    nanosleep(&ts, NULL);
    const int n1 = cpu_busy(b1, t1, MAXCPU);
    const int ncpu = n0 < n1 ? n0 : n1;
    char list[128] = "";
    bool busy = false;
    for (int c = 0; c < ncpu; c++) {
        const long long dt = t1[c] - t0[c];
        if (dt <= 0) continue;
        const double share = (double)(b1[c] - b0[c]) / (double)dt;
        if (share < QB_STATE_BUSY_MAX) continue;
        busy = true;
        const size_t at = strlen(list);
        snprintf(list + at, sizeof list - at, "%scpu%d %.0f%%", at ? ", " : "", c, 100 * share);
    }
    qb_state_item *it = add(items, n, max, "busy cpus", !busy);
    if (!it) return;
    if (ncpu == 0) snprintf(it->value, sizeof it->value, "unknown (no /proc/stat)");
    else if (!busy) snprintf(it->value, sizeof it->value, "none (every CPU idle over %d ms)", QB_STATE_BUSY_WINDOW_MS);
    else snprintf(it->value, sizeof it->value, "%s busy over %d ms", list, QB_STATE_BUSY_WINDOW_MS);
    if (busy)
        snprintf(it->advice, sizeof it->advice,
                 "another process (or, on a VM, the host) uses these CPUs while qbench is idle: find it with top "
                 "and stop it, or measure on other CPUs");
}

int qb_machine_state(qb_state_item *items, int max)
{
    int n = 0;
    check_governor(items, &n, max);
    check_boost(items, &n, max);
    check_smt(items, &n, max);
    check_load(items, &n, max);
    check_thp(items, &n, max);
    check_vm(items, &n, max);
    check_busy(items, &n, max);
    return n;
}

int qb_machine_state_json(cJSON *machine)
{
    qb_state_item it[QB_STATE_MAX];
    const int n = qb_machine_state(it, QB_STATE_MAX);
    cJSON *arr = cJSON_CreateArray();
    if (!arr) return qb_fail(QB_ENOMEM, "out of memory");
    int warnings = 0;
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) {
            cJSON_Delete(arr);
            return qb_fail(QB_ENOMEM, "out of memory");
        }
        cJSON_AddStringToObject(o, "name", it[i].name);
        cJSON_AddStringToObject(o, "value", it[i].value);
        cJSON_AddBoolToObject(o, "ok", it[i].ok);
        if (it[i].advice[0]) cJSON_AddStringToObject(o, "advice", it[i].advice);
        cJSON_AddItemToArray(arr, o);
        warnings += !it[i].ok;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(machine, "state");
    cJSON_DeleteItemFromObjectCaseSensitive(machine, "state_warnings");
    cJSON_AddItemToObject(machine, "state", arr);
    cJSON_AddNumberToObject(machine, "state_warnings", warnings);
    return QB_OK;
}

void qb_state_warn(const cJSON *machine)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(machine, "state"))
    {
        if (cJSON_IsTrue(cJSON_GetObjectItem(it, "ok"))) continue;
        const char *advice = cJSON_GetStringValue(cJSON_GetObjectItem(it, "advice"));
        fprintf(stderr, "qbench: warning: %s: %s%s%s\n", cJSON_GetStringValue(cJSON_GetObjectItem(it, "name")),
                cJSON_GetStringValue(cJSON_GetObjectItem(it, "value")), advice ? "; " : "", advice ? advice : "");
    }
}
