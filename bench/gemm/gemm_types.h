/* The GEMM's operand and epilogue descriptions (qb_mat, qb_epilogue) and its
 * ISA choice: the types the driver, the micro-kernels, the packers and the
 * reference share. The driver's entry points are in gemm.h. */
#ifndef QB_GEMM_TYPES_H
#define QB_GEMM_TYPES_H

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
    float cap;               /* F32, F16 with relu: > 0, then min(cap, .) after the ReLU
                                (ReLU6, ONNX Clip(0, cap)); 0: none */
    const float *bias;       /* float bias (F32, F16, DQ_F32), or NULL */
    const int32_t *bias_i32; /* int8 kinds: added to the accumulator, or NULL; an
                                activation zero point za folds in as -za * sum_k w */
    const float *mult;       /* RQ_FLOAT multiplier sa*sw/so, DQ_F32 scale sa*sw */
    const int32_t *shift;    /* RQ_SHIFT: requantize by 2^-shift */
    int32_t zo, qmin, qmax;  /* output zero point and range: qmin < 0 means int8
                                storage, else uint8 */
} qb_epilogue;

/* AVX512VNNI runs two micro-panels at once on zmm where the tile is wide
 * enough; AVX512VNNI_YMM keeps every tile on ymm (for comparison). */
typedef enum { QB_ISA_AUTO = 0, QB_ISA_AVX2 = 1, QB_ISA_AVX512VNNI = 2, QB_ISA_AVX512VNNI_YMM = 3 } qb_gemm_isa;

/* Bytes of int8 storage of the epilogue's output (qmin < 0: int8). */
static inline bool qb_epi_signed(const qb_epilogue *e)
{
    return e->qmin < 0;
}

#endif
