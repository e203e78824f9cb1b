/* Constant folding: the small subgraphs exporters write to compute shapes
 * (Shape, Gather, Unsqueeze, Squeeze, Concat, Cast, arithmetic,
 * ConstantOfShape, Reshape of a constant) are evaluated at import, so their
 * results are constants the graph's real nodes read. */
#include "onnx_import.h"

#include "error.h"
#include "net_infer.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Constants larger than this are not folded (the node then stays a node). */
#define FOLD_MAX_NUMEL (1L << 22)

typedef struct {
    qb_net_type type;
    int ndim;
    long dims[QB_NET_MAXDIM];
    void *data;
} konst;

static bool is_const(const onnx_ctx *c, int t)
{
    return t >= 0 && c->g->tensors[t].data != NULL;
}

/* Element count, or LONG_MAX when it overflows. */
static long numel(const konst *k)
{
    long n = 1;
    for (int i = 0; i < k->ndim; i++)
        if (__builtin_mul_overflow(n, k->dims[i], &n)) return LONG_MAX;
    return n;
}

static int alloc(konst *k)
{
    const long n = numel(k);
    if (n > FOLD_MAX_NUMEL) return QB_EINPUT;
    k->data = malloc((size_t)n * qb_net_type_bytes(k->type) + 1);
    return k->data ? QB_OK : qb_fail(QB_ENOMEM, "ONNX import: out of memory");
}

/* Element i of a constant as int64 or double. */
static int64_t get_i(const qb_net_tensor *t, long i)
{
    switch (t->type) {
    case QB_NT_I64:
        return ((const int64_t *)t->data)[i];
    case QB_NT_I32:
        return ((const int32_t *)t->data)[i];
    case QB_NT_I8:
        return ((const int8_t *)t->data)[i];
    case QB_NT_U8:
        return ((const uint8_t *)t->data)[i];
    default: {
        const float f = ((const float *)t->data)[i];
        return f > -9.2e18f && f < 9.2e18f ? (int64_t)f : 0; /* NaN and out of range: 0 */
    }
    }
}

static double get_d(const qb_net_tensor *t, long i)
{
    return t->type == QB_NT_F32 ? ((const float *)t->data)[i] : (double)get_i(t, i);
}

static void put(konst *k, long i, double d, int64_t v)
{
    switch (k->type) {
    case QB_NT_F32:
        ((float *)k->data)[i] = (float)d;
        break;
    case QB_NT_I64:
        ((int64_t *)k->data)[i] = v;
        break;
    case QB_NT_I32:
        ((int32_t *)k->data)[i] = (int32_t)v;
        break;
    case QB_NT_I8:
        ((int8_t *)k->data)[i] = (int8_t)v;
        break;
    default:
        ((uint8_t *)k->data)[i] = (uint8_t)v;
        break;
    }
}

/* The axes of Squeeze/Unsqueeze: attribute before opset 13, input 1 after. */
static int read_axes(const onnx_ctx *c, const Onnx__NodeProto *n, const int *in, int nin,
                     long *axes)
{
    if (nin >= 2 && in[1] >= 0) {
        const qb_net_tensor *t = &c->g->tensors[in[1]];
        if (!t->data || t->ndim > 1) return -1;
        const long k = qb_net_numel(t);
        if (k > QB_NET_MAXDIM) return -1;
        for (long i = 0; i < k; i++)
            axes[i] = (long)get_i(t, i);
        return (int)k;
    }
    return onnx_attr_ints(n, "axes", axes, QB_NET_MAXDIM);
}

static int fold_shape(const qb_net_tensor *x, const Onnx__NodeProto *n, konst *k)
{
    long start = onnx_attr_int(n, "start", 0), end = onnx_attr_int(n, "end", x->ndim);
    if (start < 0) start += x->ndim;
    if (end < 0) end += x->ndim;
    if (start < 0) start = 0;
    if (end > x->ndim) end = x->ndim;
    if (end < start) end = start;
    k->type = QB_NT_I64;
    k->ndim = 1;
    k->dims[0] = end - start;
    int rc = alloc(k);
    for (long i = start; !rc && i < end; i++)
        ((int64_t *)k->data)[i - start] = x->dims[i];
    return rc;
}

