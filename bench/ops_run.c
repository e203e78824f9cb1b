/* The operator measuring loop (ops_run.h): for each op and thread count, the
 * selected variants are created together, checked against their reference,
 * and timed in interleaved rounds (pooled.h), so a slow spell of the shared
 * host does not land on one dtype only. */
#include "ops_run.h"

#include "backend.h"
#include "core_distance.h"
#include "core_share.h"
#include "defaults.h"
#include "error.h"
#include "gemm.h"
#include "interrupt.h"
#include "op.h"
#include "output.h"
#include "pin.h"
#include "pooled.h"
#include "suite.h"
#include "quant.h"
#include "timer.h"
#include "cpu_features.h"
#include "sysinfo.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qb_ops_opts_init(qb_ops_opts *o)
{
    memset(o, 0, sizeof *o);
    o->verify = true;
}

#define MAXV 64 /* variants of one op and thread count */

typedef struct {
    qb_variant v;
    const char *backend;
    const qb_backend_impl *impl; /* NULL for builtin */
    qb_op_instance *inst;
    qb_record *rec;
    qb_pooled pooled;
    long reps; /* runs per trial */
    double ops, bytes;
    double padding_ops; /* of ops, those on zero padding (qb_op_desc.padding_ops) */
    int shared; /* trials that found a core shared (core_share.h) */
    int distance_checks, far; /* trials whose threads were checked, and found far apart (core_distance.h) */
    double far_rt;            /* the slowest round trip of a far trial, ns */
    double near_rt;           /* the fastest round trip seen, as of the last check, ns */
} variant;

typedef struct {
    const qb_op_desc *op;
    variant *var;
    bool cold; /* evict the caches before each trial */
} trial_ctx;

/* The buffer a cold trial streams through first: twice the largest cache
 * the machine describes, at least QB_OPS_COLD_MIN_BYTES, so none of an
 * operator's data is left in any cache. Allocated once, on first use. */
static float *cold_buf;
static size_t cold_n;

static size_t cold_bytes(void)
{
    const double b = 2.0 * (double)qb_sysinfo_largest_cache_bytes();
    return (size_t)(b > (double)QB_OPS_COLD_MIN_BYTES ? b : (double)QB_OPS_COLD_MIN_BYTES);
}

static int cold_prepare(void)
{
    if (cold_buf) return QB_OK;
    cold_n = cold_bytes() / sizeof(float);
    cold_buf = malloc(cold_n * sizeof(float));
    if (!cold_buf) return qb_fail(QB_ENOMEM, "out of memory for the %zu MiB cache-eviction buffer", (cold_n * 4) >> 20);
    for (size_t i = 0; i < cold_n; i++) cold_buf[i] = (float)i;
    return QB_OK;
}

/* Read and write every line of the eviction buffer: what the operator left
 * in the caches is pushed out (dirty lines written back) before the clock
 * starts. */
static void cold_evict(void)
{
    for (size_t i = 0; i < cold_n; i += 16) cold_buf[i] += 1.0f;
    __asm__ volatile("" : : "r"(cold_buf) : "memory");
}

/* What a call costs before it does any work: an empty parallel region on
 * the call's threads (every kernel opens one), the fastest of a few batches,
 * in ns per call. Measured once per thread count and process: every variant
 * on those threads pays the same. */
static double empty_call_ns(int threads)
{
    enum { CALLS = 200, BATCHES = 5, MAXT = 256 };
    static double known[MAXT];
    if (threads >= 1 && threads < MAXT && known[threads] > 0) return known[threads];
    double best = INFINITY;
    for (int b = 0; b < BATCHES; b++) {
        const uint64_t t0 = qb_now_ns();
        for (int i = 0; i < CALLS; i++) {
#pragma omp parallel num_threads(threads)
            __asm__ volatile("" ::: "memory");
        }
        const double ns = (double)(qb_now_ns() - t0) / CALLS;
        if (ns < best) best = ns;
    }
    if (threads >= 1 && threads < MAXT) known[threads] = best;
    return best;
}

