/* QuantizeLinear and DequantizeLinear from a QDQ model: the pairs become
 * scales and zero points on the tensors they quantize, and quantized
 * constants are dequantized to floats with their integers kept beside. */
#include "onnx_import.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

/* Scales and zero points of QuantizeLinear/DequantizeLinear (inputs 1 and 2)
 * onto tensor t, quantized along `axis`. */
static int attach_scale(const onnx_node_in *x, qb_net_tensor *t)
{
    const qb_net_tensor *s = onnx_in(x, 1), *z = onnx_in(x, 2);
    if (!onnx_is_const(s) || s->type != QB_NT_F32 || s->ndim > 1)
        return onnx_unsupported(x, "a scale that is not a float constant");
    const long ns = qb_net_numel(s);
    if (z && (!onnx_is_const(z) || qb_net_numel(z) != ns || z->type == QB_NT_F32 ||
              z->type == QB_NT_I64))
        return onnx_unsupported(x, "a zero point that does not match the scale");
    long axis = onnx_attr_int(x->n, "axis", 1);
    if (axis < 0) axis += t->ndim;
    if (ns > 1 && (axis < 0 || axis >= t->ndim || t->dims[axis] != ns))
        return onnx_unsupported(x, "per-axis scales that do not match the axis");
    if (t->nscale) return QB_OK; /* the first pair's scales stay */
    float *sc = malloc(sizeof *sc * (size_t)ns);
    int32_t *zp = malloc(sizeof *zp * (size_t)ns);
    if (!sc || !zp) {
        free(sc);
        free(zp);
        return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
    }
    for (long i = 0; i < ns; i++) {
        sc[i] = ((const float *)s->data)[i];
        zp[i] = 0;
        if (!z) continue;
        switch (z->type) {
        case QB_NT_I8:
            zp[i] = ((const int8_t *)z->data)[i];
            break;
        case QB_NT_U8:
            zp[i] = ((const uint8_t *)z->data)[i];
            break;
        default:
            zp[i] = ((const int32_t *)z->data)[i];
            break;
        }
    }
    t->scale = sc;
    t->zero_point = zp;
    t->nscale = ns;
    t->qaxis = ns > 1 ? (int)axis : 0;
    t->qtype = z ? z->type : QB_NT_U8;
    return QB_OK;
}

/* QuantizeLinear and DequantizeLinear: the scales go onto the tensor and the
 * output stands for the input; a quantized constant is dequantized to
 * floats, its integers kept beside them. */
int onnx_qdq(const onnx_node_in *x, bool dequant)
{
    int rc = onnx_need(x, 2);
    if (rc) return rc;
    onnx_ctx *c = x->c;
    qb_net_tensor *t = onnx_in(x, 0);
    const bool quantized = t->type == QB_NT_I8 || t->type == QB_NT_U8 || t->type == QB_NT_I32;
    if (!dequant || !onnx_is_const(t) || !quantized) {
        if ((rc = attach_scale(x, t))) return rc;
        return onnx_alias(c, x->out, x->in[0]);
    }
    const qb_net_type qt = t->type;
    if ((rc = attach_scale(x, t))) return rc;
    t = onnx_in(x, 0);
    const long n = qb_net_numel(t);
    float *f = malloc(sizeof *f * (size_t)n + 1);
    if (!f) return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
    long inner = 1;
    for (int i = t->qaxis + 1; i < t->ndim; i++)
        inner *= t->dims[i];
    const long nch = t->nscale;
    for (long i = 0; i < n; i++) {
        const long ch = nch > 1 ? (i / inner) % nch : 0;
        long q;
        switch (qt) {
        case QB_NT_I8:
            q = ((const int8_t *)t->data)[i];
            break;
        case QB_NT_U8:
            q = ((const uint8_t *)t->data)[i];
            break;
        default:
            q = ((const int32_t *)t->data)[i];
            break;
        }
        f[i] = (float)(q - t->zero_point[ch]) * t->scale[ch];
    }
    if (c->tensor_uses[x->in[0]] == 1) { /* in place: the integers move to qdata */
        t->qdata = t->data;
        t->qtype = qt;
        t->data = f;
        t->type = QB_NT_F32;
        return onnx_alias(c, x->out, x->in[0]);
    }
    const int nt = onnx_new_tensor(c, x->out, QB_NT_F32, t->ndim, t->dims, f);
    if (nt < 0) return nt;
    qb_net_tensor *d = &c->g->tensors[nt], *src = onnx_in(x, 0);
    const size_t qb = (size_t)n * qb_net_type_bytes(qt);
    d->qdata = malloc(qb + 1);
    d->scale = malloc(sizeof(float) * (size_t)src->nscale);
    d->zero_point = malloc(sizeof(int32_t) * (size_t)src->nscale);
    if (!d->qdata || !d->scale || !d->zero_point)
        return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
    memcpy(d->qdata, src->data, qb);
    memcpy(d->scale, src->scale, sizeof(float) * (size_t)src->nscale);
    memcpy(d->zero_point, src->zero_point, sizeof(int32_t) * (size_t)src->nscale);
    d->qtype = qt;
    d->nscale = src->nscale;
    d->qaxis = src->qaxis;
    return QB_OK;
}
