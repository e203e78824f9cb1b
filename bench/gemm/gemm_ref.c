/* The scalar reference of qb_gemm: one element at a time through the same
 * operand views, the same epilogue arithmetic (quant.h) and, for int8 on
 * AVX2, the same int16 saturation of each u8 x s8 pair. */
#include "gemm_ref.h"

#include "error.h"
#include "gemm_f16.h"
#include "quant.h"

#include <math.h>

static const void *elem(const qb_mat *m, long i, long j, bool *pad)
{
    *pad = false;
    size_t off;
    if (m->layout == QB_MAT_IM2COL) {
        const qb_im2col *g = m->conv;
        const long rs = g->R * g->S, c = i / rs, r = i % rs / g->S, s = i % g->S;
        const long oh = j / g->OW, ow = j % g->OW;
        const long ih = oh * g->sh - g->ph + r, iw = ow * g->sw - g->pw + s;
        if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W) {
            *pad = true;
            return NULL;
        }
        off = (size_t)((c * g->H + ih) * g->W + iw);
    } else if (m->layout == QB_MAT_PACKED_A) { /* i is m, j is k */
        const long K = m->ld;
        off = m->type >= QB_MAT_U8 ? (size_t)((i / 4) * ((K + 3) / 4) * 16 + (j / 4) * 16 + (i % 4) * 4 + j % 4)
                                   : (size_t)((i / 6) * K * 6 + j * 6 + i % 6);
    } else if (m->layout == QB_MAT_PACKED) { /* i is k, j is n: panel j/16, lane j%16 */
        const long K = m->ld, jj = j % 16;
        off = m->type >= QB_MAT_U8 ? (size_t)((j / 16) * ((K + 3) / 4) * 64 + (i / 4) * 64 + jj * 4 + i % 4)
                                   : (size_t)((j / 16) * K * 16 + i * 16 + jj);
    } else if (m->layout == QB_MAT_ROWS) {
        off = (size_t)(i * m->ld + j);
    } else {
        off = (size_t)(j * m->ld + i);
    }
    switch (m->type) {
    case QB_MAT_F32: return (const float *)m->p + off;
    case QB_MAT_F16: return (const uint16_t *)m->p + off;
    default: return (const uint8_t *)m->p + off;
    }
}

float qb_mat_getf(const qb_mat *m, long i, long j)
{
    bool pad;
    const void *p = elem(m, i, j, &pad);
    if (pad) return 0.0f;
    switch (m->type) {
    case QB_MAT_F32: return *(const float *)p;
    case QB_MAT_F16: return qb_f16_to_f32(*(const uint16_t *)p);
    case QB_MAT_U8: return *(const uint8_t *)p;
    default: return *(const int8_t *)p;
    }
}

int32_t qb_mat_geti(const qb_mat *m, long i, long j)
{
    bool pad;
    const void *p = elem(m, i, j, &pad);
    if (pad) return m->type == QB_MAT_U8 ? m->conv->pad_u8 : 0;
    return m->type == QB_MAT_U8 ? *(const uint8_t *)p : *(const int8_t *)p;
}

int32_t qb_epi_requant(const qb_epilogue *e, long ch, int32_t acc)
{
    if (e->bias_i32) acc += e->bias_i32[ch];
    if (e->kind == QB_EPI_RQ_SHIFT) return qb_requant_shift(acc, e->shift[ch], e->zo, e->qmin, e->qmax);
    return qb_requant_float(acc, e->mult[ch], e->zo, e->qmin, e->qmax);
}

static int32_t sat16(int32_t v)
{
    return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

int qb_gemm_ref(long M, long N, long K, const qb_mat *A, const qb_mat *B, const qb_epilogue *e,
                bool sat16_pairs)
{
    const bool ints = A->type >= QB_MAT_U8;
    if (ints != (B->type >= QB_MAT_U8) || (ints && A->type == B->type))
        return qb_fail(QB_EINTERNAL, "gemm reference: operand types do not pair");
    for (long i = 0; i < M; i++) {
        for (long j = 0; j < N; j++) {
            const long ch = e->channel_is_row ? i : j;
            const size_t off = (size_t)(i * e->ldc + j);
            if (!ints) {
                double acc = 0;
                for (long k = 0; k < K; k++)
                    acc += (double)qb_mat_getf(A, i, k) * (double)qb_mat_getf(B, k, j);
                float v = (float)acc;
                if (e->accumulate) v += ((float *)e->c)[off];
                if (e->bias) v += e->bias[ch];
                if (e->relu && v < 0) v = 0.0f;
                if (e->cap > 0 && v > e->cap) v = e->cap;
                if (e->kind == QB_EPI_F16)
                    ((uint16_t *)e->c)[off] = qb_f32_to_f16(v);
                else
                    ((float *)e->c)[off] = v;
                continue;
            }
            /* vpmaddubsw sums the products of k = 2p and 2p+1 into int16 with
             * saturation; vpmaddwd and vpaddd add those pairs exactly. */
            int32_t acc = 0;
            for (long k = 0; k < K; k += 2) {
                int32_t pair = qb_mat_geti(A, i, k) * qb_mat_geti(B, k, j);
                if (k + 1 < K) pair += qb_mat_geti(A, i, k + 1) * qb_mat_geti(B, k + 1, j);
                acc += sat16_pairs ? sat16(pair) : pair;
            }
            switch (e->kind) {
            case QB_EPI_S32:
                ((int32_t *)e->c)[off] = acc + (e->bias_i32 ? e->bias_i32[ch] : 0);
                break;
            case QB_EPI_DQ_F32:
                /* one fused multiply-add, as the kernel's vfmadd231ps */
                ((float *)e->c)[off] = fmaf((float)(acc + (e->bias_i32 ? e->bias_i32[ch] : 0)),
                                            e->mult[ch], e->bias ? e->bias[ch] : 0.0f);
                break;
            case QB_EPI_RQ_FLOAT:
            case QB_EPI_RQ_SHIFT: {
                const int32_t q = qb_epi_requant(e, ch, acc);
                if (qb_epi_signed(e))
                    ((int8_t *)e->c)[off] = (int8_t)q;
                else
                    ((uint8_t *)e->c)[off] = (uint8_t)q;
                break;
            }
            default: return qb_fail(QB_EINTERNAL, "gemm reference: float epilogue on int8 operands");
            }
        }
    }
    return QB_OK;
}
