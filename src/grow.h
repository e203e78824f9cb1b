/* Arrays that grow as values are appended. */
#ifndef QB_GROW_H
#define QB_GROW_H

#include <stddef.h>

/* Make room for need values in each of two arrays of doubles that grow
 * together (a measurement's two quantities, side by side), whose capacity
 * is *cap: when need exceeds it, both are reallocated to twice need (at
 * least 64) and *cap is updated. QB_OK, or QB_ENOMEM, when both arrays stay
 * valid and *cap stays as it was (one of them may have grown already). */
int qb_grow_two(double **a, double **b, size_t need, size_t *cap);

#endif
