/* Peak-compute kernels: the instruction mix a real kernel of each data type
 * would use, with enough independent accumulators to fill every port. */
#ifndef QB_PEAK_KERNELS_H
#define QB_PEAK_KERNELS_H

#include "inst_kernels.h"

typedef struct {
    const char *dtype;    /* "fp32", "int8", ... */
    const char *requires; /* cpuid features */
    const char *how;      /* the instruction sequence, for humans and JSON */
    qb_inst_kernel kernel;
    double ops_per_turn;  /* FLOP or integer OP per loop turn; a multiply-add counts 2 */
    double zen3_ops_per_cycle, zen4_ops_per_cycle; /* from the published port counts; 0 = none */
    const char *note;
} qb_peak_desc;

extern const qb_peak_desc qb_peak_table[];
extern const int qb_peak_count;

#endif
