/* Comparison backends: the same problem as a registry op, run through a
 * library a deployment would use (OpenBLAS sgemm, oneDNN conv / matmul /
 * depthwise in f32 and u8s8 int8), so the built-in kernels can be read
 * against them side by side. Each library is optional at build time
 * (QB_WITH_OPENBLAS, QB_WITH_ONEDNN): a backend that was not compiled in is
 * reported as such, never an error at build time. */
#ifndef QB_BACKEND_H
#define QB_BACKEND_H

#include "op.h"

#include <stdbool.h>

struct cJSON;

typedef struct {
    const char *backend; /* "openblas", "onednn" */
    const char *op;      /* registry op name */
    bool (*supports)(const qb_variant *v);
    /* Same shape keys and inputs semantics as the op; verify() compares the
     * library's output with the built-in kernel's (itself verified against the
     * scalar reference) or with a scalar reference: fp32 relative tolerance,
     * int8 within 1 LSB (the library rounds ties its own way). */
    int (*create)(const qb_op_desc *op, const qb_shape *s, const qb_variant *v, qb_op_instance **out);
    int (*run)(qb_op_instance *inst);
    int (*verify)(qb_op_instance *inst, double *max_err, bool *ok);
    void (*destroy)(qb_op_instance *inst);
    int (*describe)(qb_op_instance *inst, struct cJSON *params);
} qb_backend_impl;

/* "builtin", "openblas", "onednn" */
#define QB_BACKEND_MAX 3
extern const char *const qb_backend_names[QB_BACKEND_MAX];

/* Was the library compiled in? builtin always is. */
bool qb_backend_available(const char *name);
/* "OpenBLAS 0.3.21 (Haswell, pthreads)" / "oneDNN 2.6.3 (cpu runtime OMP)", or why not available. */
const char *qb_backend_version(const char *name);

/* The implementation of op for a variant, or NULL (with *why set) when the
 * backend has none (no such op, dtype or quantization there). */
const qb_backend_impl *qb_backend_find(const char *backend, const char *op, const qb_variant *v,
                                       const char **why);

/* The per-library tables (defined empty when the library is not compiled in). */
extern const qb_backend_impl qb_backend_openblas[];
extern const int qb_backend_openblas_n;
extern const qb_backend_impl qb_backend_onednn[];
extern const int qb_backend_onednn_n;
bool qb_backend_openblas_available(void);
bool qb_backend_onednn_available(void);
const char *qb_backend_openblas_version(void);
const char *qb_backend_onednn_version(void);

#endif
