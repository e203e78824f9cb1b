/* The loops are inline assembly so the compiler can neither turn the stores
 * into memset, drop passes whose stores are overwritten by the next pass, nor
 * vary the instruction mix between builds: what runs is what the table says. */
#include "mem_kernels.h"

#include <immintrin.h>
#include <string.h>

/* vaddps with a memory operand: one load and one add per 32 bytes, eight
 * independent sums so the add latency (3-4 cycles) never limits two loads
 * per cycle. */
static void k_read(qb_mem_arrays *a, uint64_t passes)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    const float *end = a->src0 + a->n;
    for (uint64_t p = 0; p < passes; p++) {
        const float *q = a->src0;
        __asm__ volatile("1:\n\t"
                         "vaddps 0(%[q]), %[s0], %[s0]\n\t"
                         "vaddps 32(%[q]), %[s1], %[s1]\n\t"
                         "vaddps 64(%[q]), %[s2], %[s2]\n\t"
                         "vaddps 96(%[q]), %[s3], %[s3]\n\t"
                         "vaddps 128(%[q]), %[s4], %[s4]\n\t"
                         "vaddps 160(%[q]), %[s5], %[s5]\n\t"
                         "vaddps 192(%[q]), %[s6], %[s6]\n\t"
                         "vaddps 224(%[q]), %[s7], %[s7]\n\t"
                         "add $256, %[q]\n\t"
                         "cmp %[end], %[q]\n\t"
                         "jb 1b"
                         : [q] "+r"(q), [s0] "+x"(s0), [s1] "+x"(s1), [s2] "+x"(s2), [s3] "+x"(s3),
                           [s4] "+x"(s4), [s5] "+x"(s5), [s6] "+x"(s6), [s7] "+x"(s7)
                         : [end] "r"(end)
                         : "cc", "memory");
    }
    s0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)),
                       _mm256_add_ps(_mm256_add_ps(s4, s5), _mm256_add_ps(s6, s7)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s0);
    float sum = 0;
    for (int i = 0; i < 8; i++) sum += lanes[i];
    a->sum = sum;
}

#define STORE8(insn)                                                                               \
    insn " %[v], 0(%[d])\n\t" insn " %[v], 32(%[d])\n\t" insn " %[v], 64(%[d])\n\t" insn           \
         " %[v], 96(%[d])\n\t" insn " %[v], 128(%[d])\n\t" insn " %[v], 160(%[d])\n\t" insn        \
         " %[v], 192(%[d])\n\t" insn " %[v], 224(%[d])\n\t"

static void k_write(qb_mem_arrays *a, uint64_t passes)
{
    const __m256 v = _mm256_set1_ps(a->scalar);
    float *end = a->dst + a->n;
    for (uint64_t p = 0; p < passes; p++) {
        float *d = a->dst;
        __asm__ volatile("1:\n\t" STORE8("vmovaps") "add $256, %[d]\n\t"
                                                    "cmp %[end], %[d]\n\t"
                                                    "jb 1b"
                         : [d] "+r"(d)
                         : [v] "x"(v), [end] "r"(end)
                         : "cc", "memory");
    }
}

/* Non-temporal stores bypass the caches; the sfence after each pass makes
 * the time include draining the write-combining buffers. */
static void k_write_nt(qb_mem_arrays *a, uint64_t passes)
{
    const __m256 v = _mm256_set1_ps(a->scalar);
    float *end = a->dst + a->n;
    for (uint64_t p = 0; p < passes; p++) {
        float *d = a->dst;
        __asm__ volatile("1:\n\t" STORE8("vmovntps") "add $256, %[d]\n\t"
                                                     "cmp %[end], %[d]\n\t"
                                                     "jb 1b\n\t"
                                                     "sfence"
                         : [d] "+r"(d)
                         : [v] "x"(v), [end] "r"(end)
                         : "cc", "memory");
    }
}

/* copy and triad, each with ordinary stores (vmovaps) and with non-temporal
 * ones (vmovntps), the way an operator writes a large output: those go to
 * memory without reading the lines first, so the bytes counted are the bytes
 * moved; the sfence after each pass makes the time include draining the
 * write-combining buffers. STORE is the store, TAIL what ends a pass. */
#define COPY4(off0, off1, off2, off3, STORE)                                                       \
    "vmovaps " off0 "(%[s]), %[t0]\n\t"                                                            \
    "vmovaps " off1 "(%[s]), %[t1]\n\t"                                                            \
    "vmovaps " off2 "(%[s]), %[t2]\n\t"                                                            \
    "vmovaps " off3 "(%[s]), %[t3]\n\t"                                                            \
    STORE " %[t0], " off0 "(%[d])\n\t"                                                             \
    STORE " %[t1], " off1 "(%[d])\n\t"                                                             \
    STORE " %[t2], " off2 "(%[d])\n\t"                                                             \
    STORE " %[t3], " off3 "(%[d])\n\t"

