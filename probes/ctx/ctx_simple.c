/* The calls that switch nothing: syscalls, vdso calls, the placement and
 * touch helpers the switching benchmarks share. */
#include "ctx_bench.h"

#include "error.h"
#include "pin.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

const char *qb_ctx_place_name(qb_ctx_place p)
{
    switch (p) {
    case QB_PLACE_SAME_CPU: return "same-cpu";
    case QB_PLACE_CROSS_CPU: return "cross-cpu";
    case QB_PLACE_UNPINNED: return "unpinned";
    }
    return "?";
}

int qb_ctx_place_self(qb_ctx_place p, int member)
{
    if (p == QB_PLACE_SAME_CPU) return qb_pin_self(qb_cpu_nth(0), NULL);
    if (p == QB_PLACE_CROSS_CPU) return qb_pin_self(qb_cpu_nth(member % 2), NULL);
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int i = 0; i < qb_cpu_count(); i++) CPU_SET(qb_cpu_nth(i), &all);
    if (pthread_setaffinity_np(pthread_self(), sizeof all, &all) != 0)
        return qb_fail(QB_EIO, "cannot unpin the thread");
    return QB_OK;
}

volatile unsigned long qb_ctx_sink;

void qb_ctx_touch(const unsigned char *buf, size_t bytes)
{
    unsigned long s = 0;
    for (size_t i = 0; i < bytes; i += 64) s += *(const volatile unsigned long *)(buf + i);
    qb_ctx_sink = s;
}

void qb_ctx_syscalls(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) syscall(SYS_getppid);
}

void qb_ctx_vdso_calls(uint64_t n)
{
    struct timespec ts;
    for (uint64_t i = 0; i < n; i++) clock_gettime(CLOCK_MONOTONIC, &ts);
}
