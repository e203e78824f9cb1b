/* Cache descriptions from cpuid, for kernels and hypervisors that publish no
 * cache folder in sysfs. Three sources, the first that answers wins:
 *  - the deterministic cache leaf (4 on Intel, 0x8000001D on AMD), which
 *    gives level, type, geometry and how many logical CPUs share each cache;
 *  - AMD's older leaves 0x80000005 (L1 data) and 0x80000006 (L2, L3), which
 *    give sizes but not sharing: L1 and L2 are per core on every AMD design
 *    that has them, and the L3 is taken as shared by every online CPU. Some
 *    hypervisors report the whole package's L3 there (hundreds of MiB), which
 *    no core can use: an AMD core reaches only its own core complex's L3, 96
 *    MiB at most (the stacked-cache parts), so a larger figure is taken as that
 *    bound and the cache's note says so. The memory probe's measured capacity,
 *    not this figure, decides where the L3 ends. */
#include "sysinfo.h"

#include "cpu_features.h"
#include "defaults.h"
#include "pin.h"

#include <cpuid.h>
#include <stdio.h>
#include <string.h>

static const char *leaf_type(unsigned t)
{
    return t == 1 ? "Data" : t == 2 ? "Instruction" : "Unified";
}

static int from_deterministic_leaf(unsigned leaf, qb_cache *out, int max)
{
    int n = 0;
    for (unsigned i = 0; i < 16 && n < max; i++) {
        unsigned a, b, c, d;
        __cpuid_count(leaf, i, a, b, c, d);
        const unsigned type = a & 0x1f;
        if (type == 0) break;
        qb_cache *k = &out[n++];
        memset(k, 0, sizeof *k);
        k->level = (int)((a >> 5) & 7);
        snprintf(k->type, sizeof k->type, "%s", leaf_type(type));
        k->ways = (int)((b >> 22) + 1);
        k->line = (int)((b & 0xfff) + 1);
        const long parts = (long)((b >> 12) & 0x3ff) + 1;
        k->bytes = (long)k->ways * parts * k->line * ((long)c + 1);
        k->shared_by = (int)((a >> 14) & 0xfff) + 1;
        const int cpus = qb_cpu_count();
        if (k->shared_by > cpus) k->shared_by = cpus;
        snprintf(k->source, sizeof k->source, "cpuid 0x%x", leaf);
    }
    return n;
}

/* The associativity code of leaf 0x80000006 (L2, L3) as a way count; 0 where
 * the code means "see leaf 0x8000001D" or fully associative. */
static int amd_ways(unsigned code)
{
    static const int ways[16] = {0, 1, 2, 3, 4, 6, 8, 0, 16, 0, 32, 48, 64, 96, 128, 0};
    return ways[code & 0xf];
}

static void put(qb_cache *k, int level, const char *type, long bytes, int line, int ways, int shared,
                const char *source)
{
    memset(k, 0, sizeof *k);
    k->level = level;
    snprintf(k->type, sizeof k->type, "%s", type);
    k->bytes = bytes;
    k->line = line;
    k->ways = ways;
    k->shared_by = shared;
    snprintf(k->source, sizeof k->source, "%s", source);
}

static int from_amd_legacy(qb_cache *out, int max)
{
    unsigned a, b, c, d;
    int n = 0;
    if ((unsigned)__get_cpuid_max(0x80000000, NULL) < 0x80000006u) return 0;
    __cpuid(0x80000005, a, b, c, d);
    if ((c >> 24) && n < max)
        put(&out[n++], 1, "Data", (long)(c >> 24) << 10, (int)(c & 0xff), (int)((c >> 16) & 0xff), 1,
            "cpuid 0x80000005");
    if ((d >> 24) && n < max)
        put(&out[n++], 1, "Instruction", (long)(d >> 24) << 10, (int)(d & 0xff), (int)((d >> 16) & 0xff),
            1, "cpuid 0x80000005");
    __cpuid(0x80000006, a, b, c, d);
    if ((c >> 16) && n < max)
        put(&out[n++], 2, "Unified", (long)(c >> 16) << 10, (int)(c & 0xff), amd_ways(c >> 12), 1,
            "cpuid 0x80000006");
    if ((d >> 18) && n < max) {
        qb_cache *k = &out[n++];
        long bytes = (long)(d >> 18) << 19;
        const long reported = bytes;
        if (bytes > QB_AMD_CCX_L3_MAX_BYTES) bytes = QB_AMD_CCX_L3_MAX_BYTES;
        put(k, 3, "Unified", bytes, (int)(d & 0xff), amd_ways(d >> 12), qb_cpu_count(), "cpuid 0x80000006");
        if (bytes != reported)
            snprintf(k->note, sizeof k->note,
                     "cpuid reports %ld MiB, more than one AMD core complex holds; taken as %ld MiB",
                     reported >> 20, bytes >> 20);
    }
    return n;
}

int qb_cache_from_cpuid(qb_cache *out, int max)
{
    const qb_cpu *cpu = qb_cpu_get();
    const bool amd = strcmp(cpu->vendor, "AuthenticAMD") == 0 || strcmp(cpu->vendor, "HygonGenuine") == 0;
    int n = 0;
    if (amd && (unsigned)__get_cpuid_max(0x80000000, NULL) >= 0x8000001Du) n = from_deterministic_leaf(0x8000001D, out, max);
    else if (!amd && (unsigned)__get_cpuid_max(0, NULL) >= 4u) n = from_deterministic_leaf(4, out, max);
    if (n == 0 && amd) n = from_amd_legacy(out, max);
    return n;
}
