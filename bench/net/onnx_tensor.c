/* TensorProto contents into graph tensor data. The bytes protobuf-c copied
 * out of the file (raw_data, or a typed repeated field of the graph's own
 * type) are taken over as they are, so a large initializer is never copied
 * a second time; int8 and uint8 values kept in int32_data are narrowed. */
#include "onnx_import.h"

#include "error.h"
#include "net_infer.h"

#include <stdlib.h>
#include <string.h>

static int elem_type(int dt, qb_net_type *type)
{
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        *type = QB_NT_F32;
        return QB_OK;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
        *type = QB_NT_U8;
        return QB_OK;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
        *type = QB_NT_I8;
        return QB_OK;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        *type = QB_NT_I32;
        return QB_OK;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        *type = QB_NT_I64;
        return QB_OK;
    default:
        return QB_EINPUT;
    }
}

static const char *type_name(int dt)
{
    static const char *const names[] = {"undefined",  "float",   "uint8",  "int8",   "uint16",
                                        "int16",      "int32",   "int64",  "string", "bool",
                                        "float16",    "double",  "uint32", "uint64", "complex64",
                                        "complex128", "bfloat16"};
    return dt >= 0 && dt < (int)(sizeof names / sizeof names[0]) ? names[dt] : "unknown";
}

/* Element count of dims, or -1 when a dimension is negative or the count absurd. */
static long count(const int64_t *dims, size_t n)
{
    long total = 1;
    for (size_t i = 0; i < n; i++) {
        if (dims[i] < 0 || dims[i] > QB_NET_MAX_NUMEL) return -1;
        if (__builtin_mul_overflow(total, (long)dims[i], &total) || total > QB_NET_MAX_NUMEL)
            return -1;
    }
    return total;
}

int onnx_tensor_take(onnx_ctx *c, Onnx__TensorProto *t, qb_net_type *type, int *ndim, long *dims,
                     void **data)
{
    const char *name = t->name ? t->name : "";
    if ((t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
        t->n_external_data) {
        const char *where = "another file";
        for (size_t i = 0; i < t->n_external_data; i++)
            if (t->external_data[i]->key && strcmp(t->external_data[i]->key, "location") == 0 &&
                t->external_data[i]->value)
                where = t->external_data[i]->value;
        return qb_fail(QB_EINPUT,
                       "%s: tensor %s keeps its data in external file %s; qbench reads models with "
                       "their weights inside",
                       c->what, name, where);
    }
    const int dt = t->has_data_type ? t->data_type : 0;
    if (elem_type(dt, type))
        return qb_fail(QB_EINPUT, "%s: tensor %s has data type %s, which qbench does not read",
                       c->what, name, type_name(dt));
    if (t->n_dims > QB_NET_MAXDIM)
        return qb_fail(QB_EINPUT, "%s: tensor %s has %zu dimensions, at most %d are supported",
                       c->what, name, t->n_dims, QB_NET_MAXDIM);
    const long n = count(t->dims, t->n_dims);
    if (n < 0)
        return qb_fail(QB_EINPUT, "%s: tensor %s has a negative or absurd dimension", c->what,
                       name);
    *ndim = (int)t->n_dims;
    for (size_t i = 0; i < t->n_dims; i++)
        dims[i] = (long)t->dims[i];
    const size_t esize = qb_net_type_bytes(*type), bytes = (size_t)n * esize;
    void *p = NULL;
    if (t->has_raw_data && t->raw_data.len) {
        if (t->raw_data.len != bytes)
            return qb_fail(QB_EINPUT, "%s: tensor %s holds %zu bytes for %ld elements of %zu bytes",
                           c->what, name, t->raw_data.len, n, esize);
        p = t->raw_data.data;
        t->raw_data.data = NULL;
        t->raw_data.len = 0;
    } else if (*type == QB_NT_F32 && t->n_float_data == (size_t)n && n) {
        p = t->float_data;
        t->float_data = NULL;
        t->n_float_data = 0;
    } else if (*type == QB_NT_I64 && t->n_int64_data == (size_t)n && n) {
        p = t->int64_data;
        t->int64_data = NULL;
        t->n_int64_data = 0;
    } else if (*type == QB_NT_I32 && t->n_int32_data == (size_t)n && n) {
        p = t->int32_data;
        t->int32_data = NULL;
        t->n_int32_data = 0;
    } else if ((*type == QB_NT_I8 || *type == QB_NT_U8) && t->n_int32_data == (size_t)n && n) {
        unsigned char *b = malloc((size_t)n);
        if (!b) return qb_fail(QB_ENOMEM, "%s: out of memory for tensor %s", c->what, name);
        for (long i = 0; i < n; i++)
            b[i] = (unsigned char)t->int32_data[i];
        p = b;
    } else if (n == 0) {
        p = malloc(1);
        if (!p) return qb_fail(QB_ENOMEM, "%s: out of memory", c->what);
    } else {
        return qb_fail(QB_EINPUT, "%s: tensor %s has no data for its %ld elements", c->what, name,
                       n);
    }
    *data = p;
    return QB_OK;
}

bool onnx_tensor_scalar(const Onnx__TensorProto *t, double *v)
{
    if (!t || count(t->dims, t->n_dims) != 1 || !t->has_data_type) return false;
    const bool raw = t->has_raw_data && t->raw_data.data;
    switch (t->data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
        float f;
        if (raw && t->raw_data.len == 4)
            memcpy(&f, t->raw_data.data, 4);
        else if (!raw && t->n_float_data == 1)
            f = t->float_data[0];
        else
            return false;
        *v = f;
        return true;
    }
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
        double d;
        if (raw && t->raw_data.len == 8)
            memcpy(&d, t->raw_data.data, 8);
        else if (!raw && t->n_double_data == 1)
            d = t->double_data[0];
        else
            return false;
        *v = d;
        return true;
    }
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: {
        int64_t i;
        if (raw && t->raw_data.len == 8)
            memcpy(&i, t->raw_data.data, 8);
        else if (!raw && t->n_int64_data == 1)
            i = t->int64_data[0];
        else
            return false;
        *v = (double)i;
        return true;
    }
    default:
        return false;
    }
}