static int fold_gather(const qb_net_tensor *d, const qb_net_tensor *idx, long axis, konst *k)
{
    if (axis < 0) axis += d->ndim;
    if (axis < 0 || axis >= d->ndim || d->ndim + idx->ndim - 1 > QB_NET_MAXDIM) return QB_EINPUT;
    k->type = d->type;
    k->ndim = 0;
    long outer = 1, inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= (k->dims[k->ndim++] = d->dims[i]);
    for (int i = 0; i < idx->ndim; i++)
        k->dims[k->ndim++] = idx->dims[i];
    for (int i = (int)axis + 1; i < d->ndim; i++)
        inner *= (k->dims[k->ndim++] = d->dims[i]);
    int rc = alloc(k);
    if (rc) return rc;
    const size_t es = qb_net_type_bytes(d->type);
    const long ni = qb_net_numel(idx), len = d->dims[axis];
    for (long o = 0; o < outer; o++)
        for (long j = 0; j < ni; j++) {
            int64_t at = get_i(idx, j);
            if (at < 0) at += len;
            if (at < 0 || at >= len) return QB_EINPUT;
            memcpy((char *)k->data + ((size_t)(o * ni + j) * (size_t)inner) * es,
                   (const char *)d->data + ((size_t)(o * len + at) * (size_t)inner) * es,
                   (size_t)inner * es);
        }
    return QB_OK;
}

static int fold_concat(const onnx_ctx *c, const int *in, int nin, long axis, konst *k)
{
    const qb_net_tensor *x = &c->g->tensors[in[0]];
    if (axis < 0) axis += x->ndim;
    if (axis < 0 || axis >= x->ndim) return QB_EINPUT;
    k->type = x->type;
    k->ndim = x->ndim;
    memcpy(k->dims, x->dims, sizeof(long) * (size_t)x->ndim);
    k->dims[axis] = 0;
    for (int i = 0; i < nin; i++) {
        const qb_net_tensor *t = &c->g->tensors[in[i]];
        if (t->type != x->type || t->ndim != x->ndim) return QB_EINPUT;
        for (int d = 0; d < t->ndim; d++)
            if (d != axis && t->dims[d] != x->dims[d]) return QB_EINPUT;
        k->dims[axis] += t->dims[axis];
    }
    int rc = alloc(k);
    if (rc) return rc;
    long outer = 1, inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= x->dims[i];
    for (int i = (int)axis + 1; i < x->ndim; i++)
        inner *= x->dims[i];
    const size_t es = qb_net_type_bytes(x->type);
    char *dst = k->data;
    for (long o = 0; o < outer; o++)
        for (int i = 0; i < nin; i++) {
            const qb_net_tensor *t = &c->g->tensors[in[i]];
            const size_t chunk = (size_t)(t->dims[axis] * inner) * es;
            memcpy(dst, (const char *)t->data + (size_t)o * chunk, chunk);
            dst += chunk;
        }
    return QB_OK;
}

/* Unsqueeze, Squeeze and Reshape of a constant: the same data, new dims. */
static int fold_redim(const qb_net_tensor *x, const long *dims, int ndim, konst *k)
{
    k->type = x->type;
    k->ndim = ndim;
    memcpy(k->dims, dims, sizeof(long) * (size_t)ndim);
    if (numel(k) != qb_net_numel(x)) return QB_EINPUT;
    int rc = alloc(k);
    if (!rc) memcpy(k->data, x->data, (size_t)qb_net_numel(x) * qb_net_type_bytes(x->type));
    return rc;
}

static int unsqueeze_dims(const qb_net_tensor *x, const long *axes, int na, long *dims, int *nd)
{
    const int r = x->ndim + na;
    if (na < 0 || r > QB_NET_MAXDIM) return QB_EINPUT;
    bool one[QB_NET_MAXDIM] = {false};
    for (int i = 0; i < na; i++) {
        const long a = axes[i] < 0 ? axes[i] + r : axes[i];
        if (a < 0 || a >= r || one[a]) return QB_EINPUT;
        one[a] = true;
    }
    for (int i = 0, j = 0; i < r; i++)
        dims[i] = one[i] ? 1 : x->dims[j++];
    *nd = r;
    return QB_OK;
}

static int squeeze_dims(const qb_net_tensor *x, const long *axes, int na, long *dims, int *nd)
{
    bool drop[QB_NET_MAXDIM] = {false};
    if (na < 0) { /* no axes: every dimension of 1 */
        for (int i = 0; i < x->ndim; i++)
            drop[i] = x->dims[i] == 1;
    }
    for (int i = 0; i < na; i++) {
        const long a = axes[i] < 0 ? axes[i] + x->ndim : axes[i];
        if (a < 0 || a >= x->ndim || x->dims[a] != 1) return QB_EINPUT;
        drop[a] = true;
    }
    *nd = 0;
    for (int i = 0; i < x->ndim; i++)
        if (!drop[i]) dims[(*nd)++] = x->dims[i];
    return QB_OK;
}

