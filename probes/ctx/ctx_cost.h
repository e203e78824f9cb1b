/* The arithmetic of a switch cost: what a hop costs minus what the same work
 * costs without a switch (the pipe write and read, the futex calls, the
 * working-set touch), never below zero. A clamped figure is flagged: it
 * means the overhead's noise was larger than the switch. */
#ifndef QB_CTX_COST_H
#define QB_CTX_COST_H

#include <stdbool.h>
#include <stddef.h>

/* raw - overhead, or 0 with *clamped set when that is negative. */
double qb_ctx_net(double raw, double overhead, bool *clamped);

/* out[i] = qb_ctx_net(raw[i], overhead); returns how many were clamped. */
size_t qb_ctx_net_samples(const double *raw, size_t n, double overhead, double *out);

/* Switches per hop from every member's count; -1 when a count is missing. */
double qb_ctx_switches_per_op(const long long *counts, int n, double hops);

#endif
