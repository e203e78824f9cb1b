/* The blocked GEMM every compute-bound operator runs on:
 *
 *   C[M,N] = epilogue( A[M,K] * B[K,N] )
 *
 * Operands are read through packers (plain row-major, transposed, or an
 * implicit im2col view of an NCHW image for convolution), so conv, gemm,
 * matmul, LSTM and conv-transpose share one cache-blocked driver:
 *   jc (NC columns of C) -> pc (KC of K) -> pack B -> ic (MC rows) -> pack A
 *   -> microkernel tiles MR x NR with A in L2 and a B micro-panel in L1.
 *
 * Data types:
 *   fp32: AVX2+FMA 6x16 microkernel.
 *   fp16: binary16 storage; the packers widen with F16C (vcvtph2ps) and the
 *         epilogue narrows (vcvtps2ph): the arithmetic is fp32 on every CPU
 *         (AVX512-FP16, where a CPU has it, is not used).
 *   int8: one operand u8 (activations), the other s8 (weights), s32
 *         accumulators. AVX2: vpmaddubsw (u8 x s8 pairs into s16, SATURATING)
 *         + vpmaddwd by ones + vpaddd, 4x16 tiles. AVX512-VNNI: vpdpbusd
 *         (no intermediate saturation). Operators give the AVX2 path weights
 *         within 7 bits (|q| <= 63), so the int16 pair sum 2 * 255 * 63
 *         cannot saturate, and the VNNI path the whole int8 range
 *         (qb_cq_weight_bits); qb_gemm_ref models the saturation so tests can
 *         show it with full-range data. */
#ifndef QB_GEMM_H
#define QB_GEMM_H

#include "gemm_epi.h"
#include "gemm_ref.h"
#include "gemm_types.h"

/* "auto", "avx2", "avx512vnni", "avx512vnni-ymm"; QB_EUSAGE naming the
 * word, QB_EUNSUPPORTED when the CPU lacks it. NULL means auto. */
int qb_gemm_isa_parse(const char *word, qb_gemm_isa *out);
/* The int8 path auto resolves to on this CPU. */
qb_gemm_isa qb_gemm_isa_resolve(qb_gemm_isa isa);
const char *qb_gemm_isa_name(qb_gemm_isa isa); /* "avx2", "avx512vnni", "avx512vnni-ymm" */
/* The int8 tiles use vpdpbusd (so weights may use all 8 bits). */
bool qb_gemm_isa_vnni(qb_gemm_isa isa);
/* The float tiles run on the AVX-512 kernel: the CPU has AVX-512F and the
 * isa is not avx2 (which keeps everything on ymm, for comparison). */
bool qb_gemm_f32_zmm(qb_gemm_isa isa);
/* The float tiles' instruction set, as records name it: "avx512f" or
 * "avx2+fma", with "+f16c" for binary16 operands. */
const char *qb_gemm_float_isa_name(qb_gemm_isa isa, bool f16);

/* Packing buffers per thread, grown on first use (the warm-up run) and kept. */
typedef struct qb_gemm_ws qb_gemm_ws;
int qb_gemm_ws_create(int threads, qb_gemm_isa isa, qb_gemm_ws **out);
void qb_gemm_ws_destroy(qb_gemm_ws *ws);
qb_gemm_isa qb_gemm_ws_isa(const qb_gemm_ws *ws);

/* Pack a constant B (K x N, rows or columns layout) once, as inference
 * engines do with weights: micro-panels of 16 columns over all of K in the
 * order the microkernels stream them (fp32; fp16 stays binary16 and is
 * widened as it is streamed; int8 in groups of 4 along K). *out is a qb_mat
 * with layout QB_MAT_PACKED that owns its buffer (qb_gemm_packed_free). */
int qb_gemm_pack_b(const qb_mat *B, long K, long N, qb_mat *out);
/* The same for a constant A (M x K: conv weights): panels of the rows one
 * microkernel tile takes (6 for float, 4 for int8), layout QB_MAT_PACKED_A. */
int qb_gemm_pack_a(const qb_mat *A, long M, long K, qb_mat *out);
void qb_gemm_packed_free(qb_mat *m);

/* C = epilogue(A * B) on `threads` OpenMP threads (C is split into blocks).
 * Float A and B need a float epilogue; u8 x s8 (either order) an int8 one. */
int qb_gemm(qb_gemm_ws *ws, long M, long N, long K, const qb_mat *A, const qb_mat *B,
            const qb_epilogue *e, int threads);

/* The same on one thread for the block of C rows [m0, m1) x columns [n0, n1),
 * with the buffers of workspace slot `slot`: for callers that parallelise
 * themselves (batched matmul splits over the batch). */
int qb_gemm_block(qb_gemm_ws *ws, int slot, long M, long N, long K, const qb_mat *A,
                  const qb_mat *B, const qb_epilogue *e, long m0, long m1, long n0, long n1);

#endif
