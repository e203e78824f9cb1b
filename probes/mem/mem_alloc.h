/* Memory for the memory probe: page-aligned mappings that ask for
 * transparent huge pages (random accesses and long streams pay TLB misses
 * with 4 KiB pages), a check of what the kernel really gave, and the free
 * memory a working set must fit in. */
#ifndef QB_MEM_ALLOC_H
#define QB_MEM_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

#define QB_HUGE_PAGE_BYTES (2u << 20)

typedef struct {
    void *base;      /* 2 MiB aligned */
    size_t bytes;    /* mapped length, a multiple of 2 MiB */
    bool advised;    /* madvise(MADV_HUGEPAGE) was accepted */
} qb_mem_map;

/* Map at least bytes (untouched: the owner's first touch places the pages). */
int qb_mem_map_alloc(qb_mem_map *m, size_t bytes, bool huge);
void qb_mem_map_free(qb_mem_map *m);

/* Share of [p, p + len) backed by huge pages, from /proc/self/smaps
 * (AnonHugePages); -1 when smaps cannot be read. Call after touching. */
double qb_mem_huge_fraction(const void *p, size_t len);

/* "2M" when at least half of the range is on huge pages, "4K" otherwise,
 * "unknown" when smaps says nothing. */
const char *qb_mem_page_kind(const void *p, size_t len);

/* MemAvailable from /proc/meminfo in bytes (0 when unknown). */
size_t qb_mem_available_bytes(void);

/* The transparent huge page mode: "always", "madvise", "never" or "unknown". */
const char *qb_mem_thp_mode(void);

#endif
