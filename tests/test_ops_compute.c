/* Every compute-bound operator x dtype x quantization variant on small shapes
 * (partial tiles, odd K, padding, strides, batch > 1, 1 and 2 threads, the
 * AVX2 and VNNI int8 paths): verify() against the op's plain scalar
 * reference (fp32 relative tolerance, fp16 from its precision, int8 bit-exact),
 * and the int8 output against the fp32 output of the same inputs, which
 * catches a wrong scale that a reference sharing the scales would not. */
#include "check.h"
#include "cpu_features.h"
#include "error.h"
#include "lstm.h"
#include "op.h"
#include "ops_compute.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const qb_op_desc *op;
    const char *shape;
} tcase;

static double nsr(const float *y, const float *ref, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)y[i] - ref[i]) * ((double)y[i] - ref[i]);
        den += (double)ref[i] * ref[i];
    }
    return den > 0 ? num / den : num;
}

static float *run_variant(const qb_op_desc *op, const qb_shape *s, const qb_variant *v, const char *label)
{
    qb_op_instance *inst = NULL;
    int rc = op->create(s, v, &inst);
    CHECK(rc == QB_OK);
    if (rc) {
        fprintf(stderr, "%s: create failed: %s\n", label, qb_last_error(rc));
        return NULL;
    }
    CHECK(op->run(inst) == QB_OK);
    CHECK(op->run(inst) == QB_OK); /* twice: buffers are reused */
    double err = -1;
    bool ok = false;
    CHECK(op->verify(inst, &err, &ok) == QB_OK);
    if (!ok) fprintf(stderr, "%s: verify failed, max error %g\n", label, err);
    CHECK(ok);
    const size_t n = op->output_elems(s);
    float *out = malloc(n * sizeof *out);
    CHECK(op->output(inst, out) == QB_OK);
    op->destroy(inst);
    return out;
}

/* The LSTM gates sixteen units a zmm give what they give eight a ymm, bit
 * for bit, in every output (cell state, float, binary16, int8 and u8 h),
 * over a row of 16 + 16 + 8 + 5 units and inputs from deep saturation to 0. */
static void lstm_gates_widths(void)
{
    enum { H = 45 };
    float gx[4 * H], gh[4 * H], c[2][H], f32[2][H];
    uint16_t f16[2][H];
    int8_t q[2][H];
    uint8_t u8[2][H];
    uint32_t r = 12345;
    for (int rep = 0; rep < 50; rep++) {
        const float range = rep < 10 ? 100.0f : rep < 30 ? 8.0f : 0.5f;
        for (int i = 0; i < 4 * H; i++) {
            r = r * 1664525u + 1013904223u;
            gx[i] = range * ((float)(r >> 8) / 8388608.0f - 1.0f);
            r = r * 1664525u + 1013904223u;
            gh[i] = range * ((float)(r >> 8) / 8388608.0f - 1.0f);
        }
        for (int w = 0; w < 2; w++) {
            for (int j = 0; j < H; j++) c[w][j] = (float)j / H - 0.5f;
            const qb_lstm_hout o = {.f32 = f32[w], .f16 = f16[w], .q = q[w], .u8 = u8[w], .scale = 1.0f / 127,
                                    .zmm = w == 1};
            qb_lstm_cell(H, gx, rep % 2 ? gh : NULL, c[w], &o);
        }
        const bool same = !memcmp(c[0], c[1], sizeof c[0]) && !memcmp(f32[0], f32[1], sizeof f32[0]) &&
                          !memcmp(f16[0], f16[1], sizeof f16[0]) && !memcmp(q[0], q[1], sizeof q[0]) &&
                          !memcmp(u8[0], u8[1], sizeof u8[0]);
        if (!same) fprintf(stderr, "lstm gates: zmm and ymm differ (inputs within +-%g)\n", range);
        CHECK(same);
    }
}

