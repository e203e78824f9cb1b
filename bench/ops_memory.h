/* Descriptors of the memory-bound operators (element-wise, softmax, cumsum,
 * depthwise conv, layout), each defined beside its kernels. */
#ifndef QB_OPS_MEMORY_H
#define QB_OPS_MEMORY_H

#include "op.h"

#endif
