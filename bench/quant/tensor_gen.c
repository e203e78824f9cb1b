/* Synthetic tensors: parsing the --input word, a seeded random stream and
 * three distributions. */
#include "tensor_gen.h"

#include "error.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *qb_dist_name(qb_dist d)
{
    static const char *const n[] = {"gaussian", "uniform", "laplace"};
    return (unsigned)d < QB_NDISTS ? n[d] : "?";
}

size_t qb_phys_mem_bytes(void)
{
    const long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    return pages > 0 && psize > 0 ? (size_t)pages * (size_t)psize : 0;
}

int qb_tensor_spec_parse(const char *word, size_t max_bytes, qb_tensor_spec *out)
{
    memset(out, 0, sizeof *out);
    const char *colon = strchr(word, ':');
    if (!colon)
        return qb_fail(QB_EUSAGE, "input '%s': expected DIST:SHAPE, e.g. gaussian:256x256", word);
    const size_t len = (size_t)(colon - word);
    int d = -1;
    for (int i = 0; i < QB_NDISTS; i++)
        if (strlen(qb_dist_name((qb_dist)i)) == len && strncmp(word, qb_dist_name((qb_dist)i), len) == 0)
            d = i;
    if (d < 0)
        return qb_fail(QB_EUSAGE, "unknown distribution '%.*s' in '%s' (gaussian, uniform, laplace)",
                       (int)len, word, word);
    out->dist = (qb_dist)d;
    out->spread = 1.0;
    const char *p = colon + 1;
    size_t total = 1;
    for (;;) {
        if (*p < '0' || *p > '9')
            return qb_fail(QB_EUSAGE, "input '%s': shape must be positive sizes joined by x", word);
        char *end;
        errno = 0;
        const unsigned long long v = strtoull(p, &end, 10);
        if (errno == ERANGE || v == 0 || v > (1ull << 40))
            return qb_fail(QB_EUSAGE, "input '%s': %.*s is not a positive size", word,
                           (int)(end - p), p);
        if (out->ndim == QB_TENSOR_MAX_DIMS)
            return qb_fail(QB_EUSAGE, "input '%s': at most %d dimensions", word, QB_TENSOR_MAX_DIMS);
        out->dims[out->ndim++] = (size_t)v;
        if (total > ((size_t)1 << 40) / (size_t)v)
            return qb_fail(QB_EINPUT, "input '%s': too many elements", word);
        total *= (size_t)v;
        p = end;
        if (*p == '\0') break;
        if (*p != 'x' && *p != ',')
            return qb_fail(QB_EUSAGE, "input '%s': shape must be positive sizes joined by x", word);
        p++;
    }
    if (max_bytes && total > max_bytes / sizeof(float))
        return qb_fail(QB_EINPUT, "input '%s': %zu floats (%.1f GiB) do not fit in the %.1f GiB allowed",
                       word, total, (double)total * 4 / 1073741824.0,
                       (double)max_bytes / 1073741824.0);
    return QB_OK;
}

size_t qb_tensor_count(const qb_tensor_spec *t)
{
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->dims[i];
    return n;
}

