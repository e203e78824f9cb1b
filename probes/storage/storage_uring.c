/* Random 4 KiB reads kept QB_STORAGE_QD deep with io_uring: every
 * completion is answered by a new read at the next random offset, so the
 * device always has the full queue in front of it. Without liburing at build
 * time the benchmark reports itself unavailable. */
#include "storage.h"

#include "error.h"

#if QB_HAVE_URING

#include "interrupt.h"
#include "timer.h"

#include <liburing.h>
#include <stdlib.h>
#include <string.h>

struct qb_storage_uring {
    struct io_uring ring;
    int fd;
    qb_storage_rng rng;
    unsigned char *bufs; /* QB_STORAGE_QD blocks, one per slot */
    int inflight;
};

/* Queue one read in slot and submit it at once: one io_uring_enter per
 * read, with IORING_ENTER_GETEVENTS so the kernel also posts the
 * completions it has ready, as fio's io_uring engine submits by default
 * (iodepth_batch_submit=1). See qb_storage_uring_run for why the pattern
 * matters. */
static int queue_read(qb_storage_uring *u, int slot)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) return qb_fail(QB_EINTERNAL, "io_uring submission queue full");
    io_uring_prep_read(sqe, u->fd, u->bufs + (size_t)slot * QB_STORAGE_BLOCK, QB_STORAGE_BLOCK,
                       qb_storage_rng_offset(&u->rng));
    io_uring_sqe_set_data(sqe, (void *)(intptr_t)slot);
    const int rc = io_uring_submit_and_get_events(&u->ring);
    if (rc < 0) return qb_fail(QB_EIO, "io_uring_submit_and_get_events: %s", strerror(-rc));
    u->inflight++;
    return QB_OK;
}

int qb_storage_uring_open(qb_storage_uring **out, const qb_storage_file *f, uint64_t seed)
{
    *out = NULL;
    qb_storage_uring *u = calloc(1, sizeof *u);
    if (!u) return qb_fail(QB_ENOMEM, "out of memory");
    if (posix_memalign((void **)&u->bufs, QB_STORAGE_BLOCK,
                       (size_t)QB_STORAGE_QD * QB_STORAGE_BLOCK) != 0) {
        free(u);
        return qb_fail(QB_ENOMEM, "out of memory for the io_uring buffers");
    }
    const int rc = io_uring_queue_init(2 * QB_STORAGE_QD, &u->ring, 0);
    if (rc < 0) {
        free(u->bufs);
        free(u);
        return qb_fail(QB_EUNSUPPORTED, "io_uring_queue_init refused: %s", strerror(-rc));
    }
    u->fd = f->fd;
    qb_storage_rng_init(&u->rng, seed, f->size);
    *out = u;
    return QB_OK;
}

int qb_storage_uring_run(qb_storage_uring *u, uint64_t run_ns, uint64_t *reads, uint64_t *ns)
{
    *reads = 0;
    /* The first run fills the queue; later ones find it full. */
    const bool empty = u->inflight == 0;
    for (int slot = 0; empty && slot < QB_STORAGE_QD; slot++) {
        const int rc = queue_read(u, slot);
        if (rc) return rc;
    }
    const uint64_t start = qb_now_ns();
    uint64_t now = start;
    while (now - start < run_ns) {
        if (qb_interrupted()) return QB_EINTR;
        /* One completion at a time, taken from the completion ring when
         * one is there and waited for in io_uring_enter when none is, and
         * each answered by one new read submitted with its own
         * io_uring_enter: the loop of fio's default io_uring engine
         * (iodepth_batch_submit=1, iodepth_batch_complete_max=1).
         * Submitting the answers to several completions together rings the
         * device once for all of them; on a virtual disk, where a doorbell
         * is an exit to the hypervisor, that about doubles the IOPS (fio
         * shows the same with --iodepth_batch_submit=32), and the figure
         * would no longer be fio's. */
        struct io_uring_cqe *cqe;
        int rc = io_uring_wait_cqe(&u->ring, &cqe);
        if (rc < 0) return qb_fail(QB_EIO, "io_uring_wait_cqe: %s", strerror(-rc));
        const int res = cqe->res;
        const int slot = (int)(intptr_t)io_uring_cqe_get_data(cqe);
        io_uring_cqe_seen(&u->ring, cqe);
        u->inflight--;
        if (res != (int)QB_STORAGE_BLOCK)
            return qb_fail(QB_EIO, "io_uring read of the test file: %s",
                           res < 0 ? strerror(-res) : "short read");
        (*reads)++;
        rc = queue_read(u, slot);
        if (rc) return rc;
        now = qb_now_ns();
    }
    *ns = now - start;
    return QB_OK;
}

void qb_storage_uring_close(qb_storage_uring *u)
{
    if (!u) return;
    /* Reads in flight use the buffers: reap them first. */
    struct io_uring_cqe *cqe;
    while (u->inflight > 0 && io_uring_wait_cqe(&u->ring, &cqe) == 0) {
        io_uring_cqe_seen(&u->ring, cqe);
        u->inflight--;
    }
    io_uring_queue_exit(&u->ring);
    free(u->bufs);
    free(u);
}

#else

int qb_storage_uring_open(qb_storage_uring **out, const qb_storage_file *f, uint64_t seed)
{
    (void)f;
    (void)seed;
    *out = NULL;
    return qb_fail(QB_EUNSUPPORTED, "qbench was built without liburing (Debian liburing-dev)");
}

int qb_storage_uring_run(qb_storage_uring *u, uint64_t run_ns, uint64_t *reads, uint64_t *ns)
{
    (void)u;
    (void)run_ns;
    *reads = *ns = 0;
    return qb_fail(QB_EUNSUPPORTED, "qbench was built without liburing");
}

void qb_storage_uring_close(qb_storage_uring *u) { (void)u; }

#endif
