/* Shapes from the command line: a default or a --shape override, parsed
 * against the op's keys and checked before anything is allocated. */
#include "op.h"

#include "error.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Is key number i of a comma list one of the comma-listed names in zero_keys? */
static bool may_be_zero(const qb_op_desc *op, int i)
{
    if (!op->zero_keys) return false;
    const char *k = op->shape_keys;
    for (int j = 0; j < i && k; j++) {
        k = strchr(k, ',');
        if (k) k++;
    }
    if (!k) return false;
    const size_t len = strcspn(k, ",");
    for (const char *z = op->zero_keys; *z;) {
        const size_t zl = strcspn(z, ",");
        if (zl == len && strncmp(z, k, len) == 0) return true;
        z += zl;
        if (*z == ',') z++;
    }
    return false;
}

static int count_keys(const char *keys)
{
    int n = 1;
    for (const char *p = keys; *p; p++) n += *p == ',';
    return n;
}

int qb_op_shape(const qb_op_desc *op, const char *text, qb_shape *out)
{
    memset(out, 0, sizeof *out);
    const int nkeys = count_keys(op->shape_keys);
    if (nkeys > QB_SHAPE_MAX) return qb_fail(QB_EINTERNAL, "%s: too many shape keys", op->name);
    const char *src = text ? text : op->default_shape;
    const char *p = src;
    for (int i = 0; i < nkeys; i++) {
        if (*p < '0' || *p > '9')
            return qb_fail(QB_EUSAGE, "%s --shape '%s': expected %d integers %s", op->name, src, nkeys,
                           op->shape_keys);
        char *end;
        errno = 0;
        const long v = strtol(p, &end, 10);
        if (errno == ERANGE || v > (1L << 40) || (v == 0 && !may_be_zero(op, i)))
            return qb_fail(QB_EUSAGE, "%s --shape '%s': %.*s is not a positive size", op->name, src,
                           (int)(end - p), p);
        out->v[out->n++] = v;
        p = end;
        if (i + 1 < nkeys) {
            if (*p != ',' && *p != 'x')
                return qb_fail(QB_EUSAGE, "%s --shape '%s': expected %d integers %s", op->name, src,
                               nkeys, op->shape_keys);
            p++;
        }
    }
    if (*p != '\0')
        return qb_fail(QB_EUSAGE, "%s --shape '%s': expected %d integers %s", op->name, src, nkeys,
                       op->shape_keys);
    return op->check ? op->check(out) : QB_OK;
}

int qb_op_shape_for_bytes(const qb_op_desc *op, const qb_variant *v, double target, qb_shape *out)
{
    int rc = qb_op_shape(op, NULL, out);
    if (rc) return rc;
    if (!(target > 0)) return qb_fail(QB_EUSAGE, "%s: a footprint must be positive", op->name);
    /* Scale the largest key after the first (the batch) by the ratio still
     * missing, until the byte formula lands within 10% of the target or no
     * key can move; a key never drops below 1. The formulas grow with each
     * key, so this converges in a few steps for every memory-bound op. */
    for (int step = 0; step < 40; step++) {
        const double b = op->bytes(out, v), r = target / b;
        if (r > 0.9 && r < 1.1) break;
        int k = -1;
        for (int i = out->n > 1 ? 1 : 0; i < out->n; i++)
            if ((r > 1 || out->v[i] > 1) && (k < 0 || out->v[i] > out->v[k])) k = i;
        if (k < 0) break;
        long nv = lround((double)out->v[k] * r);
        if (nv < 1) nv = 1;
        if (nv == out->v[k]) nv += r > 1 ? 1 : -1;
        if (nv < 1) break;
        out->v[k] = nv;
    }
    rc = op->check ? op->check(out) : QB_OK;
    if (rc) return rc;
    const double got = op->bytes(out, v);
    if (got > 2 * target || got < target / 2)
        return qb_fail(QB_EINPUT, "%s: no shape has a footprint near %.0f bytes (nearest %.0f)", op->name, target,
                       got);
    return QB_OK;
}
