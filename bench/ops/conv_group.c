/* Grouped convolution as one GEMM per group (conv_group.h). */
#include "conv_group.h"

#include "error.h"

static size_t type_bytes(qb_mat_type t)
{
    return t == QB_MAT_F32 ? 4 : t == QB_MAT_F16 ? 2 : 1;
}

static size_t epi_bytes(const qb_epilogue *e)
{
    return e->kind == QB_EPI_F32 || e->kind == QB_EPI_DQ_F32 || e->kind == QB_EPI_S32 ? 4
           : e->kind == QB_EPI_F16                                                     ? 2
                                                                                       : 1;
}

int qb_conv_group_image(qb_gemm_ws *ws, const qb_conv_group *cg, const void *x, void *y,
                        const qb_epilogue *e, int threads)
{
    const qb_im2col *g = &cg->geo;
    const long P = g->OH * g->OW, KRS = g->C * g->R * g->S;
    const size_t xin = (size_t)(g->C * g->H * g->W) * type_bytes(cg->xt);
    const size_t yout = (size_t)(cg->Kg * P) * epi_bytes(e);
    for (long gi = 0; gi < cg->group; gi++) {
        const qb_mat B = {.p = (const char *)x + (size_t)gi * xin, .ld = 0, .type = cg->xt,
                          .layout = QB_MAT_IM2COL, .conv = g};
        qb_epilogue eg = *e;
        const long k0 = gi * cg->Kg;
        eg.c = (char *)y + (size_t)gi * yout;
        eg.ldc = P;
        eg.channel_is_row = true;
        if (e->bias) eg.bias = e->bias + k0;
        if (e->bias_i32) eg.bias_i32 = e->bias_i32 + k0;
        if (e->mult) eg.mult = e->mult + k0;
        if (e->shift) eg.shift = e->shift + k0;
        int rc = qb_gemm(ws, cg->Kg, P, KRS, &cg->w[gi], &B, &eg, threads);
        if (rc) return rc;
    }
    return QB_OK;
}
