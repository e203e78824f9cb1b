/* Descriptors of the compute-bound operators (conv, matmul, batched-matmul,
 * gemm, lstm, conv-transpose), each defined beside its kernels. */
#ifndef QB_OPS_COMPUTE_H
#define QB_OPS_COMPUTE_H

#include "op.h"

extern const qb_op_desc qb_op_conv;           /* bench/ops/conv.c */
extern const qb_op_desc qb_op_matmul;         /* bench/ops/ops_compute_gemm.c */
extern const qb_op_desc qb_op_batched_matmul; /* bench/ops/ops_compute_gemm.c */
extern const qb_op_desc qb_op_gemm;           /* bench/ops/ops_compute_gemm.c */
extern const qb_op_desc qb_op_lstm;           /* bench/ops/lstm.c */
extern const qb_op_desc qb_op_conv_transpose; /* bench/ops/conv_transpose.c */
extern const qb_op_desc qb_op_grouped_conv;   /* bench/ops/conv_grouped.c */

#endif
