#include "mem_chase.h"

#include <stdlib.h>

/* splitmix64: a fast, well-mixed generator; reproducible from the seed. */
static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) without modulo bias worth caring about at these sizes
 * (multiply-shift on 64 random bits). */
static size_t below(uint64_t *s, size_t n)
{
    return (size_t)(((unsigned __int128)next_random(s) * n) >> 64);
}

static void **node_at(void *mem, size_t i)
{
    return (void **)((char *)mem + i * QB_CHASE_NODE_BYTES);
}

void *qb_chase_build(void *mem, size_t nodes, uint64_t seed)
{
    if (nodes == 0 || nodes > UINT32_MAX) return NULL;
    /* A uniformly random order (Fisher-Yates) of 32-bit node numbers: the
     * shuffle's random accesses stay in an array a sixteenth the size of the
     * nodes. Linking each node of the order to the next and the last to the
     * first makes one cycle through every node whatever the order is. */
    uint32_t *order = malloc(nodes * sizeof *order);
    if (!order) return NULL;
    for (size_t i = 0; i < nodes; i++) order[i] = (uint32_t)i;
    uint64_t s = seed;
    for (size_t i = nodes - 1; i > 0; i--) {
        const size_t j = below(&s, i + 1);
        const uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < nodes; i++) node_at(mem, order[i])[0] = node_at(mem, order[(i + 1) % nodes]);
    void *start = node_at(mem, order[0]);
    free(order);
    return start;
}

void *qb_chase_run(void *p, uint64_t loads)
{
    uint64_t turns = (loads + 15) / 16;
    __asm__ volatile("1:\n\t"
                     ".rept 16\n\t"
                     "mov (%[p]), %[p]\n\t"
                     ".endr\n\t"
                     "dec %[n]\n\t"
                     "jnz 1b"
                     : [p] "+r"(p), [n] "+r"(turns)
                     :
                     : "cc", "memory");
    return p;
}

size_t qb_chase_cycle_length(const void *mem, size_t nodes, const void *start, size_t limit)
{
    const char *lo = mem, *hi = lo + nodes * QB_CHASE_NODE_BYTES;
    const void *p = start;
    for (size_t k = 1; k <= limit; k++) {
        p = *(void *const *)p;
        if ((const char *)p < lo || (const char *)p >= hi ||
            ((size_t)((const char *)p - lo)) % QB_CHASE_NODE_BYTES != 0)
            return 0;
        if (p == start) return k;
    }
    return 0;
}
