/* 256-entry byte lookup tables: how the int8 activations (tanh, sigmoid,
 * swish) map a quantized input straight to a quantized output. The table
 * holds q_out = quant(f(dequant(q_in))) for every possible input byte, so a
 * lookup is exactly that arithmetic, done once per byte value instead of
 * once per element. */
#ifndef QB_ELTWISE_LUT_H
#define QB_ELTWISE_LUT_H

#include "quant.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* lut[b] for input byte b (an int8 or uint8 value by the params' range):
 * qb_quant1((float)f(qb_dequant1(q, si, zi)), so, zo, qmin, qmax). */
void qb_lut8_build(uint8_t lut[256], const qb_qparams *in, const qb_qparams *out,
                   double (*f)(double));

/* y[i] = lut[x[i]]; AVX512-VBMI (vpermi2b over the 4 x 64-byte table) when
 * vbmi, else AVX2 (16 vpshufb over the high nibble's 16-byte row, blended).
 * nt streams y (64-byte aligned spans). */
void qb_lut8_apply(const uint8_t *x, uint8_t *y, size_t n, const uint8_t lut[256], bool vbmi,
                   bool nt);

#endif
