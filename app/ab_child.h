/* The children of qbench ab: another qbench binary run on one benchmark
 * group, its results in a file, its output kept out of the parent's. */
#ifndef QB_AB_CHILD_H
#define QB_AB_CHILD_H

#include <stddef.h>

/* The qbench binary a --base or --new word names: the word itself when it is
 * an executable file, or its `qbench` when it is a folder (a build folder).
 * QB_EINPUT naming option and the word when there is none. */
int qb_ab_resolve(const char *option, const char *word, char *out, size_t len);

/* Run bin with argv (argv[0] is the program name, NULL-terminated), its
 * standard output discarded and its standard error written to err_path;
 * wait for it. Returns QB_OK when it exited 0, else QB_EINPUT saying how it
 * ended and the last line of its standard error; what names the run in the
 * message ("the base binary on ops/gemm"). */
int qb_ab_run_child(const char *bin, char *const argv[], const char *err_path, const char *what);

#endif
