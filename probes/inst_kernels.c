/* The instruction kernels. Each latency kernel repeats one instruction whose
 * output feeds its own input; each throughput kernel spreads the instruction
 * over more independent chains than latency x ports, so only the execution
 * ports limit it. Operand values are chosen so no chain reaches a denormal.
 * Loop overhead is one fused dec/jnz per 96-100 instructions (about 1%). */
#include "inst_kernels.h"

#include "asm_kernel.h"

#include <stdalign.h>
#include <string.h>

/* Constant block: every slot is 32 bytes. */
#define OFF_ONE "0"      /* float 1.0 */
#define OFF_HALF "32"    /* float 0.5 */
#define OFF_DIV "64"     /* float 1.0000001: divisor that keeps a chain normal */
#define OFF_BYTES "96"   /* bytes 0x01 */
#define OFF_F16 "128"    /* binary16 1.0 */
#define OFF_SELF "160"   /* a pointer to itself, for the load chain */
#define OFF_LOADS "192"  /* plain data for independent loads */
#define OFF_SCRATCH "256" /* 64 bytes the store-reload kernels write and read */

static alignas(64) unsigned char consts[320];

const void *qb_inst_consts(void)
{
    static int ready;
    if (!ready) {
        const float one = 1.0f, half = 0.5f, div = 1.0000001f;
        const unsigned short f16_one = 0x3C00;
        for (int i = 0; i < 8; i++) {
            memcpy(consts + 0 + 4 * i, &one, 4);
            memcpy(consts + 32 + 4 * i, &half, 4);
            memcpy(consts + 64 + 4 * i, &div, 4);
        }
        memset(consts + 96, 1, 32);
        for (int i = 0; i < 16; i++) memcpy(consts + 128 + 2 * i, &f16_one, 2);
        const void *self = consts + 160;
        memcpy(consts + 160, &self, sizeof self);
        memset(consts + 192, 0, 128);
        ready = 1;
    }
    return consts;
}

#define KERNEL QB_ASM_KERNEL
#define GPR8 QB_GPR8
#define VEC12 QB_VEC12
#define EACH QB_EACH

/* Setups: every vector register starts from the same value (OFF) and the
 * constant operands sit in registers 13-15. */
#define VSET(off)                                                                                  \
    ".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12\n\t"                                                      \
    "vbroadcastss " off "(%%rsi), %%ymm\\i\n\t"                                                    \
    ".endr\n\t"                                                                                    \
    "vbroadcastss " OFF_DIV "(%%rsi), %%ymm13\n\t"                                                 \
    "vbroadcastss " OFF_HALF "(%%rsi), %%ymm14\n\t"                                                \
    "vbroadcastss " OFF_ONE "(%%rsi), %%ymm15"
#define ISET "mov $1, %%eax\n\tmov $1, %%ebx\n\tmov $1, %%edx\n\t" EACH(GPR8, "mov $1, %%r\\i")

/* 64-bit integer */
KERNEL(add_lat, ISET, "add %%rdx, %%rax", 100)
KERNEL(add_tput, ISET, EACH(GPR8, "add %%rdx, %%r\\i"), 12)
KERNEL(imul_lat, ISET, "imul %%rdx, %%rax", 100)
KERNEL(imul_tput, ISET, EACH(GPR8, "imul %%rdx, %%r\\i"), 12)
/* MUL writes fixed registers: the chain runs through AL/EAX; for throughput a
 * zeroing idiom (no execution port) breaks the dependency on EAX before each. */
KERNEL(mul8_lat, ISET, "mul %%bl", 100)
KERNEL(mul8_tput, ISET, "xor %%eax, %%eax\n\tmul %%bl", 100)
KERNEL(mul32_lat, ISET, "mul %%ebx", 100)
KERNEL(mul32_tput, ISET, "xor %%eax, %%eax\n\tmul %%ebx", 100)
/* Load-to-use: a pointer that points to itself (L1 hit every time). */
KERNEL(load_lat, "lea " OFF_SELF "(%%rsi), %%rax", "mov (%%rax), %%rax", 100)
KERNEL(load_tput, ISET, EACH(GPR8, "mov " OFF_LOADS "(%%rsi), %%r\\i"), 12)

/* Scalar and packed single precision; legacy SSE forms merge into their
 * destination, which is the chain register itself, so no false dependency. */
