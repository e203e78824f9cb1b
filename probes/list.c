/* qbench list: the probes and what they measure. */
#include "cpu_features.h"
#include "inst_kernels.h"
#include "peak_kernels.h"
#include "probes.h"

#include <stdio.h>

void qb_probes_list(void)
{
    printf("probe inst: instruction latency (cycles) and throughput (per cycle)\n");
    for (int i = 0; i < qb_inst_count; i++) {
        const qb_inst_desc *d = &qb_inst_table[i];
        printf("  %-18s %-56s %s\n", d->name, d->form,
               qb_cpu_has(d->requires) ? "" : "(unsupported here)");
    }
    printf("\nprobe peak: peak compute per data type, params: threads\n");
    for (int i = 0; i < qb_peak_count; i++) {
        const qb_peak_desc *d = &qb_peak_table[i];
        printf("  %-12s %s %s\n", d->dtype, d->how, qb_cpu_has(d->requires) ? "" : "(unsupported here)");
    }
    printf("\nprobe mem, probe ctx: planned (issue #3)\n");
}
