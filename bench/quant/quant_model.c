/* The analytic noise model of quant_model.h. */
#include "quant_model.h"

#include <math.h>

/* P(X > t) for t >= 0, of |x| (abs) or of x itself. */
static double survival(qb_dist d, bool abs, double t)
{
    double s;
    switch (d) {
    case QB_DIST_GAUSSIAN: s = erfc(t / M_SQRT2); break;
    case QB_DIST_UNIFORM: s = t >= 1 ? 0 : 1 - t; break;
    default: s = exp(-t); break;
    }
    return abs ? s : s / 2;
}

/* P(max of n <= t) = (1 - S(t))^n */
static double cdf_max(qb_dist d, bool abs, size_t n, double t)
{
    if (t <= 0) return 0;
    const double s = survival(d, abs, t);
    if (s >= 1) return 0;
    return exp((double)n * log1p(-s));
}

static double upper_limit(qb_dist d, size_t n)
{
    switch (d) {
    case QB_DIST_GAUSSIAN: return sqrt(2 * log((double)n + 1)) + 12;
    case QB_DIST_UNIFORM: return 1;
    default: return log((double)n + 1) + 50;
    }
}

/* E[T] and E[T^2] of T = max(0, max of n), by Simpson's rule on
 * E[T^k] = int_0^inf k t^(k-1) P(T > t) dt. */
static void max_moments(qb_dist d, bool abs, size_t n, double *m1, double *m2)
{
    enum { STEPS = 200000 };
    const double hi = upper_limit(d, n), h = hi / STEPS;
    double s1 = 0, s2 = 0;
    for (int i = 0; i <= STEPS; i++) {
        const double t = i * h;
        const double tail = 1 - cdf_max(d, abs, n, t);
        const double w = (i == 0 || i == STEPS) ? 1 : (i % 2 ? 4 : 2);
        s1 += w * tail;
        s2 += w * 2 * t * tail;
    }
    *m1 = s1 * h / 3;
    *m2 = s2 * h / 3;
}

/* E[s^2] for s = 2^ceil(log2(T / D)): sum over k of 4^k P(D 2^(k-1) < T <= D 2^k). */
static double pow2_ceil_s2(qb_dist d, bool abs, size_t n, double D)
{
    double e = 0;
    for (int k = -80; k <= 80; k++) {
        const double p = cdf_max(d, abs, n, D * ldexp(1, k)) - cdf_max(d, abs, n, D * ldexp(1, k - 1));
        if (p > 0) e += ldexp(1, 2 * k) * p;
    }
    return e;
}

/* Squared error, in steps, of a value at pos steps from zero on the grid with
 * zero point zp: what qb_quant1 makes of it (round half to even, clamp). */
static double pinned_e2(double pos, double zp, int32_t qmin, int32_t qmax)
{
    double q = rint(pos) + zp;
    q = q < qmin ? qmin : q > qmax ? qmax : q;
    return (q - zp - pos) * (q - zp - pos);
}

void qb_qmodel_eval(qb_dist dist, bool relu, const qb_qspec *spec, size_t n, qb_qmodel *out)
{
    *out = (qb_qmodel){.valid = false, .n = n};
    static const double power[QB_NDISTS] = {1.0, 1.0 / 3.0, 2.0}; /* E[x^2] */
    out->signal = relu ? power[dist] / 2 : power[dist];
    out->p_nonzero = relu ? 0.5 : 1.0;
    int32_t qmin, qmax;
    qb_qrange_limits(spec->range, &qmin, &qmax);
    if (spec->source == QB_SCALE_PERCENTILE) {
        out->reason = "a percentile scale clips the tails; the model has no clipping noise";
        return;
    }
    if (n < 16) {
        out->reason = "too few elements per scale for the extreme-value model";
        return;
    }
    /* relu: the extreme is max x (all values >= 0); otherwise max |x|. */
    const bool abs = !relu;
    int pinned = 1;    /* elements whose grid position is known */
    double e_pin = 0;  /* their expected squared error in steps */
    double m1, m2;
    max_moments(dist, abs, n, &m1, &m2);
    if (spec->policy == QB_ASYMMETRIC) {
        const double D = spec->divisor > 0 ? spec->divisor : (double)(qmax - qmin);
        if (D > qmax - qmin + 1) {
            out->reason = "the divisor exceeds the level count, so the extremes clip";
            return;
        }
        if (spec->source == QB_SCALE_ABSMAX) { /* range [-a, a] */
            out->e_extreme = 2 * m1;
            out->e_s2 = 4 * m2 / (D * D);
            double zp = rint(qmin + D / 2);
            zp = zp < qmin ? qmin : zp > qmax ? qmax : zp;
            e_pin = relu ? pinned_e2(D / 2, zp, qmin, qmax)
                         : 0.5 * (pinned_e2(D / 2, zp, qmin, qmax) + pinned_e2(-D / 2, zp, qmin, qmax));
        } else if (relu) { /* range [0, max]: zp = qmin, the max lands on D */
            out->e_extreme = m1;
            out->e_s2 = m2 / (D * D);
            e_pin = pinned_e2(D, qmin, qmin, qmax);
        } else {
            /* both ends sit a random fraction of a step off the grid: no
             * element is special */
            pinned = 0;
            /* range [min, max]: max and -min are alike and, for large n, nearly
             * independent, so E[(max - min)^2] ~= 2 E[M^2] + 2 E[M]^2. */
            double M1, M2;
            max_moments(dist, false, n, &M1, &M2);
            out->e_extreme = 2 * M1;
            out->e_s2 = (2 * M2 + 2 * M1 * M1) / (D * D);
        }
    } else {
        const double D = spec->divisor > 0 ? spec->divisor : (double)qmax;
        if (!relu && qmin == 0) {
            out->reason = "an unsigned range with zero point 0 clips every negative value";
            return;
        }
        if (D > qmax + 1) {
            out->reason = "the divisor exceeds qmax + 1, so the extremes clip";
            return;
        }
        out->e_extreme = m1;
        e_pin = relu ? pinned_e2(D, 0, qmin, qmax)
                     : 0.5 * (pinned_e2(D, 0, qmin, qmax) + pinned_e2(-D, 0, qmin, qmax));
        if (spec->policy == QB_POW2) {
            pinned = 0; /* a/s falls anywhere in (D/2, D] */
            if (spec->pow2_round != QB_POW2_CEIL) {
                out->reason = "pow2 rounded to nearest may clip the extremes";
                return;
            }
            out->e_s2 = pow2_ceil_s2(dist, abs, n, D);
        } else {
            out->e_s2 = m2 / (D * D);
        }
    }
    const double nd = (double)n;
    out->noise_per_s2 = ((out->p_nonzero * nd - pinned) / 12.0 + (pinned ? e_pin : 0)) / nd;
    out->nsr = out->e_s2 * out->noise_per_s2 / out->signal;
    out->valid = true;
}