static int run_once(const qb_op_desc *op, variant *x)
{
    return x->impl ? x->impl->run(x->inst) : op->run(x->inst);
}

/* One trial: reps runs back to back; the time of one run. On several
 * threads, a trial right beside a check that found a core shared is
 * dropped: the host's doing, not the op's. */
static int ops_trial(void *vctx, double v[2])
{
    trial_ctx *c = vctx;
    if (c->cold) cold_evict();
    const uint64_t t0 = qb_now_ns();
    for (long i = 0; i < c->var->reps; i++) {
        int rc = run_once(c->op, c->var);
        if (rc) return rc;
    }
    const double s = (double)(qb_now_ns() - t0) * 1e-9 / (double)c->var->reps;
    v[0] = s;
    if (c->var->v.threads >= 2 && qb_core_shared(qb_core_share_speed(c->var->v.threads))) {
        c->var->shared++;
        return QB_TRIAL_DROP;
    }
    /* far apart is a state of minutes: the trial is kept and the record says so */
    if (c->var->v.threads >= 2) {
        const double rt = qb_core_round_trip_ns(c->var->v.threads, &c->var->near_rt);
        if (isfinite(rt)) c->var->distance_checks++;
        if (qb_core_far(rt, c->var->near_rt)) {
            c->var->far++;
            if (rt > c->var->far_rt) c->var->far_rt = rt;
        }
    }
    return QB_OK;
}

/* ---- selection lists ------------------------------------------------------ */

static bool selected(const qb_op_desc *const *ops, int nops, const qb_op_desc *d)
{
    for (int j = 0; j < nops; j++)
        if (ops[j] == d) return true;
    return false;
}

/* ops has room for `cap` entries, at least the registry's size: each operator
 * is selected once however many words (names or classes) name it. */
static int select_ops(const char *list, const qb_op_desc **ops, int cap, int *nops)
{
    *nops = 0;
    if (!list || strcmp(list, "all") == 0) {
        for (int i = 0; qb_op_table[i] && *nops < cap; i++) ops[(*nops)++] = qb_op_table[i];
        return QB_OK;
    }
    char buf[1024], *w[64];
    const int n = qb_split_words("--op", list, buf, sizeof buf, w, 64);
    if (n < 0) return n;
    for (int i = 0; i < n; i++) {
        if (strcmp(w[i], "compute") == 0 || strcmp(w[i], "memory") == 0) {
            for (int j = 0; qb_op_table[j] && *nops < cap; j++)
                if (strcmp(qb_op_table[j]->klass, w[i]) == 0 && !selected(ops, *nops, qb_op_table[j]))
                    ops[(*nops)++] = qb_op_table[j];
            continue;
        }
        const qb_op_desc *d = qb_op_find(w[i]);
        if (!d) return qb_fail(QB_EUSAGE, "--op: unknown operator '%s' (qbench list shows them)", w[i]);
        if (selected(ops, *nops, d)) continue;
        if (*nops == cap) return qb_fail(QB_EUSAGE, "--op: more than %d operators", cap);
        ops[(*nops)++] = d;
    }
    return QB_OK;
}

static int select_dtypes(const char *list, bool *sel)
{
    char buf[256], *w[8];
    const int n = qb_split_words("--dtype", list, buf, sizeof buf, w, 8);
    if (n < 0) return n;
    memset(sel, 0, QB_NDTYPES * sizeof *sel);
    for (int i = 0; i < n; i++) {
        int d = -1;
        for (int k = 0; k < QB_NDTYPES; k++)
            if (strcmp(w[i], qb_dtype_name((qb_dtype)k)) == 0) d = k;
        if (d < 0) return qb_fail(QB_EUSAGE, "--dtype: unknown data type '%s' (fp32, fp16, int8)", w[i]);
        sel[d] = true;
    }
    return QB_OK;
}

