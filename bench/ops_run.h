/* The operator measurements behind `qbench ops` (and `qbench run`,
 * `qbench roofline`): every selected op x dtype x quantization variant x
 * backend x thread count, verified against its scalar reference, timed in
 * interleaved rounds.
 *
 * Records: id ops/<op>/<dtype>/<quant>/<policy>[@<backend>]/t<threads>[/<tag>]
 * ("none" where quant or policy does not apply; @backend only for a backend
 * other than builtin; /t<threads> always, so one run may hold several thread
 * counts), group "ops", params op, dtype, quant, policy, threads, backend,
 * shape (text) and one number per shape key, verified, max_err, and what the
 * kernel did (isa, math, requant, ...); metrics time (s, lower), gops
 * (GOP/s), bandwidth (GB/s from the op's byte formula), ops (op) and
 * bytes (B). */
#ifndef QB_OPS_RUN_H
#define QB_OPS_RUN_H

#include "repeat.h"
#include "results.h"

#include <stdbool.h>

typedef struct {
    const char *ops;      /* "conv,gemm" or "all"; NULL: all */
    const char *dtypes;   /* "fp32,fp16,int8"; NULL: QB_OPS_DTYPES_DEFAULT */
    const char *quants;   /* "per-tensor,per-channel"; NULL: QB_OPS_QUANTS_DEFAULT */
    const char *policies; /* "symmetric,asymmetric,pow2" or "all"; NULL: QB_OPS_POLICIES_DEFAULT */
    const char *backends; /* "builtin,openblas,onednn" or "all"; NULL: builtin */
    const char *shape;    /* --shape for a single op; NULL: each op's default */
    const char *isa;      /* int8 kernel ISA: NULL/"auto", "avx2", "avx512vnni" */
    const int *threads;   /* thread counts; NULL: 1 and all CPUs (all CPUs only when quick) */
    int nthreads;
    bool quick;
    bool verify;          /* compare each variant with its reference before timing */
    double footprint;     /* > 0: memory-bound ops run at a shape touching about this many
                             bytes a call (one dtype per call; compute ops keep their shape) */
    const char *tag;      /* appended to every record id as /<tag> and kept as params "size" */
    bool cold;            /* evict the caches before each sample (one call a sample); ids end in /cold */
} qb_ops_opts;

void qb_ops_opts_init(qb_ops_opts *o);

/* Append the records of the selected measurements to res (settings too).
 * Bad lists, shapes or ISA words fail with QB_EUSAGE / QB_EINPUT before
 * anything is allocated; SIGINT returns QB_EINTR keeping finished records. */
int qb_ops_measure(qb_results *res, const qb_ops_opts *o, const qb_rep_policy *pol);

/* --cache: "warm" (the default), "cold" or both ("warm,cold"). */
int qb_ops_parse_cache(const char *what, const char *list, bool *warm, bool *cold);

/* qb_ops_measure warm, then cold, as asked: a cold record's id ends in /cold. */
int qb_ops_measure_caches(qb_results *res, const qb_ops_opts *o, const qb_rep_policy *pol, bool warm, bool cold);

/* The human tables: one per operator, dtypes side by side with the speedup
 * over fp32 of the same backend and thread count. */
void qb_ops_print(const qb_results *res);

/* qbench list: the operators, their shape keys, default shapes and sources. */
void qb_ops_list(void);

#endif
