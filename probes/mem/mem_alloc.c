#include "mem_alloc.h"

#include "error.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int qb_mem_map_alloc(qb_mem_map *m, size_t bytes, bool huge)
{
    memset(m, 0, sizeof *m);
    const size_t hp = QB_HUGE_PAGE_BYTES;
    const size_t len = (bytes + hp - 1) / hp * hp;
    /* Over-map by one huge page and trim, so the start is 2 MiB aligned and
     * every 2 MiB of the range can be a huge page. */
    uint8_t *raw = mmap(NULL, len + hp, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return qb_fail(QB_ENOMEM, "cannot map %zu bytes: %s", bytes, strerror(errno));
    uint8_t *base = (uint8_t *)(((uintptr_t)raw + hp - 1) & ~(uintptr_t)(hp - 1));
    if (base > raw) munmap(raw, (size_t)(base - raw));
    const size_t tail = (size_t)(raw + len + hp - (base + len));
    if (tail) munmap(base + len, tail);
    m->base = base;
    m->bytes = len;
    m->advised = huge && madvise(base, len, MADV_HUGEPAGE) == 0;
    return QB_OK;
}

void qb_mem_map_free(qb_mem_map *m)
{
    if (m->base) munmap(m->base, m->bytes);
    memset(m, 0, sizeof *m);
}

double qb_mem_huge_fraction(const void *p, size_t len)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    const uintptr_t lo = (uintptr_t)p, hi = lo + len;
    char line[512];
    bool inside = false;
    double huge = 0;
    bool seen = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            inside = a < hi && b > lo;
            continue;
        }
        unsigned long kb;
        if (inside && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) {
            huge += (double)kb * 1024.0;
            seen = true;
        }
    }
    fclose(f);
    if (!seen) return -1;
    const double frac = huge / (double)len;
    return frac > 1 ? 1 : frac;
}

const char *qb_mem_page_kind(const void *p, size_t len)
{
    const double f = qb_mem_huge_fraction(p, len);
    if (f < 0) return "unknown";
    return f >= 0.5 ? "2M" : "4K";
}

size_t qb_mem_available_bytes(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    size_t out = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long kb;
        if (sscanf(line, "MemAvailable: %lu kB", &kb) == 1) {
            out = (size_t)kb * 1024;
            break;
        }
    }
    fclose(f);
    return out;
}

const char *qb_mem_thp_mode(void)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f) return "unknown";
    char buf[128] = "";
    const bool ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    if (!ok) return "unknown";
    if (strstr(buf, "[always]")) return "always";
    if (strstr(buf, "[madvise]")) return "madvise";
    if (strstr(buf, "[never]")) return "never";
    return "unknown";
}