static int select_quants(const char *list, bool *sel)
{
    char buf[256], *w[8];
    const int n = qb_split_words("--quant", list, buf, sizeof buf, w, 8);
    if (n < 0) return n;
    memset(sel, 0, 3 * sizeof *sel);
    for (int i = 0; i < n; i++) {
        qb_qgran g;
        if (qb_qgran_parse(w[i], &g) || g == QB_QNONE)
            return qb_fail(QB_EUSAGE, "--quant: unknown granularity '%s' (per-tensor, per-channel)", w[i]);
        sel[g] = true;
    }
    return QB_OK;
}

static int select_policies(const char *list, bool *sel)
{
    memset(sel, 0, 4 * sizeof *sel);
    if (strcmp(list, "all") == 0) {
        sel[QB_SYMMETRIC] = sel[QB_ASYMMETRIC] = sel[QB_POW2] = true;
        return QB_OK;
    }
    char buf[256], *w[8];
    const int n = qb_split_words("--policy", list, buf, sizeof buf, w, 8);
    if (n < 0) return n;
    for (int i = 0; i < n; i++) {
        qb_qpolicy p;
        if (qb_qpolicy_parse(w[i], &p) || p == QB_PNONE)
            return qb_fail(QB_EUSAGE, "--policy: unknown policy '%s' (symmetric, asymmetric, pow2)", w[i]);
        sel[p] = true;
    }
    return QB_OK;
}

static int select_backends(const char *list, bool *sel)
{
    memset(sel, 0, QB_BACKEND_MAX * sizeof *sel);
    if (strcmp(list, "all") == 0) {
        for (int k = 0; k < QB_BACKEND_MAX; k++) sel[k] = qb_backend_available(qb_backend_names[k]);
        return QB_OK;
    }
    char buf[256], *w[8];
    const int n = qb_split_words("--backend", list, buf, sizeof buf, w, 8);
    if (n < 0) return n;
    for (int i = 0; i < n; i++) {
        int b = -1;
        for (int k = 0; k < QB_BACKEND_MAX; k++)
            if (strcmp(w[i], qb_backend_names[k]) == 0) b = k;
        if (b < 0) return qb_fail(QB_EUSAGE, "--backend: unknown backend '%s' (builtin, openblas, onednn)", w[i]);
        if (!qb_backend_available(w[i]))
            return qb_fail(QB_EUNSUPPORTED, "--backend %s: %s", w[i], qb_backend_version(w[i]));
        sel[b] = true;
    }
    return QB_OK;
}

/* ---- one op, one thread count -------------------------------------------- */

static void shape_text(const qb_shape *s, char *buf, size_t cap)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->n && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%ld", i ? "," : "", s->v[i]);
}

static int describe(const qb_op_desc *op, const qb_shape *s, const qb_ops_opts *o, variant *x)
{
    qb_record *r = x->rec;
    int rc = qb_record_param_str(r, "op", op->name);
    if (!rc) rc = qb_record_param_str(r, "class", op->klass);
    if (!rc) rc = qb_record_param_str(r, "dtype", qb_dtype_name(x->v.dtype));
    if (!rc) rc = qb_record_param_str(r, "quant", qb_qgran_name(x->v.gran));
    if (!rc) rc = qb_record_param_str(r, "policy", qb_qpolicy_name(x->v.policy));
    if (!rc) rc = qb_record_param_num(r, "threads", x->v.threads);
    if (!rc) rc = qb_record_param_str(r, "backend", x->backend);
    if (!rc && o->tag) rc = qb_record_param_str(r, "size", o->tag);
    if (!rc && o->footprint > 0) rc = qb_record_param_num(r, "footprint_target_bytes", o->footprint);
    char st[256];
    shape_text(s, st, sizeof st);
    if (!rc) rc = qb_record_param_str(r, "shape", st);
    if (!rc) rc = qb_record_param_str(r, "shape_keys", op->shape_keys);
    /* one number per key */
    const char *k = op->shape_keys;
    for (int i = 0; i < s->n && k && !rc; i++) {
        char key[32];
        const size_t len = strcspn(k, ",");
        snprintf(key, sizeof key, "%.*s", (int)len, k);
        rc = qb_record_param_num(r, key, (double)s->v[i]);
        k = k[len] ? k + len + 1 : NULL;
    }
    if (rc) return rc;
    if (x->impl && x->impl->describe) return x->impl->describe(x->inst, r->params);
    if (!x->impl && op->describe) return op->describe(x->inst, r->params);
    return QB_OK;
}