static int reshape_dims(const qb_net_tensor *x, const qb_net_tensor *s, long *dims, int *nd)
{
    if (s->ndim != 1 || s->dims[0] > QB_NET_MAXDIM) return QB_EINPUT;
    *nd = (int)s->dims[0];
    long known = 1;
    int at = -1;
    for (int i = 0; i < *nd; i++) {
        const int64_t v = get_i(s, i);
        if (v == -1 && at < 0) {
            at = i;
            dims[i] = 1;
            continue;
        }
        if (v == 0 && i < x->ndim)
            dims[i] = x->dims[i];
        else if (v > 0 && v <= FOLD_MAX_NUMEL)
            dims[i] = (long)v;
        else
            return QB_EINPUT;
        known *= dims[i];
        if (known > FOLD_MAX_NUMEL) return QB_EINPUT;
    }
    if (at >= 0) {
        if (known == 0 || qb_net_numel(x) % known) return QB_EINPUT;
        dims[at] = qb_net_numel(x) / known;
    }
    return QB_OK;
}

/* Add, Sub, Mul, Div with numpy broadcasting, in the first input's type. */
static int fold_arith(const qb_net_tensor *a, const qb_net_tensor *b, char op, konst *k)
{
    k->type = a->type;
    k->ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < k->ndim; i++) {
        const int ia = i - (k->ndim - a->ndim), ib = i - (k->ndim - b->ndim);
        const long da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) return QB_EINPUT;
        k->dims[i] = da == 1 ? db : da;
    }
    int rc = alloc(k);
    if (rc) return rc;
    const long n = numel(k);
    for (long i = 0; i < n; i++) {
        long ia = 0, ib = 0, sa = 1, sb = 1, rem = i;
        for (int d = k->ndim - 1; d >= 0; d--) {
            const long coord = rem % k->dims[d];
            rem /= k->dims[d];
            const int da = d - (k->ndim - a->ndim), db = d - (k->ndim - b->ndim);
            if (da >= 0) {
                if (a->dims[da] != 1) ia += coord * sa;
                sa *= a->dims[da];
            }
            if (db >= 0) {
                if (b->dims[db] != 1) ib += coord * sb;
                sb *= b->dims[db];
            }
        }
        if (k->type == QB_NT_F32) {
            const double x = get_d(a, ia), y = get_d(b, ib);
            put(k, i, op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y, 0);
        } else {
            const int64_t x = get_i(a, ia), y = get_i(b, ib);
            int64_t r;
            if (op == '/') {
                if (y == 0 || (x == INT64_MIN && y == -1)) return QB_EINPUT;
                r = x / y;
            } else {
                /* wrap like the two's complement the exporters assume, without UB */
                const uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
                r = (int64_t)(op == '+' ? ux + uy : op == '-' ? ux - uy : ux * uy);
            }
            put(k, i, 0, r);
        }
    }
    return QB_OK;
}

static int fold_cast(const qb_net_tensor *x, long to, konst *k)
{
    switch (to) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        k->type = QB_NT_F32;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        k->type = QB_NT_I64;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        k->type = QB_NT_I32;
        break;
    default:
        return QB_EINPUT;
    }
    k->ndim = x->ndim;
    memcpy(k->dims, x->dims, sizeof(long) * (size_t)x->ndim);
    int rc = alloc(k);
    const long n = qb_net_numel(x);
    for (long i = 0; !rc && i < n; i++) {
        const double d = get_d(x, i);
        put(k, i, d,
            x->type == QB_NT_F32 ? (d > -9.2e18 && d < 9.2e18 ? (int64_t)d : 0) : get_i(x, i));
    }
    return rc;
}

