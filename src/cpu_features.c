#include "cpu_features.h"

#include <cpuid.h>
#include <stdint.h>
#include <string.h>

static qb_cpu cpu;
static bool loaded;

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static void load(void)
{
    unsigned a, b, c, d;
    unsigned max = __get_cpuid_max(0, NULL);
    __cpuid(0, a, b, c, d);
    memcpy(cpu.vendor, &b, 4);
    memcpy(cpu.vendor + 4, &d, 4);
    memcpy(cpu.vendor + 8, &c, 4);

    __cpuid(1, a, b, c, d);
    const unsigned base_family = (a >> 8) & 0xf, base_model = (a >> 4) & 0xf;
    cpu.stepping = (int)(a & 0xf);
    cpu.family = (int)base_family + (base_family == 0xf ? (int)((a >> 20) & 0xff) : 0);
    cpu.model = (int)base_model;
    if (base_family == 0x6 || base_family == 0xf) cpu.model += (int)(((a >> 16) & 0xf) << 4);
    const bool osxsave = (c >> 27) & 1;
    const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    const bool ymm_os = (xcr0 & 0x6) == 0x6;
    const bool zmm_os = ymm_os && (xcr0 & 0xe0) == 0xe0;
    const bool amx_os = (xcr0 & 0x60000) == 0x60000;
    cpu.sse42 = (c >> 20) & 1;
    cpu.hypervisor = (c >> 31) & 1;
    cpu.avx = ((c >> 28) & 1) && ymm_os;
    cpu.fma = ((c >> 12) & 1) && ymm_os;
    cpu.f16c = ((c >> 29) & 1) && ymm_os;

    if (max >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        cpu.avx2 = ((b >> 5) & 1) && ymm_os;
        cpu.avx512f = ((b >> 16) & 1) && zmm_os;
        cpu.avx512dq = ((b >> 17) & 1) && zmm_os;
        cpu.avx512ifma = ((b >> 21) & 1) && zmm_os;
        cpu.avx512cd = ((b >> 28) & 1) && zmm_os;
        cpu.avx512bw = ((b >> 30) & 1) && zmm_os;
        cpu.avx512vl = ((b >> 31) & 1) && zmm_os;
        cpu.avx512vbmi = ((c >> 1) & 1) && zmm_os;
        cpu.avx512vbmi2 = ((c >> 6) & 1) && zmm_os;
        cpu.avx512vnni = ((c >> 11) & 1) && zmm_os;
        cpu.avx512bitalg = ((c >> 12) & 1) && zmm_os;
        cpu.avx512vpopcntdq = ((c >> 14) & 1) && zmm_os;
        cpu.amx_bf16 = ((d >> 22) & 1) && amx_os;
        cpu.avx512fp16 = ((d >> 23) & 1) && zmm_os;
        cpu.amx_tile = ((d >> 24) & 1) && amx_os;
        cpu.amx_int8 = ((d >> 25) & 1) && amx_os;
        const unsigned sub = a;
        if (sub >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            cpu.avxvnni = ((a >> 4) & 1) && ymm_os;
            cpu.avx512bf16 = ((a >> 5) & 1) && zmm_os;
        }
    }

    unsigned ext = __get_cpuid_max(0x80000000u, NULL);
    if (ext >= 0x80000004u) {
        unsigned *w = (unsigned *)cpu.brand;
        for (unsigned i = 0; i < 3; i++) __cpuid(0x80000002u + i, w[4 * i], w[4 * i + 1], w[4 * i + 2], w[4 * i + 3]);
        cpu.brand[48] = '\0';
        /* Trim the padding some vendors put around the string. */
        size_t n = strlen(cpu.brand);
        while (n > 0 && cpu.brand[n - 1] == ' ') cpu.brand[--n] = '\0';
        size_t lead = 0;
        while (cpu.brand[lead] == ' ') lead++;
        memmove(cpu.brand, cpu.brand + lead, n - lead + 1);
    }
    if (ext >= 0x80000007u) {
        __cpuid(0x80000007u, a, b, c, d);
        cpu.invariant_tsc = (d >> 8) & 1;
    }
    if (cpu.hypervisor) {
        __cpuid(0x40000000u, a, b, c, d);
        memcpy(cpu.hypervisor_vendor, &b, 4);
        memcpy(cpu.hypervisor_vendor + 4, &c, 4);
        memcpy(cpu.hypervisor_vendor + 8, &d, 4);
        for (int i = 0; i < 12; i++)
            if (cpu.hypervisor_vendor[i] == '\0') cpu.hypervisor_vendor[i] = ' ';
        size_t n = strlen(cpu.hypervisor_vendor);
        while (n > 0 && cpu.hypervisor_vendor[n - 1] == ' ') cpu.hypervisor_vendor[--n] = '\0';
    }
}

const qb_cpu *qb_cpu_get(void)
{
    if (!loaded) {
        load();
        loaded = true;
    }
    return &cpu;
}

#define FEATURES(X)                                                                                \
    X(sse42, "sse4.2")                                                                             \
    X(avx, "avx")                                                                                  \
    X(avx2, "avx2")                                                                                \
    X(fma, "fma")                                                                                  \
    X(f16c, "f16c")                                                                                \
    X(avx512f, "avx512f")                                                                          \
    X(avx512dq, "avx512dq")                                                                        \
    X(avx512cd, "avx512cd")                                                                        \
    X(avx512bw, "avx512bw")                                                                        \
    X(avx512vl, "avx512vl")                                                                        \
    X(avx512ifma, "avx512ifma")                                                                    \
    X(avx512vbmi, "avx512vbmi")                                                                    \
    X(avx512vbmi2, "avx512vbmi2")                                                                  \
    X(avx512vnni, "avx512vnni")                                                                    \
    X(avx512bf16, "avx512bf16")                                                                    \
    X(avx512fp16, "avx512fp16")                                                                    \
    X(avx512bitalg, "avx512bitalg")                                                                \
    X(avx512vpopcntdq, "avx512vpopcntdq")                                                          \
    X(avxvnni, "avx-vnni")                                                                         \
    X(amx_tile, "amx-tile")                                                                        \
    X(amx_int8, "amx-int8")                                                                        \
    X(amx_bf16, "amx-bf16")

static bool has_one(const char *feature, size_t len)
{
    const qb_cpu *c = qb_cpu_get();
#define TEST(field, name)                                                                          \
    if (strlen(name) == len && strncmp(feature, name, len) == 0) return c->field;
    FEATURES(TEST)
#undef TEST
    return false;
}

bool qb_cpu_has(const char *feature)
{
    if (!feature) return true;
    /* "a+b" asks for both. */
    while (*feature) {
        const char *plus = strchr(feature, '+');
        const size_t len = plus ? (size_t)(plus - feature) : strlen(feature);
        if (!has_one(feature, len)) return false;
        feature += len + (plus ? 1 : 0);
    }
    return true;
}

int qb_cpu_feature_names(const char **names, int max)
{
    const qb_cpu *c = qb_cpu_get();
    int n = 0;
#define ADD(field, name)                                                                           \
    if (c->field && n < max) names[n++] = name;
    FEATURES(ADD)
#undef ADD
    return n;
}
