/* An interpreter probe worker (interp_worker.h): an embedded CPython of its
 * own compiles the loops below, times them in paired trials and rounds,
 * runs timeit beside them and sends everything to the parent. interp.c
 * says why the work is split over processes. */
#ifdef QB_HAVE_PYTHON
/* Python.h sets feature macros of its own, so it comes before every system header. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "interp_worker.h"

#include "clock.h"
#include "error.h"
#include "fd_io.h"
#include "grow.h"
#include "interrupt.h"
#include "output.h"
#include "pooled.h"
#include "timer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const qb_interp_kind_names[QB_IK_N] = {"empty-loop", "add-int", "add-float"};
static const char *const fn_names[QB_IK_N] = {"empty", "add_int", "add_float"};

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
    "        pass\n"
    "timers = {}\n"
    "def by_timeit(setup, n, repeats):\n"
    "    if setup not in timers:\n"
    "        import timeit\n"
    "        timers[setup] = timeit.Timer('a + b', setup), timeit.Timer('pass', setup)\n"
    "    add, empty = timers[setup]\n"
    "    ta, te = [], []\n"
    "    for _ in range(repeats):\n"
    "        ta.append(add.timeit(n))\n"
    "        te.append(empty.timeit(n))\n"
    "    return min(ta), min(te)\n";

/* timeit's own figure for an addition, beside qbench's: the fastest of its
 * repeats of "a + b" less the fastest of "pass", each repeat one call of the
 * same count as qbench's loops, the two alternating, a few repeats after
 * each round so both figures see the same moments of a shared host. One
 * pair of timers per addition, built once, as python3 -m timeit builds
 * its. The same interpreter in the same process, so whatever sets one
 * process apart from another (see interp.c) is common to both figures. */
static const char *const timeit_setup[QB_IK_N] = {NULL, "a = 1; b = 2", "a = 1.0; b = 2.0"};

/* The halves of the paired trials of one addition, per iteration: every
 * timed trial's, dropped ones too (they are information, not the figure). */
typedef struct {
    double *add, *empty;
    size_t n, cap;
} halves;

