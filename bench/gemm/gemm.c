/* GEMM entry points: the workspace, the int8 ISA choice, and the split of C
 * over threads (each thread runs the serial blocked driver on its block with
 * its own packing buffers, so no packed data is shared or synchronised). */
#include "gemm.h"

#include "cpu_features.h"
#include "error.h"
#include "gemm_pack.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define VNNI_FEATURES "avx512f+avx512vl+avx512vnni"

int qb_gemm_isa_parse(const char *word, qb_gemm_isa *out)
{
    if (!word || strcmp(word, "auto") == 0) {
        *out = QB_ISA_AUTO;
    } else if (strcmp(word, "avx2") == 0) {
        *out = QB_ISA_AVX2;
    } else if (strcmp(word, "avx512vnni") == 0 || strcmp(word, "avx512vnni-ymm") == 0) {
        if (!qb_cpu_has(VNNI_FEATURES))
            return qb_fail(QB_EUNSUPPORTED, "--isa %s: this CPU lacks AVX512-VNNI", word);
        *out = strcmp(word, "avx512vnni") == 0 ? QB_ISA_AVX512VNNI : QB_ISA_AVX512VNNI_YMM;
    } else {
        return qb_fail(QB_EUSAGE, "unknown --isa '%s' (auto, avx2, avx512vnni, avx512vnni-ymm)", word);
    }
    return QB_OK;
}

qb_gemm_isa qb_gemm_isa_resolve(qb_gemm_isa isa)
{
    if (isa != QB_ISA_AUTO) return isa;
    return qb_cpu_has(VNNI_FEATURES) ? QB_ISA_AVX512VNNI : QB_ISA_AVX2;
}

bool qb_gemm_isa_vnni(qb_gemm_isa isa)
{
    const qb_gemm_isa r = qb_gemm_isa_resolve(isa);
    return r == QB_ISA_AVX512VNNI || r == QB_ISA_AVX512VNNI_YMM;
}

bool qb_gemm_f32_zmm(qb_gemm_isa isa)
{
    return isa != QB_ISA_AVX2 && qb_cpu_has("avx512f");
}

const char *qb_gemm_float_isa_name(qb_gemm_isa isa, bool f16)
{
    if (qb_gemm_f32_zmm(isa)) return f16 ? "avx512f+f16c" : "avx512f";
    return f16 ? "avx2+fma+f16c" : "avx2+fma";
}

const char *qb_gemm_isa_name(qb_gemm_isa isa)
{
    switch (qb_gemm_isa_resolve(isa)) {
    case QB_ISA_AVX512VNNI: return "avx512vnni";
    case QB_ISA_AVX512VNNI_YMM: return "avx512vnni-ymm";
    default: return "avx2";
    }
}

int qb_gemm_ws_create(int threads, qb_gemm_isa isa, qb_gemm_ws **out)
{
    *out = NULL;
    if (threads < 1) return qb_fail(QB_EINTERNAL, "gemm workspace for %d threads", threads);
    qb_gemm_ws *ws = calloc(1, sizeof *ws);
    if (ws) ws->slot = calloc((size_t)threads, sizeof *ws->slot);
    if (!ws || !ws->slot) {
        free(ws);
        return qb_fail(QB_ENOMEM, "out of memory for the GEMM workspace");
    }
    ws->nslots = threads;
    ws->isa = qb_gemm_isa_resolve(isa);
    ws->f32_zmm = qb_gemm_f32_zmm(isa);
    *out = ws;
    return QB_OK;
}

void qb_gemm_ws_destroy(qb_gemm_ws *ws)
{
    if (!ws) return;
    for (int i = 0; i < ws->nslots; i++) {
        free(ws->slot[i].a);
        free(ws->slot[i].b);
        free(ws->slot[i].acc);
    }
    free(ws->slot);
    free(ws);
}

qb_gemm_isa qb_gemm_ws_isa(const qb_gemm_ws *ws)
{
    return ws->isa;
}

