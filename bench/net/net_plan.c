/* Greedy-by-size placement of activation tensors in one arena (net_plan.h). */
#include "net_plan.h"

#include <stdbool.h>
#include <stdlib.h>

static const qb_net_live *sort_base;

static int by_size(const void *a, const void *b)
{
    const size_t x = sort_base[*(const int *)a].bytes, y = sort_base[*(const int *)b].bytes;
    if (x != y) return x < y ? 1 : -1;
    return *(const int *)a - *(const int *)b;
}

static size_t round64(size_t b)
{
    return (b + 63) & ~(size_t)63;
}

static bool overlap(const qb_net_live *a, const qb_net_live *b)
{
    return a->first <= b->last && b->first <= a->last;
}

size_t qb_net_plan(const qb_net_live *t, int n, size_t *offset)
{
    int *order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    int *placed = malloc((size_t)(n > 0 ? n : 1) * sizeof *placed);
    if (!order || !placed) {
        free(order);
        free(placed);
        return (size_t)-1;
    }
    int np = 0, nplaced = 0;
    for (int i = 0; i < n; i++) {
        offset[i] = 0;
        if (t[i].bytes) order[np++] = i;
    }
    sort_base = t;
    qsort(order, (size_t)np, sizeof *order, by_size);
    size_t arena = 0;
    for (int k = 0; k < np; k++) {
        const int i = order[k];
        const size_t sz = round64(t[i].bytes);
        size_t off = 0;
        /* raise the offset past every conflicting placed tensor until none overlaps */
        for (bool moved = true; moved;) {
            moved = false;
            for (int j = 0; j < nplaced; j++) {
                const int p = placed[j];
                if (!overlap(&t[i], &t[p])) continue;
                const size_t lo = offset[p], hi = offset[p] + round64(t[p].bytes);
                if (off < hi && lo < off + sz) {
                    off = hi;
                    moved = true;
                }
            }
        }
        offset[i] = off;
        placed[nplaced++] = i;
        if (off + sz > arena) arena = off + sz;
    }
    free(order);
    free(placed);
    return arena;
}
