/* The operator registry contract: every operator class qbench measures is one
 * entry of one static table (bench/op_table.c), with its FLOP and byte
 * formulas beside its kernels. ops, quant, fuse and roofline read only this. */
#ifndef QB_OP_H
#define QB_OP_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { QB_FP32 = 0, QB_FP16 = 1, QB_INT8 = 2, QB_NDTYPES = 3 } qb_dtype;
typedef enum { QB_QNONE = 0, QB_PER_TENSOR = 1, QB_PER_CHANNEL = 2 } qb_qgran;
typedef enum { QB_PNONE = 0, QB_SYMMETRIC = 1, QB_ASYMMETRIC = 2, QB_POW2 = 3 } qb_qpolicy;

const char *qb_dtype_name(qb_dtype d);     /* "fp32" */
const char *qb_qgran_name(qb_qgran g);     /* "none", "per-tensor", "per-channel" */
const char *qb_qpolicy_name(qb_qpolicy p); /* "none", "symmetric", "asymmetric", "pow2" */
size_t qb_dtype_bytes(qb_dtype d);         /* 4, 2, 1 */

/* A shape is the op's named integer parameters in the order of shape_keys. */
#define QB_SHAPE_MAX 12
typedef struct {
    long v[QB_SHAPE_MAX];
    int n;
} qb_shape;

/* Parse "1,64,56,56" (or "1x64x56x56") into exactly nkeys positive integers. */
int qb_shape_parse(const char *text, int nkeys, qb_shape *out);

/* One benchmark variant of an op. Float dtypes use QB_QNONE/QB_PNONE. */
typedef struct {
    qb_dtype dtype;
    qb_qgran gran;
    qb_qpolicy policy;
    int threads;
    /* Kernel ISA: NULL or "auto" picks the best this CPU has; "avx2" forces
     * the AVX2 path (ops with an AVX512-VNNI int8 path honour it; others
     * ignore it). describe() records which one ran as params "isa". */
    const char *isa;
} qb_variant;

typedef struct qb_op_instance qb_op_instance; /* an op's buffers, private to its file */
struct cJSON;

typedef struct {
    const char *name;          /* "conv", "relu", ... as on the command line */
    const char *klass;         /* "compute" or "memory" */
    const char *summary;
    const char *shape_keys;    /* "N,C,H,W,K,R,S,stride,pad" */
    const char *default_shape; /* from a real network */
    const char *shape_source;  /* "ResNet-50 conv2_x: 3x3 64->64 at 56x56" */
    bool per_channel;          /* has an output-channel axis for per-channel scales */
    /* Reject an absurd shape (zero, overflow, more memory than the machine has). */
    int (*check)(const qb_shape *s);
    /* Operation count: FLOP or integer OP, one multiply-add counts 2. */
    double (*ops)(const qb_shape *s);
    /* Bytes moved: inputs, weights, scales and outputs, each read or written once. */
    double (*bytes)(const qb_shape *s, const qb_variant *v);
    /* Allocate and fill deterministic inputs (and quantization parameters). */
    int (*create)(const qb_shape *s, const qb_variant *v, qb_op_instance **out);
    /* The timed kernel. */
    int (*run)(qb_op_instance *inst);
    /* Compare the kernel's last output with a plain scalar reference on the
     * same inputs: fp32 relative tolerance, fp16 from its precision, int8
     * bit-exact against an integer reference of the same arithmetic.
     * Fills *max_err (relative for floats, absolute LSBs for int8). */
    int (*verify)(qb_op_instance *inst, double *max_err, bool *ok);
    void (*destroy)(qb_op_instance *inst);
    /* ---- optional (NULL allowed); added for qbench ops and qbench quant ----
     * Same inputs across variants: create() draws the op's float inputs from
     * a fixed seed that depends on the shape only, never on the dtype; the
     * fp16 variant converts them and the int8 variant quantizes them (scales
     * chosen from that float data). So output() of an int8 run against
     * output() of the fp32 run of the same shape is the quantization error on
     * the same inputs. */
    /* Number of output elements (what output() writes). */
    size_t (*output_elems)(const qb_shape *s);
    /* The last run's output as float: fp32 copied, fp16 widened, int8
     * dequantized with the output's scale and zero point ((q - zp) * s). */
    int (*output)(qb_op_instance *inst, float *out);
    /* Add what the kernel did to a record's params (a cJSON object): e.g.
     * "isa", "requant", "int16_guard", "weights", "math". */
    int (*describe)(qb_op_instance *inst, struct cJSON *params);
    /* Shape keys that may be 0 (e.g. "pad" of a 1x1 conv), comma-separated;
     * NULL: every key must be positive. */
    const char *zero_keys;
    /* An operator made of several steps times each apart, after a run and
     * outside the timed trials, and adds them to the record's params as
     * "phases" (qb_cq_phases_record): where its time goes, for the roofline's
     * note on an operator far below its roof. */
    int (*phases)(qb_op_instance *inst, struct cJSON *params);
    /* Of ops(), the multiply-adds whose input falls on zero padding (a padded
     * conv's border taps): ops() counts them, as libraries count a conv's
     * work, but a kernel may skip them. Recorded as the metric padding_ops;
     * a kernel that skips them says so in its params (padding_taps). */
    double (*padding_ops)(const qb_shape *s);
} qb_op_desc;

/* The registry: bench/op_table.c lists every op's descriptor (defined in the
 * op's own file), NULL-terminated. */
/* The most operators one selection can hold: more than the registry has
 * (op_table.c asserts it), so a selection never needs more. */
#define QB_MAX_OPS 128

extern const qb_op_desc *const qb_op_table[];
int qb_op_count(void);
/* An op's shape from --shape text (NULL: its default shape): qb_shape_parse's
 * syntax, but the keys in zero_keys may be 0; then op->check. One-line error
 * naming the bad word (QB_EUSAGE malformed, QB_EINPUT absurd). Defined in
 * bench/ops_run_shape.c. */
int qb_op_shape(const qb_op_desc *op, const char *text, qb_shape *out);
/* The op's default shape scaled so that one call of variant v touches about
 * `bytes` bytes by its byte formula (within 10% where the keys allow, always
 * within 2x, else QB_EINPUT): the footprint that puts it in a chosen memory
 * level. Defined in bench/ops_run_shape.c. */
int qb_op_shape_for_bytes(const qb_op_desc *op, const qb_variant *v, double bytes, qb_shape *out);
const qb_op_desc *qb_op_find(const char *name);

#endif
