/* Every memory-bound operator x dtype x quantization variant against its
 * plain scalar reference (the op's verify(): fp32 relative tolerance, fp16
 * from its precision, int8 bit-exact), on small odd shapes that hit the
 * vector tails and the thread spans, with 1 and 2 threads; plus the shape
 * checks (malformed and absurd shapes are rejected before allocation). */
#include "big_buf.h"
#include "check.h"
#include "defaults.h"
#include "error.h"
#include "op.h"
#include "ops_mem_util.h"
#include "ops_memory.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small shapes: odd sizes so every kernel's tail runs; the second one is
 * bigger than a 64-element thread span. */
static const struct {
    const char *op;
    const char *shape[2];
} cases[] = {
    {"relu", {"1,3,5,7", "2,3,33,65"}},
    {"relu6", {"1,3,5,7", "2,3,33,65"}},
    {"tanh", {"1,3,5,7", "2,3,33,65"}},
    {"sigmoid", {"1,3,5,7", "2,3,33,65"}},
    {"swish", {"1,3,5,7", "2,3,33,65"}},
    {"add", {"1,3,5,7", "2,3,33,65"}},
    {"mul", {"1,3,5,7", "2,3,33,65"}},
    {"sub", {"1,3,5,7", "2,3,33,65"}},
    {"div", {"1,3,5,7", "2,3,33,65"}},
    {"softmax", {"3,7", "67,1000"}},
    {"cumsum", {"3,7", "37,1001"}},
    {"depthwise-conv", {"1,3,7,9,3,3,1,1", "2,5,37,45,3,3,1,1"}},
    {"slice", {"1,3,9,11,1,2,3,2,5,7", "2,8,40,70,1,3,5,6,30,61"}},
    {"transpose", {"1,5,7", "3,67,45"}},
    {"permute", {"2,3,5,7,0,2,3,1", "2,9,33,37,3,1,0,2"}},
    {"concat", {"1,2,3,5,7", "2,5,3,33,17"}},
    {"shuffle", {"1,6,5,7,3", "2,12,9,17,4"}},
    {"maxpool", {"1,3,7,9,3,3,2,1", "2,5,37,45,3,3,1,1"}},
    {"avgpool", {"1,3,7,9,3,3,2,1", "2,5,37,45,2,2,2,0"}},
    {"global-avgpool", {"1,3,5,7", "2,67,7,7"}},
    {"batchnorm", {"1,3,5,7", "2,9,33,17"}},
    {"layernorm", {"3,7", "67,768"}},
    {"gelu", {"3,7", "67,301"}},
    {"clip", {"1,3,5,7", "2,3,33,65"}},
};

/* More shapes for the ops whose kernels have several paths. */
static const struct {
    const char *op, *shape;
} extra[] = {
    {"depthwise-conv", "1,4,20,21,3,3,2,1"}, /* stride 2: the strided path */
    {"depthwise-conv", "1,3,9,75,3,3,2,1"},  /* stride 2, rows of 32 outputs and a tail */
    {"depthwise-conv", "1,2,11,70,5,5,2,2"}, /* stride 2, 5x5 */
    {"depthwise-conv", "1,3,10,40,5,5,1,2"}, /* 5x5 */
    {"depthwise-conv", "1,2,9,70,1,1,1,0"},  /* 1x1, no padding */
    {"permute", "2,3,40,50,0,1,3,2"},        /* a batched transpose */
    {"permute", "2,3,4,5,3,2,1,0"},          /* full reversal */
    {"permute", "2,3,4,5,0,1,2,3"},          /* identity: row copies */
    {"permute", "3,4,70,5,2,0,1,3"},         /* innermost axis kept */
    {"transpose", "1,1,1"},
    {"slice", "1,1,5,300,0,0,0,1,5,300"}, /* the whole tensor */
    {"cumsum", "2,65536"},
    {"softmax", "2,20000"},
    {"softmax", "9,96"}, /* rows aligned for streaming in every dtype */
    {"cumsum", "7,1024"},
    {"transpose", "2,256,96"}, /* whole blocks, aligned destination rows */
    {"transpose", "1,256,256"},
    {"transpose", "1,40,50"},          /* int8: 32-wide tiles, then a 16-wide strip */
    {"transpose", "2,24,60"},          /* fp16: 16-wide tiles, then an 8-wide strip */
    {"permute", "1,64,16,16,0,2,3,1"}, /* NCHW -> NHWC in whole blocks */
    {"concat", "1,3,5,64,65"},
};

