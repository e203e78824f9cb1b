/* Growing arrays: reallocated to twice what is needed, so appending n
 * values one at a time costs O(n) copies in all. */
#include "grow.h"

#include "error.h"

#include <stdlib.h>

int qb_grow_two(double **a, double **b, size_t need, size_t *cap)
{
    if (need <= *cap) return QB_OK;
    const size_t n = need < 32 ? 64 : 2 * need;
    double *na = realloc(*a, n * sizeof *na);
    if (!na) return qb_fail(QB_ENOMEM, "out of memory");
    *a = na;
    double *nb = realloc(*b, n * sizeof *nb);
    if (!nb) return qb_fail(QB_ENOMEM, "out of memory");
    *b = nb;
    *cap = n;
    return QB_OK;
}
