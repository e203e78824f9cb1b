/* QB_UNROLL(n): ask GCC to unroll the loop that follows n times. GCC needs
 * the hint to keep a kernel's accumulators in registers and to interleave its
 * steps; clang unrolls constant loops by itself, and with the hints its
 * sanitized builds of the kernels took minutes. Sanitized builds check
 * memory, not speed: no hints there either (they cost GCC's build of the
 * direct conv kernels a third of its time). */
#ifndef QB_UNROLL_H
#define QB_UNROLL_H

#define QB_PRAGMA(x) _Pragma(#x)
#if defined(__clang__) || defined(__SANITIZE_ADDRESS__)
#define QB_UNROLL(n)
#else
#define QB_UNROLL(n) QB_PRAGMA(GCC unroll n)
#endif

#endif
