/* Synthetic tensors for quantization experiments: a reproducible random
 * stream per (seed, stream) pair, and the distributions `qbench quant
 * --input` names (Gaussian N(0,1), uniform on [-1,1), Laplace with scale 1),
 * optionally through a ReLU. */
#ifndef QB_TENSOR_GEN_H
#define QB_TENSOR_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { QB_DIST_GAUSSIAN = 0, QB_DIST_UNIFORM = 1, QB_DIST_LAPLACE = 2, QB_NDISTS = 3 } qb_dist;

#define QB_TENSOR_MAX_DIMS 4

typedef struct {
    qb_dist dist;
    size_t dims[QB_TENSOR_MAX_DIMS];
    int ndim;
    bool relu;
    /* Ratio of the largest to the smallest standard deviation along axis 0,
     * spaced geometrically (1: every row alike). Real weights differ by
     * output channel like this, which is what per-channel scales are for. */
    double spread;
} qb_tensor_spec;

const char *qb_dist_name(qb_dist d); /* "gaussian", "uniform", "laplace" */

/* "gaussian:256x256", "uniform:1024", "laplace:64x3x3x3": a distribution and
 * 1 to 4 positive dimensions (spread 1, no ReLU). Rejects sizes beyond max_bytes of float data
 * (QB_EINPUT naming the word) before anything is allocated. */
int qb_tensor_spec_parse(const char *word, size_t max_bytes, qb_tensor_spec *out);
size_t qb_tensor_count(const qb_tensor_spec *t);
/* "256x256" */
void qb_tensor_shape_str(const qb_tensor_spec *t, char *buf, size_t len);

/* xoshiro256** seeded through splitmix64: independent streams per index, so
 * trial t gives the same tensor whatever thread runs it. */
typedef struct {
    uint64_t s[4];
} qb_rng;

void qb_rng_seed(qb_rng *r, uint64_t seed, uint64_t stream);

static inline uint64_t qb_rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t qb_rng_next(qb_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t out = qb_rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = qb_rotl64(s[3], 45);
    return out;
}
double qb_rng_uniform(qb_rng *r); /* [0, 1), 53 bits */
double qb_rng_gaussian(qb_rng *r); /* N(0, 1), ziggurat */

/* Fill x[0..n) with the distribution (and ReLU). */
void qb_tensor_fill(float *x, size_t n, qb_dist d, bool relu, qb_rng *r);
/* Scale x[outer][nch][inner] by channel: channel c by top * spread^(c/(nch-1) - 1),
 * geometric from top/spread (c = 0) to top (the last). */
void qb_tensor_scale_channels(float *x, size_t outer, size_t nch, size_t inner, double spread, double top);
/* Fill a whole tensor of the spec: the distribution, the spread along axis 0
 * (centred: sqrt(spread) above and below 1), the ReLU. */
void qb_tensor_fill_spec(float *x, const qb_tensor_spec *t, qb_rng *r);

/* Physical memory in bytes (0 if unknown): the ceiling for size checks. */
size_t qb_phys_mem_bytes(void);

#endif
