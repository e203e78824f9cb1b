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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { QB_MAT_F32 = 0, QB_MAT_F16 = 1, QB_MAT_U8 = 2, QB_MAT_S8 = 3 } qb_mat_type;

typedef enum {
    QB_MAT_ROWS = 0,   /* element (i, j) at p[i * ld + j] */
    QB_MAT_COLS = 1,   /* element (i, j) at p[j * ld + i] (stored transposed) */
    QB_MAT_IM2COL = 2, /* B only: row k = (c, r, s), column n = (oh, ow) of one NCHW image */
    QB_MAT_PACKED = 3,   /* B only: qb_gemm_pack_b's micro-panels (ld holds K) */
    QB_MAT_PACKED_A = 4, /* A only: qb_gemm_pack_a's micro-panels (ld holds K) */
} qb_mat_layout;

/* The convolution geometry an im2col view reads: B(k, n) with k = (c*R + r)*S + s
 * and n = oh*OW + ow is x[c][oh*sh - ph + r][ow*sw - pw + s], or pad outside.
 * Panels that straddle a row or touch the padding are read with gathers or
 * overlapping loads: the image buffer must have 4 readable bytes past its
 * last element (fp32, fp16), 16 before its first and after its last (u8). */
typedef struct {
    long C, H, W, R, S, sh, sw, ph, pw, OH, OW;
    uint8_t pad_u8; /* the u8 zero point: a padded pixel is the real value 0 */
} qb_im2col;

typedef struct {
    const void *p;
    long ld;
    qb_mat_type type;
    qb_mat_layout layout;
    const qb_im2col *conv; /* QB_MAT_IM2COL only */
} qb_mat;

/* What happens to the accumulators. Per-channel vectors run along the rows of
 * C (channel_is_row: conv, whose rows are output channels) or its columns
 * (gemm, whose columns are output features); per-tensor passes the same value
 * in every entry, so both granularities run the same code. */
typedef enum {
    QB_EPI_F32 = 0,      /* float C (+ bias) */
    QB_EPI_F16 = 1,      /* binary16 C = narrow(acc + bias) */
    QB_EPI_RQ_FLOAT = 2, /* int8/uint8 C = qb_requant_float(acc + bias_i32, mult, zo) */
    QB_EPI_RQ_SHIFT = 3, /* int8/uint8 C = qb_requant_shift(acc + bias_i32, shift, zo) */
    QB_EPI_DQ_F32 = 4,   /* float C = (float)(acc + bias_i32) * mult + bias */
    QB_EPI_S32 = 5,      /* int32 C = acc + bias_i32 */
} qb_epi_kind;

typedef struct {
    qb_epi_kind kind;
    void *c;
    long ldc;
    bool channel_is_row;
    bool accumulate;         /* QB_EPI_F32 only: C += A*B */
    bool relu;               /* F32, F16: max(0, .) after the bias, while the tile is in
                                registers (an int8 ReLU is qmin at the zero point) */
    const float *bias;       /* float bias (F32, F16, DQ_F32), or NULL */
    const int32_t *bias_i32; /* int8 kinds: added to the accumulator, or NULL; an
                                activation zero point za folds in as -za * sum_k w */
    const float *mult;       /* RQ_FLOAT multiplier sa*sw/so, DQ_F32 scale sa*sw */
    const int32_t *shift;    /* RQ_SHIFT: requantize by 2^-shift */
    int32_t zo, qmin, qmax;  /* output zero point and range: qmin < 0 means int8
                                storage, else uint8 */
} qb_epilogue;

typedef enum { QB_ISA_AUTO = 0, QB_ISA_AVX2 = 1, QB_ISA_AVX512VNNI = 2 } qb_gemm_isa;

/* "auto", "avx2", "avx512vnni"; QB_EUSAGE naming the word, QB_EUNSUPPORTED
 * when the CPU lacks it. NULL means auto. */
int qb_gemm_isa_parse(const char *word, qb_gemm_isa *out);
/* The int8 path auto resolves to on this CPU. */
qb_gemm_isa qb_gemm_isa_resolve(qb_gemm_isa isa);
const char *qb_gemm_isa_name(qb_gemm_isa isa); /* "avx2", "avx512vnni" */

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

/* A plain scalar reference of the same arithmetic: float accumulation in
 * double for float types; int8 with the vpmaddubsw pair saturation to int16
 * when sat16 (the AVX2 path), plain int32 sums otherwise (VNNI). */
int qb_gemm_ref(long M, long N, long K, const qb_mat *A, const qb_mat *B, const qb_epilogue *e,
                bool sat16);

/* One element of an operand as float / as integer (reference and tests). */
float qb_mat_getf(const qb_mat *m, long i, long j);
int32_t qb_mat_geti(const qb_mat *m, long i, long j);

/* Apply an int8 epilogue (RQ_FLOAT, RQ_SHIFT, DQ_F32, S32) to n accumulators
 * of row i of C starting at column j, with the kernel's vector code: for
 * operators that accumulate outside the GEMM (conv-transpose's col2im). */
void qb_epi_apply(const qb_epilogue *e, const int32_t *acc, long i, long j, long n);

/* The requantization of one accumulator as the epilogue does it. */
int32_t qb_epi_requant(const qb_epilogue *e, long ch, int32_t acc);

/* Bytes of int8 storage of the epilogue's output (qmin < 0: int8). */
static inline bool qb_epi_signed(const qb_epilogue *e)
{
    return e->qmin < 0;
}

#endif
