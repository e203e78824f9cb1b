/* The loop shape every probe kernel shares: a setup, then `turns` turns of
 * REPS copies of BODY closed by one fused dec/jnz (about 1% of the work at
 * 48-100 instructions a turn). Kernels read their operands from the constant
 * block in %rsi (inst_kernels.c) and may use every general and vector
 * register but %rcx, %rsi, %rsp and %rbp. */
#ifndef QB_ASM_KERNEL_H
#define QB_ASM_KERNEL_H

#include <stdint.h>

#define QB_ASM_CLOBBERS                                                                            \
    "cc", "memory", "rax", "rbx", "rdx", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",     \
        "r15", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",     \
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

#define QB_ASM_KERNEL(fn, setup, body, reps)                                                       \
    static void fn(uint64_t turns, const void *mem)                                                \
    {                                                                                              \
        __asm__ volatile(setup "\n\t"                                                              \
                               ".p2align 6\n\t"                                                    \
                               "1:\n\t"                                                            \
                               ".rept " #reps "\n\t" body "\n\t"                                   \
                               ".endr\n\t"                                                         \
                               "dec %%rcx\n\t"                                                     \
                               "jnz 1b\n\t"                                                        \
                               "vzeroupper"                                                        \
                         : "+c"(turns)                                                             \
                         : "S"(mem)                                                                \
                         : QB_ASM_CLOBBERS);                                                       \
    }

/* Register lists for independent chains, and one instruction per register. */
#define QB_GPR8 "8,9,10,11,12,13,14,15"
#define QB_VEC12 "0,1,2,3,4,5,6,7,8,9,10,11"
#define QB_EACH(list, insn) ".irp i," list "\n\t" insn "\n\t.endr"

#endif