static int check_types(const qb_mat *A, const qb_mat *B, const qb_epilogue *e, bool *ints)
{
    const bool ia = A->type >= QB_MAT_U8, ib = B->type >= QB_MAT_U8;
    const bool fe = e->kind == QB_EPI_F32 || e->kind == QB_EPI_F16;
    if (ia != ib || (ia && A->type == B->type) || ia == fe)
        return qb_fail(QB_EINTERNAL, "gemm: operand types and epilogue do not match");
    if (A->layout == QB_MAT_IM2COL || A->layout == QB_MAT_PACKED || B->layout == QB_MAT_PACKED_A)
        return qb_fail(QB_EINTERNAL, "gemm: an operand view on the wrong side");
    if ((e->kind == QB_EPI_RQ_FLOAT || e->kind == QB_EPI_DQ_F32) && !e->mult)
        return qb_fail(QB_EINTERNAL, "gemm: epilogue without multipliers");
    if (e->kind == QB_EPI_RQ_SHIFT && !e->shift)
        return qb_fail(QB_EINTERNAL, "gemm: shift epilogue without shifts");
    if (e->relu && !fe)
        return qb_fail(QB_EINTERNAL, "gemm: a ReLU epilogue is for float outputs (int8: qmin at the zero point)");
    if (e->cap != 0 && !(e->relu && e->cap > 0))
        return qb_fail(QB_EINTERNAL, "gemm: a cap comes with the ReLU and is positive");
    *ints = ia;
    return QB_OK;
}

int qb_gemm_block(qb_gemm_ws *ws, int slot, long M, long N, long K, const qb_mat *A,
                  const qb_mat *B, const qb_epilogue *e, long m0, long m1, long n0, long n1)
{
    bool ints = false;
    int rc = check_types(A, B, e, &ints);
    if (rc) return rc;
    if (slot < 0 || slot >= ws->nslots) return qb_fail(QB_EINTERNAL, "gemm: no workspace slot %d", slot);
    if (m0 >= m1 || n0 >= n1 || K < 1) return QB_OK;
    return ints ? qb_gemm_block_i8(&ws->slot[slot], ws->isa, M, N, K, A, B, e, m0, m1, n0, n1)
                : qb_gemm_block_f32(&ws->slot[slot], ws->f32_zmm, M, N, K, A, B, e, m0, m1, n0, n1);
}

/* Thread t's block of C: columns in NR-aligned strips when there are enough
 * of them (B panels then stay private), rows otherwise, and rows first when
 * B is packed once and A is not: each thread then packs only its own rows of
 * A (a column split made every thread pack all of A, which cost int8 gemm on
 * 2 threads a tenth of its speed). */
static void split(long M, long N, int threads, int t, bool rows_first, long *m0, long *m1, long *n0, long *n1)
{
    const long nr = 16, mr = 24; /* rows: whole float (6) and int8 (4, 8 on zmm) tiles, for packed A */
    const bool rows_ok = (M + mr - 1) / mr >= 2L * threads;
    if (!(rows_first && rows_ok) && ((N + nr - 1) / nr >= 2L * threads || (M + mr - 1) / mr < threads)) {
        const long strips = (N + nr - 1) / nr;
        *m0 = 0;
        *m1 = M;
        *n0 = strips * t / threads * nr;
        *n1 = t == threads - 1 ? N : strips * (t + 1) / threads * nr;
    } else {
        const long tiles = (M + mr - 1) / mr;
        *n0 = 0;
        *n1 = N;
        *m0 = tiles * t / threads * mr;
        *m1 = t == threads - 1 ? M : tiles * (t + 1) / threads * mr;
    }
}

int qb_gemm(qb_gemm_ws *ws, long M, long N, long K, const qb_mat *A, const qb_mat *B,
            const qb_epilogue *e, int threads)
{
    if (threads > ws->nslots) threads = ws->nslots;
    if (threads <= 1) return qb_gemm_block(ws, 0, M, N, K, A, B, e, 0, M, 0, N);
    int rc = QB_OK;
#pragma omp parallel num_threads(threads) reduction(min : rc)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        long m0, m1, n0, n1;
        split(M, N, nt, t, B->layout == QB_MAT_PACKED && A->layout != QB_MAT_PACKED_A, &m0, &m1, &n0, &n1);
        rc = qb_gemm_block(ws, t, M, N, K, A, B, e, m0, m1, n0, n1);
    }
    return rc;
}
