/* Peak kernels. Operands live in registers (or L1 for the fp16 microkernel),
 * so only the execution ports limit them. The constant block is the one the
 * instruction kernels use (inst_kernels.c). */
#include "peak_kernels.h"

#include "asm_kernel.h"

#include <stddef.h>
#include <stdint.h>

#define KERNEL QB_ASM_KERNEL
#define VEC12 QB_VEC12
#define EACH QB_EACH

/* Accumulators start at 1.0, the multiplicands at 0.5 and 1.0 (offsets as in inst_kernels.c). */
#define VSET                                                                                       \
    ".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13\n\t"                                                   \
    "vbroadcastss 0(%%rsi), %%ymm\\i\n\t"                                                          \
    ".endr\n\t"                                                                                    \
    "vbroadcastss 32(%%rsi), %%ymm14\n\t"                                                          \
    "vbroadcastss 0(%%rsi), %%ymm15"
#define ZSET                                                                                       \
    ".irp i,0,1,2,3,4,5,6,7,8,9,10,11\n\t"                                                         \
    "vbroadcastss 0(%%rsi), %%zmm\\i\n\t"                                                          \
    ".endr\n\t"                                                                                    \
    "vbroadcastss 32(%%rsi), %%zmm14\n\t"                                                          \
    "vbroadcastss 0(%%rsi), %%zmm15"

/* 12 accumulators x 4 = 48 FMAs a turn: 48 x 8 lanes x 2 = 768 FLOP. */
KERNEL(fp32, VSET, EACH(VEC12, "vfmadd231ps %%ymm14, %%ymm15, %%ymm\\i"), 4)
KERNEL(fp64, VSET, EACH(VEC12, "vfmadd231pd %%ymm14, %%ymm15, %%ymm\\i"), 4)
KERNEL(fp32s, VSET, EACH(VEC12, "vfmadd231ss %%xmm14, %%xmm15, %%xmm\\i"), 4)
KERNEL(fp32z, ZSET, EACH(VEC12, "vfmadd231ps %%zmm14, %%zmm15, %%zmm\\i"), 4)

/* fp16 storage, fp32 math, as the inner step of a 6x16 GEMM microkernel: two
 * binary16 vectors of B converted from L1, six broadcasts of A, 12 FMAs. */
#define F16_ROW(a, b)                                                                              \
    "vbroadcastss 0(%%rsi), %%ymm14\n\t"                                                           \
    "vfmadd231ps %%ymm14, %%ymm12, %%ymm" #a "\n\t"                                                \
    "vfmadd231ps %%ymm14, %%ymm13, %%ymm" #b "\n\t"
#define F16_STEP                                                                                   \
    "vcvtph2ps 128(%%rsi), %%ymm12\n\t"                                                            \
    "vcvtph2ps 144(%%rsi), %%ymm13\n\t" F16_ROW(0, 1) F16_ROW(2, 3) F16_ROW(4, 5) F16_ROW(6, 7)    \
        F16_ROW(8, 9) F16_ROW(10, 11)
KERNEL(fp16, VSET, F16_STEP, 4)

/* int8: u8 x s8 pairs into s16 (saturating), widened to s32 against ones,
 * added to an s32 accumulator. Six independent groups; 32 MACs each. */
#define I8_GROUP(acc, t)                                                                           \
    "vpmaddubsw %%ymm15, %%ymm14, %%ymm" #t "\n\t"                                                 \
    "vpmaddwd %%ymm13, %%ymm" #t ", %%ymm" #t "\n\t"                                               \
    "vpaddd %%ymm" #t ", %%ymm" #acc ", %%ymm" #acc "\n\t"
KERNEL(int8, VSET,
       I8_GROUP(0, 6) I8_GROUP(1, 7) I8_GROUP(2, 8) I8_GROUP(3, 9) I8_GROUP(4, 10) I8_GROUP(5, 11),
       4)
/* int16: s16 x s16 pairs into s32, accumulated. 16 MACs each. */
#define I16_GROUP(acc, t)                                                                          \
    "vpmaddwd %%ymm15, %%ymm14, %%ymm" #t "\n\t"                                                   \
    "vpaddd %%ymm" #t ", %%ymm" #acc ", %%ymm" #acc "\n\t"
KERNEL(int16, VSET,
       I16_GROUP(0, 6) I16_GROUP(1, 7) I16_GROUP(2, 8) I16_GROUP(3, 9) I16_GROUP(4, 10)
           I16_GROUP(5, 11),
       4)
/* AVX512-VNNI: u8 x s8 dot products of 4 straight into s32, 32 MACs an instruction. */
KERNEL(int8vnni, VSET, EACH(VEC12, "%{evex%} vpdpbusd %%ymm15, %%ymm14, %%ymm\\i"), 4)
/* The same on zmm: 64 MACs an instruction. */
KERNEL(int8vnniz, ZSET, EACH(VEC12, "vpdpbusd %%zmm15, %%zmm14, %%zmm\\i"), 4)
/* AVX512-BF16: pairs of bf16 products into fp32, 16 MACs an instruction. */
KERNEL(bf16, VSET, EACH(VEC12, "vdpbf16ps %%ymm15, %%ymm14, %%ymm\\i"), 4)

const qb_peak_desc qb_peak_table[] = {
    {"fp32", "fma", "VFMADD231PS ymm, 12 accumulators", fp32, 48 * 16, 32, 32, NULL},
    {"fp64", "fma", "VFMADD231PD ymm, 12 accumulators", fp64, 48 * 8, 16, 16, NULL},
    {"fp32-scalar", "fma", "VFMADD231SS, 12 accumulators", fp32s, 48 * 2, 4, 4, NULL},
    {"fp16", "fma+f16c", "binary16 B via VCVTPH2PS from L1 + VBROADCASTSS A + 12 VFMADD231PS ymm (6x16 microkernel step)",
     fp16, 4 * 12 * 16, 32, 32,
     "binary16 is storage only, converted with F16C, math in fp32"},
    {"int8", "avx2", "VPMADDUBSW (u8 x s8 -> s16) + VPMADDWD (x1 -> s32) + VPADDD, 6 groups", int8,
     4 * 6 * 64, 64, 64,
     "VPMADDUBSW saturates each pair sum to int16: keep activations within 7 bits or pre-scale weights"},
    {"int16", "avx2", "VPMADDWD (s16 x s16 -> s32) + VPADDD, 6 groups", int16, 4 * 6 * 32, 64, 64,
     NULL},
    {"fp32-avx512", "avx512f", "VFMADD231PS zmm, 12 accumulators", fp32z, 48 * 32, 0, 32, NULL},
    {"int8-vnni", "avx512vnni+avx512vl", "VPDPBUSD ymm (u8 x s8 -> s32), 12 accumulators",
     int8vnni, 48 * 64, 0, 128, NULL},
    {"int8-vnni-zmm", "avx512vnni", "VPDPBUSD zmm (u8 x s8 -> s32), 12 accumulators", int8vnniz,
     48 * 128, 0, 128, NULL},
    {"bf16", "avx512bf16+avx512vl", "VDPBF16PS ymm (bf16 pairs -> fp32), 12 accumulators", bf16,
     48 * 32, 0, 0, NULL},
};
const int qb_peak_count = (int)(sizeof qb_peak_table / sizeof qb_peak_table[0]);
