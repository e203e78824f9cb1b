/* The benchmarks of qbench probe ctx, each a state that runs a number of
 * operations on request, so one timing harness serves them all:
 *  - syscall: getppid through syscall(2), which always enters the kernel;
 *  - vdso: clock_gettime(CLOCK_MONOTONIC), which does not;
 *  - thread handoff: two threads of one process passing the turn through a
 *    futex word, each waiting in FUTEX_WAIT until the other wakes it;
 *  - process ring: processes passing a token round a ring of pipes, each
 *    touching its own working set at every hop, as lmbench's lat_ctx does;
 *  - and the same work without a switch, to subtract: the futex calls that
 *    find nobody to wait for, one process writing a pipe it reads itself. */
#ifndef QB_CTX_BENCH_H
#define QB_CTX_BENCH_H

#include "ctx_switches.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { QB_PLACE_SAME_CPU, QB_PLACE_CROSS_CPU, QB_PLACE_UNPINNED } qb_ctx_place;

#define QB_CTX_MAX_PROCS 64

const char *qb_ctx_place_name(qb_ctx_place p);

/* Pin the calling thread as member `member` of a placement: same-cpu puts
 * everyone on the first allowed CPU, cross-cpu alternates the first two,
 * unpinned allows every CPU the process may use. */
int qb_ctx_place_self(qb_ctx_place p, int member);

/* Read one word per cache line of buf (the touch at each hop). */
void qb_ctx_touch(const unsigned char *buf, size_t bytes);

void qb_ctx_syscalls(uint64_t n);
void qb_ctx_vdso_calls(uint64_t n);

/* Thread handoff: n round trips (2n hops). */
typedef struct qb_handoff qb_handoff;
int qb_handoff_open(qb_handoff **out, qb_ctx_place place);
int qb_handoff_run(qb_handoff *h, uint64_t round_trips);
/* Stops the partner; counts[0] main thread, counts[1] partner since open. */
int qb_handoff_close(qb_handoff *h, long long counts[2], const char **source);
/* The futex calls of n hops without anyone to switch to. */
void qb_futex_overhead(uint64_t hops);

/* Process ring of procs members (this process is member 0): laps of procs
 * hops. Members count their switches with PAPI when papi is set (a counting
 * perf event makes every switch dearer: time a ring without it), with
 * getrusage otherwise. */
typedef struct qb_ring qb_ring;
int qb_ring_open(qb_ring **out, int procs, qb_ctx_place place, size_t ws, bool papi);
int qb_ring_run(qb_ring *r, uint64_t laps);
/* Ends the children; counts[i] is member i's switches since open; *source
 * says PAPI's event only when every member counted with it. */
int qb_ring_close(qb_ring *r, long long *counts, const char **source);

/* One process writing and reading its own pipe, touching ws bytes per hop. */
typedef struct qb_pipe_self qb_pipe_self;
int qb_pipe_self_open(qb_pipe_self **out, size_t ws);
int qb_pipe_self_run(qb_pipe_self *p, uint64_t hops);
void qb_pipe_self_close(qb_pipe_self *p);

#endif
