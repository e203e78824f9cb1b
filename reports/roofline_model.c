#include "roofline_model.h"

#include "error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int level_rank(const char *level)
{
    static const char *const order[] = {"L1", "L2", "L3", "DRAM"};
    for (int i = 0; i < 4; i++)
        if (strcmp(level, order[i]) == 0) return i;
    return -1;
}

int qb_ceilings_set_compute(qb_ceilings *c, const char *dtype, double gops)
{
    if (!(gops > 0) || !isfinite(gops))
        return qb_fail(QB_EINPUT, "compute ceiling for %s is not a positive number", dtype);
    for (int i = 0; i < c->ncompute; i++)
        if (strcmp(c->compute[i].dtype, dtype) == 0) {
            c->compute[i].gops = gops;
            return QB_OK;
        }
    if (c->ncompute == QB_RL_MAX_DTYPES) return qb_fail(QB_EINPUT, "too many compute ceilings");
    qb_rl_compute *e = &c->compute[c->ncompute++];
    snprintf(e->dtype, sizeof e->dtype, "%s", dtype);
    e->gops = gops;
    return QB_OK;
}

int qb_ceilings_set_memory(qb_ceilings *c, const char *level, double gbs, const char *kernel)
{
    const int rank = level_rank(level);
    if (rank < 0) return qb_fail(QB_EINPUT, "unknown memory level '%s'", level);
    if (!(gbs > 0) || !isfinite(gbs))
        return qb_fail(QB_EINPUT, "bandwidth ceiling for %s is not a positive number", level);
    int at = 0;
    while (at < c->nmemory && level_rank(c->memory[at].level) < rank) at++;
    if (at < c->nmemory && level_rank(c->memory[at].level) == rank) {
        c->memory[at].gbs = gbs;
        snprintf(c->memory[at].kernel, sizeof c->memory[at].kernel, "%s", kernel ? kernel : "");
        return QB_OK;
    }
    memmove(&c->memory[at + 1], &c->memory[at], (size_t)(c->nmemory - at) * sizeof c->memory[0]);
    c->nmemory++;
    qb_rl_memory *m = &c->memory[at];
    snprintf(m->level, sizeof m->level, "%s", level);
    snprintf(m->kernel, sizeof m->kernel, "%s", kernel ? kernel : "");
    m->gbs = gbs;
    return QB_OK;
}

const qb_rl_compute *qb_ceilings_compute(const qb_ceilings *c, const char *dtype)
{
    for (int i = 0; i < c->ncompute; i++)
        if (strcmp(c->compute[i].dtype, dtype) == 0) return &c->compute[i];
    return NULL;
}

const qb_rl_memory *qb_ceilings_level(const qb_ceilings *c, const char *level)
{
    for (int i = 0; i < c->nmemory; i++)
        if (strcmp(c->memory[i].level, level) == 0) return &c->memory[i];
    return NULL;
}

int qb_ceilings_set_memory_nt(qb_ceilings *c, const char *level, double gbs, const char *kernel)
{
    if (!(gbs > 0)) return qb_fail(QB_EINPUT, "non-temporal bandwidth ceiling for %s is not a positive number", level);
    for (int i = 0; i < c->nmemory; i++)
        if (strcmp(c->memory[i].level, level) == 0) {
            c->memory[i].gbs_nt = gbs;
            snprintf(c->memory[i].kernel_nt, sizeof c->memory[i].kernel_nt, "%s", kernel ? kernel : "");
            return QB_OK;
        }
    return qb_fail(QB_EINPUT, "no bandwidth ceiling for level '%s'", level);
}

double qb_ceilings_bw(const qb_ceilings *c, int i, bool nt_stores)
{
    return nt_stores && c->memory[i].gbs_nt > 0 ? c->memory[i].gbs_nt : c->memory[i].gbs;
}

int qb_ceilings_set_capacity(qb_ceilings *c, const char *level, double bytes)
{
    for (int i = 0; i < c->nmemory; i++)
        if (strcmp(c->memory[i].level, level) == 0) {
            c->memory[i].capacity = bytes > 0 ? bytes : 0;
            return QB_OK;
        }
    return qb_fail(QB_EINPUT, "no bandwidth ceiling for level '%s'", level);
}

int qb_ceilings_footprint_level(const qb_ceilings *c, double bytes)
{
    const int dram = c->nmemory - 1;
    for (int i = 0; i < dram; i++)
        if (c->memory[i].capacity > 0 && bytes <= c->memory[i].capacity) return i;
    return dram;
}

int qb_roofline_analyse(const qb_ceilings *c, const char *dtype, const qb_rl_point *p,
                        bool cache_aware, qb_rl_result *out)
{
    memset(out, 0, sizeof *out);
    const qb_rl_compute *cc = qb_ceilings_compute(c, dtype);
    if (!cc) return qb_fail(QB_EINPUT, "no compute ceiling for data type '%s'", dtype);
    if (c->nmemory == 0) return qb_fail(QB_EINPUT, "no memory bandwidth ceilings");
    if (!(p->seconds > 0) || !(p->bytes > 0) || p->ops < 0)
        return qb_fail(QB_EINPUT, "a roofline point needs positive time and bytes");
    const int dram = c->nmemory - 1;
    out->peak = cc->gops;
    out->ai = p->ops / p->bytes;
    out->measured = p->ops / p->seconds * 1e-9;
    out->measured_gbs = p->bytes / p->seconds * 1e-9;
    for (int i = 0; i < c->nmemory; i++) {
        const double bw = qb_ceilings_bw(c, i, p->nt_stores);
        const double mem_roof = out->ai * bw;
        out->attainable[i] = mem_roof < out->peak ? mem_roof : out->peak;
        out->ridge[i] = out->peak / bw;
    }
    out->dram_attainable = out->attainable[dram];
    const int lv = cache_aware ? qb_ceilings_footprint_level(c, p->bytes) : dram;
    out->level = lv;
    if (p->ops == 0) {
        /* Pure data movement: bounded by the level's bandwidth, measured in bytes. */
        out->verdict = QB_RL_MEMORY_BOUND;
        out->bound_level = lv;
        out->roof = qb_ceilings_bw(c, lv, p->nt_stores);
        out->efficiency = out->measured_gbs / out->roof;
    } else {
        out->roof = out->attainable[lv];
        out->bound_level = out->ai * qb_ceilings_bw(c, lv, p->nt_stores) >= out->peak ? -1 : lv;
        out->verdict = out->bound_level < 0 ? QB_RL_COMPUTE_BOUND : QB_RL_MEMORY_BOUND;
        out->efficiency = out->measured / out->roof;
    }
    out->above_roof = out->efficiency > 1;
    out->far_below = out->efficiency < QB_RL_FAR_BELOW;
    return QB_OK;
}