void qb_tensor_shape_str(const qb_tensor_spec *t, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->ndim && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%zu", i ? "x" : "", t->dims[i]);
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void qb_rng_seed(qb_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull + 0x2545f4914f6cdd1dull);
    splitmix64(&x);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

double qb_rng_uniform(qb_rng *r)
{
    return (double)(int64_t)(qb_rng_next(r) >> 11) * 0x1.0p-53; /* signed: a cheap conversion */
}

/* Ziggurat for N(0,1) (Marsaglia and Tsang's construction): 128 layers of
 * equal area under f(x) = exp(-x^2/2), the bottom one holding the tail
 * beyond ZR. Layer i has width zx[i]; a point under zx[i+1] is accepted at
 * once (about 98.8% of draws), the rest are checked against f. */
#define ZN 128
#define ZR 3.442619855899
#define ZV 9.91256303526217e-3
static double zx[ZN + 1], zf[ZN + 1];
static pthread_once_t zonce = PTHREAD_ONCE_INIT;

static void zig_init(void)
{
    zx[0] = ZV / exp(-0.5 * ZR * ZR); /* the base layer's width, tail included */
    zx[1] = ZR;
    for (int i = 1; i < ZN - 1; i++) zx[i + 1] = sqrt(-2.0 * log(ZV / zx[i] + exp(-0.5 * zx[i] * zx[i])));
    zx[ZN] = 0;
    for (int i = 0; i <= ZN; i++) zf[i] = exp(-0.5 * zx[i] * zx[i]);
}

/* x with the sign of bit 7 of u, without a branch (a random sign would be
 * mispredicted half the time) */
static inline double with_sign(double x, uint64_t u)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    b |= (u & ZN) << (63 - 7);
    memcpy(&x, &b, sizeof x);
    return x;
}

static inline double gaussian(qb_rng *r)
{
    for (;;) {
        const uint64_t u = qb_rng_next(r);
        const int i = (int)(u & (ZN - 1));
        const double x = (double)(int64_t)(u >> 11) * 0x1.0p-53 * zx[i];
        if (x < zx[i + 1]) return with_sign(x, u);
        const double sign = (u & ZN) ? -1.0 : 1.0;
        if (i == 0) {
            /* the tail beyond ZR, by Marsaglia's exponential rejection */
            for (;;) {
                const double a = -log(1.0 - qb_rng_uniform(r)) / ZR;
                const double b = -log(1.0 - qb_rng_uniform(r));
                if (2.0 * b > a * a) return sign * (ZR + a);
            }
        }
        const double y = zf[i] + qb_rng_uniform(r) * (zf[i + 1] - zf[i]);
        if (y < exp(-0.5 * x * x)) return sign * x;
    }
}

double qb_rng_gaussian(qb_rng *r)
{
    pthread_once(&zonce, zig_init);
    return gaussian(r);
}

void qb_tensor_fill(float *x, size_t n, qb_dist d, bool relu, qb_rng *rng)
{
    qb_rng local = *rng, *r = &local; /* the state stays in registers */
    switch (d) {
    case QB_DIST_GAUSSIAN:
        pthread_once(&zonce, zig_init);
        for (size_t i = 0; i < n; i++) x[i] = (float)gaussian(r);
        break;
    case QB_DIST_UNIFORM:
        for (size_t i = 0; i < n; i++) x[i] = (float)(2.0 * qb_rng_uniform(r) - 1.0);
        break;
    default: /* Laplace(0, 1): an Exp(1) magnitude -log(u), u in (0, 1], random sign */
        for (size_t i = 0; i < n; i++) {
            const uint64_t b = qb_rng_next(r);
            const double u = ((double)(int64_t)(b >> 11) + 1.0) * 0x1.0p-53;
            x[i] = (float)((b & 1) ? log(u) : -log(u));
        }
        break;
    }
    if (relu)
        for (size_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0.0f;
    *rng = local;
}

void qb_tensor_fill_spec(float *x, const qb_tensor_spec *t, qb_rng *r)
{
    const size_t n = qb_tensor_count(t);
    qb_tensor_fill(x, n, t->dist, t->relu, r);
    if (t->spread == 1.0 || t->dims[0] < 2) return;
    qb_tensor_scale_channels(x, 1, t->dims[0], n / t->dims[0], t->spread, sqrt(t->spread));
}

void qb_tensor_scale_channels(float *x, size_t outer, size_t nch, size_t inner, double spread, double top)
{
    if (nch < 2) return;
    for (size_t c = 0; c < nch; c++) {
        const float f = (float)(top * pow(spread, (double)c / (double)(nch - 1) - 1.0));
        for (size_t o = 0; o < outer; o++) {
            float *p = x + (o * nch + c) * inner;
            for (size_t i = 0; i < inner; i++) p[i] *= f;
        }
    }
}
