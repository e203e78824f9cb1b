/* What the probes offer the command layer (entry points are in app/commands.h). */
#ifndef QB_PROBES_H
#define QB_PROBES_H

#include "repeat.h"
#include "results.h"

#include <stdbool.h>
#include <stddef.h>

/* Measure into res (appending records), as the commands and 'qbench run' do.
 * They stop early and return QB_EINTR, keeping finished records, once
 * qb_interrupted() is set. cpu < 0: stay on the current CPU. */
int qb_probe_inst_measure(qb_results *res, const char *filter, int cpu, const qb_rep_policy *pol);
int qb_probe_peak_measure(qb_results *res, const char *filter, const int *threads, int nthreads,
                          const qb_rep_policy *pol);

/* probe mem (probes/mem/). Records, all in group "probe.mem":
 *   probe.mem/<kernel>/t<threads>/<bytes>   the sweep; params kernel (read, write,
 *       write-nt, copy, triad), bytes (whole working set), threads; metric
 *       bandwidth (GB/s = 1e9 bytes/s, STREAM byte counting)
 *   probe.mem/latency/<bytes>               params kernel "latency", bytes, threads 1;
 *       metrics latency (ns) and latency_cycles (cycles)
 *   probe.mem/level/<L>/<kernel>/t<threads> the per-level ceilings; params level (L1,
 *       L2, L3, DRAM), kernel, threads, bytes (the working set whose figure it is: the
 *       best between range_from_bytes and range_to_bytes), sysfs_bytes,
 *       measured_bytes, streaming_bytes; metric bandwidth
 *   probe.mem/level/<L>/latency             params level, kernel "latency", threads 1,
 *       bytes, range_from_bytes, range_to_bytes, sysfs_bytes, measured_bytes,
 *       streaming_bytes; metrics latency, latency_cycles (the lowest in the range)
 * Sweep and latency records also carry pages ("2M" or "4K": what the kernel gave).
 * A level's bandwidth ceiling on T threads: the level record with that level and
 * threads T, the fastest kernel but write-nt (reports/ceilings.c reads them so).
 * levels_only: the level records alone (the roofline's quick ceilings). */
typedef struct {
    const char *kernels;  /* comma list of kernel names or patterns ("latency" too); NULL: all */
    const size_t *sizes;  /* working sets in bytes; NULL: the log-spaced sweep */
    int nsizes;
    const int *threads;   /* thread counts; NULL: 1 and every allowed CPU */
    int nthreads;
    int per_octave;       /* sweep points per doubling; 0: the default */
    bool levels_only;     /* only what the per-level records need (roofline ceilings) */
    bool quick;           /* shorter trials and a coarser sweep */
    int passes;           /* a suite's passes pooling these samples share the confirming budget; 0 or 1: all its own */
} qb_mem_opts;

void qb_mem_opts_init(qb_mem_opts *o, bool quick);
int qb_probe_mem_measure(qb_results *res, const qb_mem_opts *o, const qb_rep_policy *pol);
/* Rewrite every probe.mem bytes_per_cycle from its bandwidth at one clock
 * (GHz), and set machine.core_ghz to it: for a document pooled from passes
 * whose clocks were calibrated apart (qbench run). */
int qb_mem_per_cycle_at(qb_results *res, double ghz);

/* probe mem --loaded (probes/mem/mem_loaded.c): the chase latency on the first
 * CPU at a working set of `bytes` while every other CPU streams reads with
 * each delay of the list (spin steps between lines; "idle": none streams).
 * Records probe.mem/loaded/idle and probe.mem/loaded/delay<N> (params kernel
 * "loaded-latency", delay_spins, streamers, bytes; metrics latency ns,
 * latency_cycles, bandwidth GB/s of the streamers), and probe.mem/loaded/knee
 * (qb_mem_loaded_knee). No gates: they describe the memory system. */
int qb_probe_mem_loaded(qb_results *res, const char *delays, size_t bytes, const qb_rep_policy *pol);
/* The knee of the loaded points in res: the largest bandwidth whose latency is
 * within QB_LOADED_KNEE of idle_ns. */
int qb_mem_loaded_knee(qb_results *res, double idle_ns);

/* probe ctx (probes/ctx/). Records in group "probe.ctx":
 *   probe.ctx/syscall, probe.ctx/vdso, probe.ctx/thread/<placement>,
 *   probe.ctx/process/<placement>/ws<bytes>; params kind, placement, working_set_bytes;
 *   metrics latency (ns, overhead subtracted, never negative), latency_cycles,
 *   and for switches raw_latency, overhead, switches_per_op. */
