/* A node's attributes by name, with ONNX's defaults when absent. */
#include "onnx_import.h"

#include <stdio.h>
#include <string.h>

const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0)
            return n->attribute[i];
    return NULL;
}

long onnx_attr_int(const Onnx__NodeProto *n, const char *name, long def)
{
    const Onnx__AttributeProto *a = onnx_attr(n, name);
    return a && a->has_i ? (long)a->i : def;
}

float onnx_attr_float(const Onnx__NodeProto *n, const char *name, float def)
{
    const Onnx__AttributeProto *a = onnx_attr(n, name);
    return a && a->has_f ? a->f : def;
}

int onnx_attr_ints(const Onnx__NodeProto *n, const char *name, long *out, int max)
{
    const Onnx__AttributeProto *a = onnx_attr(n, name);
    if (!a) return -1;
    const int k = a->n_ints < (size_t)max ? (int)a->n_ints : max;
    for (int i = 0; i < k; i++)
        out[i] = (long)a->ints[i];
    return a->n_ints > (size_t)max ? max + 1 : k;
}

void onnx_attr_str(const Onnx__NodeProto *n, const char *name, char *buf, size_t len)
{
    const Onnx__AttributeProto *a = onnx_attr(n, name);
    if (!len) return;
    buf[0] = '\0';
    if (!a || !a->has_s) return;
    const size_t k = a->s.len < len - 1 ? a->s.len : len - 1;
    if (k) memcpy(buf, a->s.data, k);
    buf[k] = '\0';
}
