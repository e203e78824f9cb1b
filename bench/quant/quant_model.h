/* The analytic approximation of quantization noise on synthetic tensors:
 * rounding error uniform on [-s/2, s/2] (power s^2/12) on every nonzero
 * element, none on exact zeros, no clipping; s follows from the extreme of
 * the n samples a scale is chosen from, whose distribution is G(t)^n.
 *
 *   NSR ~= P(x != 0) * E[s^2] / 12 / E[x^2]   (refined below)
 *
 * E[s^2] is integrated numerically from the distribution of the maximum, so
 * the classic exercises (N(0,1), scale = max|x| / 128, with and without
 * ReLU) come out as numbers to compare the Monte Carlo mean with.
 *
 * One refinement matters with few elements per scale (per-channel): the
 * element that sets the scale lands on a known point of the grid (x / s =
 * +-divisor exactly), so its error is known, not s^2/12: zero when the
 * divisor is qmax, a full step when 128 clips to 127. With n elements per
 * scale the noise is s^2 * ((P n - 1)/12 + e_extreme) instead of P n s^2/12. */
#ifndef QB_QUANT_MODEL_H
#define QB_QUANT_MODEL_H

#include "quant.h"
#include "tensor_gen.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    bool valid;        /* false: the model does not cover this case (why in reason) */
    const char *reason;
    double nsr;        /* the approximation */
    double e_s2;       /* E[s^2] */
    double e_extreme;  /* E[a]: expected max |x| (or max x, or max - min) */
    double signal;     /* E[x^2] */
    double p_nonzero;  /* P(x != 0) */
    double noise_per_s2; /* expected noise per element in units of s^2 */
    size_t n;          /* samples per scale (elements per channel) */
} qb_qmodel;

/* n: elements a scale is chosen from (the tensor per-tensor, one channel per-channel). */
void qb_qmodel_eval(qb_dist dist, bool relu, const qb_qspec *spec, size_t n, qb_qmodel *out);

#endif