int main(void)
{
    if (qb_cpu_has("avx512f")) lstm_gates_widths();
    const tcase cases[] = {
        {&qb_op_conv, "2,5,9,7,6,3,3,1,1"},
        {&qb_op_conv, "1,8,10,10,13,3,3,2,1"},
        {&qb_op_conv, "1,16,6,6,8,1,1,1,0"},
        /* the direct NHWC kernels: 40 channels (a group of 32 and a part one),
         * C not a multiple of 4, 5x5 with pad 2; and a weight matrix larger
         * than one block of channels (several blocks, the last one short) */
        {&qb_op_conv, "1,35,7,9,40,5,5,1,2"},
        {&qb_op_conv, "1,1024,3,3,40,3,3,1,1"},
        /* rows of 14 in tiles of 7, border taps skipped (every pixel of the
         * top and bottom rows, the first and last of each row; read in
         * place, no padded copy); a lone pixel
         * that skips taps on both sides; two pixels of a strided row */
        {&qb_op_conv, "1,24,14,14,36,3,3,1,1"},
        {&qb_op_conv, "1,8,1,1,20,3,3,1,1"},
        {&qb_op_conv, "1,4,3,3,36,3,3,2,1"},
        /* pad 3 > stride 2: the second pixel reaches the border too, so the
         * tiles read a padded copy, not the input in place */
        {&qb_op_conv, "1,8,9,10,20,7,7,2,3"},
        /* a one-pixel row padded by 2: a filter column both end pixels skip */
        {&qb_op_conv, "1,8,1,1,20,3,3,1,2"},
        /* int8 tiles of 64 channels (6 pixels): 100 = 64 + 32 + 4, a strided
         * batch, and blocks of 64 channels for a weight matrix past L2 */
        {&qb_op_conv, "1,12,9,11,100,3,3,1,1"},
        {&qb_op_conv, "2,16,13,13,64,3,3,2,1"},
        {&qb_op_conv, "1,512,5,5,136,3,3,1,1"},
        {&qb_op_matmul, "13,37,29"},
        {&qb_op_batched_matmul, "3,9,20,17"},
        {&qb_op_batched_matmul, "1,9,20,17"},
        {&qb_op_gemm, "7,33,50"},
        {&qb_op_lstm, "4,3,20,13"},
        {&qb_op_lstm, "3,2,16,16"},
        {&qb_op_lstm, "4,3,24,48"}, /* 3 blocks of 16 units: the one-region parallel path */
        {&qb_op_lstm, "3,2,8,45"},  /* 16 + 16 units a zmm, 8 a ymm, 5 on padded copies */
        {&qb_op_conv_transpose, "1,6,5,5,4,4,4,2,1"},
        {&qb_op_conv_transpose, "2,3,4,4,5,2,2,2,0"},
        /* col2im: stride 1 (contiguous runs), stride 2 with an odd filter
         * (a pair of columns, then one alone) over a wide row (the
         * vectorised middle and both ends), stride 3 (column by column) */
        {&qb_op_conv_transpose, "1,5,6,7,4,3,3,1,1"},
        {&qb_op_conv_transpose, "1,4,5,37,3,5,5,2,2"},
        {&qb_op_conv_transpose, "1,3,4,5,4,5,5,3,2"},
        {&qb_op_grouped_conv, "2,8,9,7,12,3,3,1,1,4"},
        {&qb_op_grouped_conv, "1,6,10,10,6,3,3,2,1,3"},
        {&qb_op_grouped_conv, "1,8,6,6,8,1,1,1,0,2"},
    };
    const bool vnni = qb_cpu_has("avx512f+avx512vl+avx512vnni");
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const qb_op_desc *op = cases[ci].op;
        qb_shape s;
        CHECK(qb_op_shape(op, cases[ci].shape, &s) == QB_OK);
        /* the default shape parses and passes its own check */
        qb_shape d;
        CHECK(qb_op_shape(op, NULL, &d) == QB_OK);
        for (int threads = 1; threads <= 2; threads++) {
            char label[160];
            qb_variant v = {.dtype = QB_FP32, .threads = threads};
            snprintf(label, sizeof label, "%s %s fp32 t%d", op->name, cases[ci].shape, threads);
            float *ref = run_variant(op, &s, &v, label);
            v.dtype = QB_FP16;
            snprintf(label, sizeof label, "%s %s fp16 t%d", op->name, cases[ci].shape, threads);
            free(run_variant(op, &s, &v, label));
            for (int isa = 0; isa < (vnni ? 2 : 1); isa++) {
                for (int g = QB_PER_TENSOR; g <= QB_PER_CHANNEL; g++) {
                    for (int p = QB_SYMMETRIC; p <= QB_POW2; p++) {
                        qb_variant q = {.dtype = QB_INT8, .gran = (qb_qgran)g, .policy = (qb_qpolicy)p,
                                        .threads = threads, .isa = isa ? "avx512vnni" : "avx2"};
                        snprintf(label, sizeof label, "%s %s int8 %s %s %s t%d", op->name,
                                 cases[ci].shape, qb_qgran_name(q.gran), qb_qpolicy_name(q.policy),
                                 q.isa, threads);
                        float *y = run_variant(op, &s, &q, label);
                        if (y && ref) {
                            /* 7-bit weights, 8-bit data: NSR near 5e-4 here; a scale 5% off gives 2.5e-3 */
                            const double e = nsr(y, ref, op->output_elems(&s));
                            if (!(e < 2e-3)) fprintf(stderr, "%s: int8 vs fp32 NSR %g\n", label, e);
                            CHECK(e < 2e-3);
                        }
                        free(y);
                    }
                }
            }
            free(ref);
        }
    }
    /* a conv's taps on the zero padding, counted one by one: square and
     * not, strided, pad 0, pad larger than the stride, a one-pixel image */
    const char *const padded[] = {"1,64,56,56,64,3,3,1,1", "2,5,9,7,6,3,3,2,1", "1,16,6,6,8,1,1,1,0",
                                  "1,8,9,10,20,7,7,2,3", "1,8,1,1,20,3,3,1,2", "1,3,224,224,64,7,7,2,3"};
    for (size_t i = 0; i < sizeof padded / sizeof *padded; i++) {
        qb_shape cs;
        CHECK(qb_op_shape(&qb_op_conv, padded[i], &cs) == QB_OK);
        const long N = cs.v[0], C = cs.v[1], H = cs.v[2], W = cs.v[3], K = cs.v[4], R = cs.v[5], S = cs.v[6];
        const long st = cs.v[7], pad = cs.v[8], OH = (H + 2 * pad - R) / st + 1, OW = (W + 2 * pad - S) / st + 1;
        double outside = 0;
        for (long oh = 0; oh < OH; oh++)
            for (long ow = 0; ow < OW; ow++)
                for (long r = 0; r < R; r++)
                    for (long c = 0; c < S; c++) {
                        const long ih = oh * st - pad + r, iw = ow * st - pad + c;
                        outside += ih < 0 || ih >= H || iw < 0 || iw >= W;
                    }
        const double want = 2.0 * N * K * C * outside, got = qb_op_conv.padding_ops(&cs);
        if (got != want) fprintf(stderr, "conv %s: padding ops %g, counted %g\n", padded[i], got, want);
        CHECK(got == want);
        CHECK(got < qb_op_conv.ops(&cs));
    }
    /* bad shapes are refused before allocation, naming the word */
    qb_shape s;
    CHECK(qb_op_shape(&qb_op_conv, "1,64,56,56,64,3,3,1", &s) == QB_EUSAGE);
    CHECK(qb_op_shape(&qb_op_conv, "1,64,56,56,64,3,3,0,1", &s) == QB_EUSAGE);
    CHECK(qb_op_shape(&qb_op_conv, "1,64,56,56,64,3,3,1,3", &s) == QB_EINPUT);
    CHECK(qb_op_shape(&qb_op_conv, "1,64,5,5,64,9,9,1,1", &s) == QB_EINPUT);
    CHECK(qb_op_shape(&qb_op_gemm, "1000000,1000000,1000000", &s) == QB_EINPUT);
    CHECK(qb_op_shape(&qb_op_gemm, "10,x,10", &s) == QB_EUSAGE);
    CHECK(qb_op_shape(&qb_op_matmul, "10,10,10,", &s) == QB_EUSAGE);
    CHECK(qb_op_shape(&qb_op_lstm, "100000,100000,512,512", &s) == QB_EINPUT);
    CHECK(qb_op_shape(&qb_op_conv_transpose, "1,8,8,8,8,2,2,2,1", &s) == QB_EINPUT);
    CHECK(qb_op_shape(&qb_op_grouped_conv, "1,6,8,8,6,3,3,1,1,4", &s) == QB_EINPUT); /* 4 does not divide 6 */
    CHECK(qb_op_shape(&qb_op_grouped_conv, "1,8,8,8,8,3,3,1,1", &s) == QB_EUSAGE);
    TEST_DONE();
}
