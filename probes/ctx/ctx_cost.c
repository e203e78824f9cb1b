#include "ctx_cost.h"

#include <math.h>

double qb_ctx_net(double raw, double overhead, bool *clamped)
{
    const double d = raw - overhead;
    const bool neg = !(d >= 0); /* NaN counts as clamped too */
    if (clamped) *clamped = neg;
    return neg ? 0.0 : d;
}

size_t qb_ctx_net_samples(const double *raw, size_t n, double overhead, double *out)
{
    size_t clamped = 0;
    for (size_t i = 0; i < n; i++) {
        bool c;
        out[i] = qb_ctx_net(raw[i], overhead, &c);
        clamped += c;
    }
    return clamped;
}

double qb_ctx_switches_per_op(const long long *counts, int n, double hops)
{
    if (!(hops > 0)) return -1;
    long long sum = 0;
    for (int i = 0; i < n; i++) {
        if (counts[i] < 0) return -1;
        sum += counts[i];
    }
    return (double)sum / hops;
}