/* Create, warm up, verify and size one variant. */
static int prepare(const qb_op_desc *op, const qb_shape *s, const qb_ops_opts *o, variant *x)
{
    int rc = x->impl ? x->impl->create(op, s, &x->v, &x->inst) : op->create(s, &x->v, &x->inst);
    if (rc) return rc;
    x->ops = op->ops(s);
    x->padding_ops = op->padding_ops ? op->padding_ops(s) : 0;
    x->bytes = op->bytes(s, &x->v);
    const uint64_t t0 = qb_now_ns();
    rc = run_once(op, x);
    if (rc) return rc;
    const double first = (double)(qb_now_ns() - t0) * 1e-9;
    rc = describe(op, s, o, x);
    if (rc) return rc;
    /* where a many-step operator's time goes: once, with the checks */
    if (o->verify && !x->impl && op->phases && (rc = op->phases(x->inst, x->rec->params))) return rc;
    if (o->verify) {
        double err = 0;
        bool ok = false;
        rc = x->impl ? x->impl->verify(x->inst, &err, &ok) : op->verify(x->inst, &err, &ok);
        if (rc) return rc;
        cJSON_AddBoolToObject(x->rec->params, "verified", ok);
        qb_record_param_num(x->rec, "max_err", err);
        qb_record_param_str(x->rec, "max_err_unit",
                            x->v.dtype == QB_INT8 ? "LSB" : "relative to the largest output");
        if (!ok && x->impl) {
            /* a library rounding its own way (oneDNN's AVX2 int8 halves the
             * weights to dodge vpmaddubsw saturation) is a finding, not a bug */
            qb_record_note(x->rec, "differs from the built-in kernel by %g %s: the library's own arithmetic", err,
                           x->v.dtype == QB_INT8 ? "LSB" : "(relative)");
        } else if (!ok) {
            qb_record_note(x->rec, "WRONG RESULT: differs from the scalar reference by %g %s", err,
                           x->v.dtype == QB_INT8 ? "LSB" : "(relative)");
            fprintf(stderr, "qbench ops: %s differs from its reference by %g\n", x->rec->id, err);
        }
    }
    /* A trial repeats the op to last QB_OPS_TRIAL_MIN_S; a second run times
     * it warm to size the trial. A first call of twice that minimum already
     * settles it (one run per trial, whatever the warm call takes), and on a
     * 16 M-element operator the second call was a tenth of the time spent
     * preparing it. */
    double one = first;
    if (first < 2 * QB_OPS_TRIAL_MIN_S_DEFAULT && !o->cold) {
        const uint64_t t1 = qb_now_ns();
        rc = run_once(op, x);
        if (rc) return rc;
        const double second = (double)(qb_now_ns() - t1) * 1e-9;
        if (second < one) one = second;
    }
    x->reps = one >= QB_OPS_TRIAL_MIN_S_DEFAULT ? 1 : (long)(QB_OPS_TRIAL_MIN_S_DEFAULT / (one > 1e-9 ? one : 1e-9)) + 1;
    if (x->reps > QB_OPS_TRIAL_MAX_RUNS) x->reps = QB_OPS_TRIAL_MAX_RUNS;
    if (o->cold) x->reps = 1; /* a second run would find the caches warm */
    qb_record_param_num(x->rec, "runs_per_trial", (double)x->reps);
    if (o->cold) {
        char what[96];
        snprintf(what, sizeof what, "cold: %zu MiB streamed through before each sample, outside the timed interval",
                 (cold_n * sizeof(float)) >> 20);
        rc = qb_record_param_str(x->rec, "cache", what);
    } else {
        rc = qb_record_param_str(x->rec, "cache", "warm: the sample's calls follow a call on the same data");
    }
    if (rc) return rc;
    /* A call's fixed cost beside its time, so a short call's figure can be
     * read for what it is (the roofline's far-below note uses it). */
    qb_record_param_num(x->rec, "empty_call_ns", round(empty_call_ns(x->v.threads)));
    return QB_OK;
}

