/* Operator fusion: the example chain y = relu((x + 1 + 2) * 2) run three
 * ways over the same data, in fp32, fp16 (F16C storage, fp32 math) and int8:
 *
 *   unfused  one pass per operator (add, add, mul, relu), every intermediate
 *            tensor written to memory and read back by the next operator;
 *   fused    one pass, the four operators applied in registers;
 *   folded   one pass after constant folding: (x + 1 + 2) * 2 = x * 2 + 6.
 *
 * Each form states its passes and operations per element beside its kernel
 * (fuse_chain.c); bytes are counted as STREAM does, each pass reading its
 * input and writing its output once: 2 * passes * N * sizeof(dtype). */
#ifndef QB_FUSE_H
#define QB_FUSE_H

#include "results.h"
#include "repeat.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { QB_FUSE_UNFUSED = 0, QB_FUSE_FUSED = 1, QB_FUSE_FOLDED = 2, QB_FUSE_NFORMS = 3 } qb_fuse_form;

const char *qb_fuse_form_name(qb_fuse_form f); /* "unfused", "fused", "folded" */

/* The int8 chain's quantization: x in [-8, 8) with s = 8/128 as int8, every
 * operator's output requantized to its own range (x+1, x+3, 2x+6, relu); the
 * constants below are that chain's scales. */
#define QB_FUSE_X_RANGE 8.0f

/* A chain in one data type: its buffers and its kernels. */
typedef struct qb_fuse_chain qb_fuse_chain;

/* dtype "fp32", "fp16" or "int8"; n elements; buffers first-touched by the
 * threads that will use them. */
int qb_fuse_chain_create(const char *dtype, size_t n, int threads, uint64_t seed,
                         qb_fuse_chain **out);
void qb_fuse_chain_destroy(qb_fuse_chain *c);
/* Run one form over all n elements on the chain's threads. */
void qb_fuse_chain_run(qb_fuse_chain *c, qb_fuse_form f);
/* The form's last output against a scalar reference of the same arithmetic:
 * bit-exact expected (max_diff in ulps of the dtype, 0 when exact); and the
 * largest difference from the unfused form's output (forms round differently:
 * unfused rounds every intermediate to the dtype). */
int qb_fuse_chain_verify(qb_fuse_chain *c, qb_fuse_form f, double *max_diff, double *vs_unfused);

/* Formulas: memory passes and arithmetic operations per element of a form. */
int qb_fuse_passes(qb_fuse_form f);
int qb_fuse_ops_per_elem(qb_fuse_form f);
double qb_fuse_bytes(qb_fuse_form f, size_t n, size_t elem_bytes);

/* Chains around a GEMM (fuse_gemm.c, on bench/gemm/gemm.h): gemm-relu fp32,
 * conv-bias-relu fp32 and int8, gemm-requant int8, each unfused (the GEMM,
 * then one pass per following operator) and fused. Shapes are fixed, from
 * real networks (qb_fuse_gemm_shape, _source); the fused output is checked
 * against the unfused one (verify runs both). */
typedef struct qb_fuse_gemm qb_fuse_gemm;
int qb_fuse_gemm_count(void);
const char *qb_fuse_gemm_name(int chain);  /* "gemm-relu", ... */
const char *qb_fuse_gemm_dtype(int chain); /* "fp32" or "int8" */
const char *qb_fuse_gemm_shape(int chain);
const char *qb_fuse_gemm_source(int chain);
const char *qb_fuse_gemm_how(int chain, bool fused);
int qb_fuse_gemm_passes(int chain, bool fused);
double qb_fuse_gemm_bytes(int chain, bool fused);
double qb_fuse_gemm_ops(int chain); /* multiply-adds count 2 */
int qb_fuse_gemm_create(int chain, int threads, qb_fuse_gemm **out);
int qb_fuse_gemm_run(qb_fuse_gemm *c, bool fused);
int qb_fuse_gemm_verify(qb_fuse_gemm *c, double *max_diff);
void qb_fuse_gemm_destroy(qb_fuse_gemm *c);

/* qbench fuse's measurement, for `qbench run` too: one record
 * fuse/<chain>/<dtype> per chain and dtype selected (chains: "relu-chain",
 * "gemm-relu", "conv-bias-relu", "gemm-requant"; NULL lists mean all) with
 * time_<form>, speedup_<form>, bytes_<form>, bytes_saved_<form>,
 * gbps_<form> and gops_<form>; n is the relu chain's element count. verify
 * checks every form against its reference first (its params max_err_* and
 * max_diff_*); a later pass of qbench run skips it. */
int qb_fuse_measure(qb_results *res, const char *const *chains, int nchains,
                    const char *const *dtypes, int ndtypes, size_t n, int threads,
                    const qb_rep_policy *pol, bool verify);

#endif
