/* Big working buffers: inputs, outputs and scratch of the measured kernels.
 *
 * Every page of a buffer is touched when it is handed out, so no page fault
 * lands in a timed run. From QB_BIG_HUGE_BYTES on a buffer is 2 MiB aligned
 * and advised to use transparent huge pages.
 *
 * Freed buffers of that size are kept (up to QB_BIG_KEEP_BYTES in all) and
 * handed out again to a request they fit, as they were left: faulting fresh
 * memory in costs far more than the work of most callers (on a virtual
 * machine the host may have to back every page first), and a suite makes
 * and frees the same sizes over and over. Only on a machine with one NUMA
 * node: on several, a reused page would stay on the node of the thread that
 * touched it first, not the one that uses it now. Not thread-safe: buffers
 * are made and freed outside the kernels' parallel regions. */
#ifndef QB_BIG_BUF_H
#define QB_BIG_BUF_H

#include <stdbool.h>
#include <stddef.h>

#define QB_BIG_HUGE_BYTES ((size_t)2 << 20)

/* 64-byte aligned (2 MiB from QB_BIG_HUGE_BYTES), size rounded up; a fresh
 * buffer's pages touched by `threads` threads (first touch places them). The
 * contents are not defined: a reused buffer holds what its last owner left.
 * NULL when out of memory. */
void *qb_big_alloc(size_t bytes, int threads);

/* Free a buffer from qb_big_alloc (NULL is ignored; a pointer from malloc is
 * passed to free). A big one is kept for reuse while the kept total allows. */
void qb_big_free(void *p);

/* Give every kept buffer back to the system. */
void qb_big_release(void);

/* Bytes kept for reuse now, and whether freed buffers are kept at all here
 * (one NUMA node). */
size_t qb_big_kept_bytes(void);
bool qb_big_keeps(void);

#endif
