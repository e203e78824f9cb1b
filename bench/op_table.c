/* The operator registry: one line per operator class, in the order qbench
 * lists them. Each descriptor lives beside its kernels in its own file. */
#include "op.h"
#include "ops_compute.h"
#include "ops_memory.h"

#include <stddef.h>

const qb_op_desc *const qb_op_table[] = {
    /* compute-bound */
    /* QB_COMPUTE_OPS_BEGIN */
    &qb_op_conv,
    &qb_op_matmul,
    &qb_op_batched_matmul,
    &qb_op_gemm,
    &qb_op_lstm,
    &qb_op_conv_transpose,
    &qb_op_grouped_conv,
    /* QB_COMPUTE_OPS_END */
    /* memory-bound */
    /* QB_MEMORY_OPS_BEGIN */
    &qb_op_relu,
    &qb_op_relu6,
    &qb_op_tanh,
    &qb_op_sigmoid,
    &qb_op_swish,
    &qb_op_add,
    &qb_op_mul,
    &qb_op_sub,
    &qb_op_div,
    &qb_op_softmax,
    &qb_op_cumsum,
    &qb_op_depthwise_conv,
    &qb_op_slice,
    &qb_op_transpose,
    &qb_op_permute,
    &qb_op_concat,
    &qb_op_shuffle,
    &qb_op_maxpool,
    &qb_op_avgpool,
    &qb_op_global_avgpool,
    &qb_op_batchnorm,
    &qb_op_layernorm,
    &qb_op_gelu,
    &qb_op_clip,
    /* QB_MEMORY_OPS_END */
    NULL,
};

_Static_assert(sizeof qb_op_table / sizeof qb_op_table[0] - 1 <= QB_MAX_OPS,
               "a selection (QB_MAX_OPS) must hold the whole registry");
