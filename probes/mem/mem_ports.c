#include "mem_ports.h"

#include <string.h>

/* AMD's software optimization guides for families 17h (Zen 2) and 19h (Zen 3,
 * Zen 4): two 256-bit loads and one 256-bit store per cycle. */
static const struct {
    const char *uarch;
    qb_mem_ports p;
} table[] = {
    {"zen2", {2, 1}},
    {"zen3", {2, 1}},
    {"zen4", {2, 1}},
};

qb_mem_ports qb_mem_ports_of(const char *uarch)
{
    for (size_t i = 0; uarch && i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].uarch, uarch) == 0) return table[i].p;
    return (qb_mem_ports){0, 0};
}

double qb_mem_port_ceiling(const qb_mem_ports *p, const qb_mem_kernel *k)
{
    if (!(p->loads > 0 && p->stores > 0) || k->bypasses_cache) return 0;
    /* one 32-byte vector of every array per step; the busier port sets the pace */
    const double by_loads = k->reads / p->loads, by_stores = k->writes / p->stores;
    const double cycles = by_loads > by_stores ? by_loads : by_stores;
    return cycles > 0 ? 32.0 * (k->reads + k->writes) / cycles : 0;
}

bool qb_mem_port_short(double bytes_per_cycle, double ceiling)
{
    return ceiling > 0 && bytes_per_cycle < QB_MEM_PORT_SHORTFALL * ceiling;
}
