/* The measurements behind `qbench quant`: quantization error of synthetic
 * tensors by Monte Carlo (quant_synth.c) and of registry operators against
 * their fp32 form (quant_op.c). `qbench run` calls these too. */
#ifndef QB_QUANT_BENCH_H
#define QB_QUANT_BENCH_H

#include "op.h"
#include "quant.h"
#include "repeat.h"
#include "results.h"
#include "tensor_gen.h"

#include <stdint.h>

/* How many trials: a fixed count (trials > 0) or automatic: at least
 * min_trials, then until the standard error of the plain Monte Carlo mean is below
 * target_rse of it, or budget_s is spent, or max_trials is reached. */
typedef struct {
    long trials;
    long min_trials, max_trials;
    double target_rse;
    double budget_s;
    uint64_t seed;
    int threads;
} qb_mc_opts;

void qb_mc_opts_default(qb_mc_opts *o, bool quick);

/* One record quant/<input>/<policy...> per spec, with metrics nsr, nsr_db,
 * nsr_se, nsr_cv (control-variate estimate) and its SE when the analytic
 * model applies, nsr_model, max_abs_err and cosine. */
int qb_quant_synth_measure(qb_results *res, const qb_tensor_spec *in, const qb_qspec *specs,
                           int nspecs, const qb_mc_opts *mc);

/* One record quant.op/<op>/<shape>/<policy>-<granularity> per (policy,
 * granularity), with the output's nsr, nsr_db, max_abs_err and cosine against
 * the fp32 variant on the same inputs, and the time of both (timed by pol;
 * one round is enough beside qbench ops, which measures speed in earnest).
 * A variant the op does not offer is a record with supported = false and a
 * note. shape NULL: the op's default shape. */
int qb_quant_op_measure(qb_results *res, const qb_op_desc *op, const char *shape,
                        const qb_qpolicy *policies, int npol, const qb_qgran *grans, int ngran,
                        int threads, const qb_rep_policy *pol);

#endif
