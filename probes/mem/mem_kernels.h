/* Bandwidth kernels of qbench probe mem, with the byte accounting beside each
 * (as likwid keeps streams and bytes per iteration beside its kernels).
 *
 * Every kernel walks its arrays once per pass with 256-bit AVX loads and
 * stores. Bytes are counted as STREAM counts them: each array read or written
 * once per pass, no write-allocate traffic, so the bytes one pass moves equal
 * the working set (the sum of the arrays). The -nt kernels store with
 * non-temporal stores, as the operators write a large output: for them the
 * count is also the traffic; an ordinary store also reads its line first. */
#ifndef QB_MEM_KERNELS_H
#define QB_MEM_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Arrays are walked in blocks of this many floats (8 ymm registers, 256
 * bytes); an array's length is a multiple of it and 32-byte aligned. */
#define QB_MEM_BLOCK_FLOATS 64
#define QB_MEM_BLOCK_BYTES (QB_MEM_BLOCK_FLOATS * 4)

/* One thread's arrays: dst is written, src0/src1 read (unused ones NULL). */
typedef struct {
    float *dst;
    const float *src0, *src1;
    size_t n;      /* floats per array, a multiple of QB_MEM_BLOCK_FLOATS */
    float scalar;  /* the s of triad */
    float sum;     /* what read adds up, so its loads are not dead */
} qb_mem_arrays;

typedef struct {
    const char *name;   /* read, write, write-nt, copy, triad, copy-nt, triad-nt */
    const char *how;    /* the loop, in one line */
    int reads, writes;  /* arrays read and written per pass */
    void (*run)(qb_mem_arrays *a, uint64_t passes);
    bool bypasses_cache; /* non-temporal stores: every level's figure is memory's */
} qb_mem_kernel;

extern const qb_mem_kernel qb_mem_kernels[];
extern const int qb_mem_kernel_count;

/* The kernel with this name, or NULL. */
const qb_mem_kernel *qb_mem_kernel_find(const char *name);

/* Arrays a kernel uses (reads + writes). */
static inline int qb_mem_kernel_arrays(const qb_mem_kernel *k)
{
    return k->reads + k->writes;
}

/* Bytes one pass over arrays of n floats moves, counted as STREAM does. */
static inline double qb_mem_kernel_bytes(const qb_mem_kernel *k, size_t n)
{
    return (double)qb_mem_kernel_arrays(k) * (double)n * sizeof(float);
}

#endif
