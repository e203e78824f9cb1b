/* What the CPU says about itself through cpuid, and what the OS enables (xgetbv). */
#ifndef QB_CPU_FEATURES_H
#define QB_CPU_FEATURES_H

#include <stdbool.h>

typedef struct {
    char vendor[13];
    char brand[49];
    int family, model, stepping;
    bool hypervisor;
    char hypervisor_vendor[13];
    /* ISA features usable by this process (cpuid bit and OS register state). */
    bool sse42, avx, avx2, fma, f16c;
    bool avx512f, avx512dq, avx512cd, avx512bw, avx512vl, avx512ifma, avx512vbmi, avx512vbmi2;
    bool avx512vnni, avx512bf16, avx512fp16, avx512bitalg, avx512vpopcntdq;
    bool avxvnni, amx_tile, amx_int8, amx_bf16;
    bool invariant_tsc;
} qb_cpu;

/* Read once and cached. */
const qb_cpu *qb_cpu_get(void);

/* Feature test by name as used in --help and JSON ("avx2", "avx512vnni"); "a+b" needs both,
 * "" needs nothing, an unknown name is false. */
bool qb_cpu_has(const char *feature);

/* The names of the features above that are present, in a fixed order; returns the count. */
int qb_cpu_feature_names(const char **names, int max);

#endif
