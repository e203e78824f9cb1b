#include "sysinfo.h"

#include "clock.h"
#include "counters.h"
#include "cpu_features.h"
#include "error.h"
#include "pin.h"
#include "timer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int qb_read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    const bool ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    if (!ok) return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* Count CPUs in a sysfs list such as "0-3,8,10-11". */
static int count_cpu_list(const char *s)
{
    int n = 0;
    while (*s) {
        char *end;
        const long a = strtol(s, &end, 10);
        if (end == s) break;
        long b = a;
        if (*end == '-') b = strtol(end + 1, &end, 10);
        if (b >= a) n += (int)(b - a + 1);
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

static long parse_size(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end == 'K') v *= 1024;
    else if (*end == 'M') v *= 1024 * 1024;
    else if (*end == 'G') v *= 1024L * 1024 * 1024;
    return v;
}

int qb_sysinfo_caches(qb_cache *out, int max)
{
    int n = 0;
    for (int idx = 0; idx < 16 && n < max; idx++) {
        char path[128], buf[256];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
        if (qb_read_line(path, buf, sizeof buf) != 0) break;
        qb_cache *c = &out[n];
        memset(c, 0, sizeof *c);
        c->level = atoi(buf);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", idx);
        if (qb_read_line(path, buf, sizeof buf) == 0) snprintf(c->type, sizeof c->type, "%.15s", buf);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
        if (qb_read_line(path, buf, sizeof buf) == 0) c->bytes = parse_size(buf);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/coherency_line_size", idx);
        if (qb_read_line(path, buf, sizeof buf) == 0) c->line = atoi(buf);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/ways_of_associativity", idx);
        if (qb_read_line(path, buf, sizeof buf) == 0) c->ways = atoi(buf);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/shared_cpu_list", idx);
        if (qb_read_line(path, buf, sizeof buf) == 0) c->shared_by = count_cpu_list(buf);
        snprintf(c->source, sizeof c->source, "sysfs");
        n++;
    }
    return n > 0 ? n : qb_cache_from_cpuid(out, max);
}

long qb_sysinfo_cache_bytes(int level)
{
    qb_cache c[QB_MAX_CACHES];
    const int n = qb_sysinfo_caches(c, QB_MAX_CACHES);
    for (int i = 0; i < n; i++)
        if (c[i].level == level && strcmp(c[i].type, "Instruction") != 0) return c[i].bytes;
    return 0;
}

long qb_sysinfo_largest_cache_bytes(void)
{
    long largest = 0;
    for (int l = 1; l <= 3; l++)
        if (qb_sysinfo_cache_bytes(l) > largest) largest = qb_sysinfo_cache_bytes(l);
    return largest;
}

const char *qb_sysinfo_uarch(void)
{
    const qb_cpu *c = qb_cpu_get();
    if (strcmp(c->vendor, "AuthenticAMD") == 0) {
        if (c->family == 0x17) return c->model >= 0x30 ? "zen2" : "zen1";
        if (c->family == 0x19) {
            const int m = c->model;
            if ((m >= 0x10 && m <= 0x1f) || (m >= 0x60 && m <= 0x7f) || (m >= 0xa0 && m <= 0xaf))
                return "zen4";
            return "zen3";
        }
        if (c->family == 0x1a) return "zen5";
    }
    return "unknown";
}

static int threads_per_core(void)
{
    char buf[256];
    if (qb_read_line("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", buf, sizeof buf) != 0)
        return 1;
    const int n = count_cpu_list(buf);
    return n > 0 ? n : 1;
}

static long long mem_total_bytes(void)
{
    const long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    return pages > 0 && psz > 0 ? (long long)pages * psz : 0;
}

int qb_sysinfo_fill(cJSON *m)
{
    const qb_cpu *c = qb_cpu_get();
    char buf[64];
    cJSON_AddStringToObject(m, "cpu", c->brand);
    cJSON_AddStringToObject(m, "vendor", c->vendor);
    cJSON_AddNumberToObject(m, "family", c->family);
    cJSON_AddNumberToObject(m, "model", c->model);
    cJSON_AddNumberToObject(m, "stepping", c->stepping);
    cJSON_AddStringToObject(m, "uarch", qb_sysinfo_uarch());
    const int cpus = qb_cpu_count(), tpc = threads_per_core();
    cJSON_AddNumberToObject(m, "cores", cpus / tpc > 0 ? cpus / tpc : 1);
    cJSON_AddNumberToObject(m, "threads", cpus);
    cJSON_AddNumberToObject(m, "threads_per_core", tpc);
    const char *names[32];
    const int nf = qb_cpu_feature_names(names, 32);
    cJSON *isa = cJSON_AddArrayToObject(m, "isa");
    for (int i = 0; isa && i < nf; i++) cJSON_AddItemToArray(isa, cJSON_CreateString(names[i]));
    cJSON_AddBoolToObject(m, "virtualized", c->hypervisor);
    cJSON_AddStringToObject(m, "hypervisor", c->hypervisor ? c->hypervisor_vendor : "");
    qb_cache caches[QB_MAX_CACHES];
    const int nc = qb_sysinfo_caches(caches, QB_MAX_CACHES);
    cJSON *ca = cJSON_AddArrayToObject(m, "caches");
    for (int i = 0; ca && i < nc; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) break;
        cJSON_AddNumberToObject(o, "level", caches[i].level);
        snprintf(buf, sizeof buf, "%s", caches[i].type);
        for (char *p = buf; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        cJSON_AddStringToObject(o, "type", buf);
        cJSON_AddNumberToObject(o, "bytes", (double)caches[i].bytes);
        cJSON_AddNumberToObject(o, "line_bytes", caches[i].line);
        cJSON_AddNumberToObject(o, "ways", caches[i].ways);
        cJSON_AddNumberToObject(o, "shared_by", caches[i].shared_by);
        cJSON_AddStringToObject(o, "source", caches[i].source);
        if (caches[i].note[0]) cJSON_AddStringToObject(o, "note", caches[i].note);
        cJSON_AddItemToArray(ca, o);
    }
    snprintf(buf, sizeof buf, "%lld", mem_total_bytes());
    cJSON_AddStringToObject(m, "memory_bytes", buf);
    cJSON_AddNumberToObject(m, "core_ghz", qb_core_ghz());
    cJSON_AddStringToObject(m, "core_ghz_method", "calibrated: dependent add chain, the fastest of the run's calibrations");
    cJSON_AddNumberToObject(m, "tsc_ghz", qb_tsc_ghz());
    cJSON_AddBoolToObject(m, "invariant_tsc", c->invariant_tsc);
    struct utsname u;
    if (uname(&u) == 0) {
        char k[200];
        snprintf(k, sizeof k, "%s %s", u.sysname, u.release);
        cJSON_AddStringToObject(m, "kernel", k);
    }
    return qb_counters_status_json(m);
}

int qb_sysinfo_update_clock(cJSON *machine, double ghz)
{
    cJSON *v = cJSON_CreateNumber(ghz);
    if (!v) return qb_fail(QB_ENOMEM, "out of memory");
    if (cJSON_GetObjectItemCaseSensitive(machine, "core_ghz")) cJSON_ReplaceItemInObjectCaseSensitive(machine, "core_ghz", v);
    else cJSON_AddItemToObject(machine, "core_ghz", v);
    return QB_OK;
}

/* ---- qbench sysinfo ---- */
