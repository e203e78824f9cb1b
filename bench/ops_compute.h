/* Descriptors of the compute-bound operators (conv, matmul, batched-matmul,
 * gemm, lstm, conv-transpose), each defined beside its kernels. */
#ifndef QB_OPS_COMPUTE_H
#define QB_OPS_COMPUTE_H

#include "op.h"

#endif
