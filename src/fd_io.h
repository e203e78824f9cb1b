/* Whole reads and writes on a pipe or file descriptor, retried across signals. */
#ifndef QB_FD_IO_H
#define QB_FD_IO_H

#include <stddef.h>

/* Read exactly n bytes: 0, or -1 on an error or end of file first (errno
 * tells which error; 0 at end of file). */
int qb_read_full(int fd, void *buf, size_t n);

/* Write exactly n bytes: 0, or -1 on an error (errno). */
int qb_write_full(int fd, const void *buf, size_t n);

#endif
