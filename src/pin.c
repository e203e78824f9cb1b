#include "pin.h"

#include "error.h"

#include <errno.h>
#include <omp.h>
#include <pthread.h>
#include <string.h>

/* The process mask at first use: thread pinning narrows the calling thread's
 * mask, so later queries must not read it back. */
static cpu_set_t allowed;
static int allowed_n = -1;

static void load_allowed(void)
{
    if (allowed_n >= 0) return;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        CPU_SET(0, &allowed);
    }
    allowed_n = CPU_COUNT(&allowed);
}

int qb_cpu_count(void)
{
    load_allowed();
    return allowed_n;
}

int qb_cpu_nth(int i)
{
    load_allowed();
    int k = 0;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &allowed)) continue;
        if (k++ == i % allowed_n) return c;
    }
    return 0;
}

int qb_pin_self(int cpu, cpu_set_t *saved)
{
    load_allowed();
    if (saved && pthread_getaffinity_np(pthread_self(), sizeof *saved, saved) != 0)
        return qb_fail(QB_EIO, "cannot read CPU affinity: %s", strerror(errno));
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    const int e = pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    if (e != 0) return qb_fail(QB_EIO, "cannot pin to CPU %d: %s", cpu, strerror(e));
    return QB_OK;
}

int qb_unpin_self(const cpu_set_t *saved)
{
    const int e = pthread_setaffinity_np(pthread_self(), sizeof *saved, saved);
    if (e != 0) return qb_fail(QB_EIO, "cannot restore CPU affinity: %s", strerror(e));
    return QB_OK;
}

int qb_omp_pin_thread(void)
{
    return qb_pin_self(qb_cpu_nth(omp_get_thread_num()), NULL);
}

int qb_pin_team(int threads, cpu_set_t *saved)
{
    const int rc = qb_pin_self(qb_cpu_nth(0), saved);
    if (rc) return rc;
#pragma omp parallel num_threads(threads)
    qb_omp_pin_thread();
    return QB_OK;
}
