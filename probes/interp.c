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
 * empty loop is also measured alone. All run in interleaved rounds, and a
 * process's figure is its best round's median.
 *
 * One interpreter's figure is one draw: the same loops in another process
 * (other addresses and pages for the interpreter's objects) cost up to a
 * third more or less, while within a process they repeat closely. So the
 * measurement runs in several worker processes forked one after the other,
 * each with an interpreter of its own, and each figure is the median of the
 * workers' figures. The parent never starts Python itself; the workers send
 * their samples back through a pipe. */
#ifdef QB_HAVE_PYTHON
/* Python.h sets feature macros of its own, so it comes before every system header. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#endif

#include "clock.h"
#include "defaults.h"
#include "error.h"
#include "fd_io.h"
#include "interrupt.h"
#include "output.h"
#include "pin.h"
#include "pooled.h"
#include "probes.h"
#include "suite.h"
#include "timer.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
    "        pass\n"
    "def by_timeit(setup, n, repeats):\n"
    "    import timeit\n"
    "    add = timeit.Timer('a + b', setup)\n"
    "    empty = timeit.Timer('pass', setup)\n"
    "    ta, te = [], []\n"
    "    for _ in range(repeats):\n"
    "        ta.append(add.timeit(n))\n"
    "        te.append(empty.timeit(n))\n"
    "    return (min(ta) - min(te)) / n * 1e9\n";

/* timeit's own figure for an addition, in the worker after qbench's: the
 * fastest of its repeats of "a + b" less the fastest of "pass", each repeat
 * one call of the same count as qbench's loops, the two alternating. The
 * same interpreter in the same process, so whatever sets one process apart
 * from another (see the top) is common to both figures. */
static const char *const timeit_setup[NKINDS] = {NULL, "a = 1; b = 2", "a = 1.0; b = 2.0"};

/* The halves of the paired trials of one addition, per iteration: every
 * timed trial's, dropped ones too (they are information, not the figure). */
typedef struct {
    double *add, *empty;
    size_t n, cap;
} halves;

typedef struct {
    PyObject *fn[NKINDS];
    PyObject *by_timeit;
    double timeit_ns[NKINDS]; /* timeit's figure, NAN until measured */
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
    ir->by_timeit = PyDict_GetItemString(globals, "by_timeit");
    if (!ir->by_timeit) {
        Py_DECREF(globals);
        return qb_fail(QB_EINTERNAL, "probe interp: function by_timeit not defined");
    }
    *module = globals;
    return QB_OK;
}

/* What a worker sends first. */
typedef struct {
    int rc;        /* its outcome: QB_OK, QB_EINTR (it kept what it finished) or an error */
    long n;        /* the loop count it ran */
    char msg[240]; /* the error's line */
} worker_head;

/* What a worker sends per kind after its head: this, then nsamples trials'
 * ns per iteration and nsamples cycles. kind -1 ends the report. */
typedef struct {
    int kind, nsamples, dropped, target_missed;
    double worst_cv;
    double fig, fig_cycles; /* its best round's medians */
    double loop, empty;     /* an addition's halves' medians (NAN for the empty loop) */
    double timeit;          /* timeit's figure in the same process (NAN for the empty loop) */
} worker_kind;

/* One kind over the workers, in the parent. */
typedef struct {
    double *all, *aux; /* every kept trial, worker after worker */
    size_t n, cap;
    double fig[QB_INTERP_MAX_PROCESSES], cycles[QB_INTERP_MAX_PROCESSES];
    double loop[QB_INTERP_MAX_PROCESSES], empty[QB_INTERP_MAX_PROCESSES], timeit[QB_INTERP_MAX_PROCESSES];
    size_t size[QB_INTERP_MAX_PROCESSES]; /* trials per worker */
    int workers, dropped;
    bool target_missed;
    double worst_cv;
} kind_acc;

static int measure_rounds(interp_run *ir, const bool sel[NKINDS], const qb_rep_policy *pol, int worker,
                          int workers)
{
    int rc = QB_OK;
    for (int round = 0; round < pol->rounds && !rc && !qb_interrupted(); round++) {
        for (int k = 0; k < NKINDS && !rc && !qb_interrupted(); k++) {
            if (!sel[k]) continue;
            qb_progress("probe interp: process %d/%d, round %d/%d: %s", worker + 1, workers, round + 1,
                        pol->rounds, kind_names[k]);
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
    if (rc == QB_OK && qb_interrupted()) rc = QB_EINTR;
    return rc;
}

static int set_count(interp_run *ir)
{
    ir->count = PyLong_FromLong(ir->n);
    return ir->count ? QB_OK : py_fail("count");
}

/* Send the worker's outcome and, unless it failed, every kind it measured. */
static int worker_send(int fd, const interp_run *ir, const bool sel[NKINDS], int rc)
{
    worker_head h = {.rc = rc, .n = ir->n};
    const bool failed = rc != QB_OK && rc != QB_EINTR;
    if (failed) snprintf(h.msg, sizeof h.msg, "%s", qb_last_error(rc));
    if (qb_write_full(fd, &h, sizeof h) != 0) return -1;
    for (int k = 0; k < NKINDS && !failed; k++) {
        const qb_pooled *p = &ir->pool[k];
        if (!sel[k] || p->n == 0) continue;
        const halves *hv = &ir->half[k];
        const worker_kind w = {
            .kind = k,
            .nsamples = p->n,
            .dropped = p->dropped,
            .target_missed = p->target_missed,
            .worst_cv = p->worst_cv,
            .fig = qb_pooled_best(p, QB_BETTER_LOWER),
            .fig_cycles = qb_pooled_best_aux(p, QB_BETTER_LOWER),
            .loop = k == K_EMPTY ? NAN : qb_median_of(hv->add, hv->n),
            .empty = k == K_EMPTY ? NAN : qb_median_of(hv->empty, hv->n),
            .timeit = ir->timeit_ns[k],
        };
        if (qb_write_full(fd, &w, sizeof w) != 0 ||
            qb_write_full(fd, p->all, (size_t)p->n * sizeof *p->all) != 0 ||
            qb_write_full(fd, p->aux, (size_t)p->n * sizeof *p->aux) != 0)
            return -1;
    }
    const worker_kind end = {.kind = -1};
    return qb_write_full(fd, &end, sizeof end);
}

/* timeit's figure for kind k (see by_timeit in loop_source), repeats
 * alternating pairs of calls. */
static int timeit_figure(interp_run *ir, int k, int repeats)
{
    qb_progress("probe interp: timeit: %s", kind_names[k]);
    PyObject *r = PyObject_CallFunction(ir->by_timeit, "sli", timeit_setup[k], ir->n, repeats);
    if (!r) return py_fail("timeit");
    ir->timeit_ns[k] = PyFloat_AsDouble(r);
    Py_DECREF(r);
    qb_progress_done();
    return PyErr_Occurred() ? py_fail("timeit") : QB_OK;
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

/* A worker process: an interpreter of its own measures every selected kind
 * and reports through fd. ir->n is the loop count, or 0 to size it here. */
static _Noreturn void worker_main(interp_run *ir, const bool sel[NKINDS], const qb_rep_policy *pol,
                                  double trial_us, int fd, int worker, int workers)
{
    Py_InitializeEx(0);
    int rc = shift_heap(worker);
    PyObject *module = NULL;
    if (!rc) rc = compile_loops(ir, &module);
    if (!rc) {
        qb_spin_ns(20000000ull);
        rc = ir->n > 0 ? set_count(ir) : size_loops(ir, trial_us);
    }
    if (!rc) rc = measure_rounds(ir, sel, pol, worker, workers);
    for (int k = 0; k < NKINDS; k++) ir->timeit_ns[k] = NAN;
    for (int k = K_ADD_INT; k < NKINDS && !rc; k++)
        if (sel[k]) rc = timeit_figure(ir, k, pol->rounds * QB_INTERP_TIMEIT_REPEATS);
    /* The process ends here: the interpreter is not finalized. */
    _exit(worker_send(fd, ir, sel, rc) == 0 ? 0 : 1);
}

static int acc_add(kind_acc *a, const worker_kind *w, const double *all, const double *aux)
{
    if (a->n + (size_t)w->nsamples > a->cap) {
        size_t cap = a->cap ? a->cap : 256;
        while (cap < a->n + (size_t)w->nsamples) cap *= 2;
        double *x = realloc(a->all, cap * sizeof *x);
        if (!x) return qb_fail(QB_ENOMEM, "out of memory");
        a->all = x;
        double *y = realloc(a->aux, cap * sizeof *y);
        if (!y) return qb_fail(QB_ENOMEM, "out of memory");
        a->aux = y;
        a->cap = cap;
    }
    memcpy(a->all + a->n, all, (size_t)w->nsamples * sizeof *all);
    memcpy(a->aux + a->n, aux, (size_t)w->nsamples * sizeof *aux);
    a->n += (size_t)w->nsamples;
    const int i = a->workers++;
    a->fig[i] = w->fig;
    a->cycles[i] = w->fig_cycles;
    a->loop[i] = w->loop;
    a->empty[i] = w->empty;
    a->timeit[i] = w->timeit;
    a->size[i] = (size_t)w->nsamples;
    a->dropped += w->dropped;
    a->target_missed |= w->target_missed != 0;
    if (w->worst_cv > a->worst_cv) a->worst_cv = w->worst_cv;
    return QB_OK;
}

/* Read one worker's report into acc. Returns its outcome, or -1 when the
 * report broke off (the caller says how the worker ended). */
static int read_worker(int fd, interp_run *ir, kind_acc acc[NKINDS])
{
    worker_head h;
    if (qb_read_full(fd, &h, sizeof h) != 0) return -1;
    if (h.rc != QB_OK && h.rc != QB_EINTR) {
        h.msg[sizeof h.msg - 1] = '\0';
        return qb_fail(h.rc, "%s", h.msg);
    }
    if (ir->n == 0) ir->n = h.n;
    double *buf = NULL;
    int rc = QB_OK;
    for (;;) {
        worker_kind w;
        if (qb_read_full(fd, &w, sizeof w) != 0) {
            rc = -1;
            break;
        }
        if (w.kind < 0) break;
        if (w.kind >= NKINDS || w.nsamples <= 0 || w.nsamples > 10000000 ||
            acc[w.kind].workers >= QB_INTERP_MAX_PROCESSES) {
            rc = -1;
            break;
        }
        double *b = realloc(buf, 2 * (size_t)w.nsamples * sizeof *b);
        if (!b) {
            rc = qb_fail(QB_ENOMEM, "out of memory");
            break;
        }
        buf = b;
        if (qb_read_full(fd, buf, 2 * (size_t)w.nsamples * sizeof *buf) != 0) {
            rc = -1;
            break;
        }
        rc = acc_add(&acc[w.kind], &w, buf, buf + w.nsamples);
        if (rc) break;
    }
    free(buf);
    return rc ? rc : h.rc;
}

/* Fork worker `worker`, collect its report and wait for it. */
static int run_worker(interp_run *ir, const bool sel[NKINDS], const qb_rep_policy *pol, double trial_us,
                      int worker, int workers, kind_acc acc[NKINDS])
{
    int fds[2];
    if (pipe(fds) != 0) return qb_fail(QB_EIO, "probe interp: pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) {
        const int e = errno;
        close(fds[0]);
        close(fds[1]);
        return qb_fail(QB_EIO, "probe interp: fork: %s", strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        worker_main(ir, sel, pol, trial_us, fds[1], worker, workers);
    }
    close(fds[1]);
    int rc = read_worker(fds[0], ir, acc);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (rc == -1)
        rc = WIFSIGNALED(status)
                 ? qb_fail(QB_EINTERNAL, "probe interp: worker process %d died of signal %d", worker + 1,
                           WTERMSIG(status))
                 : qb_fail(QB_EINTERNAL, "probe interp: worker process %d ended without its report (status %d)",
                           worker + 1, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return rc;
}

/* A metric over the workers: every trial kept as a sample, grouped by worker,
 * valued at the median of the workers' figures. */
static int workers_metric(qb_record *r, const char *name, const char *unit, const kind_acc *a,
                          const double *samples, const double *figures)
{
    int rc = qb_record_metric_samples(r, name, unit, QB_BETTER_LOWER, samples, a->n);
    if (rc) return rc;
    qb_metric *m = &r->metrics[r->nmetrics - 1];
    m->value = qb_median_of(figures, (size_t)a->workers);
    double med[QB_INTERP_MAX_PROCESSES];
    size_t off = 0;
    for (int w = 0; w < a->workers; w++) {
        med[w] = qb_median_of(samples + off, a->size[w]);
        off += a->size[w];
    }
    return qb_metric_set_rounds(m, med, a->size, (size_t)a->workers);
}

/* Say how far the workers' figures were apart, when that is far. */
static int spread_note(qb_record *r, const char *name, const char *unit, const kind_acc *a)
{
    double lo = a->fig[0], hi = a->fig[0];
    for (int w = 1; w < a->workers; w++) {
        if (a->fig[w] < lo) lo = a->fig[w];
        if (a->fig[w] > hi) hi = a->fig[w];
    }
    const double med = qb_median_of(a->fig, (size_t)a->workers);
    if (a->workers < 2 || !(med > 0) || (hi - lo) / med <= QB_INTERP_PROCESS_SPREAD) return QB_OK;
    return qb_record_note(r,
                          "%s: the %d worker processes gave %.3g..%.3g %s (median %.3g): one interpreter is "
                          "one draw of where its objects lie in memory, so the figure is the median over "
                          "processes",
                          name, a->workers, lo, hi, unit, med);
}

/* Say when timeit, run in the same workers, disagrees with the figure. */
static int timeit_note(qb_record *r)
{
    const double add = qb_metric_value(r, "add"), ref = qb_metric_value(r, "timeit");
    if (!(add > 0) || !(ref > 0) || fabs(add / ref - 1) <= QB_INTERP_TIMEIT_AGREE) return QB_OK;
    return qb_record_note(r, "add: %.3g ns, %.0f%% %s timeit's %.3g ns in the same processes", add,
                          100 * fabs(add / ref - 1), add > ref ? "above" : "below", ref);
}

/* The params every record of the probe carries. */
static int common_params(qb_record *r, long n, int workers, int kind)
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
    if (!rc) rc = qb_record_param_num(r, "iterations", (double)n);
    if (!rc) rc = qb_record_param_num(r, "processes", workers);
    if (!rc) rc = qb_record_param_str(r, "operands", kind == K_ADD_INT     ? "a = 1; b = 2 (small ints)"
                                                     : kind == K_ADD_FLOAT ? "a = 1.0; b = 2.0 (floats)"
                                                                           : "none");
    if (!rc) rc = qb_record_param_str(r, "loop", kind == K_EMPTY ? "for _ in repeat(None, n): pass (then pass, as timeit)"
                                                                 : "for _ in repeat(None, n): a + b (then pass, as timeit)");
    if (!rc) rc = qb_record_param_str(r, "method",
                                      "embedded libpython; a, b locals of the function (LOAD_FAST), "
                                      "as timeit's function; addition = (loop - empty loop) / n per "
                                      "trial, the two called back to back; each worker process's best "
                                      "round's median, then the median over the processes");
    return rc;
}

static int make_records(qb_results *res, long n, const kind_acc acc[NKINDS], const qb_rep_policy *pol)
{
    int rc = QB_OK;
    for (int k = 0; k < NKINDS && !rc; k++) {
        const kind_acc *a = &acc[k];
        if (a->workers == 0) continue;
        qb_record *r = qb_results_add(res, "probe.interp", kind_names[k]);
        if (!r) return QB_ENOMEM;
        rc = common_params(r, n, a->workers, k);
        const char *name = k == K_EMPTY ? "loop" : "add";
        if (!rc) rc = workers_metric(r, name, "ns", a, a->all, a->fig);
        if (!rc) rc = workers_metric(r, k == K_EMPTY ? "loop_cycles" : "add_cycles", "cycles", a, a->aux, a->cycles);
        if (!rc && k != K_EMPTY) {
            /* As information: the medians of the pairs' halves (the
             * subtraction is per pair, so add is not exactly their difference). */
            rc = qb_record_metric(r, "loop", "ns", QB_BETTER_NONE, qb_median_of(a->loop, (size_t)a->workers));
            if (!rc)
                rc = qb_record_metric(r, "empty_loop", "ns", QB_BETTER_NONE,
                                      qb_median_of(a->empty, (size_t)a->workers));
            /* The reference beside the figure: timeit in the same processes. */
            if (!rc)
                rc = qb_record_metric(r, "timeit", "ns", QB_BETTER_NONE,
                                      qb_median_of(a->timeit, (size_t)a->workers));
            const double net = qb_metric_value(r, "add");
            if (!rc && !(net > 0))
                rc = qb_record_note(r, "add: the loop was no slower than the empty loop (%.3g ns apart)", net);
        }
        if (!rc) rc = spread_note(r, name, "ns", a);
        if (!rc && k != K_EMPTY) rc = timeit_note(r);
        if (!rc) rc = qb_pooled_note_trials(r, name, a->target_missed, a->worst_cv, pol->target_cv, a->dropped);
    }
    return rc;
}

int qb_probe_interp_measure(qb_results *res, const qb_interp_opts *o, const qb_rep_policy *pol)
{
    bool sel[NKINDS] = {true, false, false};
    int rc = qb_filter_select("probe interp --filter", o->filter, add_names, 2, sel + 1);
    if (rc) return rc;
    const int workers = o->processes > 0 ? o->processes
                        : o->quick       ? QB_INTERP_QUICK_PROCESSES
                                         : QB_INTERP_PROCESSES_DEFAULT;
    if (workers > QB_INTERP_MAX_PROCESSES)
        return qb_fail(QB_EUSAGE, "probe interp: %d processes (at most %d)", workers, QB_INTERP_MAX_PROCESSES);
    const double trial_us = o->quick ? QB_INTERP_QUICK_TRIAL_US : QB_INTERP_TRIAL_US_DEFAULT;
    interp_run *ir = calloc(1, sizeof *ir);
    kind_acc *acc = calloc(NKINDS, sizeof *acc);
    if (!ir || !acc) {
        free(ir);
        free(acc);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    cpu_set_t saved;
    rc = qb_pin_self(qb_cpu_nth(0), &saved);
    if (!rc) {
        /* Calibrated once here: the workers inherit the clock. */
        (void)qb_core_ghz();
        ir->n = o->iterations; /* 0: the first worker sizes it for all */
        for (int w = 0; w < workers && !rc && !qb_interrupted(); w++)
            rc = run_worker(ir, sel, pol, trial_us, w, workers, acc);
        qb_unpin_self(&saved);
    }
    if (rc == QB_OK || rc == QB_EINTR) {
        const int keep = rc;
        qb_settings_put(res, "probe.interp", "trial_us", trial_us);
        qb_settings_put(res, "probe.interp", "iterations", (double)ir->n);
        qb_settings_put(res, "probe.interp", "processes", workers);
        rc = make_records(res, ir->n, acc, pol);
        if (rc == QB_OK) rc = keep;
    }
    for (int k = 0; k < NKINDS; k++) {
        free(acc[k].all);
        free(acc[k].aux);
    }
    free(acc);
    free(ir);
    if (rc == QB_EINTR || (rc == QB_OK && qb_interrupted())) rc = qb_fail(QB_EINTR, "probe interp: interrupted");
    return rc;
}

#endif
