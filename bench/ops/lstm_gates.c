/* The LSTM gates, eight units per AVX2 vector or sixteen per AVX-512 one
 * (see lstm.h). The two widths run the same operations lane by lane (each
 * rounded as IEEE prescribes), so they give identical results. A row whose
 * length is not a multiple of 8 runs its tail through the same vector code on
 * padded copies, so every unit takes the identical instruction path. */
#include "lstm.h"

#include "eltwise_simd.h"

#include <immintrin.h>
#include <string.h>

/* exp's constants, shared by both widths: the clamp, log2(e), ln 2 in two
 * parts (C1 exact in few bits, so r = x - n ln2 loses nothing) and the
 * degree-6 polynomial's coefficients, highest first (Horner). */
static const float exp_lo = -87.3f, exp_hi = 88.3f, exp_log2e = 1.44269504088896341f;
static const float exp_ln2_c1 = 0.693359375f, exp_ln2_c2 = -2.12194440e-4f;
static const float exp_poly[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                  4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

static inline __m256 exp8(__m256 x)
{
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(exp_lo)), _mm256_set1_ps(exp_hi));
    const __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(exp_log2e)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(exp_ln2_c1), x);
    r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(exp_ln2_c2), r);
    __m256 p = _mm256_set1_ps(exp_poly[0]);
    for (int i = 1; i < 6; i++) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(exp_poly[i]));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(n));
}

static inline __m256 sigmoid8(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

static inline __m256 tanh8(__m256 x)
{
    /* tanh x = 2 sigmoid(2x) - 1 */
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
    return _mm256_sub_ps(_mm256_div_ps(two, _mm256_add_ps(one, exp8(_mm256_mul_ps(x, _mm256_set1_ps(-2.0f))))), one);
}

/* Eight units: g points at unit j of gate 0, gates H apart. */
static inline void cell8(long H, const float *gx, const float *gh, float *c, float *h)
{
    __m256 g[4];
    for (int q = 0; q < 4; q++) {
        g[q] = _mm256_loadu_ps(gx + q * H);
        if (gh) g[q] = _mm256_add_ps(g[q], _mm256_loadu_ps(gh + q * H));
    }
    const __m256 i = sigmoid8(g[0]), o = sigmoid8(g[1]), f = sigmoid8(g[2]), z = tanh8(g[3]);
    const __m256 cn = _mm256_add_ps(_mm256_mul_ps(f, _mm256_loadu_ps(c)), _mm256_mul_ps(i, z));
    _mm256_storeu_ps(c, cn);
    _mm256_storeu_ps(h, _mm256_mul_ps(o, tanh8(cn)));
}

/* The same three functions and cell on sixteen lanes, operation for
 * operation. */
#define QB_ZMM __attribute__((target("avx512f")))

static inline QB_ZMM __m512 exp16(__m512 x)
{
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(exp_lo)), _mm512_set1_ps(exp_hi));
    const __m512 fx = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(exp_log2e)),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(exp_ln2_c1), x);
    r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(exp_ln2_c2), r);
    __m512 p = _mm512_set1_ps(exp_poly[0]);
    for (int i = 1; i < 6; i++) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(exp_poly[i]));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    const __m512i n = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(fx), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(n));
}

static inline QB_ZMM __m512 sigmoid16(__m512 x)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

static inline QB_ZMM __m512 tanh16(__m512 x)
{
    const __m512 one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f);
    return _mm512_sub_ps(_mm512_div_ps(two, _mm512_add_ps(one, exp16(_mm512_mul_ps(x, _mm512_set1_ps(-2.0f))))), one);
}

