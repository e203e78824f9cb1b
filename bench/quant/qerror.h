/* Quantization error metrics: how far an approximation x' is from its
 * reference x, as the noise-to-signal power ratio NSR = sum (x'-x)^2 / sum x^2, its dB,
 * the largest absolute error and the cosine similarity. */
#ifndef QB_QERROR_H
#define QB_QERROR_H

#include <stddef.h>

typedef struct {
    size_t n;
    double signal;  /* sum x^2 */
    double noise;   /* sum (x' - x)^2 */
    double nsr;     /* noise / signal; 0 when both are 0, +Inf when only the signal is 0 */
    double nsr_db;  /* 10 log10(nsr): -Inf for a perfect copy */
    double max_abs; /* max |x' - x| */
    double cosine;  /* <x, x'> / (|x| |x'|); 1 when both are all-zero, 0 when one is */
    size_t nonfinite; /* pairs where x or x' is NaN or Inf (left out of the sums) */
} qb_qerror;

/* Sums in double. Non-finite pairs are counted and skipped, so one bad value
 * is reported rather than turning every metric into NaN. */
void qb_qerror_measure(const float *ref, const float *approx, size_t n, qb_qerror *out);

/* Running form, for tensors measured in pieces: init, add pieces, finish. */
typedef struct {
    size_t n, nonfinite;
    double signal, noise, approx_power, dot, max_abs;
} qb_qerror_acc;

void qb_qerror_acc_init(qb_qerror_acc *a);
void qb_qerror_acc_add(qb_qerror_acc *a, const float *ref, const float *approx, size_t n);
void qb_qerror_acc_merge(qb_qerror_acc *a, const qb_qerror_acc *b);
void qb_qerror_acc_finish(const qb_qerror_acc *a, qb_qerror *out);

/* noise / signal with the conventions above, and its dB. */
double qb_nsr_ratio(double noise, double signal);
double qb_nsr_db(double nsr);

#endif
