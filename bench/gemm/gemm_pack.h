/* Private to the GEMM: blocking sizes, the workspace, and the packers that
 * copy operand blocks into the micro-panel order the microkernels stream. */
#ifndef QB_GEMM_PACK_H
#define QB_GEMM_PACK_H

#include "gemm_types.h"

#include <stddef.h>
#include <stdint.h>

/* fp32 (and fp16 widened): 6x16 tiles, 12 ymm accumulators. KC*NR*4 bytes of
 * a B micro-panel stay in L1, MC*KC*4 of the A block in L2. */
#define QB_F32_MR 6
#define QB_F32_NR 16
#define QB_F32_KC 384
/* The zmm kernel (6x32 on two micro-panels) runs deeper K blocks: the C tile
 * is stored once per block, and its pair of B panels streams well from L2
 * (measured: a 3x3x64 conv's K of 576 in one block beat 256 and 384). */
#define QB_F32_KC_ZMM 576
#define QB_F32_MC 120
#define QB_F32_NC 1024
#define QB_F32_NC_SMALL_M 256

/* int8: 4x16 tiles of s32 (8 ymm accumulators, 2 B vectors, the broadcast,
 * the ones vector and temporaries), K in groups of 4 bytes per lane. */
#define QB_I8_MR 4
#define QB_I8_NR 16
#define QB_I8_KC 1024
#define QB_I8_MC 128
#define QB_I8_NC 3072
#define QB_I8_NC_SMALL_M 512

typedef struct {
    void *a, *b;  /* packed A block, packed B block */
    void *acc;    /* partial sums of C across K blocks (fp16 and int8 outputs) */
    size_t a_cap, b_cap, acc_cap;
} qb_gemm_slot;

struct qb_gemm_ws {
    int nslots;
    qb_gemm_isa isa;
    bool f32_zmm; /* float tiles on the AVX-512 kernel */
    qb_gemm_slot *slot;
};

/* Grow a buffer to at least n bytes (64-byte aligned); contents are lost. */
int qb_gemm_grow(void **p, size_t *cap, size_t n);

/* Float panels: A rows [i0, i0+mr) x K [k0, k0+kc) into dst[k][MR]; B K
 * [k0, k0+kc) x columns [j0, j0+nr) into dst[k][NR]; zero beyond mr / nr. */
void qb_pack_a_f32(const qb_mat *A, long i0, long mr, long k0, long kc, float *dst);
void qb_pack_b_f32(const qb_mat *B, long k0, long kc, long j0, long nr, float *dst);

/* int8 panels in groups of 4 along K: A into dst[kc4][MR][4], B into
 * dst[kc4][NR][4]; k beyond kc (the K tail) and rows/columns beyond mr / nr
 * are zero. kc4 = (kc + 3) / 4. */
void qb_pack_a_i8(const qb_mat *A, long i0, long mr, long k0, long kc, uint8_t *dst);
void qb_pack_b_i8(const qb_mat *B, long k0, long kc, long j0, long nr, uint8_t *dst);

/* Where micro-panel j0 / NR of a packed B starts, at row k0, in elements (f32 and f16:
 * K*NR elements per panel; int8: ceil(K/4)*NR*4 bytes, k0 a multiple of 4). */
static inline size_t qb_packed_offset(const qb_mat *B, long j0, long k0)
{
    const long K = B->ld;
    if (B->type >= QB_MAT_U8) return (size_t)((j0 / 16) * ((K + 3) / 4) * 64 + (k0 / 4) * 64);
    return (size_t)((j0 / 16) * K * 16 + k0 * 16);
}

/* Where the panel of A rows i0 .. (i0 a multiple of the tile's rows) starts,
 * at column k0, in elements: float [K][6] panels, int8 [K/4][4][4]. */
static inline size_t qb_packed_a_offset(const qb_mat *A, long i0, long k0)
{
    const long K = A->ld;
    if (A->type >= QB_MAT_U8) return (size_t)((i0 / 4) * ((K + 3) / 4) * 16 + (k0 / 4) * 16);
    return (size_t)((i0 / 6) * K * 6 + k0 * 6);
}

/* Widen columns [k0, k0+kc) of a packed binary16 A panel into dst[kc][6]. */
void qb_packed_a_f16_cols(const qb_mat *A, long i0, long k0, long kc, float *dst);

/* Widen rows [k0, k0+kc) of a packed binary16 B panel into dst[kc][16]. */
void qb_packed_f16_rows(const qb_mat *B, long k0, long kc, long j0, float *dst);

/* The two drivers (one thread, one block of C). */
int qb_gemm_block_f32(qb_gemm_slot *s, bool zmm, long M, long N, long K, const qb_mat *A, const qb_mat *B,
                      const qb_epilogue *e, long m0, long m1, long n0, long n1);
int qb_gemm_block_i8(qb_gemm_slot *s, qb_gemm_isa isa, long M, long N, long K, const qb_mat *A,
                     const qb_mat *B, const qb_epilogue *e, long m0, long m1, long n0, long n1);

#endif