static QB_ZMM void cell16(long H, const float *gx, const float *gh, float *c, float *h)
{
    __m512 g[4];
    for (int q = 0; q < 4; q++) {
        g[q] = _mm512_loadu_ps(gx + q * H);
        if (gh) g[q] = _mm512_add_ps(g[q], _mm512_loadu_ps(gh + q * H));
    }
    const __m512 i = sigmoid16(g[0]), o = sigmoid16(g[1]), f = sigmoid16(g[2]), z = tanh16(g[3]);
    const __m512 cn = _mm512_add_ps(_mm512_mul_ps(f, _mm512_loadu_ps(c)), _mm512_mul_ps(i, z));
    _mm512_storeu_ps(c, cn);
    _mm512_storeu_ps(h, _mm512_mul_ps(o, tanh16(cn)));
}

static void store_h(const float *h, long j0, long n, const qb_lstm_hout *out)
{
    if (out->f32) memcpy(out->f32 + j0, h, (size_t)n * sizeof *h);
    if (!out->f16 && !out->q && !out->u8) return;
    float hp[8] = {0};
    memcpy(hp, h, (size_t)n * sizeof *h);
    const __m256 hv = _mm256_loadu_ps(hp);
    if (out->f16) {
        uint16_t t[8];
        _mm_storeu_si128((__m128i *)t, _mm256_cvtps_ph(hv, _MM_FROUND_TO_NEAREST_INT));
        memcpy(out->f16 + j0, t, (size_t)n * sizeof *t);
    }
    if (out->q || out->u8) {
        /* qb_quant1(h, scale, 0, -128, 127): one division, round half to even, clip */
        __m256i q = _mm256_cvtps_epi32(_mm256_div_ps(hv, _mm256_set1_ps(out->scale)));
        q = _mm256_min_epi32(_mm256_max_epi32(q, _mm256_set1_epi32(-128)), _mm256_set1_epi32(127));
        /* narrowed in order; the u8 copy is q + 128, each byte's sign bit flipped */
        const uint64_t b = qb_v_pack1(q, 0), bu = b ^ 0x8080808080808080ull;
        if (out->q) memcpy(out->q + j0, &b, (size_t)n);
        if (out->u8) memcpy(out->u8 + j0, &bu, (size_t)n);
    }
}

void qb_lstm_cell_range(long H, long j0, long j1, const float *gx, const float *gh, float *c,
                        const qb_lstm_hout *out)
{
    long j = j0;
    float h[16];
    if (out->zmm)
        for (; j + 16 <= j1; j += 16) {
            cell16(H, gx + j, gh ? gh + j : NULL, c + j, h);
            store_h(h, j, 8, out);
            store_h(h + 8, j + 8, 8, out);
        }
    for (; j + 8 <= j1; j += 8) {
        cell8(H, gx + j, gh ? gh + j : NULL, c + j, h);
        store_h(h, j, 8, out);
    }
    if (j == j1) return;
    /* the tail on padded copies laid out with gate stride 8 */
    const long n = j1 - j;
    float tx[32] = {0}, th[32] = {0}, tc[8] = {0};
    for (int q = 0; q < 4; q++) {
        memcpy(tx + 8 * q, gx + q * H + j, (size_t)n * sizeof *tx);
        if (gh) memcpy(th + 8 * q, gh + q * H + j, (size_t)n * sizeof *th);
    }
    memcpy(tc, c + j, (size_t)n * sizeof *tc);
    cell8(8, tx, gh ? th : NULL, tc, h);
    memcpy(c + j, tc, (size_t)n * sizeof *tc);
    store_h(h, j, n, out);
}

void qb_lstm_cell(long H, const float *gx, const float *gh, float *c, const qb_lstm_hout *out)
{
    qb_lstm_cell_range(H, 0, H, gx, gh, c, out);
}

float qb_lstm_sigmoid1(float x)
{
    float r[8];
    _mm256_storeu_ps(r, sigmoid8(_mm256_set1_ps(x)));
    return r[0];
}

float qb_lstm_tanh1(float x)
{
    float r[8];
    _mm256_storeu_ps(r, tanh8(_mm256_set1_ps(x)));
    return r[0];
}
