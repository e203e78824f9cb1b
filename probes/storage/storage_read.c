/* The synchronous benchmarks: random 4 KiB reads one at a time, and
 * sequential 1 MiB reads, each a pread on the O_DIRECT descriptor. */
#include "storage.h"

#include "error.h"
#include "interrupt.h"
#include "timer.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static int read_failed(ssize_t n, size_t want, uint64_t off)
{
    return qb_fail(QB_EIO, "reading the test file at %llu: %s", (unsigned long long)off,
                   n < 0 ? strerror(errno) : (size_t)n < want ? "short read" : "?");
}

int qb_storage_qd1(const qb_storage_file *f, qb_storage_rng *rng, uint64_t run_ns, double *lat,
                   size_t cap, size_t *nlat, uint64_t *reads, uint64_t *total_ns)
{
    *reads = 0;
    *total_ns = 0;
    const uint64_t start = qb_now_ns();
    uint64_t now = start;
    while (now - start < run_ns) {
        if (qb_interrupted()) return QB_EINTR;
        const uint64_t off = qb_storage_rng_offset(rng);
        const uint64_t t0 = qb_now_ns();
        const ssize_t n = pread(f->fd, f->buf, QB_STORAGE_BLOCK, (off_t)off);
        now = qb_now_ns();
        if (n != (ssize_t)QB_STORAGE_BLOCK) return read_failed(n, QB_STORAGE_BLOCK, off);
        (*reads)++;
        *total_ns += now - t0;
        if (*nlat < cap) lat[(*nlat)++] = (double)(now - t0) * 1e-3;
    }
    return QB_OK;
}

int qb_storage_seq(const qb_storage_file *f, size_t *pos, uint64_t run_ns, uint64_t *bytes,
                   uint64_t *ns)
{
    *bytes = 0;
    const uint64_t start = qb_now_ns();
    uint64_t now = start;
    while (now - start < run_ns) {
        if (qb_interrupted()) return QB_EINTR;
        if (*pos + QB_STORAGE_SEQ_BLOCK > f->size) *pos = 0;
        const ssize_t n = pread(f->fd, f->buf, QB_STORAGE_SEQ_BLOCK, (off_t)*pos);
        now = qb_now_ns();
        if (n != (ssize_t)QB_STORAGE_SEQ_BLOCK) return read_failed(n, QB_STORAGE_SEQ_BLOCK, *pos);
        *pos += QB_STORAGE_SEQ_BLOCK;
        *bytes += QB_STORAGE_SEQ_BLOCK;
    }
    *ns = now - start;
    return QB_OK;
}
