/* Names, shape parsing and lookup shared by every operator. */
#include "op.h"

#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *qb_dtype_name(qb_dtype d)
{
    static const char *const n[] = {"fp32", "fp16", "int8"};
    return (unsigned)d < QB_NDTYPES ? n[d] : "?";
}

const char *qb_qgran_name(qb_qgran g)
{
    static const char *const n[] = {"none", "per-tensor", "per-channel"};
    return (unsigned)g <= QB_PER_CHANNEL ? n[g] : "?";
}

const char *qb_qpolicy_name(qb_qpolicy p)
{
    static const char *const n[] = {"none", "symmetric", "asymmetric", "pow2"};
    return (unsigned)p <= QB_POW2 ? n[p] : "?";
}

size_t qb_dtype_bytes(qb_dtype d)
{
    static const size_t b[] = {4, 2, 1};
    return (unsigned)d < QB_NDTYPES ? b[d] : 0;
}

int qb_shape_parse(const char *text, int nkeys, qb_shape *out)
{
    memset(out, 0, sizeof *out);
    if (nkeys < 1 || nkeys > QB_SHAPE_MAX) return qb_fail(QB_EINTERNAL, "bad shape key count");
    const char *p = text;
    for (int i = 0; i < nkeys; i++) {
        if (*p < '0' || *p > '9')
            return qb_fail(QB_EUSAGE, "shape '%s': expected %d positive integers", text, nkeys);
        char *end;
        errno = 0;
        const long v = strtol(p, &end, 10);
        if (errno == ERANGE || v <= 0 || v > (1L << 40))
            return qb_fail(QB_EUSAGE, "shape '%s': %.*s is not a positive size", text,
                           (int)(end - p), p);
        out->v[out->n++] = v;
        p = end;
        if (i + 1 < nkeys) {
            if (*p != ',' && *p != 'x')
                return qb_fail(QB_EUSAGE, "shape '%s': expected %d positive integers", text, nkeys);
            p++;
        }
    }
    if (*p != '\0')
        return qb_fail(QB_EUSAGE, "shape '%s': expected %d positive integers", text, nkeys);
    return QB_OK;
}

int qb_op_count(void)
{
    int n = 0;
    while (qb_op_table[n]) n++;
    return n;
}

const qb_op_desc *qb_op_find(const char *name)
{
    for (int i = 0; qb_op_table[i]; i++)
        if (strcmp(qb_op_table[i]->name, name) == 0) return qb_op_table[i];
    return NULL;
}
