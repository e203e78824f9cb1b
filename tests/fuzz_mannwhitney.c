/* libFuzzer target: the U test on arbitrary samples. The first byte splits
 * the doubles that follow into x and y; every result must satisfy the test's
 * identities (U1 + U2 = n1 n2, 0 <= p <= 1, p symmetric in the samples). */
#include "error.h"
#include "mannwhitney.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 + 2 * sizeof(double)) return 0;
    const size_t n = (size - 1) / sizeof(double);
    double *v = malloc(n * sizeof *v);
    if (!v) return 0;
    memcpy(v, data + 1, n * sizeof *v);
    const size_t n1 = 1 + data[0] % (n - 1), n2 = n - n1;
    qb_mwu_result r, s;
    const int rc = qb_mwu_test(v, n1, v + n1, n2, &r);
    const int rc2 = qb_mwu_test(v + n1, n2, v, n1, &s);
    if (rc != rc2) abort();
    if (rc == QB_OK) {
        const double nn = (double)n1 * (double)n2;
        if (!(r.p >= 0 && r.p <= 1) || !(r.u1 >= 0 && r.u1 <= nn)) abort();
        if (fabs(r.u1 + r.u2 - nn) > 1e-9 * (1 + nn)) abort();
        if (fabs(r.u1 - s.u2) > 1e-9 * (1 + nn)) abort();
        if (fabs(r.p - s.p) > 1e-9) abort();
        if (r.exact != s.exact) abort();
    } else {
        /* Only non-finite samples are refused. */
        bool finite = true;
        for (size_t i = 0; i < n; i++) finite = finite && isfinite(v[i]);
        if (finite) abort();
    }
    free(v);
    qb_clear_error();
    return 0;
}
