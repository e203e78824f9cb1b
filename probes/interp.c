/* qb_probe_interp_measure: the cost of one interpreted addition in CPython.
 *
 * libpython is embedded and three small functions are compiled into it, each
 * a loop of the same count over itertools.repeat with a and b local to the
 * function (LOAD_FAST), as the function timeit builds around a statement:
 *   empty:      for _ in repeat(None, n): pass; pass
 *   add-int:    a = 1;   b = 2   then  for _ in repeat(None, n): a + b; pass
 *   add-float:  a = 1.0; b = 2.0 then  for _ in repeat(None, n): a + b; pass
 * (each statement on its own line, as in loop_source below).
 * A trial of an addition calls its loop and the empty loop back to back
 * (in turn first) and times each call: its sample is the difference per
 * iteration, so a slow spell of a shared host, which lasts far longer than
 * the pair, slows both halves instead of one side of the subtraction. The
 * empty loop is also measured alone. All run in interleaved rounds, and each
 * figure is the best round's median. */
#ifdef QB_HAVE_PYTHON
/* Python.h sets feature macros of its own, so it comes before every system header. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#endif

#include "clock.h"
#include "defaults.h"
#include "error.h"
#include "interrupt.h"
#include "output.h"
#include "pin.h"
#include "pooled.h"
#include "probes.h"
#include "suite.h"
#include "timer.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qb_interp_opts_init(qb_interp_opts *o, bool quick)
{
    memset(o, 0, sizeof *o);
    o->quick = quick;
}

#ifndef QB_HAVE_PYTHON

bool qb_probe_interp_available(void) { return false; }

int qb_probe_interp_measure(qb_results *res, const qb_interp_opts *o, const qb_rep_policy *pol)
{
    (void)res, (void)o, (void)pol;
    return qb_fail(QB_EUNSUPPORTED, QB_INTERP_UNAVAILABLE);
}

#else

bool qb_probe_interp_available(void) { return true; }

enum { K_EMPTY, K_ADD_INT, K_ADD_FLOAT, NKINDS };
static const char *const kind_names[NKINDS] = {"empty-loop", "add-int", "add-float"};
static const char *const fn_names[NKINDS] = {"empty", "add_int", "add_float"};
/* The additions --filter chooses from (the empty loop is always measured). */
static const char *const add_names[2] = {"add-int", "add-float"};

/* The module the loops live in. The operands are set in the function's own
 * frame before the loop, so the loop body reads them as fast locals. Each
 * body is timeit's: the statement, then a "pass" of its own. The body of the
 * empty loop ("pass" as the statement) so compiles to one NOP, as timeit's
 * does, and the adds' to LOAD_FAST, LOAD_FAST, BINARY_OP, POP_TOP: their
 * difference is timeit's difference. */
static const char loop_source[] =
    "from itertools import repeat\n"
    "def empty(n):\n"
    "    a = 1; b = 2\n"
    "    for _ in repeat(None, n):\n"
    "        pass\n"
    "        pass\n"
    "def add_int(n):\n"
    "    a = 1; b = 2\n"
    "    for _ in repeat(None, n):\n"
    "        a + b\n"
    "        pass\n"
    "def add_float(n):\n"
    "    a = 1.0; b = 2.0\n"
    "    for _ in repeat(None, n):\n"
    "        a + b\n"
    "        pass\n";

/* The halves of the paired trials of one addition, per iteration: every
 * timed trial's, dropped ones too (they are information, not the figure). */
typedef struct {
    double *add, *empty;
    size_t n, cap;
} halves;

typedef struct {
    PyObject *fn[NKINDS];
    PyObject *count; /* n as a Python int */
    long n;
    int kind;        /* what the trial runs */
    long calls;      /* trials run in this repetition, warm-up included */
    int warmup;
    qb_pooled pool[NKINDS];
    halves half[NKINDS];
} interp_run;