static int finish(const qb_op_desc *op, variant *x, const qb_rep_policy *pol)
{
    qb_record *r = x->rec;
    if (x->pooled.n == 0) return qb_record_note(r, "interrupted before it was measured");
    int rc = qb_pooled_record(r, "time", "s", QB_BETTER_LOWER, &x->pooled, pol->target_cv);
    if (rc) return rc;
    /* every time sample gives a rate sample, so compare tests the rates as it
     * tests the time, and each rate is its work over the reported time (found
     * again each time: adding a metric moves the record's metrics) */
    if (x->ops > 0)
        rc = qb_record_rate_metric(r, "gops", "GOP/s", QB_BETTER_HIGHER, qb_record_find_metric(r, "time"),
                                   x->ops * 1e-9);
    else rc = qb_record_metric(r, "gops", "GOP/s", QB_BETTER_HIGHER, 0.0);
    if (!rc) rc = qb_record_rate_metric(r, "bandwidth", "GB/s", QB_BETTER_HIGHER, qb_record_find_metric(r, "time"),
                                        x->bytes * 1e-9);
    if (!rc) rc = qb_record_metric(r, "ops", "op", QB_BETTER_NONE, x->ops);
    if (!rc) rc = qb_record_metric(r, "bytes", "B", QB_BETTER_NONE, x->bytes);
    if (!rc && x->padding_ops > 0) rc = qb_record_metric(r, "padding_ops", "op", QB_BETTER_NONE, x->padding_ops);
    if (!rc && x->shared > 0)
        rc = qb_record_note(r,
                            "%d trials found a thread's core shared (an FMA check beside the trial ran below "
                            "%.0f%% of an unshared core: two vCPUs on one physical core, or a busy SMT "
                            "sibling) and were dropped like preempted ones (at most %d drops per "
                            "measurement, then trials are kept)",
                            x->shared, 100 * QB_CORE_SHARED_SPEED, pol->max_dropped);
    if (!rc && x->far > 0)
        rc = qb_record_note(r,
                            "%d of %d trials ran with the threads' vCPUs far apart (a cache line's round trip "
                            "between them up to %.0f ns, against %.0f ns at best): data passed between threads "
                            "costs more then, so the host decides part of this figure",
                            x->far, x->distance_checks, x->far_rt, x->near_rt);
    if (!rc && strcmp(op->klass, "memory") == 0)
        rc = qb_record_host_shared(r, x->v.threads, "a memory-bound operator");
    return rc;
}

static void destroy_variant(const qb_op_desc *op, variant *x)
{
    if (x->inst) {
        if (x->impl) x->impl->destroy(x->inst);
        else op->destroy(x->inst);
    }
    x->inst = NULL;
    qb_pooled_free(&x->pooled);
}

typedef struct {
    bool dt[QB_NDTYPES], gran[3], pol[4], be[QB_BACKEND_MAX];
} selection;

/* The variants of op at one thread count, in table order: backend, then
 * dtype, then granularity, then policy. */
