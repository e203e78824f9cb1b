#include "atomic_file.h"

#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int qb_write_file_atomic(const char *path, const char *data, size_t len)
{
    const size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp) return qb_fail(QB_ENOMEM, "out of memory");
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    int rc = QB_OK;
    const int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = qb_fail(QB_EIO, "cannot write '%s': %s", path, strerror(errno));
        goto out;
    }
    size_t off = 0;
    while (off < len) {
        const ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            rc = qb_fail(QB_EIO, "cannot write '%s': %s", path, strerror(errno));
            break;
        }
        off += (size_t)w;
    }
    if (rc == QB_OK && fsync(fd) != 0)
        rc = qb_fail(QB_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (close(fd) != 0 && rc == QB_OK)
        rc = qb_fail(QB_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (rc == QB_OK && rename(tmp, path) != 0)
        rc = qb_fail(QB_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (rc != QB_OK) unlink(tmp);
out:
    free(tmp);
    return rc;
}

int qb_write_file_rendered(const char *path, int (*render)(FILE *f, const void *arg), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = render(m, arg);
    if (fclose(m) != 0 && !rc) rc = qb_fail(QB_ENOMEM, "out of memory");
    if (!rc) rc = qb_write_file_atomic(path, buf ? buf : "", len);
    free(buf);
    return rc;
}

int qb_read_file(const char *path, size_t limit, char **out, size_t *len)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return qb_fail(QB_EINPUT, "cannot read '%s': %s", path, strerror(errno));
    int rc = QB_OK;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        rc = qb_fail(QB_ENOMEM, "out of memory reading '%s'", path);
        goto out;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= limit) {
                rc = qb_fail(QB_EINPUT, "'%s' is larger than %zu bytes", path, limit);
                goto out;
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                rc = qb_fail(QB_ENOMEM, "out of memory reading '%s'", path);
                goto out;
            }
            buf = nb;
        }
        const size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    if (ferror(f)) {
        rc = qb_fail(QB_EINPUT, "cannot read '%s'", path);
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    buf = NULL;
out:
    free(buf);
    fclose(f);
    return rc;
}
