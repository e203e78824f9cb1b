/* How a layout operator moves its elements: either rows copied into a dense
 * output (slice, concat, shuffle, a permutation that keeps the innermost
 * axis), or a 2-D plane transposed under up to two outer loops (transpose,
 * any other permutation). The plan is built once in create(); execution
 * splits the output (rows plan) or the transpose blocks (transpose plan)
 * evenly across the threads. */
#ifndef QB_LAYOUT_PLAN_H
#define QB_LAYOUT_PLAN_H

#include "layout_kern.h"

#include <stdbool.h>
#include <stddef.h>

/* The source element offset (in its input, `which`) of output row r. */
typedef size_t (*qb_lay_row_fn)(const void *ctx, size_t r, int *which);

typedef struct {
    bool transpose;
    size_t esz;
    /* rows plan: nrows output rows of len elements, sources from row_src;
     * a permutation uses the strides below instead (row_src NULL) */
    size_t len, nrows;
    qb_lay_row_fn row_src;
    const void *ctx;
    int nouter; /* permutation rows: outer output dims, outermost first */
    size_t odim[3], ois[3];
    /* transpose plan: dst[j * ds + i] = src[i * ss + j], i < rows, j < cols,
     * under outer dims (size, input stride, output stride) */
    size_t rows, cols, ss, ds;
    size_t tdim[2], tis[2], tos[2];
} qb_lay_plan;

/* Tuning, measured on a Zen 4 core with DRAM-sized tensors:
 * - a transpose block is QB_LAY_RUN_BYTES / esz elements square, so each of
 *   its source rows read and destination rows written is a run of that many
 *   bytes; it is transposed into the thread's scratch and streamed out;
 * - the source lines of the block QB_LAY_PF_TASKS tasks ahead are prefetched
 *   into L2 (_MM_HINT_T1), a strip of rows at a time between the strips'
 *   transposes: a few lines from each of many rows are not fetched in time
 *   by the hardware prefetchers, L1 prefetches (T0) are throttled so early
 *   that they did not help at all, and one burst per block helped less than
 *   spreading them (fp32 4096^2, one thread: 9 -> 6 ms);
 * - rows plans gather rows shorter than QB_LAY_STAGE_ROW_BYTES into the
 *   scratch (QB_LAY_STAGE_BYTES at a time) so the output is streamed as
 *   whole aligned lines, and prefetch the row QB_LAY_PF_BYTES ahead, as the
 *   streamer retrains at every row start (slice: 9 -> 20 GB/s). */
#define QB_LAY_RUN_BYTES 256
#define QB_LAY_PF_TASKS 2
/* rows transposed between two bursts of prefetches: a multiple of the
 * register tiles' heights (8, 16), else whole strips fall to scalar code */
#define QB_LAY_STRIP 16
#define QB_LAY_STAGE_ROW_BYTES 4096
#define QB_LAY_STAGE_BYTES QB_LAY_TMP_BYTES
#define QB_LAY_PF_BYTES 8192

/* The plan of a 4-D permutation: output axis j is input axis perm[j]. Axes of
 * size 1 are dropped and axes adjacent in both orders merged first, so e.g.
 * NCHW -> NHWC becomes one [C, H*W] transpose per image. */
void qb_lay_plan_permute(const size_t dims[4], const int perm[4], size_t esz, qb_lay_plan *p);

/* A rows plan. */
void qb_lay_plan_rows(size_t nrows, size_t len, size_t esz, qb_lay_row_fn fn, const void *ctx,
                      qb_lay_plan *p);

/* Run the plan: thread t of nt (inside a parallel region) moves its share
 * from src[which] to dst. tmp: QB_LAY_TMP_BYTES, 64-byte aligned. */
void qb_lay_exec(const qb_lay_plan *p, const void *const *src, void *dst, bool nt, void *tmp, int t,
                 int nt_threads);

/* The whole 4-D permutation from src to dst on the calling thread: for the
 * layout changes an operator makes outside its timing (NCHW activations to
 * NHWC at creation, an NHWC result back for output). QB_ENOMEM without the
 * working buffer. */
int qb_lay_permute(const void *src, void *dst, const size_t dims[4], const int perm[4], size_t esz);

#endif
