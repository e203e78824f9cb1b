/* The test file: created under a unique name, unlinked as soon as it is
 * open, filled with non-zero data written around the page cache; and the
 * seeded stream of block offsets the random reads use. */
#include "storage.h"

#include "error.h"
#include "interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int qb_storage_file_open(qb_storage_file *f, const char *dir, size_t size,
                         const qb_storage_dev *dev)
{
    f->fd = -1;
    f->size = size;
    f->buf = NULL;
    if (size > dev->free_bytes)
        return qb_fail(QB_EUSAGE,
                       "qbench probe storage --size: %zu MiB does not fit in the %llu MiB free "
                       "in '%s'", size >> 20, dev->free_bytes >> 20, dir);
    char path[4096];
    if (snprintf(path, sizeof path, "%s/.qbench-storage-%ld.tmp", dir, (long)getpid()) >=
        (int)sizeof path)
        return qb_fail(QB_EUSAGE, "qbench probe storage --path: '%s' is too long", dir);
    f->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0600);
    if (f->fd < 0) {
        const int e = errno;
        if (e == EINVAL) {
            /* The name may exist without O_DIRECT: remove what the failed open made. */
            unlink(path);
            return qb_fail(QB_EUSAGE,
                           "qbench probe storage --path: '%s' is on %s, which has no O_DIRECT; "
                           "give a folder on a disk", dir, dev->fs_type);
        }
        return qb_fail(QB_EUSAGE, "qbench probe storage --path: cannot create a file in '%s': %s",
                       dir, strerror(e));
    }
    /* From here on the file has no name: it is freed when the descriptor
     * closes, however the process ends. */
    if (unlink(path) != 0) {
        const int e = errno;
        close(f->fd);
        f->fd = -1;
        return qb_fail(QB_EIO, "cannot unlink the test file %s: %s", path, strerror(e));
    }
    if (posix_memalign((void **)&f->buf, QB_STORAGE_BLOCK, QB_STORAGE_SEQ_BLOCK) != 0) {
        f->buf = NULL;
        qb_storage_file_close(f);
        return qb_fail(QB_ENOMEM, "out of memory for the I/O buffer");
    }
    return QB_OK;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int qb_storage_file_fill(qb_storage_file *f)
{
    /* Pseudo-random words with the low bit set: no zero word, and nothing a
     * compressing or deduplicating layer could shrink. */
    uint64_t s = 0x5EEDF11Eull;
    uint64_t *w = (uint64_t *)f->buf;
    for (size_t done = 0; done < f->size; done += QB_STORAGE_SEQ_BLOCK) {
        if (qb_interrupted()) return QB_EINTR;
        for (size_t i = 0; i < QB_STORAGE_SEQ_BLOCK / sizeof *w; i++) w[i] = splitmix(&s) | 1;
        const size_t len =
            f->size - done < QB_STORAGE_SEQ_BLOCK ? f->size - done : QB_STORAGE_SEQ_BLOCK;
        const ssize_t n = pwrite(f->fd, f->buf, len, (off_t)done);
        if (n != (ssize_t)len)
            return qb_fail(QB_EIO, "writing the test file: %s",
                           n < 0 ? strerror(errno) : "short write");
    }
    if (fdatasync(f->fd) != 0) return qb_fail(QB_EIO, "fdatasync of the test file: %s", strerror(errno));
    /* O_DIRECT writes leave nothing cached; this drops anything that was. */
    posix_fadvise(f->fd, 0, (off_t)f->size, POSIX_FADV_DONTNEED);
    return QB_OK;
}

void qb_storage_file_close(qb_storage_file *f)
{
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    free(f->buf);
    f->buf = NULL;
}

void qb_storage_rng_init(qb_storage_rng *r, uint64_t seed, size_t size)
{
    r->state = seed;
    r->nblocks = size / QB_STORAGE_BLOCK;
}

uint64_t qb_storage_rng_offset(qb_storage_rng *r)
{
    /* The 64-bit product's high half maps the word onto [0, nblocks) without
     * the bias of a modulo. */
    const uint64_t x = splitmix(&r->state);
    const uint64_t block = (uint64_t)(((unsigned __int128)x * r->nblocks) >> 64);
    return block * QB_STORAGE_BLOCK;
}
