#include "mem_bw.h"

#include "clock.h"
#include "error.h"
#include "timer.h"

#include <omp.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

/* Start offsets of a kernel's arrays within a slot, in bytes past a 4 KiB
 * boundary: 21 cache lines apart, so the copy and triad streams never sit a
 * multiple of 4 KiB from one another. */
#define ARRAY_SKEW 1344
#define SLOT_SPARE (3 * (4096 + ARRAY_SKEW))

static size_t round_up(size_t v, size_t to)
{
    return (v + to - 1) / to * to;
}

static size_t slot_bytes(size_t ws, int threads)
{
    const size_t share = ws / (size_t)threads;
    /* A slot of 2 MiB or more starts on a huge page boundary, so the pages
     * its owner touches first are its own. */
    const size_t raw = round_up(share, 4096) + SLOT_SPARE;
    return share >= QB_HUGE_PAGE_BYTES ? round_up(raw, QB_HUGE_PAGE_BYTES) : round_up(raw, 4096);
}

size_t qb_bw_set_bytes(size_t ws, int threads)
{
    return slot_bytes(ws, threads) * (size_t)threads;
}

int qb_bw_set_alloc(qb_bw_set *s, size_t ws, int threads)
{
    memset(s, 0, sizeof *s);
    if (threads < 1 || threads > QB_MEM_MAX_THREADS)
        return qb_fail(QB_EUSAGE, "probe mem: %d threads (1 to %d)", threads, QB_MEM_MAX_THREADS);
    s->threads = threads;
    s->ws = ws;
    s->slot = slot_bytes(ws, threads);
    int rc = qb_mem_map_alloc(&s->map, s->slot * (size_t)threads, true);
    if (rc) return rc;
#pragma omp parallel num_threads(threads)
    {
        /* The owner writes every byte of its slot: that places its pages and
         * gives the arrays finite, normal values (1.0f has no zero bytes). */
        float *p = (float *)((char *)s->map.base + s->slot * (size_t)omp_get_thread_num());
        const size_t n = s->slot / sizeof(float);
        for (size_t i = 0; i < n; i++) p[i] = 1.0f;
    }
    s->pages = qb_mem_page_kind(s->map.base, s->map.bytes);
    return QB_OK;
}

void qb_bw_set_free(qb_bw_set *s)
{
    qb_mem_map_free(&s->map);
    memset(s, 0, sizeof *s);
}

static size_t array_floats(const qb_bw_set *s, const qb_mem_kernel *k)
{
    const size_t per = s->ws / (size_t)s->threads / (size_t)qb_mem_kernel_arrays(k);
    size_t blocks = per / QB_MEM_BLOCK_BYTES;
    if (blocks == 0) blocks = 1;
    return blocks * QB_MEM_BLOCK_FLOATS;
}

void qb_bw_arrays(const qb_bw_set *s, const qb_mem_kernel *k, int t, qb_mem_arrays *a)
{
    memset(a, 0, sizeof *a);
    a->n = array_floats(s, k);
    a->scalar = 0.5f;
    char *slot = (char *)s->map.base + s->slot * (size_t)t;
    const size_t stride = round_up(a->n * sizeof(float), 4096) + ARRAY_SKEW;
    float *arr[3];
    for (int j = 0; j < qb_mem_kernel_arrays(k); j++) arr[j] = (float *)(slot + (size_t)j * stride);
    /* Reads come first, the written array last. */
    if (k->reads >= 1) a->src0 = arr[0];
    if (k->reads >= 2) a->src1 = arr[1];
    if (k->writes) a->dst = arr[k->reads];
}

double qb_bw_bytes_per_pass(const qb_bw_set *s, const qb_mem_kernel *k)
{
    return qb_mem_kernel_bytes(k, array_floats(s, k)) * s->threads;
}

typedef struct {
    const qb_bw_set *set;
    const qb_mem_kernel *k;
    qb_mem_arrays arr[QB_MEM_MAX_THREADS];
    uint64_t passes;
    double bytes; /* per pass, all threads */
} bw_ctx;

static long thread_ivcsw(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nivcsw : 0;
}

/* Every thread runs its passes between two barriers; the master times the
 * span. A trial in which any thread was preempted is dropped. */
static uint64_t timed_span(bw_ctx *c, int *preempted)
{
    uint64_t t0 = 0, t1 = 0;
    int pre = 0;
#pragma omp parallel num_threads(c->set->threads) reduction(| : pre)
    {
        qb_mem_arrays *a = &c->arr[omp_get_thread_num()];
        const long sw0 = thread_ivcsw();
#pragma omp barrier
#pragma omp master
        t0 = qb_now_ns();
        c->k->run(a, c->passes);
#pragma omp barrier
#pragma omp master
        t1 = qb_now_ns();
        pre |= thread_ivcsw() != sw0;
    }
    *preempted = pre;
    return t1 - t0;
}

static int bw_trial(void *vctx, double *v)
{
    bw_ctx *c = vctx;
    int preempted;
    const double ns = (double)timed_span(c, &preempted);
    v[0] = c->bytes * (double)c->passes / ns;
    return preempted ? QB_TRIAL_DROP : QB_OK;
}

int qb_bw_measure(const qb_bw_set *s, const qb_mem_kernel *k, const qb_rep_policy *pol,
                  double trial_us, qb_rep_result *out)
{
    static bw_ctx c; /* large (per-thread arrays); the probe runs one measurement at a time */
    memset(&c, 0, sizeof c);
    c.set = s;
    c.k = k;
    c.bytes = qb_bw_bytes_per_pass(s, k);
    /* bytes_per_cycle is written at the end, at the fastest clock found:
     * a calibration beside each measurement can only raise it. */
    (void)qb_core_ghz_refresh();
    for (int t = 0; t < s->threads; t++) qb_bw_arrays(s, k, t, &c.arr[t]);
    /* Size the pass count from a pilot that runs at least a tenth of the
     * trial, starting from a quarter trial at an optimistic 200 GB/s per
     * thread: every pilot step opens a parallel region, which costs a
     * scheduler wake-up when the other CPUs are busy. */
    const double optimistic_ns = c.bytes / (200.0 * s->threads);
    c.passes = (uint64_t)(0.25 * trial_us * 1000.0 / optimistic_ns);
    if (c.passes < 1) c.passes = 1;
    for (int i = 0; i < 12; i++) {
        int pre;
        const double ns = (double)timed_span(&c, &pre);
        if (ns >= trial_us * 100.0 || i == 11) {
            const double p = (double)c.passes * trial_us * 1000.0 / ns;
            c.passes = p < 1 ? 1 : (uint64_t)p;
            break;
        }
        c.passes *= 4;
    }
    return qb_repeat(pol, bw_trial, &c, out);
}
