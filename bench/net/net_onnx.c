/* The ONNX file itself: mapped, unpacked by protobuf-c's generated reader,
 * handed to the importer. protobuf-c copies each tensor's bytes out of the
 * buffer; to keep the peak memory near one copy of the file, the allocator
 * it is given drops the mapping's resident pages before each large
 * allocation (they are clean file pages, read again from the page cache if
 * needed), and the importer takes those copies over without another. */
#include "net_onnx.h"

#include "error.h"
#include "onnx_import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Allocations from this size on release the mapped file's pages first. */
#define RELEASE_FROM (1u << 20)

typedef struct {
    void *base; /* the mapping, or NULL for a caller's buffer */
    size_t len;
} mapping;

static void *alloc(void *data, size_t size)
{
    const mapping *m = data;
    if (m && m->base && size >= RELEASE_FROM) madvise(m->base, m->len, MADV_DONTNEED);
    return malloc(size);
}

static void release(void *data, void *p)
{
    (void)data;
    free(p);
}

static int parse(const void *buf, size_t len, const char *what, const qb_net_load_opts *o,
                 qb_net_graph *g, mapping *m)
{
    memset(g, 0, sizeof *g);
    if (len == 0) return qb_fail(QB_EINPUT, "%s: empty file, not an ONNX model", what);
    ProtobufCAllocator a = {alloc, release, m};
    Onnx__ModelProto *model = onnx__model_proto__unpack(&a, len, buf);
    if (!model)
        return qb_fail(
            QB_EINPUT,
            "%s: not an ONNX model (its protobuf does not parse: truncated or another format)",
            what);
    const int rc = onnx_import(what, model, o, g);
    onnx__model_proto__free_unpacked(model, &a);
    return rc;
}

int qb_net_onnx_parse(const void *buf, size_t len, const char *what, const qb_net_load_opts *o,
                      qb_net_graph *g)
{
    return parse(buf, len, what, o, g, NULL);
}

int qb_net_onnx_load(const char *path, const qb_net_load_opts *o, qb_net_graph *g)
{
    memset(g, 0, sizeof *g);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return qb_fail(errno == ENOENT ? QB_EINPUT : QB_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        const int e = errno;
        close(fd);
        return qb_fail(QB_EIO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return qb_fail(QB_EINPUT, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return qb_fail(QB_EINPUT, "%s: empty file, not an ONNX model", path);
    }
    mapping m = {NULL, (size_t)st.st_size};
    m.base = mmap(NULL, m.len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m.base == MAP_FAILED)
        return qb_fail(QB_EIO, "%s: cannot map the file: %s", path, strerror(errno));
    madvise(m.base, m.len, MADV_SEQUENTIAL);
    const int rc = parse(m.base, m.len, path, o, g, &m);
    munmap(m.base, m.len);
    return rc;
}
