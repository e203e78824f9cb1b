/* qb_probe_interp_measure: the cost of one interpreted addition in CPython.
 *
 * libpython is embedded and three small functions are compiled into it, each
 * a loop of the same count over itertools.repeat with a and b local to the
 * function (LOAD_FAST), as the function timeit builds around a statement:
 *   empty:      for _ in repeat(None, n): pass; pass
 *   add-int:    a = 1;   b = 2   then  for _ in repeat(None, n): a + b; pass
 *   add-float:  a = 1.0; b = 2.0 then  for _ in repeat(None, n): a + b; pass
 * (each statement on its own line, as in loop_source of interp_worker.c).
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
 * each with an interpreter of its own and its heap shifted by its own amount
 * (forked from one parent, they would otherwise lay the loops out alike),
 * and each figure is the median of the workers' figures. After each round,
 * each worker also runs timeit on the same interpreter: the reference beside
 * the figure. The parent never starts Python itself; the workers send their
 * samples back through a pipe (interp_worker.h). */
#ifdef QB_HAVE_PYTHON
/* Python.h sets feature macros of its own, so it comes before every system header. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "interp_worker.h"
#endif

#include "clock.h"
#include "defaults.h"
#include "error.h"
#include "fd_io.h"
#include "grow.h"
#include "interrupt.h"
#include "output.h"
#include "pin.h"
#include "pooled.h"
#include "probes.h"
#include "suite.h"

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

/* The additions --filter chooses from (the empty loop is always measured). */
static const char *const add_names[2] = {"add-int", "add-float"};

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

