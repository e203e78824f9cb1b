/* A tiny assertion helper for the unit tests: CHECK records a failure and
 * goes on, so one run shows every broken expectation. */
#ifndef QB_TEST_CHECK_H
#define QB_TEST_CHECK_H

#include <math.h>
#include <stdio.h>

static int qb_test_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            qb_test_failures++;                                                                    \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        const double qb_a = (a), qb_b = (b);                                                       \
        if (!(fabs(qb_a - qb_b) <= (tol))) {                                                       \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.10g, expected %.10g (tol %g)\n",     \
                    __FILE__, __LINE__, #a, qb_a, qb_b, (double)(tol));                            \
            qb_test_failures++;                                                                    \
        }                                                                                          \
    } while (0)

#define TEST_DONE()                                                                                \
    do {                                                                                           \
        if (qb_test_failures) fprintf(stderr, "%d check(s) failed\n", qb_test_failures);           \
        return qb_test_failures ? 1 : 0;                                                           \
    } while (0)

#endif
