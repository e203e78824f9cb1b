/* The int8 epilogue's vector code applied outside the GEMM (defined with the
 * int8 micro-kernels in gemm_i8.c). */
#ifndef QB_GEMM_EPI_H
#define QB_GEMM_EPI_H

#include "gemm_types.h"

/* Apply an int8 epilogue (RQ_FLOAT, RQ_SHIFT, DQ_F32, S32) to n accumulators
 * of row i of C starting at column j, with the kernel's vector code: for
 * operators that accumulate outside the GEMM (conv-transpose's col2im). */
void qb_epi_apply(const qb_epilogue *e, const int32_t *acc, long i, long j, long n);
/* The same for the rows [i, i + mr) of a tile of 32 int32 a row, n <= 32
 * columns from column j; the common case (RQ_FLOAT, n = 32) on zmm, so only
 * for the zmm kernels' tiles (the CPU has AVX-512F). */
void qb_epi_tile32(const qb_epilogue *e, const int32_t *acc, long i, long mr, long j, long n);

#endif