static int acc_add(kind_acc *a, const qb_interp_report *w, const double *all, const double *aux)
{
    const int rc = qb_grow_two(&a->all, &a->aux, a->n + (size_t)w->nsamples, &a->cap);
    if (rc) return rc;
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
static int read_worker(int fd, long *n, kind_acc acc[QB_IK_N])
{
    qb_interp_head h;
    if (qb_read_full(fd, &h, sizeof h) != 0) return -1;
    if (h.rc != QB_OK && h.rc != QB_EINTR) {
        h.msg[sizeof h.msg - 1] = '\0';
        return qb_fail(h.rc, "%s", h.msg);
    }
    if (*n == 0) *n = h.n;
    double *buf = NULL;
    int rc = QB_OK;
    for (;;) {
        qb_interp_report w;
        if (qb_read_full(fd, &w, sizeof w) != 0) {
            rc = -1;
            break;
        }
        if (w.kind < 0) break;
        if (w.kind >= QB_IK_N || w.nsamples <= 0 || w.nsamples > 10000000 ||
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
static int run_worker(long *n, const bool sel[QB_IK_N], const qb_rep_policy *pol, double trial_us,
                      int worker, int workers, kind_acc acc[QB_IK_N])
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
        qb_interp_worker(*n, sel, pol, trial_us, fds[1], worker, workers);
    }
    close(fds[1]);
    int rc = read_worker(fds[0], n, acc);
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
    int rc = qb_record_param_str(r, "kind", qb_interp_kind_names[kind]);
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
    if (!rc) rc = qb_record_param_str(r, "operands", kind == QB_IK_ADD_INT     ? "a = 1; b = 2 (small ints)"
                                                     : kind == QB_IK_ADD_FLOAT ? "a = 1.0; b = 2.0 (floats)"
                                                                           : "none");
    if (!rc) rc = qb_record_param_str(r, "loop", kind == QB_IK_EMPTY ? "for _ in repeat(None, n): pass (then pass, as timeit)"
                                                                 : "for _ in repeat(None, n): a + b (then pass, as timeit)");
    if (!rc) rc = qb_record_param_str(r, "method",
                                      "embedded libpython; a, b locals of the function (LOAD_FAST), "
                                      "as timeit's function; addition = (loop - empty loop) / n per "
                                      "trial, the two called back to back; each worker process's best "
                                      "round's median, then the median over the processes");
    return rc;
}

static int make_records(qb_results *res, long n, const kind_acc acc[QB_IK_N], const qb_rep_policy *pol)
{
    int rc = QB_OK;
    for (int k = 0; k < QB_IK_N && !rc; k++) {
        const kind_acc *a = &acc[k];
        if (a->workers == 0) continue;
        qb_record *r = qb_results_add(res, "probe.interp", qb_interp_kind_names[k]);
        if (!r) return QB_ENOMEM;
        rc = common_params(r, n, a->workers, k);
        const char *name = k == QB_IK_EMPTY ? "loop" : "add";
        if (!rc) rc = workers_metric(r, name, "ns", a, a->all, a->fig);
        if (!rc) rc = workers_metric(r, k == QB_IK_EMPTY ? "loop_cycles" : "add_cycles", "cycles", a, a->aux, a->cycles);
        if (!rc && k != QB_IK_EMPTY) {
            /* As information: the medians of the pairs' halves (the
             * subtraction is per pair, so add is not exactly their difference). */
            rc = qb_record_metric(r, "loop", "ns", QB_BETTER_NONE, qb_median_of(a->loop, (size_t)a->workers));
            if (!rc)
                rc = qb_record_metric(r, "empty_loop", "ns", QB_BETTER_NONE,
                                      qb_median_of(a->empty, (size_t)a->workers));
            /* The reference beside the figure: timeit in the same processes,
             * those that reached it (one interrupted in its first round did not). */
            double t[QB_INTERP_MAX_PROCESSES];
            size_t nt = 0;
            for (int w = 0; w < a->workers; w++)
                if (isfinite(a->timeit[w])) t[nt++] = a->timeit[w];
            if (!rc && nt > 0) rc = qb_record_metric(r, "timeit", "ns", QB_BETTER_NONE, qb_median_of(t, nt));
            const double net = qb_metric_value(r, "add");
            if (!rc && !(net > 0))
                rc = qb_record_note(r, "add: the loop was no slower than the empty loop (%.3g ns apart)", net);
        }
        if (!rc) rc = spread_note(r, name, "ns", a);
        if (!rc && k != QB_IK_EMPTY) rc = timeit_note(r);
        if (!rc) rc = qb_pooled_note_trials(r, name, a->target_missed, a->worst_cv, pol->target_cv, a->dropped);
    }
    return rc;
}

int qb_probe_interp_measure(qb_results *res, const qb_interp_opts *o, const qb_rep_policy *pol)
{
    bool sel[QB_IK_N] = {true, false, false};
    int rc = qb_filter_select("probe interp --filter", o->filter, add_names, 2, sel + 1);
    if (rc) return rc;
    const int workers = o->processes > 0 ? o->processes
                        : o->quick       ? QB_INTERP_QUICK_PROCESSES
                                         : QB_INTERP_PROCESSES_DEFAULT;
    if (workers > QB_INTERP_MAX_PROCESSES)
        return qb_fail(QB_EUSAGE, "probe interp: %d processes (at most %d)", workers, QB_INTERP_MAX_PROCESSES);
    const double trial_us = o->quick ? QB_INTERP_QUICK_TRIAL_US : QB_INTERP_TRIAL_US_DEFAULT;
    kind_acc *acc = calloc(QB_IK_N, sizeof *acc);
    if (!acc) return qb_fail(QB_ENOMEM, "out of memory");
    long n = o->iterations; /* 0: the first worker sizes it for all */
    cpu_set_t saved;
    rc = qb_pin_self(qb_cpu_nth(0), &saved);
    if (!rc) {
        /* Calibrated once here: the workers inherit the clock. */
        (void)qb_core_ghz();
        for (int w = 0; w < workers && !rc && !qb_interrupted(); w++)
            rc = run_worker(&n, sel, pol, trial_us, w, workers, acc);
        qb_unpin_self(&saved);
    }
    if (rc == QB_OK || rc == QB_EINTR) {
        const int keep = rc;
        qb_settings_put(res, "probe.interp", "trial_us", trial_us);
        qb_settings_put(res, "probe.interp", "iterations", (double)n);
        qb_settings_put(res, "probe.interp", "processes", workers);
        rc = make_records(res, n, acc, pol);
        if (rc == QB_OK) rc = keep;
    }
    for (int k = 0; k < QB_IK_N; k++) {
        free(acc[k].all);
        free(acc[k].aux);
    }
    free(acc);
    if (rc == QB_EINTR || (rc == QB_OK && qb_interrupted())) rc = qb_fail(QB_EINTR, "probe interp: interrupted");
    return rc;
}

#endif