/* The Python error pending after a failed call, as one line. */
static int py_fail(const char *what)
{
    char detail[200] = "unknown error";
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyObject *s = value ? PyObject_Str(value) : NULL;
    const char *u = s ? PyUnicode_AsUTF8(s) : NULL;
    if (u) snprintf(detail, sizeof detail, "%s", u);
    Py_XDECREF(s);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    PyErr_Clear();
    return qb_fail(QB_EINTERNAL, "probe interp: %s: %s", what, detail);
}

/* Run one loop of ir->n iterations; *ns is the call's wall time. */
static int run_loop(interp_run *ir, int kind, double *ns)
{
    const uint64_t t0 = qb_now_ns();
    PyObject *r = PyObject_CallOneArg(ir->fn[kind], ir->count);
    const uint64_t t1 = qb_now_ns();
    if (!r) return py_fail(fn_names[kind]);
    Py_DECREF(r);
    *ns = (double)(t1 - t0);
    return QB_OK;
}

static int halves_add(halves *h, double add, double empty)
{
    if (h->n == h->cap) {
        const size_t cap = h->cap ? 2 * h->cap : 64;
        double *a = realloc(h->add, cap * sizeof *a);
        if (!a) return qb_fail(QB_ENOMEM, "out of memory");
        h->add = a;
        double *e = realloc(h->empty, cap * sizeof *e);
        if (!e) return qb_fail(QB_ENOMEM, "out of memory");
        h->empty = e;
        h->cap = cap;
    }
    h->add[h->n] = add;
    h->empty[h->n++] = empty;
    return QB_OK;
}

/* One trial: v[0] ns per iteration, v[1] core cycles per iteration at the
 * clock calibrated around the trial. For an addition, per iteration of its
 * loop less the empty loop's, the two called back to back. */
static int loop_trial(void *ctx, double v[2])
{
    interp_run *ir = ctx;
    const bool paired = ir->kind != K_EMPTY;
    const bool empty_first = (ir->calls++ & 1) == 0;
    double ns = 0, empty_ns = 0;
    qb_bracket b;
    qb_bracket_begin(&b);
    int rc = paired && empty_first ? run_loop(ir, K_EMPTY, &empty_ns) : QB_OK;
    if (!rc) rc = run_loop(ir, ir->kind, &ns);
    if (!rc && paired && !empty_first) rc = run_loop(ir, K_EMPTY, &empty_ns);
    qb_bracket_end(&b);
    if (rc) return rc;
    v[0] = (ns - empty_ns) / (double)ir->n;
    v[1] = v[0] * b.ghz;
    if (paired && ir->calls > ir->warmup) {
        rc = halves_add(&ir->half[ir->kind], ns / (double)ir->n, empty_ns / (double)ir->n);
        if (rc) return rc;
    }
    return b.clock_changed ? QB_TRIAL_DROP : QB_OK;
}

/* The loop count: what the empty loop runs in one trial's length, from pilots
 * that double it (the first calls also let the interpreter specialise the
 * loops' instructions before anything is timed). */
static int size_loops(interp_run *ir, double trial_us)
{
    ir->n = 1000;
    for (int i = 0; i < 40; i++) {
        PyObject *count = PyLong_FromLong(ir->n);
        if (!count) return py_fail("count");
        Py_XDECREF(ir->count);
        ir->count = count;
        double ns = 0;
        for (int k = 0; k < NKINDS; k++) {
            double t;
            const int rc = run_loop(ir, k, &t);
            if (rc) return rc;
            if (k == K_EMPTY) ns = t;
        }
        if (ns >= trial_us * 250.0 || ir->n > (1L << 40)) {
            const double want = (double)ir->n * trial_us * 1000.0 / ns;
            ir->n = want < 1000 ? 1000 : (long)want;
            break;
        }
        ir->n *= 2;
    }
    PyObject *count = PyLong_FromLong(ir->n);
    if (!count) return py_fail("count");
    Py_XDECREF(ir->count);
    ir->count = count;
    return QB_OK;
}