KERNEL(addss_lat, VSET(OFF_ONE), "addss %%xmm14, %%xmm0", 100)
KERNEL(addss_tput, VSET(OFF_ONE), EACH(VEC12, "addss %%xmm14, %%xmm\\i"), 8)
KERNEL(mulps_lat, VSET(OFF_HALF), "mulps %%xmm15, %%xmm0", 100)
KERNEL(mulps_tput, VSET(OFF_HALF), EACH(VEC12, "mulps %%xmm15, %%xmm\\i"), 8)
KERNEL(vmulps_lat, VSET(OFF_HALF), "vmulps %%ymm15, %%ymm0, %%ymm0", 100)
KERNEL(vmulps_tput, VSET(OFF_HALF), EACH(VEC12, "vmulps %%ymm15, %%ymm\\i, %%ymm\\i"), 8)
KERNEL(divss_lat, VSET(OFF_ONE), "divss %%xmm13, %%xmm0", 100)
KERNEL(divss_tput, VSET(OFF_ONE), EACH(VEC12, "divss %%xmm13, %%xmm\\i"), 8)
KERNEL(vdivps_lat, VSET(OFF_ONE), "vdivps %%ymm13, %%ymm0, %%ymm0", 100)
KERNEL(vdivps_tput, VSET(OFF_ONE), EACH(VEC12, "vdivps %%ymm13, %%ymm\\i, %%ymm\\i"), 8)
/* sqrt converges to 1.0 and stays there: a normal value, never a denormal. */
KERNEL(sqrtss_lat, VSET(OFF_HALF), "sqrtss %%xmm0, %%xmm0", 100)
KERNEL(sqrtss_tput, VSET(OFF_HALF), EACH(VEC12, "sqrtss %%xmm\\i, %%xmm\\i"), 8)
KERNEL(fma_lat, VSET(OFF_ONE), "vfmadd231ps %%ymm14, %%ymm15, %%ymm0", 100)
KERNEL(fma_tput, VSET(OFF_ONE), EACH(VEC12, "vfmadd231ps %%ymm14, %%ymm15, %%ymm\\i"), 8)
KERNEL(fmapd_lat, VSET(OFF_ONE), "vfmadd231pd %%ymm14, %%ymm15, %%ymm0", 100)
KERNEL(fmapd_tput, VSET(OFF_ONE), EACH(VEC12, "vfmadd231pd %%ymm14, %%ymm15, %%ymm\\i"), 8)
KERNEL(fmass_lat, VSET(OFF_ONE), "vfmadd231ss %%xmm14, %%xmm15, %%xmm0", 100)
KERNEL(fmass_tput, VSET(OFF_ONE), EACH(VEC12, "vfmadd231ss %%xmm14, %%xmm15, %%xmm\\i"), 8)

/* Integer SIMD: values do not change the timing. */
KERNEL(paddd_lat, VSET(OFF_BYTES), "paddd %%xmm15, %%xmm0", 100)
KERNEL(paddd_tput, VSET(OFF_BYTES), EACH(VEC12, "paddd %%xmm15, %%xmm\\i"), 8)
KERNEL(vpaddd_lat, VSET(OFF_BYTES), "vpaddd %%ymm15, %%ymm0, %%ymm0", 100)
KERNEL(vpaddd_tput, VSET(OFF_BYTES), EACH(VEC12, "vpaddd %%ymm15, %%ymm\\i, %%ymm\\i"), 8)
KERNEL(vpaddb_lat, VSET(OFF_BYTES), "vpaddb %%ymm15, %%ymm0, %%ymm0", 100)
KERNEL(vpaddb_tput, VSET(OFF_BYTES), EACH(VEC12, "vpaddb %%ymm15, %%ymm\\i, %%ymm\\i"), 8)
/* u8 (first source) x s8 (second source): AT&T order is s8, u8, dst. */
KERNEL(maddubs_lat, VSET(OFF_BYTES), "vpmaddubsw %%ymm15, %%ymm0, %%ymm0", 100)
KERNEL(maddubs_tput, VSET(OFF_BYTES), EACH(VEC12, "vpmaddubsw %%ymm15, %%ymm\\i, %%ymm\\i"), 8)
KERNEL(maddwd_lat, VSET(OFF_BYTES), "vpmaddwd %%ymm15, %%ymm0, %%ymm0", 100)
KERNEL(maddwd_tput, VSET(OFF_BYTES), EACH(VEC12, "vpmaddwd %%ymm15, %%ymm\\i, %%ymm\\i"), 8)
KERNEL(vnni_lat, VSET(OFF_BYTES), "%{evex%} vpdpbusd %%ymm15, %%ymm14, %%ymm0", 100)
KERNEL(vnni_tput, VSET(OFF_BYTES), EACH(VEC12, "%{evex%} vpdpbusd %%ymm15, %%ymm14, %%ymm\\i"), 8)

