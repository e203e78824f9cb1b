/* qbench list: the probes and what they measure. */
#include "cpu_features.h"
#include "inst_kernels.h"
#include "mem_kernels.h"
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
    printf("\nprobe mem: bandwidth (GB/s) and latency over a working-set sweep and per level,\n"
           "  params: kernel, bytes, threads, level\n");
    for (int i = 0; i < qb_mem_kernel_count; i++)
        printf("  %-12s %s\n", qb_mem_kernels[i].name, qb_mem_kernels[i].how);
    printf("  %-12s %s\n", "latency", "pointer chase over a random single cycle, one node per 64-byte line");
    printf("\nprobe ctx: OS costs (ns, cycles), params: kind, placement, working_set_bytes\n");
    printf("  %-12s %s\n", "syscall", "syscall(SYS_getppid)");
    printf("  %-12s %s\n", "vdso", "clock_gettime(CLOCK_MONOTONIC)");
    printf("  %-12s %s\n", "thread", "futex handoff between two threads: same-cpu, cross-cpu, unpinned");
    printf("  %-12s %s\n", "process", "pipe ring (lat_ctx): same-cpu, cross-cpu, unpinned; per-process working sets");
}
