/* The blocked GEMM against its scalar reference: every operand layout (rows,
 * transposed, im2col), fp32, fp16 and int8 in both operand orders, every
 * epilogue, edge sizes that leave partial tiles and several K blocks, 1 and 2
 * threads, the AVX2 and (when present) the VNNI int8 path, and the int16
 * saturation of vpmaddubsw with full-range data. */
#include "check.h"
#include "cpu_features.h"
#include "error.h"
#include "gemm.h"
#include "gemm_f16.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 12345;
static uint32_t next(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}
static float frand(void)
{
    return (float)next() / (float)(1u << 24) * 2.0f - 1.0f;
}

/* Fill a buffer of n elements of a type; int8 in [lo, hi]. It has 32 bytes
 * of slack either side (an im2col image may be read a little beyond its
 * pixels, gemm.h); release() frees it. */
static void *fill(qb_mat_type t, size_t n, int lo, int hi)
{
    const size_t es = t == QB_MAT_F32 ? 4 : t == QB_MAT_F16 ? 2 : 1;
    char *base = calloc(n * es + 64, 1);
    void *p = base + 32;
    for (size_t i = 0; i < n; i++) {
        if (t == QB_MAT_F32) ((float *)p)[i] = frand();
        else if (t == QB_MAT_F16) ((uint16_t *)p)[i] = qb_f32_to_f16(frand());
        else if (t == QB_MAT_U8) ((uint8_t *)p)[i] = (uint8_t)(lo + (int)(next() % (uint32_t)(hi - lo + 1)));
        else ((int8_t *)p)[i] = (int8_t)(lo + (int)(next() % (uint32_t)(hi - lo + 1)));
    }
    return p;
}

static void release(const void *p)
{
    free((char *)p - 32);
}

static size_t out_bytes(qb_epi_kind k)
{
    return k == QB_EPI_F16 ? 2 : (k == QB_EPI_RQ_FLOAT || k == QB_EPI_RQ_SHIFT) ? 1 : 4;
}

/* Compare kernel and reference outputs; float within rel tolerance of the
 * largest magnitude, integers exactly. */
static int compare(qb_epi_kind k, const void *a, const void *b, size_t n, double tol)
{
    int bad = 0;
    double maxabs = 1e-30;
    if (k == QB_EPI_F32 || k == QB_EPI_DQ_F32)
        for (size_t i = 0; i < n; i++) maxabs = fmax(maxabs, fabs(((const float *)b)[i]));
    if (k == QB_EPI_F16)
        for (size_t i = 0; i < n; i++) maxabs = fmax(maxabs, fabs(qb_f16_to_f32(((const uint16_t *)b)[i])));
    for (size_t i = 0; i < n && bad < 5; i++) {
        bool ok;
        if (k == QB_EPI_F32) ok = fabs(((const float *)a)[i] - ((const float *)b)[i]) <= tol * maxabs;
        else if (k == QB_EPI_DQ_F32) ok = ((const float *)a)[i] == ((const float *)b)[i];
        else if (k == QB_EPI_F16)
            ok = fabs(qb_f16_to_f32(((const uint16_t *)a)[i]) - qb_f16_to_f32(((const uint16_t *)b)[i])) <= tol * maxabs;
        else if (k == QB_EPI_S32) ok = ((const int32_t *)a)[i] == ((const int32_t *)b)[i];
        else ok = ((const uint8_t *)a)[i] == ((const uint8_t *)b)[i];
        if (!ok) {
            fprintf(stderr, "  mismatch at %zu\n", i);
            bad++;
        }
    }
    return bad;
}

static bool g_pack_a; /* the kernel gets A packed once too (qb_gemm_pack_a) */

typedef struct {
    long M, N, K;
    qb_mat_type ta, tb;
    qb_mat_layout la, lb;
    qb_epi_kind kind;
    bool row_ch;
    int threads;
    qb_gemm_isa isa;
    int wlo, whi, alo, ahi; /* s8 and u8 ranges */
    bool with_bias;
    bool is_signed;
    bool pack_b; /* the kernel gets B packed once (qb_gemm_pack_b) */
    bool relu;   /* float epilogues: max(0, .) after the bias */
    float cap;   /* with relu: min(cap, .) after it (ReLU6); 0: none */
} gcase;

