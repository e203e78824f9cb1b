/* The pieces of qbench probe storage: the folder under test and the device
 * behind it, the test file, and the three read benchmarks. Every read goes
 * through O_DIRECT, so the page cache never answers one. */
#ifndef QB_STORAGE_H
#define QB_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QB_STORAGE_BLOCK 4096u          /* random-read size and alignment */
#define QB_STORAGE_SEQ_BLOCK (1u << 20) /* sequential-read size */
#define QB_STORAGE_QD 32                /* queue depth of the io_uring benchmark */
/* A rate's median trial further than this from the trials' mean rate is said
 * in a note: the device changed pace within about a trial's length. */
#define QB_STORAGE_SPLIT 0.05

/* What backs a folder: the block device (partition and whole disk, from
 * /sys/dev/block/MAJ:MIN), whether the disk is rotational (-1: unknown), the
 * file system named from statfs's f_type, and the free bytes. */
typedef struct {
    char device[64];  /* the device st_dev names, e.g. vda1; "unknown" */
    char disk[64];    /* the whole disk it belongs to, e.g. vda */
    int rotational;
    char fs_type[32];
    unsigned long fs_magic;
    unsigned long long free_bytes;
} qb_storage_dev;

/* Check that dir is an existing, writable folder on a file system with
 * O_DIRECT, and describe it. Fails with QB_EUSAGE and a one-line message
 * naming dir otherwise (tmpfs, read-only, not a folder, missing). */
int qb_storage_dev_probe(const char *dir, qb_storage_dev *out);

/* The test file: opened O_RDWR | O_DIRECT with a unique name in dir and
 * unlinked at once, so it lives only as long as the descriptor and nothing
 * is left behind whatever ends the process. */
typedef struct {
    int fd;
    size_t size;
    unsigned char *buf; /* QB_STORAGE_SEQ_BLOCK bytes, aligned for O_DIRECT */
} qb_storage_file;

/* Refuses a size above the free space (QB_EUSAGE). */
int qb_storage_file_open(qb_storage_file *f, const char *dir, size_t size,
                         const qb_storage_dev *dev);
/* Write size bytes of non-zero pseudo-random data with O_DIRECT, then
 * fdatasync and drop any cached pages. Checks the interrupt flag between
 * 1 MiB writes (QB_EINTR). */
int qb_storage_file_fill(qb_storage_file *f);
void qb_storage_file_close(qb_storage_file *f);

/* A seeded stream of 4 KiB-aligned offsets inside a file of size bytes. */
typedef struct {
    uint64_t state;
    uint64_t nblocks;
} qb_storage_rng;

void qb_storage_rng_init(qb_storage_rng *r, uint64_t seed, size_t size);
uint64_t qb_storage_rng_offset(qb_storage_rng *r);

/* Random 4 KiB preads at queue depth 1 for at least run_ns: each read's
 * latency in microseconds goes to lat[] while *nlat < cap. Returns the
 * reads done in *reads and their summed time in *total_ns. QB_EINTR when the
 * interrupt flag is set between reads. */
int qb_storage_qd1(const qb_storage_file *f, qb_storage_rng *rng, uint64_t run_ns, double *lat,
                   size_t cap, size_t *nlat, uint64_t *reads, uint64_t *total_ns);

/* Sequential 1 MiB preads from *pos (wrapping at the end of the file) for at
 * least run_ns; bytes read in *bytes and the time taken in *ns. */
int qb_storage_seq(const qb_storage_file *f, size_t *pos, uint64_t run_ns, uint64_t *bytes,
                   uint64_t *ns);

/* Random 4 KiB reads kept QB_STORAGE_QD deep through io_uring. The queue
 * stays full across calls of qb_storage_uring_run, so a run measures a
 * steady state rather than a ramp and a drain. */
typedef struct qb_storage_uring qb_storage_uring;
/* QB_EUNSUPPORTED with the reason when io_uring is missing (not compiled in,
 * or refused by the kernel). */
int qb_storage_uring_open(qb_storage_uring **out, const qb_storage_file *f, uint64_t seed);
/* Reads completed in at least run_ns, and the time taken. */
int qb_storage_uring_run(qb_storage_uring *u, uint64_t run_ns, uint64_t *reads, uint64_t *ns);
/* Waits for the reads in flight, then frees the ring. */
void qb_storage_uring_close(qb_storage_uring *u);

#endif
