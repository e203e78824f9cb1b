/* Quantization policies as words: names, parsing, defaults and validation. */
#include "quant.h"

#include "error.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Each word list serves both ways, name and parse; NULL ends it. */
static const char *const range_names[] = {"int8", "int8-narrow", "uint8", NULL};
static const char *const source_names[] = {"absmax", "minmax", "percentile", NULL};
static const char *const pow2_round_names[] = {"ceil", "nearest", NULL};

const char *qb_qrange_name(qb_qrange r)
{
    return (unsigned)r <= QB_RANGE_UINT8 ? range_names[r] : "?";
}

const char *qb_qsource_name(qb_qsource s)
{
    return (unsigned)s <= QB_SCALE_PERCENTILE ? source_names[s] : "?";
}

const char *qb_pow2_round_name(qb_pow2_round r)
{
    return (unsigned)r <= QB_POW2_NEAREST ? pow2_round_names[r] : "?";
}

void qb_qrange_limits(qb_qrange r, int32_t *qmin, int32_t *qmax)
{
    switch (r) {
    case QB_RANGE_INT8_NARROW: *qmin = -127; *qmax = 127; break;
    case QB_RANGE_UINT8: *qmin = 0; *qmax = 255; break;
    default: *qmin = -128; *qmax = 127; break;
    }
}

qb_qspec qb_qspec_default(qb_qpolicy policy)
{
    qb_qspec s = {
        .policy = policy,
        .gran = QB_PER_TENSOR,
        .axis = 0,
        .range = policy == QB_ASYMMETRIC ? QB_RANGE_UINT8 : QB_RANGE_INT8,
        .source = policy == QB_ASYMMETRIC ? QB_SCALE_MINMAX : QB_SCALE_ABSMAX,
        .divisor = 0,
        .percentile = 99.99,
        .pow2_round = QB_POW2_CEIL,
    };
    return s;
}

int qb_qspec_check(const qb_qspec *s)
{
    if (s->policy != QB_SYMMETRIC && s->policy != QB_ASYMMETRIC && s->policy != QB_POW2)
        return qb_fail(QB_EUSAGE, "quantization policy %d is not symmetric, asymmetric or pow2",
                       (int)s->policy);
    if (s->gran != QB_PER_TENSOR && s->gran != QB_PER_CHANNEL)
        return qb_fail(QB_EUSAGE, "quantization granularity %d is not per-tensor or per-channel",
                       (int)s->gran);
    if (s->gran == QB_PER_CHANNEL && s->axis < 0)
        return qb_fail(QB_EUSAGE, "per-channel axis %d is negative", s->axis);
    if ((unsigned)s->range > QB_RANGE_UINT8)
        return qb_fail(QB_EUSAGE, "quantization range %d is not int8, int8-narrow or uint8",
                       (int)s->range);
    if ((unsigned)s->source > QB_SCALE_PERCENTILE)
        return qb_fail(QB_EUSAGE, "scale source %d is not absmax, minmax or percentile",
                       (int)s->source);
    if ((unsigned)s->pow2_round > QB_POW2_NEAREST)
        return qb_fail(QB_EUSAGE, "pow2 rounding %d is not ceil or nearest", (int)s->pow2_round);
    if (!isfinite(s->divisor) || s->divisor < 0)
        return qb_fail(QB_EUSAGE, "scale divisor %g must be a positive number", s->divisor);
    if (s->source == QB_SCALE_PERCENTILE &&
        !(s->percentile > 50 && s->percentile <= 100))
        return qb_fail(QB_EUSAGE, "percentile %g must be in (50, 100]", s->percentile);
    return QB_OK;
}

/* Exact word from a NULL-terminated list, or -1. */
static int lookup(const char *word, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(word, names[i]) == 0) return i;
    return -1;
}

int qb_qpolicy_parse(const char *word, qb_qpolicy *out)
{
    for (qb_qpolicy p = QB_SYMMETRIC; p <= QB_POW2; p++)
        if (strcmp(word, qb_qpolicy_name(p)) == 0) {
            *out = p;
            return QB_OK;
        }
    return qb_fail(QB_EUSAGE, "unknown quantization policy '%s' (symmetric, asymmetric, pow2)",
                   word);
}

int qb_qgran_parse(const char *word, qb_qgran *out)
{
    for (qb_qgran g = QB_PER_TENSOR; g <= QB_PER_CHANNEL; g++)
        if (strcmp(word, qb_qgran_name(g)) == 0) {
            *out = g;
            return QB_OK;
        }
    return qb_fail(QB_EUSAGE, "unknown granularity '%s' (per-tensor, per-channel)", word);
}

int qb_qrange_parse(const char *word, qb_qrange *out)
{
    const int i = lookup(word, range_names);
    if (i < 0)
        return qb_fail(QB_EUSAGE, "unknown quantization range '%s' (int8, int8-narrow, uint8)",
                       word);
    *out = (qb_qrange)i;
    return QB_OK;
}

int qb_pow2_round_parse(const char *word, qb_pow2_round *out)
{
    const int i = lookup(word, pow2_round_names);
    if (i < 0) return qb_fail(QB_EUSAGE, "unknown pow2 rounding '%s' (ceil, nearest)", word);
    *out = (qb_pow2_round)i;
    return QB_OK;
}

/* A positive finite number filling the whole of [s, end). */
static int number(const char *word, const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf) return qb_fail(QB_EUSAGE, "scale '%s': missing number", word);
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    const double v = strtod(buf, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return qb_fail(QB_EUSAGE, "scale '%s': '%s' is not a number", word, buf);
    *out = v;
    return QB_OK;
}

int qb_qscale_parse(const char *word, qb_qspec *spec)
{
    const char *colon = strchr(word, ':');
    const char *slash = strchr(word, '/');
    const size_t head = colon ? (size_t)(colon - word) : slash ? (size_t)(slash - word) : strlen(word);
    char name[16];
    if (head >= sizeof name) return qb_fail(QB_EUSAGE, "unknown scale source in '%s'", word);
    memcpy(name, word, head);
    name[head] = '\0';
    const int i = lookup(name, source_names);
    if (i < 0)
        return qb_fail(QB_EUSAGE,
                       "unknown scale source '%s' (absmax, minmax, percentile:P, each with an "
                       "optional /DIVISOR)", name);
    qb_qspec s = *spec;
    s.source = (qb_qsource)i;
    s.divisor = 0;
    if (colon) {
        if (s.source != QB_SCALE_PERCENTILE || (slash && slash < colon))
            return qb_fail(QB_EUSAGE, "scale '%s': only percentile takes ':P'", word);
        const size_t len = slash ? (size_t)(slash - colon - 1) : strlen(colon + 1);
        int rc = number(word, colon + 1, len, &s.percentile);
        if (rc) return rc;
        if (!(s.percentile > 50 && s.percentile <= 100))
            return qb_fail(QB_EUSAGE, "scale '%s': percentile %g must be in (50, 100]", word,
                           s.percentile);
    } else if (s.source == QB_SCALE_PERCENTILE) {
        return qb_fail(QB_EUSAGE, "scale '%s': percentile needs ':P', e.g. percentile:99.99", word);
    }
    if (slash) {
        int rc = number(word, slash + 1, strlen(slash + 1), &s.divisor);
        if (rc) return rc;
        if (!(s.divisor > 0))
            return qb_fail(QB_EUSAGE, "scale '%s': divisor %g must be positive", word, s.divisor);
    }
    *spec = s;
    return QB_OK;
}