static int list_variants(const qb_op_desc *op, const selection *sel, int threads, const char *isa, const char *tag,
                         bool cold,
                         qb_results *res, cJSON *unavailable, variant *var, int *nvar)
{
    *nvar = 0;
    for (int b = 0; b < QB_BACKEND_MAX; b++) {
        if (!sel->be[b]) continue;
        for (int d = 0; d < QB_NDTYPES; d++) {
            if (!sel->dt[d]) continue;
            for (int g = 0; g < 3; g++) {
                if (d == QB_INT8 ? (g == QB_QNONE || !sel->gran[g]) : g != QB_QNONE) continue;
                if (g == QB_PER_CHANNEL && !op->per_channel) continue;
                for (int p = 0; p < 4; p++) {
                    if (d == QB_INT8 ? (p == QB_PNONE || !sel->pol[p]) : p != QB_PNONE) continue;
                    if (*nvar >= MAXV) return qb_fail(QB_EUSAGE, "too many variants of %s", op->name);
                    variant *x = &var[*nvar];
                    memset(x, 0, sizeof *x);
                    x->v = (qb_variant){.dtype = (qb_dtype)d, .gran = (qb_qgran)g,
                                        .policy = (qb_qpolicy)p, .threads = threads, .isa = isa};
                    x->backend = qb_backend_names[b];
                    char name[160];
                    snprintf(name, sizeof name, "%s/%s/%s/%s%s%s/t%d%s%s", op->name, qb_dtype_name(x->v.dtype),
                             qb_qgran_name(x->v.gran), qb_qpolicy_name(x->v.policy), b ? "@" : "",
                             b ? x->backend : "", threads, tag ? "/" : "", tag ? tag : "");
                    if (cold) snprintf(name + strlen(name), sizeof name - strlen(name), "/cold");
                    if (b) {
                        const char *why;
                        x->impl = qb_backend_find(x->backend, op->name, &x->v, &why);
                        if (!x->impl) {
                            /* one line per op, backend and reason */
                            char msg[256];
                            snprintf(msg, sizeof msg, "%s %s@%s: %s", op->name, qb_dtype_name(x->v.dtype),
                                     x->backend, why);
                            bool seen = false;
                            const cJSON *u;
                            cJSON_ArrayForEach(u, unavailable) seen |= strcmp(u->valuestring, msg) == 0;
                            if (!seen) cJSON_AddItemToArray(unavailable, cJSON_CreateString(msg));
                            continue;
                        }
                    }
                    x->rec = qb_results_add(res, "ops", name);
                    if (!x->rec) return QB_ENOMEM;
                    (*nvar)++;
                }
            }
        }
    }
    return QB_OK;
}

/* prepare(), its error naming the variant's record. */
static int prepare_named(const qb_op_desc *op, const qb_shape *s, const qb_ops_opts *o, variant *x)
{
    const int rc = prepare(op, s, o, x);
    if (!rc) return QB_OK;
    char msg[400];
    snprintf(msg, sizeof msg, "%s", qb_last_error(rc));
    return qb_fail(rc, "%s: %s", x->rec->id, msg);
}

/* One round of a prepared variant, added to its pooled samples. */
static int measure_variant(const qb_op_desc *op, variant *x, const qb_ops_opts *o, const qb_rep_policy *pol)
{
    trial_ctx c = {.op = op, .var = x, .cold = o->cold};
    qb_rep_result r;
    int rc = qb_repeat(pol, ops_trial, &c, &r);
    if (rc) return rc;
    rc = qb_pooled_add(&x->pooled, &r);
    qb_rep_result_free(&r);
    return rc;
}

static int measure_group(const qb_op_desc *op, const qb_shape *s, const selection *sel, int threads,
                         const qb_ops_opts *o, const qb_rep_policy *pol, qb_results *res,
                         cJSON *unavailable)
{
    variant *var = calloc(MAXV, sizeof *var);
    if (!var) return qb_fail(QB_ENOMEM, "out of memory");
    int nvar = 0;
    int rc = o->cold ? cold_prepare() : QB_OK;
    if (!rc) rc = list_variants(op, sel, threads, o->isa, o->tag, o->cold, res, unavailable, var, &nvar);
    /* With one round there is nothing to interleave: each variant is made,
     * measured and freed in turn, so only one holds memory at a time (the
     * quick suite's passes interleave instead). */
    if (pol->rounds <= 1) {
        for (int i = 0; i < nvar && rc == QB_OK; i++) {
            if (!qb_interrupted()) {
                qb_progress("ops: %s: %s", op->name, var[i].rec->id);
                rc = prepare_named(op, s, o, &var[i]);
                if (rc == QB_OK) rc = measure_variant(op, &var[i], o, pol);
            }
            /* an interrupted variant's record says so (finish) */
            if (rc == QB_OK) rc = finish(op, &var[i], pol);
            destroy_variant(op, &var[i]);
        }
        for (int i = 0; i < nvar; i++) destroy_variant(op, &var[i]);
        free(var);
        return rc;
    }
    for (int i = 0; i < nvar && rc == QB_OK && !qb_interrupted(); i++) {
        qb_progress("ops: %s: preparing %s", op->name, var[i].rec->id);
        rc = prepare_named(op, s, o, &var[i]);
    }
    for (int round = 0; round < pol->rounds && rc == QB_OK && !qb_interrupted(); round++) {
        for (int i = 0; i < nvar && rc == QB_OK && !qb_interrupted(); i++) {
            if (!var[i].inst) continue;
            qb_progress("ops: round %d/%d: %s", round + 1, pol->rounds, var[i].rec->id);
            rc = measure_variant(op, &var[i], o, pol);
        }
    }
    for (int i = 0; i < nvar; i++) {
        if (rc == QB_OK) rc = finish(op, &var[i], pol);
        destroy_variant(op, &var[i]);
    }
    free(var);
    return rc;
}