#define COPY_KERNEL(fn, STORE, TAIL)                                                               \
    static void fn(qb_mem_arrays *a, uint64_t passes)                                              \
    {                                                                                              \
        float *end = a->dst + a->n;                                                                \
        for (uint64_t p = 0; p < passes; p++) {                                                    \
            float *d = a->dst;                                                                     \
            const float *s = a->src0;                                                              \
            __m256 t0, t1, t2, t3;                                                                 \
            __asm__ volatile("1:\n\t" COPY4("0", "32", "64", "96", STORE)                          \
                                 COPY4("128", "160", "192", "224", STORE) "add $256, %[s]\n\t"     \
                                                                          "add $256, %[d]\n\t"     \
                                                                          "cmp %[end], %[d]\n\t"   \
                                                                          "jb 1b" TAIL             \
                             : [d] "+r"(d), [s] "+r"(s), [t0] "=&x"(t0), [t1] "=&x"(t1),           \
                               [t2] "=&x"(t2), [t3] "=&x"(t3)                                      \
                             : [end] "r"(end)                                                      \
                             : "cc", "memory");                                                    \
        }                                                                                          \
    }

COPY_KERNEL(k_copy, "vmovaps", "")
COPY_KERNEL(k_copy_nt, "vmovntps", "\n\tsfence")

/* a = b + s * c, STREAM's triad: one load, one FMA with a memory operand and
 * one store per 32 bytes of a. */
#define TRIAD1(off, t, STORE)                                                                      \
    "vmovaps " off "(%[b]), %[" t "]\n\t"                                                          \
    "vfmadd231ps " off "(%[c]), %[s], %[" t "]\n\t" STORE " %[" t "], " off "(%[d])\n\t"

#define TRIAD_KERNEL(fn, STORE, TAIL)                                                              \
    static void fn(qb_mem_arrays *a, uint64_t passes)                                              \
    {                                                                                              \
        const __m256 sv = _mm256_set1_ps(a->scalar);                                               \
        float *end = a->dst + a->n;                                                                \
        for (uint64_t p = 0; p < passes; p++) {                                                    \
            float *d = a->dst;                                                                     \
            const float *b = a->src0, *c = a->src1;                                                \
            __m256 t0, t1, t2, t3;                                                                 \
            __asm__ volatile("1:\n\t" TRIAD1("0", "t0", STORE) TRIAD1("32", "t1", STORE)           \
                                 TRIAD1("64", "t2", STORE) TRIAD1("96", "t3", STORE)               \
                                     TRIAD1("128", "t0", STORE) TRIAD1("160", "t1", STORE)         \
                                         TRIAD1("192", "t2", STORE) TRIAD1("224", "t3", STORE)     \
                                             "add $256, %[b]\n\t"                                  \
                                             "add $256, %[c]\n\t"                                  \
                                             "add $256, %[d]\n\t"                                  \
                                             "cmp %[end], %[d]\n\t"                                \
                                             "jb 1b" TAIL                                          \
                             : [d] "+r"(d), [b] "+r"(b), [c] "+r"(c), [t0] "=&x"(t0),              \
                               [t1] "=&x"(t1), [t2] "=&x"(t2), [t3] "=&x"(t3)                      \
                             : [s] "x"(sv), [end] "r"(end)                                         \
                             : "cc", "memory");                                                    \
        }                                                                                          \
    }

TRIAD_KERNEL(k_triad, "vmovaps", "")
TRIAD_KERNEL(k_triad_nt, "vmovntps", "\n\tsfence")

const qb_mem_kernel qb_mem_kernels[] = {
    {"read", "sum += a[i] (vaddps ymm, [mem]; 8 sums)", 1, 0, k_read, false},
    {"write", "a[i] = s (vmovaps ymm store)", 0, 1, k_write, false},
    {"write-nt", "a[i] = s (vmovntps, non-temporal; sfence per pass)", 0, 1, k_write_nt, true},
    {"copy", "a[i] = b[i] (vmovaps load + store)", 1, 1, k_copy, false},
    {"triad", "a[i] = b[i] + s * c[i] (vmovaps, vfmadd231ps, vmovaps)", 2, 1, k_triad, false},
    {"copy-nt", "a[i] = b[i] (vmovaps load, vmovntps store; sfence per pass)", 1, 1, k_copy_nt, true},
    {"triad-nt", "a[i] = b[i] + s * c[i] (vfmadd231ps, vmovntps store; sfence per pass)", 2, 1, k_triad_nt, true},
};
const int qb_mem_kernel_count = (int)(sizeof qb_mem_kernels / sizeof qb_mem_kernels[0]);

const qb_mem_kernel *qb_mem_kernel_find(const char *name)
{
    for (int i = 0; i < qb_mem_kernel_count; i++)
        if (strcmp(qb_mem_kernels[i].name, name) == 0) return &qb_mem_kernels[i];
    return NULL;
}
