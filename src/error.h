/* One error convention for all of qbench: a function returns 0 (QB_OK) or a
 * negative QB_E* code, and records a one-line detail with qb_fail(). The CLI
 * prints "qbench: <detail>" and maps the code to an exit status. */
#ifndef QB_ERROR_H
#define QB_ERROR_H

enum {
    QB_OK = 0,
    QB_EUSAGE = -1,       /* bad command line: unknown word, malformed number */
    QB_EINPUT = -2,       /* bad input file or value: schema, truncated, absurd size */
    QB_ENOMEM = -3,       /* allocation failed or the request does not fit in memory */
    QB_EIO = -4,          /* file system or system call failed */
    QB_EUNSUPPORTED = -5, /* the CPU or OS lacks what was asked for */
    QB_EINTERNAL = -6,    /* a bug: an invariant did not hold */
    QB_EINTR = -7,        /* interrupted by a signal; partial results were kept */
    QB_EREGRESSION = -8,  /* compare found a significant regression */
};

/* Positive return of a command that has already done everything (e.g. printed --help). */
#define QB_DONE 1

const char *qb_strerror(int code);

/* Record a detail message for the current thread and return code. */
int qb_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The detail of the last qb_fail() on this thread, or qb_strerror of code if none. */
const char *qb_last_error(int code);

void qb_clear_error(void);

/* Exit status for a code: 0 ok, 1 regression, 2 usage/input/other errors, 130 interrupted. */
int qb_exit_status(int code);

#endif
