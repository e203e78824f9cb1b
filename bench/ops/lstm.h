/* The LSTM cell's element-wise part, shared by the kernel and its reference
 * (so an int8 run can be checked bit for bit: the integer GEMMs are checked
 * against plain loops, the gates are this one function).
 *
 * Gates in ONNX order i, o, f, c over 4H pre-activations g = gx + gh:
 *   i = sigmoid(g_i), o = sigmoid(g_o), f = sigmoid(g_f), z = tanh(g_c)
 *   c' = f * c + i * z,  h = o * tanh(c')
 * sigmoid and tanh use a vector exp (range reduction by ln 2 and a degree-6
 * polynomial, about 2 ulp), eight lanes at a time on AVX2 or sixteen on
 * AVX-512, with identical results. */
#ifndef QB_LSTM_H
#define QB_LSTM_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    float *f32;      /* h as float, or NULL */
    uint16_t *f16;   /* h as binary16, or NULL */
    int8_t *q;       /* h quantized: clip(rint(h / scale), -128, 127), or NULL */
    uint8_t *u8;     /* the same + 128 (the next step's u8 GEMM operand), or NULL */
    float scale;
    bool zmm;        /* sixteen units per AVX-512 vector (the caller checked the CPU has AVX-512F) */
} qb_lstm_hout;

/* One batch row of H units: gx and gh hold 4H pre-activations (gh may be
 * NULL at t = 0), c the H cell states (updated). */
void qb_lstm_cell(long H, const float *gx, const float *gh, float *c, const qb_lstm_hout *out);
/* The same for units [j0, j1) only (the pointers still address the whole row). */
void qb_lstm_cell_range(long H, long j0, long j1, const float *gx, const float *gh, float *c,
                        const qb_lstm_hout *out);

/* exp, sigmoid and tanh of the same approximation, one value (for tests). */
float qb_lstm_sigmoid1(float x);
float qb_lstm_tanh1(float x);

#endif