static int run_variant(const qb_op_desc *op, const char *shape_text, const qb_variant *v)
{
    qb_shape s;
    int rc = qb_op_shape(op, shape_text, &s);
    if (rc) {
        fprintf(stderr, "%s %s: shape rejected: %s\n", op->name, shape_text, qb_last_error(rc));
        return rc;
    }
    qb_op_instance *inst = NULL;
    rc = op->create(&s, v, &inst);
    if (rc) return rc;
    rc = op->run(inst);
    rc = rc ? rc : op->run(inst); /* a second run must give the same, verified output */
    double err = -1;
    bool ok = false;
    if (!rc) rc = op->verify(inst, &err, &ok);
    if (!rc && !ok) {
        fprintf(stderr, "%s %s %s %s %s threads %d isa %s: error %g\n", op->name, shape_text,
                qb_dtype_name(v->dtype), qb_qgran_name(v->gran), qb_qpolicy_name(v->policy),
                v->threads, v->isa ? v->isa : "auto", err);
        rc = -100;
    }
    if (!rc && op->output && op->output_elems) {
        const size_t n = op->output_elems(&s);
        float *out = malloc(n * sizeof *out);
        CHECK(out != NULL);
        if (out) {
            CHECK(op->output(inst, out) == QB_OK);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++)
                bad += !(out[i] == out[i]);
            CHECK(bad == 0);
        }
        free(out);
    }
    op->destroy(inst);
    return rc;
}

static void all_variants(const qb_op_desc *op, const char *shape_text)
{
    static const qb_qpolicy pols[] = {QB_SYMMETRIC, QB_ASYMMETRIC, QB_POW2};
    for (int threads = 1; threads <= 2; threads++) {
        for (int d = QB_FP32; d <= QB_FP16; d++) {
            const qb_variant v = {.dtype = (qb_dtype)d, .threads = threads};
            CHECK(run_variant(op, shape_text, &v) == QB_OK);
        }
        for (int p = 0; p < 3; p++) {
            for (int g = QB_PER_TENSOR; g <= QB_PER_CHANNEL; g++) {
                for (int isa = 0; isa < 2; isa++) {
                    const qb_variant v = {.dtype = QB_INT8,
                                          .gran = (qb_qgran)g,
                                          .policy = pols[p],
                                          .threads = threads,
                                          .isa = isa ? "avx2" : NULL};
                    const int rc = run_variant(op, shape_text, &v);
                    if (g == QB_PER_CHANNEL && !op->per_channel) {
                        CHECK(rc == QB_EUNSUPPORTED);
                        qb_clear_error();
                    } else {
                        CHECK(rc == QB_OK);
                    }
                }
            }
        }
    }
}

/* Shapes every op must reject: malformed (usage) and absurd (input). */
static void bad_shapes(const qb_op_desc *op)
{
    qb_shape s;
    int nk = 1;
    for (const char *p = op->shape_keys; *p; p++)
        nk += *p == ',';
    char more[256] = "", huge[256] = "";
    for (int i = 0; i <= nk; i++)
        strcat(more, i ? ",1" : "1"); /* one number too many */
    CHECK(qb_op_shape(op, more, &s) == QB_EUSAGE);
    CHECK(qb_op_shape(op, "1", &s) == QB_EUSAGE);
    CHECK(qb_op_shape(op, "x", &s) == QB_EUSAGE);
    CHECK(qb_op_shape(op, "1,,2", &s) == QB_EUSAGE);
    CHECK(qb_op_shape(op, "-1,2,3,4", &s) == QB_EUSAGE);
    for (int i = 0; i < nk; i++)
        strcat(huge, i ? ",1000000" : "1000000");
    const int rc = qb_op_shape(op, huge, &s);
    CHECK(rc == QB_EINPUT);
    if (rc != QB_EINPUT) fprintf(stderr, "%s accepted %s\n", op->name, huge);
    qb_clear_error();
}

