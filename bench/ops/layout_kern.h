/* Data-movement kernels of the layout operators: a streaming copy, and the
 * blocked transpose of a 2-D plane built from 8x8 (fp32, fp16) and 16x16
 * (int8) register transposes. Element sizes 4, 2 and 1 byte. */
#ifndef QB_LAYOUT_KERN_H
#define QB_LAYOUT_KERN_H

#include <stdbool.h>
#include <stddef.h>

/* Per-thread scratch of the layout plans: one staged transpose block or a
 * staged run of short rows. */
#define QB_LAY_TMP_BYTES ((size_t)64 << 10)

/* memcpy with 256-bit loads and, when nt, streaming stores from the first
 * 32-byte aligned destination address on (runs under 64 bytes: memcpy). */
void qb_lay_copy(void *dst, const void *src, size_t bytes, bool nt);

/* dst[j * ds + i] = src[i * ss + j] for i < rows, j < cols (strides in
 * elements of esz = 4, 2 or 1 bytes): 8x8 (fp32, fp16) and 16x16 (int8)
 * register tiles, element by element at ragged edges. */
void qb_lay_tr(const void *src, size_t ss, void *dst, size_t ds, size_t rows, size_t cols,
               size_t esz);

#endif
