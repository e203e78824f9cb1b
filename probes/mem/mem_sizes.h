/* Working-set sizes of the memory probe: parsing "16K,256K,8M,1G" and the
 * log-spaced sweep with the cache levels' middle points added. */
#ifndef QB_MEM_SIZES_H
#define QB_MEM_SIZES_H

#include <stddef.h>

#define QB_MEM_MIN_BYTES 4096
#define QB_MEM_MAX_SIZES 256

/* One size: a whole number with an optional binary suffix K, M, G (also
 * KB/KiB, MB/MiB, GB/GiB; all powers of 1024). At least QB_MEM_MIN_BYTES. */
int qb_mem_parse_size(const char *what, const char *word, size_t *out);

/* A comma list of sizes, sorted and without duplicates. */
int qb_mem_parse_sizes(const char *what, const char *list, size_t *out, int max, int *n);

/* Round a size to about five significant bits, so log-spaced points have
 * readable, stable values (e.g. 5.66 KiB -> 5.75 KiB). */
size_t qb_mem_round_size(double bytes);

/* The sweep: per_octave log-spaced points from lo to hi (both included),
 * plus the extra points, sorted and without duplicates. Returns the count. */
int qb_mem_sweep(size_t lo, size_t hi, int per_octave, const size_t *extra, int nextra,
                 size_t *out, int max);

/* A working set past every cache: four times the largest the machine
 * describes, QB_MEM_PAST_CACHES_MIN at least, at a size qb_mem_round_size gives. */
#define QB_MEM_PAST_CACHES_MIN (64UL << 20)
size_t qb_mem_past_caches_bytes(void);

#endif
