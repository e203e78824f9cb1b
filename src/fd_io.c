/* Whole reads and writes on a descriptor: short transfers are continued and
 * calls a signal interrupted are retried. */
#include "fd_io.h"

#include <errno.h>
#include <unistd.h>

int qb_read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        const ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r > 0) got += (size_t)r;
        else if (r < 0 && errno == EINTR) continue;
        else {
            if (r == 0) errno = 0;
            return -1;
        }
    }
    return 0;
}

int qb_write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        const ssize_t r = write(fd, (const char *)buf + put, n - put);
        if (r > 0) put += (size_t)r;
        else if (r < 0 && errno == EINTR) continue;
        else return -1;
    }
    return 0;
}
