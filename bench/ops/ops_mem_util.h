/* What the memory-bound operators share: their tensors in each dtype, the
 * int8 parameters (through quant.h), reproducible inputs, thread spans,
 * the non-temporal store decision, verification helpers and record params.
 *
 * Conventions every memory-bound op follows (recorded in its params):
 *  - inputs are float data drawn from a seed that depends on the op and the
 *    shape only; fp16 converts them (round to nearest even), int8 quantizes
 *    them per tensor by the variant's policy (symmetric and pow2: int8 with
 *    zero point 0; asymmetric: uint8 with a zero point);
 *  - an int8 output whose values differ from its input's (add, tanh,
 *    cumsum, ...) gets its parameters from the fp32 output of the same inputs
 *    (calibration, the same policy); ops that only move or select values
 *    (relu, relu6, layout ops) keep the input's parameters, so they work on
 *    the quantized values directly;
 *  - per-channel scales apply only where an op has a channel axis with its
 *    own weights (depthwise-conv); elsewhere it is QB_EUNSUPPORTED;
 *  - an output of at least QB_MEMOP_NT_BYTES_DEFAULT bytes is written with
 *    non-temporal stores (no read-for-ownership of lines that will not be
 *    read again while cached). */
#ifndef QB_OPS_MEM_UTIL_H
#define QB_OPS_MEM_UTIL_H

#include "op.h"
#include "quant.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* A tensor in the variant's dtype. */
typedef struct {
    size_t n;
    qb_dtype dt;
    float *f;     /* fp32 data: the kernel's for fp32, the source of fp16/int8 inputs */
    void *d;      /* the kernel's data: f (fp32), binary16 (fp16), int8 or uint8 */
    bool u8;      /* int8 storage is uint8 (asymmetric policy) */
    qb_qparams p; /* int8: per-tensor scale and zero point */
} qb_mo_tensor;

/* Normalize a variant for an op: threads >= 1; int8 without a granularity is
 * per-tensor and without a policy symmetric; per-channel on an op without
 * per-channel parameters is QB_EUNSUPPORTED naming the op; float dtypes drop
 * gran and policy. */
int qb_mo_variant(const char *op, const qb_variant *in, bool per_channel_ok, qb_variant *out);

/* Uniform [lo, hi): value i depends only on (seed, i), and is
 * qb_mo_fill_value(seed, i, lo, hi) whichever code path fills it. */
void qb_mo_fill(float *x, size_t n, uint64_t seed, float lo, float hi, int threads);
float qb_mo_fill_value(uint64_t seed, size_t i, float lo, float hi);
/* The stream under both: value i is splitmix64's output for the state
 * base + (i + 1) * 0x9E3779B97F4A7C15, its top 24 bits scaled into
 * [lo, hi) with one rounding (fmaf). */
void qb_mo_fill_stream(float *x, size_t n, uint64_t base, float lo, float hi, int threads);

/* An input: fill f from the seed, then convert to the variant's dtype
 * (int8: params chosen from the data by the variant's policy). */
int qb_mo_input(qb_mo_tensor *t, size_t n, const qb_variant *v, uint64_t seed, float lo, float hi);
/* An input whose float data is already in t->f (allocated with qb_big_alloc,
 * t->n set): convert it; int8 with the given params (NULL: choose). */
int qb_mo_input_convert(qb_mo_tensor *t, const qb_variant *v, const qb_qparams *p);
/* An output buffer for the variant's dtype; int8 with a copy of params p. */
int qb_mo_output(qb_mo_tensor *t, size_t n, const qb_variant *v, const qb_qparams *p);
void qb_mo_tensor_free(qb_mo_tensor *t);

/* Per-tensor params of float data under a policy (calibration of outputs). */
int qb_mo_qparams_of(const float *y, size_t n, qb_qpolicy pol, qb_qparams *p);
/* Its two steps: the extremes of the data (QB_EINPUT on a NaN or Inf), and
 * the params of a range (an empty range, lo > hi, is [0, 0]). */