/* A ReLU epilogue's output has no negative value and, on these symmetric
 * inputs, some exact zeros. */
static void check_relu(qb_epi_kind k, const void *c, size_t n)
{
    size_t neg = 0, zero = 0;
    for (size_t i = 0; i < n; i++) {
        const float v = k == QB_EPI_F16 ? qb_f16_to_f32(((const uint16_t *)c)[i]) : ((const float *)c)[i];
        neg += v < 0;
        zero += v == 0;
    }
    CHECK(neg == 0);
    CHECK(n < 16 || zero > 0);
}

static void run_case(const gcase *g)
{
    const long M = g->M, N = g->N, K = g->K;
    qb_im2col geo;
    qb_mat A = {.type = g->ta, .layout = g->la}, B = {.type = g->tb, .layout = g->lb};
    size_t na = (size_t)(M * K), nb = (size_t)(K * N);
    int lo_a = g->ta == QB_MAT_U8 ? g->alo : g->wlo, hi_a = g->ta == QB_MAT_U8 ? g->ahi : g->whi;
    int lo_b = g->tb == QB_MAT_U8 ? g->alo : g->wlo, hi_b = g->tb == QB_MAT_U8 ? g->ahi : g->whi;
    A.ld = g->la == QB_MAT_ROWS ? K : M;
    B.ld = g->lb == QB_MAT_ROWS ? N : K;
    long ncols = N;
    if (g->lb == QB_MAT_IM2COL) {
        /* K = C*3*3, N = OH*OW from a 3x3 pad-1 stride-1 (or 2) conv on a
         * 9x9 image, or (N = 400) stride 2 on 40x40, whose 20-wide output
         * rows hold whole panels of 16 pixels reading every other input */
        const long C = K / 9, HW = N == 400 ? 40 : 9, st = N == 25 || N == 400 ? 2 : 1;
        geo = (qb_im2col){.C = C, .H = HW, .W = HW, .R = 3, .S = 3, .sh = st, .sw = st, .ph = 1, .pw = 1,
                          .OH = (HW + 2 - 3) / st + 1, .OW = (HW + 2 - 3) / st + 1, .pad_u8 = 7};
        ncols = geo.OH * geo.OW;
        CHECK(ncols == N);
        nb = (size_t)(C * HW * HW);
        B.conv = &geo;
    }
    A.p = fill(g->ta, na, lo_a, hi_a);
    B.p = fill(g->tb, nb, lo_b, hi_b);
    const long nch = g->row_ch ? M : N;
    float *bias = malloc((size_t)nch * sizeof *bias), *mult = malloc((size_t)nch * sizeof *mult);
    int32_t *bi = malloc((size_t)nch * sizeof *bi), *sh = malloc((size_t)nch * sizeof *sh);
    for (long c = 0; c < nch; c++) {
        bias[c] = frand();
        mult[c] = (0.5f + 0.5f * (frand() + 1.0f)) / (float)(K * 40);
        bi[c] = (int32_t)(next() % 4001) - 2000;
        sh[c] = 6 + (int32_t)(next() % 8);
    }
    const size_t ob = out_bytes(g->kind), n = (size_t)(M * N);
    void *c1 = calloc(n, ob), *c2 = calloc(n, ob);
    qb_epilogue e = {.kind = g->kind, .ldc = N, .channel_is_row = g->row_ch,
                     .bias = g->with_bias ? bias : NULL, .bias_i32 = g->with_bias ? bi : NULL,
                     .mult = mult, .shift = sh, .zo = g->is_signed ? 3 : 100,
                     .qmin = g->is_signed ? -128 : 0, .qmax = g->is_signed ? 127 : 255,
                     .relu = g->relu, .cap = g->cap};
    qb_gemm_ws *ws;
    CHECK(qb_gemm_ws_create(g->threads, g->isa, &ws) == QB_OK);
    e.c = c1;
    qb_mat Bk = B, Ak = A;
    if (g->pack_b) CHECK(qb_gemm_pack_b(&B, K, N, &Bk) == QB_OK);
    if (g_pack_a) CHECK(qb_gemm_pack_a(&A, M, K, &Ak) == QB_OK);
    CHECK(qb_gemm(ws, M, N, K, &Ak, &Bk, &e, g->threads) == QB_OK);
    /* run twice: the second run reuses the grown buffers */
    CHECK(qb_gemm(ws, M, N, K, &Ak, &Bk, &e, g->threads) == QB_OK);
    if (g_pack_a) {
        CHECK(qb_mat_getf(&A, M - 1, K - 1) == qb_mat_getf(&Ak, M - 1, K - 1));
        qb_gemm_packed_free(&Ak);
    }
    if (g->pack_b) {
        /* the reference reads the packed layout too */
        float f1 = qb_mat_getf(&B, K - 1, N - 1), f2 = qb_mat_getf(&Bk, K - 1, N - 1);
        CHECK(f1 == f2);
        qb_gemm_packed_free(&Bk);
    }
    e.c = c2;
    const bool sat = qb_gemm_ws_isa(ws) == QB_ISA_AVX2;
    CHECK(qb_gemm_ref(M, N, K, &A, &B, &e, sat) == QB_OK);
    const double tol = g->kind == QB_EPI_F16 ? 2e-3 : 1e-5;
    const int bad = compare(g->kind, c1, c2, n, tol);
    if (bad)
        fprintf(stderr, "case M=%ld N=%ld K=%ld types %d,%d layouts %d,%d epi %d row %d thr %d isa %d\n",
                M, N, K, g->ta, g->tb, g->la, g->lb, g->kind, g->row_ch, g->threads, g->isa);
    CHECK(bad == 0);
    if (g->relu) check_relu(g->kind, c1, n);
    if (g->cap > 0) {
        /* binary16 output holds the cap rounded to binary16 */
        const float cap = g->kind == QB_EPI_F16 ? qb_f16_to_f32(qb_f32_to_f16(g->cap)) : g->cap;
        size_t over = 0, at = 0;
        for (size_t i = 0; i < n; i++) {
            const float v = g->kind == QB_EPI_F16 ? qb_f16_to_f32(((const uint16_t *)c1)[i]) : ((const float *)c1)[i];
            over += v > cap;
            at += v == cap;
        }
        CHECK(over == 0 && (n < 64 || at > 0));
    }
    qb_gemm_ws_destroy(ws);
    release(A.p);
    release(B.p);
    free(bias);
    free(mult);
    free(bi);
    free(sh);
    free(c1);
    free(c2);
}