/* The inputs' vectorized quantization is the library's qb_quant1, element
 * for element, and the calibration matches qb_qchoose on the whole data. */
static void quantize_matches_library(void)
{
    static const qb_qpolicy pols[] = {QB_SYMMETRIC, QB_ASYMMETRIC, QB_POW2};
    for (int p = 0; p < 3; p++) {
        const qb_variant v = {
            .dtype = QB_INT8, .gran = QB_PER_TENSOR, .policy = pols[p], .threads = 2};
        qb_mo_tensor t;
        CHECK(qb_mo_input(&t, 1000 + 37, &v, 7, -3.0f, 5.0f) == QB_OK);
        qb_qparams whole;
        const qb_qspec spec = qb_qspec_default(pols[p]);
        const size_t dims[1] = {t.n};
        CHECK(qb_qchoose(t.f, dims, 1, &spec, &whole) == QB_OK);
        CHECK(whole.scale[0] == t.p.scale[0] && whole.zero_point[0] == t.p.zero_point[0]);
        size_t bad = 0;
        for (size_t i = 0; i < t.n; i++)
            bad += qb_mo_q(&t, i) !=
                   qb_quant1(t.f[i], t.p.scale[0], t.p.zero_point[0], t.p.qmin, t.p.qmax);
        CHECK(bad == 0);
        qb_qparams_free(&whole);
        qb_mo_tensor_free(&t);
    }
}

/* Every op of the cases table on its shapes, then the extra shapes. */
static int run_cases(void)
{
    int found = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const qb_op_desc *op = qb_op_find(cases[i].op);
        if (!op) {
            fprintf(stderr, "%s: not in the registry\n", cases[i].op);
            qb_test_failures++;
            continue;
        }
        found++;
        CHECK(strcmp(op->klass, "memory") == 0);
        /* the default shape parses and passes check() */
        qb_shape s;
        CHECK(qb_op_shape(op, NULL, &s) == QB_OK);
        CHECK(op->ops(&s) >= 0);
        const qb_variant v32 = {.dtype = QB_FP32, .threads = 1},
                         v8 = {.dtype = QB_INT8, .threads = 1};
        CHECK(op->bytes(&s, &v32) > 3.9 * op->bytes(&s, &v8));
        for (int j = 0; j < 2; j++)
            all_variants(op, cases[i].shape[j]);
        bad_shapes(op);
    }
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        const qb_op_desc *op = qb_op_find(extra[i].op);
        if (op) all_variants(op, extra[i].shape);
    }
    return found;
}

/* The inputs' fill gives the same values on every code path and split
 * (vector and scalar, one thread or two, lengths not a multiple of 8), all
 * within [lo, hi). */
static void fill_is_one_function(void)
{
    enum { N = 1003 };
    static float a[N], b[N];
    qb_mo_fill(a, N, 7, -2.0f, 3.0f, 1);
    qb_mo_fill(b, N, 7, -2.0f, 3.0f, 2);
    int bad = 0;
    for (size_t i = 0; i < N; i++) {
        const float want = qb_mo_fill_value(7, i, -2.0f, 3.0f);
        bad += a[i] != want || b[i] != want || !(want >= -2.0f && want < 3.0f);
    }
    CHECK(bad == 0);
    qb_mo_fill(b, N, 8, -2.0f, 3.0f, 1);
    CHECK(memcmp(a, b, sizeof a) != 0); /* another seed, other values */
}

/* The calibration's extremes: the vector path against a plain loop, on
 * lengths that leave a tail and extremes in the tail, the body and the first
 * element; an Inf or a NaN anywhere is refused. */
