/* Activation memory planning: every activation tensor gets an offset in one
 * arena, and two tensors share bytes only when their lifetimes do not
 * overlap, as an inference runtime reuses its buffers.
 *
 * A tensor lives from the step that writes it (the graph input: before the
 * first step) to the last step that reads it (the graph output: after the
 * last), both ends included, so a node's output never shares bytes with its
 * own inputs. Placement is greedy by size: the largest tensors first, each at
 * the lowest offset that clears every placed tensor whose lifetime overlaps
 * its own. */
#ifndef QB_NET_PLAN_H
#define QB_NET_PLAN_H

#include <stddef.h>

typedef struct {
    size_t bytes; /* 0: not planned (a constant, or an alias of another tensor) */
    int first, last;
} qb_net_live;

/* Offsets (64-byte aligned) for n tensors; returns the arena's size, or
 * (size_t)-1 when out of memory. */
size_t qb_net_plan(const qb_net_live *t, int n, size_t *offset);

#endif