int main(void)
{
    static const long sizes[][3] = {{1, 1, 1}, {6, 16, 8}, {7, 17, 5}, {13, 33, 330}, {64, 48, 700},
                                    {130, 70, 2100}, {5, 200, 64},
                                    {9, 49, 600}, {12, 25, 40},
                                    /* the last rows of an A read in place: 8 in one 8-row tile
                                     * (its last columns, 18, in a partial one), 10 = 6 + 4, 2,
                                     * 14 = 6 + 4 + 4 */
                                    {8, 50, 300}, {10, 40, 17}, {2, 33, 64}, {14, 64, 129}};
    const int ns = (int)(sizeof sizes / sizeof sizes[0]);
    /* float: f32 and f16 with every B layout, on the zmm tiles (auto, where
     * the CPU has AVX-512) and on the ymm ones (avx2) */
    for (int s = 0; s < ns; s++) {
        for (int t = 0; t < 2; t++) {
            const qb_mat_type ty = t ? QB_MAT_F16 : QB_MAT_F32;
            for (int la = 0; la < 2; la++) {
                for (int lb = 0; lb < 2; lb++) {
                    for (int isa = 0; isa < 2; isa++) {
                        gcase g = {sizes[s][0], sizes[s][1], sizes[s][2], ty, ty, la, lb,
                                   t ? QB_EPI_F16 : QB_EPI_F32, (s + la) % 2 == 0, 1 + (s + lb) % 2,
                                   isa ? QB_ISA_AVX2 : QB_ISA_AUTO, -63, 63, 0, 255, (s + lb) % 2 == 1,
                                   true, false, false, 0.0f};
                        run_case(&g);
                    }
                }
            }
        }
    }
    /* float with the ReLU epilogue: K spans several blocks (130x70x2100), edge
     * tiles, bias along rows and columns, B packed or not, fp32 and fp16 */
    for (int s = 0; s < ns; s++) {
        for (int t = 0; t < 2; t++) {
            const qb_mat_type ty = t ? QB_MAT_F16 : QB_MAT_F32;
            gcase g = {sizes[s][0], sizes[s][1], sizes[s][2], ty, ty, QB_MAT_ROWS, (qb_mat_layout)(s % 2),
                       t ? QB_EPI_F16 : QB_EPI_F32, s % 2 == 0, 1 + s % 2, QB_ISA_AUTO, -63, 63, 0, 255,
                       s % 3 != 0, true, s % 2 == 0, true, 0.0f};
            run_case(&g);
            /* and capped (ReLU6-like), on the zmm and the ymm tiles: at one
             * standard deviation of the sums (products of two uniform [-1, 1)
             * values have variance 1/9), so some outputs are capped and the
             * largest output keeps the tolerance's scale */
            g.cap = (float)(sqrt((double)g.K) / 3.0);
            run_case(&g);
            g.isa = QB_ISA_AVX2;
            run_case(&g);
        }
    }
    /* an int8 epilogue with the float ReLU flag is a caller's mistake */
    {
        int8_t w = 1;
        uint8_t a = 1;
        int32_t out = 0;
        qb_mat A = {.p = &w, .ld = 1, .type = QB_MAT_S8, .layout = QB_MAT_ROWS};
        qb_mat B = {.p = &a, .ld = 1, .type = QB_MAT_U8, .layout = QB_MAT_ROWS};
        qb_epilogue e = {.kind = QB_EPI_S32, .c = &out, .ldc = 1, .relu = true};
        qb_gemm_ws *ws;
        CHECK(qb_gemm_ws_create(1, QB_ISA_AUTO, &ws) == QB_OK);
        CHECK(qb_gemm(ws, 1, 1, 1, &A, &B, &e, 1) == QB_EINTERNAL);
        /* so is a cap without the ReLU, or a negative one */
        float fa = 1, fb = 1, fc = 0;
        const qb_mat Af = {.p = &fa, .ld = 1, .type = QB_MAT_F32, .layout = QB_MAT_ROWS};
        const qb_mat Bf = {.p = &fb, .ld = 1, .type = QB_MAT_F32, .layout = QB_MAT_ROWS};
        qb_epilogue ef = {.kind = QB_EPI_F32, .c = &fc, .ldc = 1, .cap = 6.0f};
        CHECK(qb_gemm(ws, 1, 1, 1, &Af, &Bf, &ef, 1) == QB_EINTERNAL);
        ef.relu = true;
        ef.cap = -1.0f;
        CHECK(qb_gemm(ws, 1, 1, 1, &Af, &Bf, &ef, 1) == QB_EINTERNAL);
        ef.cap = 0.5f;
        CHECK(qb_gemm(ws, 1, 1, 1, &Af, &Bf, &ef, 1) == QB_OK && fc == 0.5f);
        qb_gemm_ws_destroy(ws);
    }
    /* float im2col: K = C*9, N = 81 (stride 1) or 25 (stride 2) */
    for (int t = 0; t < 2; t++) {
        const qb_mat_type ty = t ? QB_MAT_F16 : QB_MAT_F32;
        gcase g1 = {10, 81, 9 * 5, ty, ty, QB_MAT_ROWS, QB_MAT_IM2COL, t ? QB_EPI_F16 : QB_EPI_F32,
                    true, 2, QB_ISA_AUTO, -63, 63, 0, 255, true, true, false, false, 0.0f};
        run_case(&g1);
        gcase g2 = {7, 25, 9 * 40, ty, ty, QB_MAT_ROWS, QB_MAT_IM2COL, t ? QB_EPI_F16 : QB_EPI_F32,
                    true, 1, QB_ISA_AUTO, -63, 63, 0, 255, false, true, false, false, 0.0f};
        run_case(&g2);
        gcase g3 = {6, 400, 9 * 3, ty, ty, QB_MAT_ROWS, QB_MAT_IM2COL, t ? QB_EPI_F16 : QB_EPI_F32,
                    true, 2, QB_ISA_AUTO, -63, 63, 0, 255, true, true, false, false, 0.0f};
        run_case(&g3);
    }
    /* int8: every ISA (AVX2, VNNI on zmm and wide tiles, VNNI on ymm only),
     * both operand orders, every integer epilogue */
    const bool vnni = qb_cpu_has("avx512f+avx512vl+avx512vnni");
    static const qb_epi_kind kinds[] = {QB_EPI_RQ_FLOAT, QB_EPI_RQ_SHIFT, QB_EPI_DQ_F32, QB_EPI_S32};
    for (int isa = 1; isa <= (vnni ? 3 : 1); isa++) {
        for (int s = 0; s < ns; s++) {
            for (int k = 0; k < 4; k++) {
                for (int order = 0; order < 2; order++) {
                    /* order 0: conv-like (A = s8 weights rows, B = u8); 1: gemm-like
                     * (A = u8 activations, B = s8 weights stored [N][K]) */
                    gcase g = {sizes[s][0], sizes[s][1], sizes[s][2],
                               order ? QB_MAT_U8 : QB_MAT_S8, order ? QB_MAT_S8 : QB_MAT_U8,
                               order ? QB_MAT_ROWS : (s % 2 ? QB_MAT_COLS : QB_MAT_ROWS),
                               order ? QB_MAT_COLS : QB_MAT_ROWS, kinds[k], order == 0, 1 + s % 2,
                               (qb_gemm_isa)isa, -63, 63, 0, 255, (s + k) % 2 == 0, (s + k + order) % 2 == 0, false, false, 0.0f};
                    run_case(&g);
                }
            }
        }
        /* im2col with a u8 pad value, stride 1 and 2 */
        gcase g1 = {64, 81, 9 * 12, QB_MAT_S8, QB_MAT_U8, QB_MAT_ROWS, QB_MAT_IM2COL, QB_EPI_RQ_FLOAT,
                    true, 2, (qb_gemm_isa)isa, -63, 63, 0, 255, true, true, false, false, 0.0f};
        run_case(&g1);
        gcase g2 = {9, 25, 9 * 130, QB_MAT_S8, QB_MAT_U8, QB_MAT_ROWS, QB_MAT_IM2COL, QB_EPI_RQ_SHIFT,
                    true, 1, (qb_gemm_isa)isa, -63, 63, 0, 255, false, false, false, false, 0.0f};
        run_case(&g2);
        gcase g5 = {16, 400, 9 * 3, QB_MAT_S8, QB_MAT_U8, QB_MAT_ROWS, QB_MAT_IM2COL, QB_EPI_RQ_FLOAT,
                    true, 2, (qb_gemm_isa)isa, -63, 63, 0, 255, true, true, false, false, 0.0f};
        run_case(&g5);
        /* full-range data: AVX2 saturates pairs to int16 and the reference must agree */
        gcase g3 = {12, 40, 300, QB_MAT_S8, QB_MAT_U8, QB_MAT_ROWS, QB_MAT_ROWS, QB_EPI_S32, true, 1,
                    (qb_gemm_isa)isa, -128, 127, 200, 255, false, true, false, false, 0.0f};
        run_case(&g3);
        gcase g4 = {12, 40, 300, QB_MAT_U8, QB_MAT_S8, QB_MAT_ROWS, QB_MAT_COLS, QB_EPI_S32, false, 2,
                    (qb_gemm_isa)isa, -128, -100, 200, 255, false, true, false, false, 0.0f};
        run_case(&g4);
    }
    /* the saturation is real: with full-range data the AVX2 result differs from exact sums */
    {
        const long K = 2;
        uint8_t a[2] = {255, 255};
        int8_t w[2] = {127, 127};
        int32_t exact, sat;
        qb_mat A = {.p = w, .ld = K, .type = QB_MAT_S8, .layout = QB_MAT_ROWS};
        qb_mat B = {.p = a, .ld = 1, .type = QB_MAT_U8, .layout = QB_MAT_ROWS};
        qb_epilogue e = {.kind = QB_EPI_S32, .ldc = 1, .c = &exact};
        CHECK(qb_gemm_ref(1, 1, K, &A, &B, &e, false) == QB_OK);
        e.c = &sat;
        CHECK(qb_gemm_ref(1, 1, K, &A, &B, &e, true) == QB_OK);
        CHECK(exact == 64770 && sat == 32767);
        qb_gemm_ws *ws;
        int32_t got = 0;
        e.c = &got;
        CHECK(qb_gemm_ws_create(1, QB_ISA_AVX2, &ws) == QB_OK);
        CHECK(qb_gemm(ws, 1, 1, K, &A, &B, &e, 1) == QB_OK);
        CHECK(got == 32767);
        qb_gemm_ws_destroy(ws);
    }
    /* B packed once (constant weights): every type, rows and columns, edges, K
     * blocks, on ymm tiles (avx2) and on the CPU's widest (auto); then A
     * packed too, and A packed alone with an im2col B (conv) */
    for (int wide = 0; wide < 2; wide++)
    for (int pa = 0; pa < 2; pa++)
    for (int s = 0; s < ns; s++) {
        if (sizes[s][2] > 1000) continue; /* the fp16 reference of the largest size is slow */
        g_pack_a = pa;
        for (int t = 0; t < 4; t++) {
            const qb_mat_type tb = t == 0 ? QB_MAT_F32 : t == 1 ? QB_MAT_F16 : t == 2 ? QB_MAT_S8 : QB_MAT_U8;
            const qb_mat_type ta = t < 2 ? tb : t == 2 ? QB_MAT_U8 : QB_MAT_S8;
            const qb_epi_kind k = t == 0 ? QB_EPI_F32 : t == 1 ? QB_EPI_F16 : s % 2 ? QB_EPI_DQ_F32 : QB_EPI_RQ_FLOAT;
            gcase g = {sizes[s][0], sizes[s][1], sizes[s][2], ta, tb, QB_MAT_ROWS, s % 2 ? QB_MAT_COLS : QB_MAT_ROWS,
                       k, s % 2 == 0, 1 + s % 2, wide ? QB_ISA_AUTO : QB_ISA_AVX2, -63, 63, 0, 255, true, true, true,
                       false, 0.0f};
            run_case(&g);
        }
    }
    g_pack_a = true;
    for (int t = 0; t < 6; t++) {
        const qb_mat_type ta = t % 3 == 0 ? QB_MAT_F32 : t % 3 == 1 ? QB_MAT_F16 : QB_MAT_S8;
        const qb_mat_type tb = t % 3 == 2 ? QB_MAT_U8 : ta;
        gcase g1 = {13, 81, 9 * 7, ta, tb, t % 2 ? QB_MAT_COLS : QB_MAT_ROWS, QB_MAT_IM2COL,
                    t % 3 == 0 ? QB_EPI_F32 : t % 3 == 1 ? QB_EPI_F16 : QB_EPI_RQ_FLOAT, true, 2,
                    t < 3 ? QB_ISA_AVX2 : QB_ISA_AUTO, -63, 63, 0, 255, true, true, false, false, 0.0f};
        run_case(&g1);
    }
    g_pack_a = false;
    /* ISA words */
    qb_gemm_isa isa;
    CHECK(qb_gemm_isa_parse("avx2", &isa) == QB_OK && isa == QB_ISA_AVX2);
    CHECK(qb_gemm_isa_parse("sse9", &isa) == QB_EUSAGE);
    if (vnni) CHECK(qb_gemm_isa_parse("avx512vnni-ymm", &isa) == QB_OK && isa == QB_ISA_AVX512VNNI_YMM);
    TEST_DONE();
}
