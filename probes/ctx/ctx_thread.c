/* Two threads handing the turn to each other through a futex word. */
#include "ctx_bench.h"

#include "error.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct qb_handoff {
    _Atomic int turn; /* 0: the main thread's turn, 1: the partner's */
    _Atomic int stop;
    qb_ctx_place place;
    pthread_t th;
    qb_switch_counter sc;
    long long partner_switches;
};

static long futex(_Atomic int *w, int op, int val)
{
    return syscall(SYS_futex, (int *)w, op, val, NULL, NULL, 0);
}

static void wait_while(_Atomic int *w, int val)
{
    while (atomic_load_explicit(w, memory_order_acquire) == val) futex(w, FUTEX_WAIT_PRIVATE, val);
}

static void *partner(void *arg)
{
    qb_handoff *h = arg;
    qb_ctx_place_self(h->place, 1);
    /* getrusage in both threads: PAPI keeps one running event set per
     * process unless every thread registers, and the two counts must agree
     * in kind. */
    qb_switch_counter sc;
    qb_switches_open(&sc, false);
    qb_switches_start(&sc);
    for (;;) {
        wait_while(&h->turn, 0);
        if (atomic_load_explicit(&h->stop, memory_order_acquire)) break;
        atomic_store_explicit(&h->turn, 0, memory_order_release);
        futex(&h->turn, FUTEX_WAKE_PRIVATE, 1);
    }
    h->partner_switches = qb_switches_stop(&sc);
    return NULL;
}

int qb_handoff_open(qb_handoff **out, qb_ctx_place place)
{
    *out = NULL;
    qb_handoff *h = calloc(1, sizeof *h);
    if (!h) return qb_fail(QB_ENOMEM, "out of memory");
    h->place = place;
    int rc = qb_ctx_place_self(place, 0);
    if (rc) {
        free(h);
        return rc;
    }
    qb_switches_open(&h->sc, false);
    qb_switches_start(&h->sc);
    const int e = pthread_create(&h->th, NULL, partner, h);
    if (e != 0) {
        free(h);
        return qb_fail(QB_EIO, "cannot start the handoff thread: %s", strerror(e));
    }
    *out = h;
    return QB_OK;
}

int qb_handoff_run(qb_handoff *h, uint64_t round_trips)
{
    for (uint64_t i = 0; i < round_trips; i++) {
        atomic_store_explicit(&h->turn, 1, memory_order_release);
        futex(&h->turn, FUTEX_WAKE_PRIVATE, 1);
        wait_while(&h->turn, 1);
    }
    return QB_OK;
}

int qb_handoff_close(qb_handoff *h, long long counts[2], const char **source)
{
    atomic_store_explicit(&h->stop, 1, memory_order_release);
    atomic_store_explicit(&h->turn, 1, memory_order_release);
    futex(&h->turn, FUTEX_WAKE_PRIVATE, 1);
    counts[0] = qb_switches_stop(&h->sc);
    pthread_join(h->th, NULL);
    counts[1] = h->partner_switches;
    *source = qb_switches_source(&h->sc);
    qb_switches_close(&h->sc);
    free(h);
    return QB_OK;
}

void qb_futex_overhead(uint64_t hops)
{
    /* A hop's calls when the other side needs no switch: a wake with no
     * waiter, and a wait whose word already changed (EAGAIN at once). */
    _Atomic int w = 0;
    for (uint64_t i = 0; i < hops; i++) {
        atomic_store_explicit(&w, 1, memory_order_release);
        futex(&w, FUTEX_WAKE_PRIVATE, 1);
        futex(&w, FUTEX_WAIT_PRIVATE, 0);
    }
}
