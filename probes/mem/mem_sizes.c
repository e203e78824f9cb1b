#include "mem_sizes.h"

#include "cli.h"
#include "error.h"
#include "sysinfo.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int qb_mem_parse_size(const char *what, const char *word, size_t *out)
{
    if (!word || !*word || *word == '-' || *word == '+')
        return qb_fail(QB_EUSAGE, "%s: '%s' is not a size (e.g. 16K, 8M, 1G)", what, word ? word : "");
    errno = 0;
    char *end;
    const unsigned long long v = strtoull(word, &end, 10);
    if (end == word || errno == ERANGE)
        return qb_fail(QB_EUSAGE, "%s: '%s' is not a size (e.g. 16K, 8M, 1G)", what, word);
    unsigned shift = 0;
    if (*end) {
        const char c = (char)(*end | 0x20);
        shift = c == 'k' ? 10 : c == 'm' ? 20 : c == 'g' ? 30 : c == 't' ? 40 : 99;
        const char *rest = end + 1;
        if (shift == 99 || !(*rest == '\0' || strcasecmp(rest, "b") == 0 || strcasecmp(rest, "ib") == 0))
            return qb_fail(QB_EUSAGE, "%s: '%s' has an unknown unit (use K, M or G)", what, word);
    }
    if (v > (SIZE_MAX >> shift))
        return qb_fail(QB_EUSAGE, "%s: '%s' is too large", what, word);
    const size_t bytes = (size_t)v << shift;
    if (bytes < QB_MEM_MIN_BYTES)
        return qb_fail(QB_EUSAGE, "%s: '%s' is below the smallest working set, 4K", what, word);
    *out = bytes;
    return QB_OK;
}

static int cmp_size(const void *a, const void *b)
{
    const size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static int sort_unique(size_t *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_size);
    int w = 0;
    for (int i = 0; i < n; i++)
        if (w == 0 || v[i] != v[w - 1]) v[w++] = v[i];
    return w;
}

int qb_mem_parse_sizes(const char *what, const char *list, size_t *out, int max, int *n)
{
    char *copy = strdup(list);
    if (!copy) return qb_fail(QB_ENOMEM, "out of memory");
    char *items[QB_MEM_MAX_SIZES];
    const int k = qb_split_list(copy, items, max < QB_MEM_MAX_SIZES ? max : QB_MEM_MAX_SIZES);
    int rc = QB_OK;
    if (k < 0) {
        rc = qb_fail(QB_EUSAGE, "%s: malformed list '%s' (at most %d sizes)", what, list, max);
        goto out;
    }
    for (int i = 0; i < k && rc == QB_OK; i++) rc = qb_mem_parse_size(what, items[i], &out[i]);
    if (rc == QB_OK) *n = sort_unique(out, k);
out:
    free(copy);
    return rc;
}

size_t qb_mem_round_size(double bytes)
{
    if (bytes < QB_MEM_MIN_BYTES) bytes = QB_MEM_MIN_BYTES;
    const int e = (int)floor(log2(bytes));
    const double step = ldexp(1.0, e > 4 ? e - 4 : 0);
    return (size_t)(floor(bytes / step + 0.5) * step);
}

int qb_mem_sweep(size_t lo, size_t hi, int per_octave, const size_t *extra, int nextra,
                 size_t *out, int max)
{
    int n = 0;
    if (per_octave < 1) per_octave = 1;
    const double octaves = log2((double)hi / (double)lo);
    const int steps = (int)ceil(octaves * per_octave - 1e-9);
    for (int i = 0; i <= steps && n < max; i++) {
        const double s = i == steps ? (double)hi : (double)lo * exp2((double)i / per_octave);
        out[n++] = i == steps || i == 0 ? (size_t)s : qb_mem_round_size(s);
    }
    for (int i = 0; i < nextra && n < max; i++)
        if (extra[i] >= lo && extra[i] <= hi) out[n++] = extra[i];
    return sort_unique(out, n);
}

size_t qb_mem_past_caches_bytes(void)
{
    const double b = 4.0 * (double)qb_sysinfo_largest_cache_bytes();
    return qb_mem_round_size(b > (double)QB_MEM_PAST_CACHES_MIN ? b : (double)QB_MEM_PAST_CACHES_MIN);
}
