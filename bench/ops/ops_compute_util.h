/* What the compute-bound operators share: reproducible inputs, shape limits,
 * the int8 quantization of activations, weights and outputs (through quant.h)
 * and the per-channel requantization vectors their GEMM epilogues use, the
 * comparisons their verify() makes, and the params their records carry.
 *
 * int8 scheme (recorded in each record's params):
 *  - activations: per-tensor, by the variant's policy, fed to the kernel as
 *    u8: symmetric and pow2 quantize to int8 and add 128 (zero point 128),
 *    asymmetric quantizes to uint8 with its own zero point; the kernel folds
 *    -za * sum_k w into the int32 bias;
 *  - weights: symmetric (pow2 for the pow2 policy), per-tensor or per output
 *    channel, in 8 bits on the AVX512-VNNI path and in 7 bits (|q| <= 63) on
 *    the AVX2 path, so vpmaddubsw's int16 pair sums cannot saturate
 *    (2 * 255 * 63 < 32767);
 *  - output: the policy's params chosen from the fp32 output of the same
 *    inputs (calibration), int8 (uint8 for asymmetric); requantized with the
 *    float multiplier sa*sw/so per channel, or a shift for pow2. */
#ifndef QB_OPS_COMPUTE_UTIL_H
#define QB_OPS_COMPUTE_UTIL_H

#include "gemm.h"
#include "op.h"
#include "quant.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Uniform values in [lo, hi) from a stream that depends only on (seed, n)
 * (qb_mo_fill_stream from the state seed * 0x9E3779B97F4A7C15 + n). */
void qb_cq_fill(float *x, size_t n, uint64_t seed, float lo, float hi);
/* Scale the weights w[outer][nch][inner] by output channel, geometrically
 * from 1/QB_OPS_WEIGHT_SPREAD to 1 (defaults.h). Trained layers' weight ranges
 * differ by output channel (that is what per-channel scales are for); with
 * one range for every channel, per-channel quantization would show no gain
 * over per-tensor. */
void qb_cq_channel_spread(float *w, size_t outer, size_t nch, size_t inner);
/* The same for the second operand of gemm (W[N][K], weights of a fully
 * connected layer) or matmul (B[batch][K][N]): channels along N. */
void qb_cq_mm_spread(float *b, bool gemm, long batch, long K, long N);
/* The seeds and ranges the ops draw their inputs from: the comparison
 * backends draw the same, so their output can be checked against the
 * built-in kernel's on identical inputs. */
#define QB_CQ_SEED_CONV_X 11 /* x, w in [-1, 1) (w then spread by channel), bias in [-0.5, 0.5) */
#define QB_CQ_SEED_CONV_W 12
#define QB_CQ_SEED_CONV_B 13
#define QB_CQ_SEED_MM_A 21
#define QB_CQ_SEED_MM_B 22
#define QB_CQ_SEED_MM_BIAS 23

/* QB_EINPUT naming the op when `bytes` of buffers would not fit in half of
 * the physical memory (checked before anything is allocated). */
int qb_cq_mem_check(const char *op, double bytes);

/* A shape value that must lie in [lo, hi]: QB_EINPUT naming the key. */
int qb_cq_key_range(const char *op, const char *key, long v, long lo, long hi);

/* Activations: u8 data for the kernel and its zero point. */
typedef struct {
    qb_qparams p;
    uint8_t *q; /* n values, with 16 readable bytes either side (gemm.h, im2col) */
    int32_t za;
    uint8_t *alloc;
} qb_cq_act;
int qb_cq_act_quant(const float *x, size_t n, qb_qpolicy pol, qb_cq_act *out);
void qb_cq_act_free(qb_cq_act *a);

/* The bits int8 weights use for a kernel ISA: 8 (|q| <= 127) for AVX512-VNNI,
 * whose vpdpbusd sums into int32; 7 (|q| <= 63) for AVX2, whose vpmaddubsw
 * sums u8 x s8 pairs into int16 (2 * 255 * 63 < 32767). */
int qb_cq_weight_bits(qb_gemm_isa isa);

/* Weights: symmetric int8 in qb_cq_weight_bits(isa) bits, per-tensor or
 * along axis (the output channels). */
int qb_cq_weights(const float *w, const size_t *dims, int ndim, int axis, qb_qgran gran,
                  qb_qpolicy pol, qb_gemm_isa isa, qb_qparams *p, int8_t *q);
/* sum_k q[ch, k] of a weight tensor viewed as [outer, nch, inner] around axis:
 * the zero-point compensation. */
void qb_cq_wsum(const int8_t *q, const size_t *dims, int ndim, int axis, int32_t *sum);

/* Output params for y (per-tensor) under the policy: int8, uint8 for asymmetric. */
int qb_cq_out_params(const float *y, size_t n, qb_qpolicy pol, qb_qparams *p);

/* The requantizing epilogue for nch output channels: mult = sa*sw[c]/so or
 * shift = sh_a + sh_w[c] - sh_o for pow2; bias_i32 = round(bias / (sa*sw)) -
 * za * wsum (bias and wsum may be NULL). Fills the arrays (nch each). */
void qb_cq_requant(const qb_cq_act *a, const qb_qparams *w, const qb_qparams *o, int nch,
                   const float *bias, const int32_t *wsum, float *mult, int32_t *shift,
                   int32_t *bias_i32);
/* The epilogue fields of the output: kind, zo, qmin, qmax. */
void qb_cq_epilogue(const qb_qparams *o, qb_qpolicy pol, qb_epilogue *e);

/* Largest |got - want| relative to the largest |want| (float outputs). */
double qb_cq_rel_err(const float *got, const float *want, size_t n);
/* Largest |got - want| in LSBs of int8/uint8 outputs. */
double qb_cq_lsb_err(const uint8_t *got, const uint8_t *want, size_t n, bool is_signed);
/* verify() computes the scalar reference for every output when that costs
 * at most this many multiply-adds, else for an evenly spread sample of
 * outputs (first and last included). */
#define QB_CQ_VERIFY_MACS (1L << 24)
size_t qb_cq_nsample(size_t nout, double macs_per_out);
static inline size_t qb_cq_sample(size_t nout, size_t ns, size_t j)
{
    return ns >= nout ? j : ns < 2 ? 0 : j * (nout - 1) / (ns - 1);
}

/* Tolerances verify() applies. */
#define QB_CQ_TOL_FP32 1e-4
#define QB_CQ_TOL_FP16 4e-3

/* The ISA the int8 GEMM resolves the variant's choice to (QB_EUSAGE /
 * QB_EUNSUPPORTED for a bad word). */
int qb_cq_isa(const qb_variant *v, qb_gemm_isa *isa);

/* Record params shared by every compute op: isa, math, and for int8 the
 * scheme above. */
int qb_cq_describe(struct cJSON *params, const qb_variant *v, qb_gemm_isa isa);

/* An operator's phases, timed apart (qb_op_desc.phases): reps runs of the
 * operator with ns[rep][phase] filled by the run, the median of each phase
 * kept. Adds params "phases": [{"phase": name, "seconds": median,
 * "share": % of the phases' sum, "gops": ops / seconds when ops > 0}]. */
#define QB_CQ_PHASE_MAX 4
#define QB_CQ_PHASE_REPS 3
int qb_cq_phases_record(struct cJSON *params, int nphase, const char *const *names, const double *ops,
                        double ns[QB_CQ_PHASE_REPS][QB_CQ_PHASE_MAX]);

/* Dequantize an int8/uint8 output with per-tensor params. */
void qb_cq_dequant_out(const void *q, size_t n, const qb_qparams *o, float *out);

#endif