static int record_settings(qb_results *res, const qb_ops_opts *o, const selection *sel, cJSON **unavailable)
{
    cJSON *s = cJSON_GetObjectItemCaseSensitive(res->settings, "ops");
    if (!s) s = cJSON_AddObjectToObject(res->settings, "ops");
    if (!s) return QB_ENOMEM;
    cJSON_DeleteItemFromObjectCaseSensitive(s, "trial_min_s");
    cJSON_AddNumberToObject(s, "trial_min_s", QB_OPS_TRIAL_MIN_S_DEFAULT);
    cJSON_DeleteItemFromObjectCaseSensitive(s, "verify");
    cJSON_AddBoolToObject(s, "verify", o->verify);
    cJSON_DeleteItemFromObjectCaseSensitive(s, "isa");
    cJSON_AddStringToObject(s, "isa", o->isa ? o->isa : "auto");
    cJSON *be = cJSON_CreateObject();
    for (int b = 0; b < QB_BACKEND_MAX; b++) {
        cJSON *one = cJSON_AddObjectToObject(be, qb_backend_names[b]);
        cJSON_AddBoolToObject(one, "compiled_in", qb_backend_available(qb_backend_names[b]));
        cJSON_AddBoolToObject(one, "selected", sel->be[b]);
        cJSON_AddStringToObject(one, "version", qb_backend_version(qb_backend_names[b]));
    }
    cJSON_DeleteItemFromObjectCaseSensitive(s, "backends");
    cJSON_AddItemToObject(s, "backends", be);
    cJSON_DeleteItemFromObjectCaseSensitive(s, "fp16");
    cJSON_AddStringToObject(s, "fp16", qb_cpu_has("avx512fp16")
                                           ? "binary16 storage converted with F16C, fp32 arithmetic: these kernels compute fp16 in fp32 (AVX512-FP16 unused)"
                                           : "binary16 storage converted with F16C, fp32 arithmetic: this CPU has no FP16 arithmetic (no AVX512-FP16)");
    *unavailable = cJSON_GetObjectItemCaseSensitive(s, "unavailable");
    if (!*unavailable) *unavailable = cJSON_AddArrayToObject(s, "unavailable");
    return *unavailable ? QB_OK : QB_ENOMEM;
}

/* An op's shape: --shape or its default, or, with a footprint, a memory-bound
 * op's default scaled to that many bytes for the one selected dtype. */
static int op_shape(const qb_op_desc *op, const qb_ops_opts *o, const selection *sel, qb_shape *s)
{
    if (!(o->footprint > 0) || strcmp(op->klass, "memory") != 0) return qb_op_shape(op, o->shape, s);
    int d = 0, nd = 0;
    for (int i = 0; i < QB_NDTYPES; i++)
        if (sel->dt[i]) {
            d = i;
            nd++;
        }
    if (nd != 1) return qb_fail(QB_EINTERNAL, "a footprint is sized for one dtype at a time");
    const qb_variant v = {.dtype = (qb_dtype)d, .gran = d == QB_INT8 ? QB_PER_TENSOR : QB_QNONE,
                          .policy = d == QB_INT8 ? QB_SYMMETRIC : QB_PNONE, .threads = 1};
    return qb_op_shape_for_bytes(op, &v, o->footprint, s);
}

