#include "big_buf.h"

#include "defaults.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define QB_BIG_CHECKED 1
#else
#define QB_BIG_CHECKED 0
#endif

/* The big buffers handed out (live) and the freed ones kept (kept). */
typedef struct {
    unsigned char *p;
    size_t bytes;
    unsigned long freed; /* when it was kept, in frees */
} big_slot;

static big_slot live[QB_BIG_SLOTS], kept[QB_BIG_SLOTS];
static size_t kept_total;
static unsigned long frees;

static void touch(unsigned char *p, size_t bytes, int threads)
{
    if (threads < 1) threads = 1;
    /* one write per 4 KiB page faults it in (a huge page at its first): no
     * pass over data the caller overwrites anyway */
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t off = 0; off < bytes; off += 4096)
        p[off] = 0;
}

static void note_live(unsigned char *p, size_t bytes)
{
    for (int i = 0; i < QB_BIG_SLOTS; i++)
        if (!live[i].p) {
            live[i] = (big_slot){p, bytes, 0};
            return;
        }
    /* more big buffers at once than slots: this one is simply not kept later */
}

/* The smallest kept buffer of at least `bytes` and at most twice that (a far
 * bigger one would pin memory the request does not need), or -1. */
static int kept_fit(size_t bytes)
{
    int best = -1;
    for (int i = 0; i < QB_BIG_SLOTS; i++)
        if (kept[i].p && kept[i].bytes >= bytes && kept[i].bytes <= 2 * bytes &&
            (best < 0 || kept[i].bytes < kept[best].bytes))
            best = i;
    return best;
}

void *qb_big_alloc(size_t bytes, int threads)
{
    const bool huge = bytes >= QB_BIG_HUGE_BYTES;
    const size_t align = huge ? QB_BIG_HUGE_BYTES : 64;
    const size_t sz = (bytes + align - 1) / align * align;
    if (huge) {
        const int k = kept_fit(sz);
        if (k >= 0) {
            const big_slot s = kept[k];
            kept[k] = (big_slot){0};
            kept_total -= s.bytes;
#if QB_BIG_CHECKED
            /* a checked build hands a reused buffer out full of garbage, so a
             * caller that counts on zeroed memory fails its tests */
            ASAN_UNPOISON_MEMORY_REGION(s.p, s.bytes);
            memset(s.p, 0xA5, s.bytes);
#endif
            note_live(s.p, s.bytes);
            return s.p;
        }
    }
    unsigned char *p = aligned_alloc(align, sz ? sz : 64);
    if (!p) return NULL;
    if (huge) {
        (void)madvise(p, sz, MADV_HUGEPAGE); /* advice only: 4 KiB pages still work */
        note_live(p, sz);
    }
    touch(p, sz, threads);
    return p;
}

/* Free the kept buffer freed longest ago, the one least likely to be asked
 * for next; false when none is kept. */
static bool drop_oldest(void)
{
    int big = -1;
    for (int i = 0; i < QB_BIG_SLOTS; i++)
        if (kept[i].p && (big < 0 || kept[i].freed < kept[big].freed)) big = i;
    if (big < 0) return false;
#if QB_BIG_CHECKED
    ASAN_UNPOISON_MEMORY_REGION(kept[big].p, kept[big].bytes);
#endif
    free(kept[big].p);
    kept_total -= kept[big].bytes;
    kept[big] = (big_slot){0};
    return true;
}

bool qb_big_keeps(void)
{
    static int nodes = -1;
    if (nodes < 0) {
        int n = 0;
        char path[64];
        for (;; n++) {
            snprintf(path, sizeof path, "/sys/devices/system/node/node%d", n);
            if (access(path, F_OK) != 0) break;
        }
        nodes = n;
    }
    return nodes <= 1; /* no node folder at all: a kernel without NUMA */
}

void qb_big_free(void *ptr)
{
    if (!ptr) return;
    int l = -1;
    for (int i = 0; i < QB_BIG_SLOTS && l < 0; i++)
        if (live[i].p == ptr) l = i;
    if (l < 0) {
        free(ptr);
        return;
    }
    const big_slot s = live[l];
    live[l] = (big_slot){0};
    if (s.bytes > QB_BIG_KEEP_BYTES || !qb_big_keeps()) {
        free(s.p);
        return;
    }
    while (kept_total + s.bytes > QB_BIG_KEEP_BYTES && drop_oldest()) {
    }
    int k = -1;
    for (int i = 0; i < QB_BIG_SLOTS && k < 0; i++)
        if (!kept[i].p) k = i;
    if (k < 0) {
        free(s.p);
        return;
    }
    kept[k] = s;
    kept[k].freed = ++frees;
    kept_total += s.bytes;
#if QB_BIG_CHECKED
    /* a kept buffer read or written after its free is reported as one */
    ASAN_POISON_MEMORY_REGION(s.p, s.bytes);
#endif
}

void qb_big_release(void)
{
    while (drop_oldest()) {
    }
}

size_t qb_big_kept_bytes(void)
{
    return kept_total;
}
