/* The importer's name table (open addressing on FNV-1a, grown at half full)
 * and the per-tensor use counts that decide whether a node may be folded
 * into the one before it. */
#include "onnx_import.h"

#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static onnx_value *probe(onnx_value *slots, size_t cap, const char *key)
{
    size_t i = (size_t)hash(key) & (cap - 1);
    while (slots[i].key && strcmp(slots[i].key, key) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int grow(onnx_names *m)
{
    const size_t nc = m->cap ? m->cap * 2 : 256;
    onnx_value *ns = calloc(nc, sizeof *ns);
    if (!ns) return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) *probe(ns, nc, m->slots[i].key) = m->slots[i];
    free(m->slots);
    m->slots = ns;
    m->cap = nc;
    return QB_OK;
}

onnx_value *onnx_names_get(onnx_names *m, const char *key, bool create)
{
    if (!key) return NULL;
    if (m->cap) {
        onnx_value *v = probe(m->slots, m->cap, key);
        if (v->key) return v;
        if (!create) return NULL;
    }
    if (!create) return NULL;
    if (2 * (m->n + 1) > m->cap && grow(m)) return NULL;
    onnx_value *v = probe(m->slots, m->cap, key);
    v->key = key;
    v->tensor = -1;
    v->producer = v->consumer = -1;
    m->n++;
    return v;
}

void onnx_names_free(onnx_names *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

int onnx_track(onnx_ctx *c, int tensor, int uses)
{
    if (tensor >= c->cap_uses) {
        int nc = c->cap_uses ? c->cap_uses : 256;
        while (nc <= tensor)
            nc *= 2;
        int *u = realloc(c->tensor_uses, sizeof *u * (size_t)nc);
        if (!u) return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
        c->tensor_uses = u;
        int *p = realloc(c->tensor_producer, sizeof *p * (size_t)nc);
        if (!p) return qb_fail(QB_ENOMEM, "ONNX import: out of memory");
        c->tensor_producer = p;
        c->cap_uses = nc;
    }
    c->tensor_uses[tensor] = uses;
    c->tensor_producer[tensor] = -1;
    return QB_OK;
}

int onnx_alias(onnx_ctx *c, const char *name, int t)
{
    onnx_value *v = onnx_names_get(&c->names, name, true);
    if (!v) return QB_ENOMEM;
    v->tensor = t;
    c->tensor_uses[t] += v->uses - 1;
    return QB_OK;
}

int onnx_new_tensor(onnx_ctx *c, const char *name, qb_net_type type, int ndim, const long *dims,
                    void *data)
{
    onnx_value *v = onnx_names_get(&c->names, name, true);
    if (!v) {
        free(data);
        return QB_ENOMEM;
    }
    const int t = qb_net_add_tensor(c->g, name, type, ndim, dims, data);
    if (t < 0) {
        free(data);
        return ndim > QB_NET_MAXDIM ? QB_EINPUT : QB_ENOMEM;
    }
    const int rc = onnx_track(c, t, v->uses);
    if (rc) return rc;
    v->tensor = t;
    return t;
}