static int fold_const_of_shape(const qb_net_tensor *s, const Onnx__NodeProto *n, konst *k)
{
    if (s->ndim != 1 || s->dims[0] > QB_NET_MAXDIM) return QB_EINPUT;
    k->ndim = (int)s->dims[0];
    for (int i = 0; i < k->ndim; i++) {
        const int64_t v = get_i(s, i);
        if (v < 0 || v > FOLD_MAX_NUMEL) return QB_EINPUT;
        k->dims[i] = (long)v;
    }
    double val = 0;
    const Onnx__AttributeProto *a = onnx_attr(n, "value");
    k->type = QB_NT_F32;
    if (a && a->t) {
        if (!onnx_tensor_scalar(a->t, &val)) return QB_EINPUT;
        if (a->t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) k->type = QB_NT_I64;
    }
    if (numel(k) > FOLD_MAX_NUMEL) return QB_EINPUT;
    int rc = alloc(k);
    const long cnt = numel(k);
    for (long i = 0; !rc && i < cnt; i++)
        put(k, i, val, (int64_t)val);
    return rc;
}

int onnx_fold(onnx_ctx *c, const Onnx__NodeProto *n, const int *in, int nin, int *rc)
{
    *rc = QB_OK;
    const char *op = n->op_type ? n->op_type : "";
    if (nin < 1 || in[0] < 0 || !n->n_output || !*n->output[0]) return -1;
    const qb_net_tensor *x = &c->g->tensors[in[0]];
    konst k = {0};
    int r;
    if (strcmp(op, "Shape") == 0) {
        r = fold_shape(x, n, &k);
    } else {
        for (int i = 0; i < nin; i++)
            if (in[i] >= 0 && !is_const(c, in[i])) return -1;
        const qb_net_tensor *y = nin >= 2 && in[1] >= 0 ? &c->g->tensors[in[1]] : NULL;
        long dims[QB_NET_MAXDIM], axes[QB_NET_MAXDIM];
        int nd = 0;
        if (strcmp(op, "Gather") == 0 && y) {
            r = fold_gather(x, y, onnx_attr_int(n, "axis", 0), &k);
        } else if (strcmp(op, "Concat") == 0) {
            for (int i = 0; i < nin; i++)
                if (in[i] < 0) return -1;
            r = fold_concat(c, in, nin, onnx_attr_int(n, "axis", 0), &k);
        } else if (strcmp(op, "Unsqueeze") == 0) {
            const int na = read_axes(c, n, in, nin, axes);
            r = na < 0 ? QB_EINPUT : unsqueeze_dims(x, axes, na, dims, &nd);
            if (!r) r = fold_redim(x, dims, nd, &k);
        } else if (strcmp(op, "Squeeze") == 0) {
            const int na = read_axes(c, n, in, nin, axes);
            r = na > QB_NET_MAXDIM ? QB_EINPUT : squeeze_dims(x, axes, na, dims, &nd);
            if (!r) r = fold_redim(x, dims, nd, &k);
        } else if (strcmp(op, "Reshape") == 0 && y) {
            r = reshape_dims(x, y, dims, &nd);
            if (!r) r = fold_redim(x, dims, nd, &k);
        } else if (strcmp(op, "Flatten") == 0) {
            long axis = onnx_attr_int(n, "axis", 1);
            if (axis < 0) axis += x->ndim;
            if (axis < 0 || axis > x->ndim) return -1;
            dims[0] = dims[1] = 1;
            for (int i = 0; i < x->ndim; i++)
                dims[i < axis ? 0 : 1] *= x->dims[i];
            r = fold_redim(x, dims, 2, &k);
        } else if (y && (strcmp(op, "Add") == 0 || strcmp(op, "Sub") == 0 ||
                         strcmp(op, "Mul") == 0 || strcmp(op, "Div") == 0)) {
            if ((x->type == QB_NT_F32) != (y->type == QB_NT_F32)) return -1;
            r = fold_arith(x, y,
                           op[0] == 'A'   ? '+'
                           : op[0] == 'S' ? '-'
                           : op[0] == 'M' ? '*'
                                          : '/',
                           &k);
        } else if (strcmp(op, "Cast") == 0) {
            r = fold_cast(x, onnx_attr_int(n, "to", 0), &k);
        } else if (strcmp(op, "ConstantOfShape") == 0) {
            r = fold_const_of_shape(x, n, &k);
        } else {
            return -1;
        }
    }
    if (r) {
        free(k.data);
        if (r == QB_ENOMEM) {
            *rc = r;
            return -1;
        }
        return -1; /* not simple: the node stays a node, or is reported unsupported */
    }
    const int t = onnx_new_tensor(c, n->output[0], k.type, k.ndim, k.dims, k.data);
    if (t < 0) *rc = t;
    return t;
}