typedef struct {
    PyObject *fn[QB_IK_N];
    PyObject *by_timeit;
    double timeit_add[QB_IK_N], timeit_pass[QB_IK_N]; /* timeit's fastest calls so far, s */
    PyObject *count; /* n as a Python int */
    long n;
    int kind;        /* what the trial runs */
    long calls;      /* trials run in this repetition, warm-up included */
    int warmup;
    qb_pooled pool[QB_IK_N];
    halves half[QB_IK_N];
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
    const int rc = qb_grow_two(&h->add, &h->empty, h->n + 1, &h->cap);
    if (rc) return rc;
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
    const bool paired = ir->kind != QB_IK_EMPTY;
    const bool empty_first = (ir->calls++ & 1) == 0;
    double ns = 0, empty_ns = 0;
    qb_bracket b;
    qb_bracket_begin(&b);
    int rc = paired && empty_first ? run_loop(ir, QB_IK_EMPTY, &empty_ns) : QB_OK;
    if (!rc) rc = run_loop(ir, ir->kind, &ns);
    if (!rc && paired && !empty_first) rc = run_loop(ir, QB_IK_EMPTY, &empty_ns);
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
        for (int k = 0; k < QB_IK_N; k++) {
            double t;
            const int rc = run_loop(ir, k, &t);
            if (rc) return rc;
            if (k == QB_IK_EMPTY) ns = t;
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
    for (int k = 0; k < QB_IK_N; k++) {
        ir->fn[k] = PyDict_GetItemString(globals, fn_names[k]); /* borrowed: globals keeps it */
        if (!ir->fn[k]) {
            Py_DECREF(globals);
            return qb_fail(QB_EINTERNAL, "probe interp: function %s not defined", fn_names[k]);
        }
    }
    ir->by_timeit = PyDict_GetItemString(globals, "by_timeit");
    if (!ir->by_timeit) {
        Py_DECREF(globals);
        return qb_fail(QB_EINTERNAL, "probe interp: function by_timeit not defined");
    }
    *module = globals;
    return QB_OK;
}

/* repeats more of timeit's calls for kind k (by_timeit in loop_source),
 * keeping the fastest of each loop. */
static int timeit_round(interp_run *ir, int k, int repeats)
{
    PyObject *r = PyObject_CallFunction(ir->by_timeit, "sli", timeit_setup[k], ir->n, repeats);
    if (!r) return py_fail("timeit");
    double add = NAN, pass = NAN;
    const int ok = PyArg_ParseTuple(r, "dd", &add, &pass);
    Py_DECREF(r);
    if (!ok) return py_fail("timeit");
    if (!(add >= ir->timeit_add[k])) ir->timeit_add[k] = add;
    if (!(pass >= ir->timeit_pass[k])) ir->timeit_pass[k] = pass;
    return QB_OK;
}

static int measure_rounds(interp_run *ir, const bool sel[QB_IK_N], const qb_rep_policy *pol, int worker,
                          int workers)
{
    int rc = QB_OK;
    for (int round = 0; round < pol->rounds && !rc && !qb_interrupted(); round++) {
        for (int k = 0; k < QB_IK_N && !rc && !qb_interrupted(); k++) {
            if (!sel[k]) continue;
            qb_progress("probe interp: process %d/%d, round %d/%d: %s", worker + 1, workers, round + 1,
                        pol->rounds, qb_interp_kind_names[k]);
            ir->kind = k;
            ir->calls = 0;
            ir->warmup = pol->warmup;
            qb_rep_result r;
            rc = qb_repeat(pol, loop_trial, ir, &r);
            if (rc) break;
            rc = qb_pooled_add(&ir->pool[k], &r);
            qb_rep_result_free(&r);
        }
        for (int k = QB_IK_ADD_INT; k < QB_IK_N && !rc && !qb_interrupted(); k++) {
            if (!sel[k]) continue;
            qb_progress("probe interp: process %d/%d, round %d/%d: timeit %s", worker + 1, workers, round + 1,
                        pol->rounds, qb_interp_kind_names[k]);
            rc = timeit_round(ir, k, QB_INTERP_TIMEIT_REPEATS);
        }
    }
    qb_progress_done();
    if (rc == QB_OK && qb_interrupted()) rc = QB_EINTR;
    return rc;
}

static int set_count(interp_run *ir)
{
    ir->count = PyLong_FromLong(ir->n);
    return ir->count ? QB_OK : py_fail("count");
}

/* Send the worker's outcome and, unless it failed, every kind it measured. */
static int worker_send(int fd, const interp_run *ir, const bool sel[QB_IK_N], int rc)
{
    qb_interp_head h = {.rc = rc, .n = ir->n};
    const bool failed = rc != QB_OK && rc != QB_EINTR;
    if (failed) snprintf(h.msg, sizeof h.msg, "%s", qb_last_error(rc));
    if (qb_write_full(fd, &h, sizeof h) != 0) return -1;
    for (int k = 0; k < QB_IK_N && !failed; k++) {
        const qb_pooled *p = &ir->pool[k];
        if (!sel[k] || p->n == 0) continue;
        const halves *hv = &ir->half[k];
        const qb_interp_report w = {
            .kind = k,
            .nsamples = p->n,
            .dropped = p->dropped,
            .target_missed = p->target_missed,
            .worst_cv = p->worst_cv,
            .fig = qb_pooled_best(p, QB_BETTER_LOWER),
            .fig_cycles = qb_pooled_best_aux(p, QB_BETTER_LOWER),
            .loop = k == QB_IK_EMPTY ? NAN : qb_median_of(hv->add, hv->n),
            .empty = k == QB_IK_EMPTY ? NAN : qb_median_of(hv->empty, hv->n),
            .timeit = (ir->timeit_add[k] - ir->timeit_pass[k]) / (double)ir->n * 1e9,
        };
        if (qb_write_full(fd, &w, sizeof w) != 0 ||
            qb_write_full(fd, p->all, (size_t)p->n * sizeof *p->all) != 0 ||
            qb_write_full(fd, p->aux, (size_t)p->n * sizeof *p->aux) != 0)
            return -1;
    }
    const qb_interp_report end = {.kind = -1};
    return qb_write_full(fd, &end, sizeof end);
}

/* Allocate and keep a different number of small objects in each worker, of
 * sizes spread over the allocator's classes, so the loops' code, frames and
 * iterators land elsewhere in each: forked from one parent, the workers
 * would otherwise lay them out alike and draw the same placement. */
static int shift_heap(int worker)
{
    PyObject *keep = PyList_New(0);
    if (!keep) return py_fail("heap shift");
    for (int i = 0; i < worker * 29; i++) {
        PyObject *b = PyBytes_FromStringAndSize(NULL, 8 + 40 * (i % 13));
        if (!b || PyList_Append(keep, b) != 0) {
            Py_XDECREF(b);
            return py_fail("heap shift");
        }
        Py_DECREF(b);
    }
    return QB_OK; /* keep stays allocated until the worker exits */
}

_Noreturn void qb_interp_worker(long n, const bool sel[QB_IK_N], const qb_rep_policy *pol, double trial_us,
                                int fd, int worker, int workers)
{
    static interp_run run;
    interp_run *ir = &run;
    ir->n = n;
    Py_InitializeEx(0);
    int rc = shift_heap(worker);
    PyObject *module = NULL;
    if (!rc) rc = compile_loops(ir, &module);
    if (!rc) {
        qb_spin_ns(20000000ull);
        rc = ir->n > 0 ? set_count(ir) : size_loops(ir, trial_us);
    }
    for (int k = 0; k < QB_IK_N; k++) ir->timeit_add[k] = ir->timeit_pass[k] = NAN;
    if (!rc) rc = measure_rounds(ir, sel, pol, worker, workers);
    /* The process ends here: the interpreter is not finalized. */
    _exit(worker_send(fd, ir, sel, rc) == 0 ? 0 : 1);
}

#endif
