/* Whole-file writes that never leave a half-written file behind. */
#ifndef QB_ATOMIC_FILE_H
#define QB_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Write data to path through a temporary file in the same directory, fsync it and rename. */
int qb_write_file_atomic(const char *path, const char *data, size_t len);

/* Let render(f, arg) print into memory, then write what it printed to path as
 * qb_write_file_atomic does. A render that fails (its qb_fail status) leaves
 * path as it was. */
int qb_write_file_rendered(const char *path, int (*render)(FILE *f, const void *arg), const void *arg);

/* Read a whole file into a NUL-terminated buffer (caller frees). Limit in bytes. */
int qb_read_file(const char *path, size_t limit, char **out, size_t *len);

#endif
