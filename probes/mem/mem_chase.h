/* Load latency by pointer chasing: nodes one cache line apart, linked in a
 * random order that forms a single cycle through every node, so each load
 * depends on the previous one and neither the prefetchers nor the
 * out-of-order core can run ahead. */
#ifndef QB_MEM_CHASE_H
#define QB_MEM_CHASE_H

#include <stddef.h>
#include <stdint.h>

#define QB_CHASE_NODE_BYTES 64

/* Link nodes of mem[0 .. nodes * QB_CHASE_NODE_BYTES) into one random cycle
 * (a uniformly random cyclic permutation, reproducible from the seed). Each
 * node's first word points at the next node. Returns the start node, or
 * NULL when nodes is 0, above 2^32, or the order array cannot be allocated. */
void *qb_chase_build(void *mem, size_t nodes, uint64_t seed);

/* Follow loads pointers from p; returns where it stopped (use it, so the
 * chain is not dead code). loads is rounded up to a multiple of 16. */
void *qb_chase_run(void *p, uint64_t loads);

/* Length of the cycle through start, counting at most limit steps (0 when it
 * does not return to start within limit, or leaves the region). */
size_t qb_chase_cycle_length(const void *mem, size_t nodes, const void *start, size_t limit);

#endif
