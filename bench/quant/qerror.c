/* Quantization error metrics (formulas in qerror.h). */
#include "qerror.h"

#include <math.h>
#include <string.h>

void qb_qerror_acc_init(qb_qerror_acc *a)
{
    memset(a, 0, sizeof *a);
}

void qb_qerror_acc_add(qb_qerror_acc *a, const float *ref, const float *approx, size_t n)
{
    double sig = 0, noi = 0, app = 0, dot = 0, mx = a->max_abs;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        const double x = ref[i], y = approx[i];
        if (!isfinite(x) || !isfinite(y)) {
            bad++;
            continue;
        }
        const double e = y - x;
        sig += x * x;
        noi += e * e;
        app += y * y;
        dot += x * y;
        mx = fabs(e) > mx ? fabs(e) : mx;
    }
    a->n += n;
    a->nonfinite += bad;
    a->signal += sig;
    a->noise += noi;
    a->approx_power += app;
    a->dot += dot;
    a->max_abs = mx;
}

void qb_qerror_acc_merge(qb_qerror_acc *a, const qb_qerror_acc *b)
{
    a->n += b->n;
    a->nonfinite += b->nonfinite;
    a->signal += b->signal;
    a->noise += b->noise;
    a->approx_power += b->approx_power;
    a->dot += b->dot;
    a->max_abs = b->max_abs > a->max_abs ? b->max_abs : a->max_abs;
}

double qb_nsr_ratio(double noise, double signal)
{
    if (signal > 0) return noise / signal;
    return noise > 0 ? INFINITY : 0.0;
}

double qb_nsr_db(double nsr)
{
    if (nsr > 0) return 10.0 * log10(nsr);
    return nsr == 0 ? -INFINITY : NAN;
}

void qb_qerror_acc_finish(const qb_qerror_acc *a, qb_qerror *out)
{
    out->n = a->n;
    out->nonfinite = a->nonfinite;
    out->signal = a->signal;
    out->noise = a->noise;
    out->nsr = qb_nsr_ratio(a->noise, a->signal);
    out->nsr_db = qb_nsr_db(out->nsr);
    out->max_abs = a->max_abs;
    const double norms = sqrt(a->signal) * sqrt(a->approx_power);
    if (norms > 0) out->cosine = a->dot / norms;
    else out->cosine = a->signal == 0 && a->approx_power == 0 ? 1.0 : 0.0;
}

void qb_qerror_measure(const float *ref, const float *approx, size_t n, qb_qerror *out)
{
    qb_qerror_acc a;
    qb_qerror_acc_init(&a);
    qb_qerror_acc_add(&a, ref, approx, n);
    qb_qerror_acc_finish(&a, out);
}
