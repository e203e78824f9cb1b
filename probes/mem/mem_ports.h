/* What a core's L1 load and store ports allow each bandwidth kernel, from the
 * published port widths of known cores: the ceiling an L1 figure is held to.
 * An L1 figure well below it means something else used the core during the
 * run (an SMT sibling, another guest), which the record then says. */
#ifndef QB_MEM_PORTS_H
#define QB_MEM_PORTS_H

#include "mem_kernels.h"

#include <stdbool.h>

/* 256-bit loads and stores per cycle of a core ("zen3"), 0 when unknown. */
typedef struct {
    double loads, stores;
} qb_mem_ports;

qb_mem_ports qb_mem_ports_of(const char *uarch);

/* Bytes per cycle the ports allow kernel k from L1 (STREAM-counted: every
 * array's bytes), or 0 when unknown or not an L1 figure (non-temporal stores). */
double qb_mem_port_ceiling(const qb_mem_ports *p, const qb_mem_kernel *k);

/* A figure below this share of its port ceiling is flagged. */
#define QB_MEM_PORT_SHORTFALL 0.9

bool qb_mem_port_short(double bytes_per_cycle, double ceiling);

#endif