int qb_ops_measure(qb_results *res, const qb_ops_opts *o, const qb_rep_policy *pol)
{
    const qb_op_desc *ops[QB_MAX_OPS];
    int nops = 0;
    selection sel;
    int rc = select_ops(o->ops, ops, QB_MAX_OPS, &nops);
    if (!rc) rc = select_dtypes(o->dtypes ? o->dtypes : QB_OPS_DTYPES_DEFAULT, sel.dt);
    if (!rc) rc = select_quants(o->quants ? o->quants : QB_OPS_QUANTS_DEFAULT, sel.gran);
    if (!rc) rc = select_policies(o->policies ? o->policies : QB_OPS_POLICIES_DEFAULT, sel.pol);
    if (!rc) rc = select_backends(o->backends ? o->backends : QB_OPS_BACKENDS_DEFAULT, sel.be);
    if (rc) return rc;
    if (o->shape && nops != 1) return qb_fail(QB_EUSAGE, "--shape needs exactly one --op (the keys differ per operator)");
    qb_gemm_isa isa;
    rc = qb_gemm_isa_parse(o->isa, &isa);
    if (rc) return rc;
    int threads[32], nthreads = 0;
    if (o->nthreads > 0) {
        for (int i = 0; i < o->nthreads && i < 32; i++) threads[nthreads++] = o->threads[i];
    } else {
        if (!o->quick || qb_cpu_count() == 1) threads[nthreads++] = 1;
        if (qb_cpu_count() > 1) threads[nthreads++] = qb_cpu_count();
    }
    /* every shape is parsed and checked before anything is allocated */
    qb_shape *shapes = calloc((size_t)nops, sizeof *shapes);
    if (!shapes) return qb_fail(QB_ENOMEM, "out of memory");
    for (int i = 0; i < nops && rc == QB_OK; i++) rc = op_shape(ops[i], o, &sel, &shapes[i]);
    cJSON *unavailable = NULL;
    if (!rc) rc = record_settings(res, o, &sel, &unavailable);
    cpu_set_t saved;
    bool pinned = false;
    if (!rc) {
        int maxt = 1;
        for (int i = 0; i < nthreads; i++) maxt = threads[i] > maxt ? threads[i] : maxt;
        rc = qb_pin_team(maxt, &saved);
        pinned = rc == QB_OK;
    }
    if (!rc) qb_spin_ns(20000000ull);
    for (int i = 0; i < nops && rc == QB_OK && !qb_interrupted(); i++)
        for (int t = 0; t < nthreads && rc == QB_OK && !qb_interrupted(); t++)
            rc = measure_group(ops[i], &shapes[i], &sel, threads[t], o, pol, res, unavailable);
    qb_progress_done();
    if (pinned) qb_unpin_self(&saved);
    free(shapes);
    if (rc == QB_OK && qb_interrupted()) rc = qb_fail(QB_EINTR, "qbench ops: interrupted");
    return rc;
}

int qb_ops_parse_cache(const char *what, const char *list, bool *warm, bool *cold)
{
    *warm = !list;
    *cold = false;
    if (!list) return QB_OK;
    char buf[64], *w[4];
    const int n = qb_split_words(what, list, buf, sizeof buf, w, 4);
    if (n < 0) return n;
    for (int i = 0; i < n; i++) {
        if (strcmp(w[i], "warm") == 0) *warm = true;
        else if (strcmp(w[i], "cold") == 0) *cold = true;
        else return qb_fail(QB_EUSAGE, "%s: '%s' is not warm or cold", what, w[i]);
    }
    return QB_OK;
}

int qb_ops_measure_caches(qb_results *res, const qb_ops_opts *o, const qb_rep_policy *pol, bool warm, bool cold)
{
    qb_ops_opts one = *o;
    int rc = QB_OK;
    if (warm) {
        one.cold = false;
        rc = qb_ops_measure(res, &one, pol);
    }
    if (cold && rc == QB_OK) {
        one.cold = true;
        rc = qb_ops_measure(res, &one, pol);
    }
    return rc;
}