typedef struct {
    const char *kinds;      /* comma list: syscall, vdso, thread, process; NULL: all */
    const char *placements; /* comma list: same-cpu, cross-cpu, unpinned; NULL: all */
    const size_t *ws;       /* per-process working sets; NULL: the defaults */
    int nws;
    int procs;              /* processes in the ring; 0: the default */
    bool quick;
} qb_ctx_opts;

void qb_ctx_opts_init(qb_ctx_opts *o, bool quick);
int qb_probe_ctx_measure(qb_results *res, const qb_ctx_opts *o, const qb_rep_policy *pol);

/* probe interp (probes/interp/): the cost of one interpreted addition in
 * CPython, through an embedded libpython. Records in group "probe.interp":
 *   probe.interp/empty-loop   metrics loop (ns per iteration), loop_cycles
 *   probe.interp/add-int, probe.interp/add-float   metrics add (ns per
 *       addition: the loop less the empty loop, the two timed back to back in
 *       each trial), add_cycles, and as information loop and empty_loop (the
 *       medians of the pairs' halves, ns per iteration)
 * params kind, python (e.g. "3.11.2"), python_version (Py_GetVersion),
 * library (the libpython file), iterations, processes, operands, loop, method.
 * Each figure is the median over worker processes, each with an interpreter
 * of its own; the samples are grouped by process (round_medians). */
typedef struct {
    const char *filter; /* comma list of add-int, add-float; NULL: both */
    long iterations;    /* loop count per trial; 0: sized to the trial length */
    int processes;      /* worker processes; 0: the default (QB_INTERP_*PROCESSES) */
    bool quick;
} qb_interp_opts;

/* What probe interp says when qbench was built without libpython. */
#define QB_INTERP_UNAVAILABLE \
    "qbench probe interp: qbench was built without libpython (apt-get install libpython3-dev)"

void qb_interp_opts_init(qb_interp_opts *o, bool quick);
/* Whether qbench was built with libpython (else measure fails with QB_EUNSUPPORTED). */
bool qb_probe_interp_available(void);
int qb_probe_interp_measure(qb_results *res, const qb_interp_opts *o, const qb_rep_policy *pol);
/* probe storage (probes/storage/). Records in group "probe.storage", each with
 * params path, device, disk, rotational (null when unknown), fs_type,
 * size_bytes, block_bytes, queue_depth and engine:
 *   probe.storage/randread/qd1   random 4 KiB preads one at a time; metrics
 *       latency (us, every kept read, valued at their median), latency_p99,
 *       latency_mean (us) and iops (IOPS)
 *   probe.storage/randread/qd32  random 4 KiB reads 32 deep with io_uring;
 *       metrics iops (IOPS) and bandwidth (MB/s = 1e6 bytes/s), or param
 *       available false and a note with the reason
 *   probe.storage/seqread        sequential 1 MiB preads; metric bandwidth (MB/s)
 * Every read is O_DIRECT on a test file of size bytes in path, which has no
 * name from the moment it is open. */
enum { QB_STORAGE_READ_QD1 = 1, QB_STORAGE_READ_QD32 = 2, QB_STORAGE_READ_SEQ = 4, QB_STORAGE_READ_ALL = 7 };
typedef struct {
    const char *path;
    size_t size;     /* test file bytes, a whole number of MiB */
    double trial_ms; /* one timed trial */
    bool quick;
    unsigned reads;  /* the benchmarks to run, QB_STORAGE_READ_* (all by default) */
} qb_storage_opts;

void qb_storage_opts_init(qb_storage_opts *o, bool quick);
/* The benchmarks named in a comma list of qd1, qd32 and seq into o->reads;
 * QB_EUSAGE naming the option for another word. */
int qb_storage_parse_reads(qb_storage_opts *o, const char *list);

/* Check path and size before anything is measured: QB_EUSAGE with one line
 * for a missing path, a file, tmpfs, a read-only folder or too little room. */
int qb_storage_check(const qb_storage_opts *o);
int qb_probe_storage_measure(qb_results *res, const qb_storage_opts *o, const qb_rep_policy *pol);

/* qbench list: the probe part of the listing. */
void qb_probes_list(void);

#endif