/* binary16 conversions: the chain feeds the converted bits back in. */
KERNEL(cvtph2ps_lat, VSET(OFF_F16), "vcvtph2ps %%xmm0, %%ymm0", 100)
KERNEL(cvtph2ps_tput, VSET(OFF_F16), EACH(VEC12, "vcvtph2ps %%xmm15, %%ymm\\i"), 8)
KERNEL(cvtps2ph_lat, VSET(OFF_ONE), "vcvtps2ph $0, %%ymm0, %%xmm0", 100)
KERNEL(cvtps2ph_tput, VSET(OFF_ONE), EACH(VEC12, "vcvtps2ph $0, %%ymm15, %%xmm\\i"), 8)

/* Native binary16 FMA (AVX512-FP16, e.g. Sapphire Rapids): listed so a CPU
 * with FP16 arithmetic shows it; on one without, it is never executed. */
KERNEL(fmaph_lat, VSET(OFF_F16), "vfmadd231ph %%ymm14, %%ymm15, %%ymm0", 100)
KERNEL(fmaph_tput, VSET(OFF_F16), EACH(VEC12, "vfmadd231ph %%ymm14, %%ymm15, %%ymm\\i"), 8)

/* 512-bit FMA, where the CPU has AVX-512 (Zen 4 runs it as two 256-bit halves). */
#define ZSET                                                                                       \
    ".irp i,0,1,2,3,4,5,6,7,8,9,10,11\n\t"                                                         \
    "vbroadcastss " OFF_ONE "(%%rsi), %%zmm\\i\n\t"                                                \
    ".endr\n\t"                                                                                    \
    "vbroadcastss " OFF_HALF "(%%rsi), %%zmm14\n\t"                                                \
    "vbroadcastss " OFF_ONE "(%%rsi), %%zmm15"
KERNEL(fmaz_lat, ZSET, "vfmadd231ps %%zmm14, %%zmm15, %%zmm0", 100)
KERNEL(fmaz_tput, ZSET, EACH(VEC12, "vfmadd231ps %%zmm14, %%zmm15, %%zmm\\i"), 8)

/* Store, then reload the same address: the round trip through the store
 * buffer (store-to-load forwarding), what writing a value back and reading
 * it again costs while its line is in the L1. The load names the address
 * through another register than the store (%rdx = %rdi), so a core that
 * renames memory operands by their address expression cannot skip the
 * round trip. One pair is one "instruction". */
#define STLD_SET "lea " OFF_SCRATCH "(%%rsi), %%rdi\n\tmov %%rdi, %%rdx\n\t"
KERNEL(stld_lat, STLD_SET "mov $1, %%eax", "mov %%rax, (%%rdi)\n\tmov (%%rdx), %%rax", 50)
KERNEL(stld_tput, STLD_SET EACH(GPR8, "mov $1, %%r\\i"),
       EACH(GPR8, "mov %%r\\i, 8*(\\i-8)(%%rdi)\n\tmov 8*(\\i-8)(%%rdx), %%r\\i"), 6)

/* The front end: ADD r64, imm8 (4 bytes) 7000 times in one 28 KiB turn, more
 * micro-ops than an op cache holds (Zen 4: 6.75 K) but within a 32 KiB L1
 * instruction cache, so they stream through the legacy decoders. Against
 * add-r64's short loop, which the op cache serves, the throughput difference
 * is what decoding costs. */
KERNEL(adddec_lat, ISET, "add $1, %%rax", 7000)
KERNEL(adddec_tput, ISET, EACH(GPR8, "add $1, %%r\\i"), 875)

#define INT_T(lat, tput) lat, 100, tput, 96, 8
#define VEC_T(lat, tput) lat, 100, tput, 96, 12
#define MUL_T(lat, tput) lat, 100, tput, 100, 1

