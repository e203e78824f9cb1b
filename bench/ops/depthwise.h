/* Depthwise convolution kernels: one channel's plane at a time, read from a
 * padded copy (the border holds the padding value, zero or the input's zero
 * point, and 32 slack columns let the vector loops run past the last output
 * column), so the inner loops have no edge cases.
 *
 * fp32 (fp16 is widened into the fp32 padded plane): stride 1 computes 32
 * outputs of a row per step with R*S broadcast FMAs each; stride 2 computes 8
 * per step from the even columns of 16 loaded ones; other strides use plain
 * loops.
 * int8: u8 activations x s8 weights -> s32. Stride 1 with AVX512-VNNI
 * interleaves four taps' inputs into dwords and sums them with vpdpbusd
 * (exact in int32); without it, it widens 16 inputs of two taps to int16,
 * interleaves them and multiplies by the taps' weight pair with vpmaddwd:
 * exact too (|x w| <= 255 * 128, no vpmaddubsw int16 saturation), so the
 * weights keep the full int8 range either way. Stride 2 takes the even
 * bytes of 16 loaded ones per tap, widened to int32 (8 outputs a step). The int32 sum plus the bias
 * (which folds in -za * sum w) is requantized per channel: float
 * (sa sw[c] / so) or, for pow2 scales, a rounding shift. */
#ifndef QB_DEPTHWISE_H
#define QB_DEPTHWISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int R, S, st, pad;
    size_t H, W, OH, OW;
    size_t Hp, Wp; /* the padded plane: H + 2 pad rows, W + 2 pad + 32 columns */
} qb_dw_geom;

void qb_dw_geom_make(qb_dw_geom *g, size_t H, size_t W, int R, int S, int st, int pad);

/* The padded plane from one input plane (H x W); the border (padding value
 * and slack) only when `border`: it stays valid while the same buffer is
 * padded the same way again, so a thread writes it once. */
void qb_dw_pad_f32(const qb_dw_geom *g, const float *x, float *xp, bool border);
void qb_dw_pad_f16(const qb_dw_geom *g, const uint16_t *x, float *xp, bool border);
void qb_dw_pad_u8(const qb_dw_geom *g, const uint8_t *x, uint8_t za, uint8_t *xp, bool border);

/* One output plane (OH x OW floats) from the padded plane, weights w[R*S]. */
void qb_dw_plane_f32(const qb_dw_geom *g, const float *xp, const float *w, float bias, float *y);

/* The int8 epilogue of one channel. */
typedef struct {
    int32_t bias; /* round(bias / (sa sw)) - za * sum(w) */
    bool use_shift;
    float mult; /* sa sw / so */
    int shift;  /* pow2: sa sw / so = 2^-shift */
    int32_t zo, qmin, qmax;
    bool u8; /* output is uint8 */
} qb_dw_rq;

/* One output plane (OH x OW bytes); vnni: the AVX512-VNNI stride-1 kernel
 * (only when the CPU has avx512vnni+avx512vl). */
void qb_dw_plane_i8(const qb_dw_geom *g, const uint8_t *xp, const int8_t *w, const qb_dw_rq *rq,
                    bool vnni, uint8_t *y);

/* Channel-blocked route, for the small planes of late layers where a plane's
 * row fills few lanes. Each block of 8 channels of one image is copied, a
 * strip of rows at a time (small enough to stay in L1), into a padded image
 * of 8-lane pixels (channels last within the block, floats; the border holds
 * 0, or the input's zero point for int8), convolved 8 output pixels at a
 * time with one 8-lane FMA chain each, and transposed back to planes through
 * the epilogue. Each thread needs one strip of scratch. int8 sums are exact
 * in fp32 (|x w| <= 255 * 128 and at most 16 * 16 taps keep every partial
 * sum below 2^24), so the int8 output is bit-identical to the plane
 * kernels'. */
/* A strip's padded input rows stay within this many bytes (in L1). */
#define QB_DW_C8_STRIP_BYTES ((size_t)32 << 10)

typedef struct {
    qb_dw_geom g;
    size_t C, Wn; /* channels; padded image width W + 2 pad */
    size_t strip; /* output rows per strip */
} qb_dw_c8;

typedef enum { QB_DW_F32, QB_DW_F16, QB_DW_U8 } qb_dw_type;

/* What goes in and out: the element type of x and y; the float routes' bias
 * and clamp; the int8 route's zero point and per-channel epilogue. */
typedef struct {
    qb_dw_type type;
    const float *bias; /* [C] or NULL */
    bool clamp;
    float lo, hi;
    uint8_t za;
    const qb_dw_rq *rq; /* [C] */
} qb_dw_c8_io;

void qb_dw_c8_make(qb_dw_c8 *n, const qb_dw_geom *g, size_t C);
/* Scratch bytes of one thread. */
size_t qb_dw_c8_scratch(const qb_dw_c8 *n);
/* Weights in blocks [ceil(C / 8)][R*S][8] floats from w[C][R*S] (float or
 * int8); lanes past C are 0. qb_dw_c8_weights_len gives the float count. */
size_t qb_dw_c8_weights_len(const qb_dw_c8 *n);
void qb_dw_c8_weights_f32(const qb_dw_c8 *n, const float *w, float *wb);
void qb_dw_c8_weights_i8(const qb_dw_c8 *n, const int8_t *w, float *wb);
/* The 8-channel blocks [b0, b1) of one image: x and y are planes (C x H x W
 * and C x OH x OW of io->type). */
void qb_dw_c8_run(const qb_dw_c8 *n, const qb_dw_c8_io *io, const void *x, const float *wb,
                  float *scratch, void *y, size_t b0, size_t b1);

#endif