static void extremes_match_loop(void)
{
    enum { N = 4099 };
    static float x[N];
    const size_t lens[] = {1, 15, 16, 17, 1000, N};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        const size_t n = lens[li];
        qb_mo_fill(x, n, 11 + li, -5.0f, 5.0f, 1);
        for (size_t at = 0; at < n; at += n / 3 + 1) {
            const float keep = x[at], keep2 = x[n - 1];
            x[at] = -7.5f;
            x[n - 1] = 9.25f;
            float want_lo = INFINITY, want_hi = -INFINITY;
            for (size_t i = 0; i < n; i++) {
                want_lo = x[i] < want_lo ? x[i] : want_lo;
                want_hi = x[i] > want_hi ? x[i] : want_hi;
            }
            float lo = 0, hi = 0;
            CHECK(qb_mo_extremes(x, n, &lo, &hi) == QB_OK);
            CHECK(lo == want_lo && hi == want_hi);
            x[at] = keep;
            x[n - 1] = keep2;
        }
    }
    qb_mo_fill(x, N, 3, -1.0f, 1.0f, 2);
    const float bad[] = {INFINITY, -INFINITY, NAN};
    const size_t where[] = {0, 17, N - 1};
    for (int b = 0; b < 3; b++)
        for (int w = 0; w < 3; w++) {
            const float keep = x[where[w]];
            x[where[w]] = bad[b];
            float lo, hi;
            CHECK(qb_mo_extremes(x, N, &lo, &hi) == QB_EINPUT);
            qb_clear_error();
            x[where[w]] = keep;
        }
}

/* A freed big buffer is handed out again to a request it fits (not to one
 * less than half its size), freeing more than the kept total frees the
 * rest, and release gives everything back. */
static void big_buffers_are_reused(void)
{
    qb_big_release();
    const size_t mb = (size_t)1 << 20;
    if (!qb_big_keeps()) {
        /* several NUMA nodes: nothing is kept */
        unsigned char *a = qb_big_alloc(8 * mb, 2);
        CHECK(a != NULL && ((uintptr_t)a & (QB_BIG_HUGE_BYTES - 1)) == 0);
        qb_big_free(a);
        CHECK(qb_big_kept_bytes() == 0);
        return;
    }
    unsigned char *a = qb_big_alloc(8 * mb, 2);
    CHECK(a != NULL && ((uintptr_t)a & (QB_BIG_HUGE_BYTES - 1)) == 0);
    a[8 * mb - 1] = 1; /* the whole size is writable */
    qb_big_free(a);
    CHECK(qb_big_kept_bytes() == 8 * mb);
    unsigned char *b = qb_big_alloc(6 * mb, 1);
    CHECK(b == a && qb_big_kept_bytes() == 0);
    unsigned char *c = qb_big_alloc(6 * mb, 1);
    CHECK(c != NULL && c != b);
    qb_big_free(b);
    unsigned char *d = qb_big_alloc(2 * mb, 1); /* 8 MiB is over twice 2 MiB: not reused */
    CHECK(d != b);
    qb_big_free(c);
    qb_big_free(d);
    CHECK(qb_big_kept_bytes() == 16 * mb);
    /* small buffers are plain ones, never kept */
    void *s = qb_big_alloc(100, 1);
    CHECK(s != NULL && ((uintptr_t)s & 63) == 0);
    qb_big_free(s);
    CHECK(qb_big_kept_bytes() == 16 * mb);
    /* the kept total stays under its bound: freeing one buffer of the whole
     * bound makes room by freeing the others */
    unsigned char *e = qb_big_alloc(QB_BIG_KEEP_BYTES, 1);
    CHECK(e != NULL);
    qb_big_free(e);
    CHECK(qb_big_kept_bytes() == QB_BIG_KEEP_BYTES);
    qb_big_release();
    CHECK(qb_big_kept_bytes() == 0);
    qb_big_free(NULL);
}

/* The output of one variant through op->output (NCHW floats), or NULL. */
static float *output_of(const qb_op_desc *op, const qb_shape *s, const qb_variant *v, size_t *n)
{
    qb_op_instance *inst = NULL;
    if (op->create(s, v, &inst) != QB_OK) return NULL;
    *n = op->output_elems(s);
    float *out = malloc(*n * sizeof *out);
    const int rc = out ? op->run(inst) : QB_ENOMEM;
    if (rc || op->output(inst, out) != QB_OK) {
        free(out);
        out = NULL;
    }
    op->destroy(inst);
    return out;
}

