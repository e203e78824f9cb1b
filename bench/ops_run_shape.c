/* Shapes from the command line: a default or a --shape override, parsed
 * against the op's keys and checked before anything is allocated. */
#include "op.h"

#include "error.h"

#include <errno.h>
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
