/* The GEMM's plain scalar reference, and the scalar requantization of one
 * accumulator that the reference and the kernels' edge code share. */
#ifndef QB_GEMM_REF_H
#define QB_GEMM_REF_H

#include "gemm_types.h"

/* A plain scalar reference of the same arithmetic: float accumulation in
 * double for float types; int8 with the vpmaddubsw pair saturation to int16
 * when sat16 (the AVX2 path), plain int32 sums otherwise (VNNI). */
int qb_gemm_ref(long M, long N, long K, const qb_mat *A, const qb_mat *B, const qb_epilogue *e,
                bool sat16);

/* One element of an operand as float / as integer (reference and tests). */
float qb_mat_getf(const qb_mat *m, long i, long j);
int32_t qb_mat_geti(const qb_mat *m, long i, long j);

/* The requantization of one accumulator as the epilogue does it. */
int32_t qb_epi_requant(const qb_epilogue *e, long ch, int32_t acc);

#endif
