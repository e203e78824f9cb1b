#include "roofline_sizes.h"

#include "error.h"
#include "fmt.h"
#include "interrupt.h"
#include "mem_sizes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The footprint that lives in level i: the log-scale middle of (the level
 * above's capacity, this level's capacity]; for DRAM, four times the last
 * cache's capacity. 0 when the level has no room of its own. */
static double level_footprint(const qb_ceilings *c, int i)
{
    const int dram = c->nmemory - 1;
    double above = 0;
    for (int k = 0; k < i && k < dram; k++)
        if (c->memory[k].capacity > above) above = c->memory[k].capacity;
    if (i == dram) return 4 * (above > 0 ? above : 32.0 * (1 << 20));
    const double cap = c->memory[i].capacity;
    if (!(cap > above)) return 0;
    return above > 0 ? sqrt(above * cap) : cap / 2;
}

static int measure_one(qb_results *points, const qb_ops_opts *base, const qb_rep_policy *pol, double bytes,
                       const char *tag)
{
    char dts[64];
    snprintf(dts, sizeof dts, "%s", base->dtypes ? base->dtypes : "fp32,fp16,int8");
    char *save = NULL;
    int rc = QB_OK;
    for (char *d = strtok_r(dts, ",", &save); d && rc == QB_OK && !qb_interrupted(); d = strtok_r(NULL, ",", &save)) {
        qb_ops_opts o = *base;
        o.dtypes = d;
        o.footprint = bytes;
        o.tag = tag;
        rc = qb_ops_measure(points, &o, pol);
    }
    return rc;
}

int qb_roofline_sizes_measure(qb_results *points, const char *sizes, const qb_ceilings *c,
                              const qb_ops_opts *base, const qb_rep_policy *pol)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", sizes);
    char *save = NULL;
    int rc = QB_OK, n = 0;
    for (char *w = strtok_r(buf, ",", &save); w && rc == QB_OK && !qb_interrupted(); w = strtok_r(NULL, ",", &save)) {
        n++;
        int level = -1;
        for (int i = 0; i < c->nmemory; i++)
            if (strcasecmp(w, c->memory[i].level) == 0) level = i;
        if (level < 0 && (strcasecmp(w, "L1") == 0 || strcasecmp(w, "L2") == 0 || strcasecmp(w, "L3") == 0 ||
                          strcasecmp(w, "DRAM") == 0)) {
            fprintf(stderr, "qbench roofline --sizes: the ceilings have no %s level; skipped\n", w);
            continue;
        }
        if (level >= 0) {
            const double bytes = level_footprint(c, level);
            if (!(bytes > 0)) {
                char cap[32];
                qb_fmt_bytes(cap, sizeof cap, c->memory[level].capacity);
                fprintf(stderr,
                        "qbench roofline --sizes: %s holds no more than the levels above it (measured %s): "
                        "no footprint lives there; skipped\n",
                        c->memory[level].level, cap);
                continue;
            }
            rc = measure_one(points, base, pol, bytes, c->memory[level].level);
        } else {
            size_t bytes;
            rc = qb_mem_parse_size("roofline --sizes", w, &bytes);
            char tag[32];
            if (!rc) qb_fmt_bytes(tag, sizeof tag, (double)bytes);
            if (!rc) rc = measure_one(points, base, pol, (double)bytes, tag);
        }
    }
    if (rc == QB_OK && n == 0) rc = qb_fail(QB_EUSAGE, "roofline --sizes: an empty list");
    return rc;
}
