#include "mem_lat.h"

#include "clock.h"
#include "error.h"
#include "mem_chase.h"
#include "timer.h"

#include <string.h>

/* Nodes walked before measuring: 1 Mi nodes of a cache line each (64 MiB),
 * enough to reach a steady state past most last-level caches. */
#define QB_LAT_WARM_NODES (1u << 20)

int qb_lat_set_alloc(qb_lat_set *s, size_t bytes, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->bytes = bytes;
    s->nodes = bytes / QB_CHASE_NODE_BYTES;
    if (s->nodes < 2) return qb_fail(QB_EUSAGE, "probe mem: %zu bytes is too small to chase", bytes);
    int rc = qb_mem_map_alloc(&s->map, bytes, true);
    if (rc) return rc;
    s->start = qb_chase_build(s->map.base, s->nodes, seed);
    if (!s->start) {
        qb_mem_map_free(&s->map);
        return qb_fail(QB_ENOMEM, "probe mem: no memory to order %zu chase nodes", s->nodes);
    }
    s->pages = qb_mem_page_kind(s->map.base, s->map.bytes);
    return QB_OK;
}

void qb_lat_set_free(qb_lat_set *s)
{
    qb_mem_map_free(&s->map);
    memset(s, 0, sizeof *s);
}

typedef struct {
    qb_lat_set *set;
    void *p; /* where the chase stopped: the next trial continues the cycle */
    uint64_t loads;
} lat_ctx;

static int lat_trial(void *vctx, double *v)
{
    lat_ctx *c = vctx;
    qb_bracket b;
    qb_bracket_begin(&b);
    const uint64_t t0 = qb_now_ns();
    c->p = qb_chase_run(c->p, c->loads);
    const uint64_t t1 = qb_now_ns();
    qb_bracket_end(&b);
    v[0] = (double)(t1 - t0) / (double)c->loads;
    v[1] = v[0] * b.ghz;
    return b.clock_changed ? QB_TRIAL_DROP : QB_OK;
}

int qb_lat_measure(qb_lat_set *s, const qb_rep_policy *pol, double trial_us, qb_rep_result *out)
{
    lat_ctx c = {.set = s, .p = s->start, .loads = 1024};
    /* One walk of the cycle first, so every node has been loaded once and
     * the pilot below sees the steady state; a cycle too big for the caches
     * reaches its steady state (every load a miss) without it. */
    c.p = qb_chase_run(c.p, s->nodes < QB_LAT_WARM_NODES ? s->nodes : QB_LAT_WARM_NODES);
    for (int i = 0; i < 16; i++) {
        const uint64_t t0 = qb_now_ns();
        c.p = qb_chase_run(c.p, c.loads);
        const double ns = (double)(qb_now_ns() - t0);
        if (ns >= trial_us * 100.0 || i == 15) {
            const double l = (double)c.loads * trial_us * 1000.0 / ns;
            c.loads = l < 16 ? 16 : (uint64_t)l / 16 * 16;
            break;
        }
        c.loads *= 4;
    }
    return qb_repeat(pol, lat_trial, &c, out);
}