int qb_mo_extremes(const float *y, size_t n, float *lo, float *hi);
int qb_mo_qparams_range(float lo, float hi, qb_qpolicy pol, qb_qparams *p);
int qb_mo_qparams_copy(qb_qparams *dst, const qb_qparams *src);

/* The tensor's data as float: fp32 copied, fp16 widened, int8 dequantized. */
void qb_mo_to_float(const qb_mo_tensor *t, float *out);
/* Element i of the tensor as float (same rule). */
float qb_mo_get(const qb_mo_tensor *t, size_t i);
/* Element i of an int8 tensor as its integer value. */
static inline int32_t qb_mo_q(const qb_mo_tensor *t, size_t i)
{
    return t->u8 ? ((const uint8_t *)t->d)[i] : ((const int8_t *)t->d)[i];
}

/* Thread t of nt gets [lo, hi) of n items, boundaries on multiples of align. */
void qb_mo_span(size_t n, int t, int nt, size_t align, size_t *lo, size_t *hi);

/* Whether an output of this many bytes gets non-temporal stores: at least
 * qb_mo_nt_min_bytes (QB_MEMOP_NT_BYTES_DEFAULT; tests lower it so small
 * shapes take the streaming paths too). */
extern double qb_mo_nt_min_bytes;
bool qb_mo_nt(double out_bytes);

/* Whether a byte-LUT kernel may use AVX512-VBMI: the CPU has it and the
 * variant does not force "avx2". */
bool qb_mo_use_vbmi(const qb_variant *v);
/* Whether an int8 kernel may use AVX512-VNNI on 256-bit vectors: the CPU
 * has avx512vnni+avx512vl and the variant does not force "avx2". */
bool qb_mo_use_vnni(const qb_variant *v);

/* QB_EINPUT naming the op when `bytes` of buffers would not fit in half of
 * physical memory, checked before allocating. */
int qb_mo_mem_check(const char *op, double bytes);
/* QB_EINPUT naming the op and key when v is outside [lo, hi]. */
int qb_mo_key_range(const char *op, const char *key, long v, long lo, long hi);

/* The product of a shape's first nkeys values (the element count of an
 * element-wise tensor), QB_EINPUT naming the op when it exceeds 2^34. */
int qb_mo_elems(const char *op, const qb_shape *s, int nkeys, size_t *n);

/* verify(): every output up to QB_MEMOP_VERIFY_ELEMS_DEFAULT, else an evenly
 * spread sample of that many (first and last included). */
size_t qb_mo_nverify(size_t n);
static inline size_t qb_mo_sample(size_t n, size_t ns, size_t j)
{
    return ns >= n ? j : ns < 2 ? 0 : j * (n - 1) / (ns - 1);
}

/* Normwise relative error: accumulate with qb_mo_err_add, read with
 * qb_mo_err_rel (largest |got - want| over the largest |want|; NaN counts as
 * infinitely wrong). */
typedef struct {
    double maxd, maxw;
} qb_mo_err;
static inline void qb_mo_err_add(qb_mo_err *e, double got, double want)
{
    const double d = got > want ? got - want : want - got;
    if (d > e->maxd || d != d) e->maxd = d != d ? INFINITY : d;
    const double w = want < 0 ? -want : want;
    if (w > e->maxw) e->maxw = w;
}
double qb_mo_err_rel(const qb_mo_err *e);

/* Tolerances of verify() for float outputs, normwise relative: fp32 allows
 * a few ulp of the vector math; fp16 the output's rounding (2^-11) twice. */
#define QB_MO_TOL_FP32 1e-5
#define QB_MO_TOL_FP16 (1.0 / 1024)

/* Record params every memory-bound op adds: isa, math, stores and for int8
 * the scheme (int8 says how the op treats quantized values). */
int qb_mo_describe(struct cJSON *params, const qb_variant *v, const char *isa, bool nt,
                   const char *int8);

#endif