/* Published figures: uops.info measurements on Zen 3 and Zen 4 cores. */
const qb_inst_desc qb_inst_table[] = {
    {"add-r64", "ADD r64, r64", "", INT_T(add_lat, add_tput), 1, 4, 1, 4, NULL},
    {"add-r64-decoders", "ADD r64, imm8 in a 28 KiB block: past the op cache, through the decoders", "",
     adddec_lat, 7000, adddec_tput, 7000, 8, 0, 0, 0, 0, NULL},
    {"store-reload", "MOV [m], r64 then MOV r64, [m] (store-to-load forwarding; per pair)", "", stld_lat, 50,
     stld_tput, 48, 8, 0, 0, 0, 0, NULL},
    {"imul-r64", "IMUL r64, r64", "", INT_T(imul_lat, imul_tput), 3, 1, 3, 1, NULL},
    {"mul-r8", "MUL r8 (AX = AL * r8)", "", MUL_T(mul8_lat, mul8_tput), 3, 1, 3, 1, NULL},
    {"mul-r32", "MUL r32 (EDX:EAX = EAX * r32)", "", MUL_T(mul32_lat, mul32_tput), 3, 1, 3, 1,
     "chain through EAX; EDX is ready one cycle later"},
    {"load-r64", "MOV r64, [r64] (L1 hit, load-to-use)", "", INT_T(load_lat, load_tput), 4, 3, 4,
     3, NULL},
    {"addss", "ADDSS xmm, xmm", "", VEC_T(addss_lat, addss_tput), 3, 2, 3, 2, NULL},
    {"mulps-xmm", "MULPS xmm, xmm", "", VEC_T(mulps_lat, mulps_tput), 3, 2, 3, 2, NULL},
    {"vmulps-ymm", "VMULPS ymm, ymm, ymm", "avx", VEC_T(vmulps_lat, vmulps_tput), 3, 2, 3, 2, NULL},
    {"divss", "DIVSS xmm, xmm", "", VEC_T(divss_lat, divss_tput), 10, 1 / 3.5, 11, 1 / 3.0,
     "published latency is an upper bound (value-dependent)"},
    {"vdivps-ymm", "VDIVPS ymm, ymm, ymm", "avx", VEC_T(vdivps_lat, vdivps_tput), 10, 1 / 3.5, 11,
     1 / 3.0, "published latency is an upper bound (value-dependent)"},
    {"sqrtss", "SQRTSS xmm, xmm", "", VEC_T(sqrtss_lat, sqrtss_tput), 14, 0.2, 15, 0.2,
     "published latency is an upper bound (value-dependent)"},
    {"paddd-xmm", "PADDD xmm, xmm", "", VEC_T(paddd_lat, paddd_tput), 1, 4, 1, 4, NULL},
    {"vpaddd-ymm", "VPADDD ymm, ymm, ymm", "avx2", VEC_T(vpaddd_lat, vpaddd_tput), 1, 4, 1, 4, NULL},
    {"vpaddb-ymm", "VPADDB ymm, ymm, ymm", "avx2", VEC_T(vpaddb_lat, vpaddb_tput), 1, 4, 1, 4, NULL},
    {"vfmadd231ps-ymm", "VFMADD231PS ymm, ymm, ymm", "fma", VEC_T(fma_lat, fma_tput), 4, 2, 4, 2,
     NULL},
    {"vfmadd231pd-ymm", "VFMADD231PD ymm, ymm, ymm", "fma", VEC_T(fmapd_lat, fmapd_tput), 4, 2, 4,
     2, NULL},
    {"vfmadd231ss", "VFMADD231SS xmm, xmm, xmm", "fma", VEC_T(fmass_lat, fmass_tput), 4, 2, 4, 2,
     NULL},
    {"vfmadd231ps-zmm", "VFMADD231PS zmm, zmm, zmm", "avx512f", VEC_T(fmaz_lat, fmaz_tput), 0, 0, 4,
     1, NULL},
    {"vfmadd231ph-ymm", "VFMADD231PH ymm, ymm, ymm (AVX512-FP16 native binary16 FMA)",
     "avx512fp16+avx512vl", VEC_T(fmaph_lat, fmaph_tput), 0, 0, 0, 0, NULL},
    {"vpmaddubsw-ymm", "VPMADDUBSW ymm, ymm, ymm (u8 x s8 -> s16, saturating)", "avx2",
     VEC_T(maddubs_lat, maddubs_tput), 3, 2, 3, 2, NULL},
    {"vpmaddwd-ymm", "VPMADDWD ymm, ymm, ymm (s16 x s16 -> s32)", "avx2",
     VEC_T(maddwd_lat, maddwd_tput), 3, 2, 3, 2, NULL},
    {"vpdpbusd-ymm", "VPDPBUSD ymm, ymm, ymm (AVX512-VNNI, u8 x s8 -> s32)", "avx512vnni+avx512vl",
     VEC_T(vnni_lat, vnni_tput), 0, 0, 4, 2, NULL},
    {"vcvtph2ps-ymm", "VCVTPH2PS ymm, xmm (binary16 -> fp32)", "f16c",
     VEC_T(cvtph2ps_lat, cvtph2ps_tput), 4, 1, 4, 1.5, NULL},
    {"vcvtps2ph-ymm", "VCVTPS2PH xmm, ymm, imm (fp32 -> binary16)", "f16c",
     VEC_T(cvtps2ph_lat, cvtps2ph_tput), 6, 1, 6, 1.5, NULL},
};
const int qb_inst_count = (int)(sizeof qb_inst_table / sizeof qb_inst_table[0]);
