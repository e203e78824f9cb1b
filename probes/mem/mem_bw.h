/* One bandwidth working set: the mapping, each thread's slot in it (first
 * touched by that thread), the arrays a kernel uses in a slot, and the timed
 * trial of a kernel on every thread at once. */
#ifndef QB_MEM_BW_H
#define QB_MEM_BW_H

#include "mem_alloc.h"
#include "mem_kernels.h"
#include "repeat.h"

#define QB_MEM_MAX_THREADS 256

typedef struct {
    qb_mem_map map;
    int threads;
    size_t ws;         /* the working set asked for, all threads together */
    size_t slot;       /* bytes between threads' slots */
    const char *pages; /* "2M", "4K" or "unknown", after the first touch */
} qb_bw_set;

/* Bytes of mapping a working set needs on `threads` threads (for the memory check). */
size_t qb_bw_set_bytes(size_t ws, int threads);

/* Map and first-touch a working set, each slot by the OpenMP thread that owns it.
 * The caller's OpenMP threads should already be pinned. */
int qb_bw_set_alloc(qb_bw_set *s, size_t ws, int threads);
void qb_bw_set_free(qb_bw_set *s);

/* Thread t's arrays for kernel k: the slot's share split over the kernel's
 * arrays, each a whole number of blocks, offset so that no two arrays start
 * at the same address modulo 4 KiB (a store and a later load 4 KiB apart
 * would falsely wait on each other). */
void qb_bw_arrays(const qb_bw_set *s, const qb_mem_kernel *k, int t, qb_mem_arrays *a);

/* Bytes one pass of k moves over the whole set, STREAM's way. */
double qb_bw_bytes_per_pass(const qb_bw_set *s, const qb_mem_kernel *k);

/* Measure k on the set: GB/s (1e9 bytes/s) in samples, bytes per core
 * cycle per thread in aux. */
int qb_bw_measure(const qb_bw_set *s, const qb_mem_kernel *k, const qb_rep_policy *pol,
                  double trial_us, qb_rep_result *out);

#endif
