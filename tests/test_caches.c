/* Cache descriptions: what cpuid says agrees with sysfs where both answer,
 * and the description qbench uses is never empty on an x86 CPU. */
#include "check.h"
#include "defaults.h"
#include "sysinfo.h"

#include <string.h>

static const qb_cache *find(const qb_cache *c, int n, int level)
{
    for (int i = 0; i < n; i++)
        if (c[i].level == level && strcmp(c[i].type, "Instruction") != 0) return &c[i];
    return NULL;
}

int main(void)
{
    qb_cache used[QB_MAX_CACHES], cpuid[QB_MAX_CACHES];
    const int nu = qb_sysinfo_caches(used, QB_MAX_CACHES);
    const int nc = qb_cache_from_cpuid(cpuid, QB_MAX_CACHES);
    CHECK(nu >= 2);
    CHECK(nc >= 2);
    for (int i = 0; i < nc; i++) {
        CHECK(cpuid[i].level >= 1 && cpuid[i].level <= 4);
        CHECK(cpuid[i].bytes >= 4096 && cpuid[i].bytes <= QB_AMD_CCX_L3_MAX_BYTES * 8L);
        CHECK(cpuid[i].line == 64 || cpuid[i].line == 128);
        CHECK(cpuid[i].shared_by >= 1);
        CHECK(strncmp(cpuid[i].source, "cpuid 0x", 8) == 0);
    }
    const qb_cache *l1 = find(cpuid, nc, 1), *l2 = find(cpuid, nc, 2);
    CHECK(l1 && l2 && l1->bytes < l2->bytes && l1->shared_by == 1);
    /* Where sysfs answers, the per-core levels agree with cpuid's. */
    const qb_cache *u1 = find(used, nu, 1), *u2 = find(used, nu, 2);
    if (u1 && l1 && strcmp(u1->source, "sysfs") == 0) CHECK(u1->bytes == l1->bytes);
    if (u2 && l2 && strcmp(u2->source, "sysfs") == 0) CHECK(u2->bytes == l2->bytes);
    /* Every figure says where it came from. */
    for (int i = 0; i < nu; i++) CHECK(used[i].source[0] != '\0');
    TEST_DONE();
}