static int compile_loops(interp_run *ir, PyObject **module)
{
    PyObject *code = Py_CompileString(loop_source, "<qbench probe interp>", Py_file_input);
    if (!code) return py_fail("compiling the loops");
    PyObject *globals = PyDict_New();
    if (!globals) {
        Py_DECREF(code);
        return py_fail("globals");
    }
    if (PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) != 0) {
        Py_DECREF(code);
        Py_DECREF(globals);
        return py_fail("globals");
    }
    PyObject *r = PyEval_EvalCode(code, globals, globals);
    Py_DECREF(code);
    if (!r) {
        Py_DECREF(globals);
        return py_fail("defining the loops");
    }
    Py_DECREF(r);
    for (int k = 0; k < NKINDS; k++) {
        ir->fn[k] = PyDict_GetItemString(globals, fn_names[k]); /* borrowed: globals keeps it */
        if (!ir->fn[k]) {
            Py_DECREF(globals);
            return qb_fail(QB_EINTERNAL, "probe interp: function %s not defined", fn_names[k]);
        }
    }
    *module = globals;
    return QB_OK;
}

/* The params every record of the probe carries. */
static int common_params(qb_record *r, const interp_run *ir, int kind)
{
    const char *version = Py_GetVersion();
    char short_version[32];
    snprintf(short_version, sizeof short_version, "%.*s", (int)strcspn(version, " "), version);
    int rc = qb_record_param_str(r, "kind", kind_names[kind]);
    if (!rc) rc = qb_record_param_str(r, "python", short_version);
    if (!rc) rc = qb_record_param_str(r, "python_version", version);
    /* The file the interpreter's code came from: a shared libpython and an
     * interpreter executable linked statically from another build can run
     * the same bytecode at different speeds. */
    Dl_info where;
    if (!rc) rc = qb_record_param_str(r, "library", dladdr((const void *)Py_GetVersion, &where) && where.dli_fname
                                                        ? where.dli_fname : "unknown");
    if (!rc) rc = qb_record_param_num(r, "iterations", (double)ir->n);
    if (!rc) rc = qb_record_param_str(r, "operands", kind == K_ADD_INT     ? "a = 1; b = 2 (small ints)"
                                                     : kind == K_ADD_FLOAT ? "a = 1.0; b = 2.0 (floats)"
                                                                           : "none");
    if (!rc) rc = qb_record_param_str(r, "loop", kind == K_EMPTY ? "for _ in repeat(None, n): pass (then pass, as timeit)"
                                                                 : "for _ in repeat(None, n): a + b (then pass, as timeit)");
    if (!rc) rc = qb_record_param_str(r, "method",
                                      "embedded libpython; a, b locals of the function (LOAD_FAST), "
                                      "as timeit's function; addition = (loop - empty loop) / n per "
                                      "trial, the two called back to back; the best round's median");
    return rc;
}

static double median_of(const double *v, size_t n)
{
    qb_stats st;
    return n && qb_stats_compute(v, n, &st) == QB_OK ? st.median : 0;
}

/* An addition's metrics: add (ns) and add_cycles from the paired trials'
 * differences, every sample kept; the halves' medians beside, as
 * information (the subtraction is per pair, so add is not exactly their
 * difference). */
static int add_metrics(qb_record *rec, const qb_pooled *p, const halves *h, const qb_rep_policy *pol)
{
    int rc = qb_pooled_record(rec, "add", "ns", QB_BETTER_LOWER, p, pol->target_cv);
    if (!rc) rc = qb_pooled_record_aux(rec, "add_cycles", "cycles", QB_BETTER_LOWER, p, QB_BETTER_LOWER);
    if (!rc) rc = qb_record_metric(rec, "loop", "ns", QB_BETTER_NONE, median_of(h->add, h->n));
    if (!rc) rc = qb_record_metric(rec, "empty_loop", "ns", QB_BETTER_NONE, median_of(h->empty, h->n));
    const double net = qb_pooled_best(p, QB_BETTER_LOWER);
    if (!rc && !(net > 0))
        rc = qb_record_note(rec, "add: the loop was no slower than the empty loop (%.3g ns apart)", net);
    return rc;
}