/* depthwise-conv's channels-last route (AVX-512, its NHWC output turned
 * back to NCHW by output) gives what the planes give (--isa avx2): fp32 to
 * rounding, int8 the same bytes, for a signed (symmetric) and an unsigned
 * (asymmetric) output; pow2 keeps the planes either way. The shapes take
 * the 3x3 kernel's groups of 8 (stride 1) and 6 (stride 2) inside a row,
 * border groups, tails, and a channel count past whole vectors. On a CPU
 * without AVX-512 both are planes. */
static void depthwise_routes_agree(void)
{
    const qb_op_desc *op = qb_op_find("depthwise-conv");
    static const char *const shapes[] = {"2,20,9,13,3,3,1,1", "1,17,12,10,3,3,2,1", "1,33,7,40,3,3,1,1",
                                         "1,17,9,41,3,3,2,1"};
    static const struct {
        qb_dtype dtype;
        qb_qpolicy policy;
    } kinds[] = {{QB_FP32, QB_SYMMETRIC}, {QB_INT8, QB_SYMMETRIC}, {QB_INT8, QB_ASYMMETRIC}, {QB_INT8, QB_POW2}};
    for (size_t i = 0; op && i < sizeof shapes / sizeof shapes[0]; i++) {
        qb_shape s;
        CHECK(qb_op_shape(op, shapes[i], &s) == QB_OK);
        for (size_t d = 0; d < sizeof kinds / sizeof kinds[0]; d++) {
            const bool i8 = kinds[d].dtype == QB_INT8;
            qb_variant v = {.dtype = kinds[d].dtype, .policy = kinds[d].policy, .threads = 2};
            size_t n = 0, n2 = 0;
            float *a = output_of(op, &s, &v, &n);
            v.isa = "avx2";
            float *b = output_of(op, &s, &v, &n2);
            CHECK(a && b && n == n2);
            double worst = 0;
            for (size_t k = 0; a && b && k < n; k++)
                worst = fmax(worst, fabs((double)a[k] - (double)b[k]));
            CHECK(worst <= (i8 ? 0.0 : 1e-4));
            if (worst > (i8 ? 0.0 : 1e-4))
                fprintf(stderr, "depthwise %s kind %zu: routes differ by %g\n", shapes[i], d, worst);
            free(a);
            free(b);
        }
    }
}

int main(void)
{
    fill_is_one_function();
    extremes_match_loop();
    big_buffers_are_reused();
    /* once as shipped (small outputs use regular stores), once with every
     * output streamed so the non-temporal paths are checked too */
    quantize_matches_library();
    depthwise_routes_agree();
    qb_mo_nt_min_bytes = 1e300;
    const int found = run_cases();
    qb_mo_nt_min_bytes = 0;
    run_cases();
    /* op-specific absurd or inconsistent shapes */
    const struct {
        const char *op, *shape;
    } reject[] = {
        {"permute", "1,2,3,4,0,1,1,3"}, /* not a permutation */
        {"permute", "1,2,3,4,0,1,2,4"},
        {"slice", "1,4,8,8,0,0,4,1,4,5"},      /* w0 + Ws > W */
        {"shuffle", "1,10,4,4,3"},             /* C not a multiple of G */
        {"depthwise-conv", "1,3,2,2,5,5,1,0"}, /* filter larger than the input */
        {"depthwise-conv", "1,3,8,8,3,3,1,3"}, /* pad >= filter */
        {"cumsum", "1,100000"},                /* row longer than the int8 accumulator allows */
    };
    for (size_t i = 0; i < sizeof reject / sizeof reject[0]; i++) {
        const qb_op_desc *op = qb_op_find(reject[i].op);
        if (!op) continue;
        qb_shape s;
        const int rc = qb_op_shape(op, reject[i].shape, &s);
        CHECK(rc == QB_EINPUT || rc == QB_EUSAGE);
        if (rc == QB_OK) fprintf(stderr, "%s accepted %s\n", reject[i].op, reject[i].shape);
        qb_clear_error();
    }
    printf("test_ops_mem: %d memory-bound ops checked\n", found);
    TEST_DONE();
}
