/* Descriptors of the memory-bound operators (element-wise, softmax, cumsum,
 * depthwise conv, layout), each defined beside its kernels. */
#ifndef QB_OPS_MEMORY_H
#define QB_OPS_MEMORY_H

#include "op.h"

/* bench/ops/eltwise_unary.c */
extern const qb_op_desc qb_op_relu, qb_op_relu6, qb_op_tanh, qb_op_sigmoid, qb_op_swish;
/* bench/ops/eltwise_binary.c */
extern const qb_op_desc qb_op_add, qb_op_mul, qb_op_sub, qb_op_div;
/* bench/ops/softmax.c */
extern const qb_op_desc qb_op_softmax;
/* bench/ops/ops_mem_cumsum.c */
extern const qb_op_desc qb_op_cumsum;
/* bench/ops/depthwise.c (kernels in depthwise_kern.c) */
extern const qb_op_desc qb_op_depthwise_conv;
/* bench/ops/layout_ops.c (kernels in layout_kern.c, plans in layout_plan.c) */
extern const qb_op_desc qb_op_slice, qb_op_transpose, qb_op_permute, qb_op_concat, qb_op_shuffle;

/* bench/ops/nn_ops.c (kernels in nn_kern.c) */
extern const qb_op_desc qb_op_maxpool, qb_op_avgpool, qb_op_global_avgpool, qb_op_batchnorm,
    qb_op_layernorm, qb_op_gelu, qb_op_clip;

#endif
