/* Instruction kernels for probe inst: each runs `turns` loop turns of an
 * unrolled block of one instruction, either as one dependency chain (latency)
 * or as independent chains (throughput). */
#ifndef QB_INST_KERNELS_H
#define QB_INST_KERNELS_H

#include <stdint.h>

/* mem: the 64-byte aligned constant block of qb_inst_consts(). */
typedef void (*qb_inst_kernel)(uint64_t turns, const void *mem);

typedef struct {
    const char *name;     /* "vfmadd231ps-ymm" */
    const char *form;     /* "VFMADD231PS ymm, ymm, ymm" */
    const char *requires; /* cpuid features, "a+b" for both; "" for baseline x86-64 */
    qb_inst_kernel lat;
    int lat_per_turn;     /* instructions one latency turn executes */
    qb_inst_kernel tput;
    int tput_per_turn;
    int chains;           /* independent chains of the throughput kernel */
    /* Published figures (uops.info measurements of the same core; 0 = none):
     * latency in cycles, throughput in instructions per cycle. */
    double zen3_lat, zen3_tput, zen4_lat, zen4_tput;
    const char *ref_note; /* caveat about the published figure, or NULL */
} qb_inst_desc;

extern const qb_inst_desc qb_inst_table[];
extern const int qb_inst_count;

/* The constant block every kernel reads its operands from. */
const void *qb_inst_consts(void);

#endif
