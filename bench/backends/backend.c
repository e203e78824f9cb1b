/* Backend lookup: which libraries are compiled in and what each can run. */
#include "backend.h"

#include <string.h>

const char *const qb_backend_names[QB_BACKEND_MAX] = {"builtin", "openblas", "onednn"};

bool qb_backend_available(const char *name)
{
    if (strcmp(name, "builtin") == 0) return true;
    if (strcmp(name, "openblas") == 0) return qb_backend_openblas_available();
    if (strcmp(name, "onednn") == 0) return qb_backend_onednn_available();
    return false;
}

const char *qb_backend_version(const char *name)
{
    if (strcmp(name, "builtin") == 0) return "qbench " QB_VERSION " AVX2/FMA/F16C kernels";
    if (strcmp(name, "openblas") == 0) return qb_backend_openblas_version();
    if (strcmp(name, "onednn") == 0) return qb_backend_onednn_version();
    return "unknown backend";
}

const qb_backend_impl *qb_backend_find(const char *backend, const char *op, const qb_variant *v,
                                       const char **why)
{
    const qb_backend_impl *t = NULL;
    int n = 0;
    if (strcmp(backend, "openblas") == 0) t = qb_backend_openblas, n = qb_backend_openblas_n;
    if (strcmp(backend, "onednn") == 0) t = qb_backend_onednn, n = qb_backend_onednn_n;
    *why = "not compiled in";
    if (!qb_backend_available(backend)) return NULL;
    *why = "no such operator there";
    for (int i = 0; i < n; i++) {
        if (strcmp(t[i].op, op) != 0) continue;
        if (t[i].supports(v)) return &t[i];
        *why = "not in this data type (the oneDNN backend runs fp32 and int8, OpenBLAS sgemm is fp32)";
    }
    return NULL;
}