static int make_records(qb_results *res, const interp_run *ir, const bool sel[NKINDS], const qb_rep_policy *pol)
{
    int rc = QB_OK;
    for (int k = 0; k < NKINDS && !rc; k++) {
        if (!sel[k] || ir->pool[k].n == 0) continue;
        qb_record *r = qb_results_add(res, "probe.interp", kind_names[k]);
        if (!r) return QB_ENOMEM;
        rc = common_params(r, ir, k);
        if (rc) break;
        if (k == K_EMPTY) {
            rc = qb_pooled_record(r, "loop", "ns", QB_BETTER_LOWER, &ir->pool[k], pol->target_cv);
            if (!rc) rc = qb_pooled_record_aux(r, "loop_cycles", "cycles", QB_BETTER_LOWER, &ir->pool[k],
                                               QB_BETTER_LOWER);
        } else {
            rc = add_metrics(r, &ir->pool[k], &ir->half[k], pol);
        }
    }
    return rc;
}

static int measure_rounds(interp_run *ir, const bool sel[NKINDS], const qb_rep_policy *pol)
{
    int rc = QB_OK;
    for (int round = 0; round < pol->rounds && !rc && !qb_interrupted(); round++) {
        for (int k = 0; k < NKINDS && !rc && !qb_interrupted(); k++) {
            if (!sel[k]) continue;
            qb_progress("probe interp: round %d/%d: %s", round + 1, pol->rounds, kind_names[k]);
            ir->kind = k;
            ir->calls = 0;
            ir->warmup = pol->warmup;
            qb_rep_result r;
            rc = qb_repeat(pol, loop_trial, ir, &r);
            if (rc) break;
            rc = qb_pooled_add(&ir->pool[k], &r);
            qb_rep_result_free(&r);
        }
    }
    qb_progress_done();
    return rc;
}

int qb_probe_interp_measure(qb_results *res, const qb_interp_opts *o, const qb_rep_policy *pol)
{
    bool sel[NKINDS] = {true, false, false};
    int rc = qb_filter_select("probe interp --filter", o->filter, add_names, 2, sel + 1);
    if (rc) return rc;
    const double trial_us = o->quick ? QB_INTERP_QUICK_TRIAL_US : QB_INTERP_TRIAL_US_DEFAULT;
    interp_run *ir = calloc(1, sizeof *ir);
    if (!ir) return qb_fail(QB_ENOMEM, "out of memory");
    cpu_set_t saved;
    rc = qb_pin_self(qb_cpu_nth(0), &saved);
    if (rc) {
        free(ir);
        return rc;
    }
    Py_InitializeEx(0);
    PyObject *module = NULL;
    rc = compile_loops(ir, &module);
    if (!rc) {
        qb_spin_ns(20000000ull);
        (void)qb_core_ghz();
        rc = o->iterations > 0 ? QB_OK : size_loops(ir, trial_us);
        if (!rc && o->iterations > 0) {
            ir->n = o->iterations;
            ir->count = PyLong_FromLong(ir->n);
            if (!ir->count) rc = py_fail("count");
        }
    }
    if (!rc) {
        qb_settings_put(res, "probe.interp", "trial_us", trial_us);
        qb_settings_put(res, "probe.interp", "iterations", (double)ir->n);
        rc = measure_rounds(ir, sel, pol);
    }
    const int keep = rc;
    if (rc == QB_OK || rc == QB_EINTR) {
        rc = make_records(res, ir, sel, pol);
        if (rc == QB_OK) rc = keep;
    }
    Py_XDECREF(ir->count);
    Py_XDECREF(module);
    if (Py_FinalizeEx() < 0 && rc == QB_OK) rc = qb_fail(QB_EINTERNAL, "probe interp: Python did not finalize");
    qb_unpin_self(&saved);
    for (int k = 0; k < NKINDS; k++) {
        qb_pooled_free(&ir->pool[k]);
        free(ir->half[k].add);
        free(ir->half[k].empty);
    }
    free(ir);
    if (rc == QB_OK && qb_interrupted()) rc = qb_fail(QB_EINTR, "probe interp: interrupted");
    return rc;
}

#endif
