/* A ring of processes passing a token through pipes (lmbench's lat_ctx):
 * member i reads from pipe i, touches its working set and writes pipe i+1;
 * this process is member 0. Each member counts its own switches; the
 * children send theirs back through a result pipe when the ring ends. */
#include "ctx_bench.h"

#include "error.h"
#include "fd_io.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct qb_ring {
    int procs;
    int pipes[QB_CTX_MAX_PROCS][2];
    int result[2];
    pid_t pid[QB_CTX_MAX_PROCS];
    unsigned char *ws;
    size_t wsb;
    bool papi;
    qb_switch_counter sc;
};

struct qb_pipe_self {
    int p[2];
    unsigned char *ws;
    size_t wsb;
};

typedef struct {
    int member;
    int papi; /* counted with PAPI (else getrusage) */
    long long switches;
} child_report;

static unsigned char *touched_buffer(size_t bytes)
{
    if (bytes == 0) return NULL;
    unsigned char *b = malloc(bytes);
    if (b) memset(b, 1, bytes);
    return b;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* A child member: never returns. */
static void child_main(qb_ring *r, int member, qb_ctx_place place)
{
    /* Keep only this member's read end, the next member's write end and the result pipe. */
    const int next = (member + 1) % r->procs;
    for (int i = 0; i < r->procs; i++) {
        if (i != member) close_fd(&r->pipes[i][0]);
        if (i != next) close_fd(&r->pipes[i][1]);
    }
    close_fd(&r->result[0]);
    signal(SIGINT, SIG_IGN); /* the parent ends the ring; a ^C must not kill it half way */
    if (qb_ctx_place_self(place, member) != QB_OK) _exit(3);
    unsigned char *ws = touched_buffer(r->wsb);
    if (r->wsb && !ws) _exit(4);
    qb_switch_counter sc;
    qb_switches_open(&sc, r->papi);
    qb_switches_start(&sc);
    int tok;
    for (;;) {
        if (qb_read_full(r->pipes[member][0], &tok, sizeof tok) != 0) _exit(5);
        if (tok < 0) break;
        qb_ctx_touch(ws, r->wsb);
        if (qb_write_full(r->pipes[next][1], &tok, sizeof tok) != 0) _exit(6);
    }
    child_report rep = {member, sc.c != NULL, qb_switches_stop(&sc)};
    /* Report, then pass the end on: the parent reads every report after the token returns. */
    if (qb_write_full(r->result[1], &rep, sizeof rep) != 0) _exit(7);
    if (qb_write_full(r->pipes[next][1], &tok, sizeof tok) != 0) _exit(8);
    _exit(0);
}

static void ring_free(qb_ring *r)
{
    for (int i = 0; i < r->procs; i++) {
        close_fd(&r->pipes[i][0]);
        close_fd(&r->pipes[i][1]);
    }
    close_fd(&r->result[0]);
    close_fd(&r->result[1]);
    free(r->ws);
    free(r);
}

/* After a failure: end whatever children were started. */
static void ring_kill(qb_ring *r)
{
    for (int i = 1; i < r->procs; i++)
        if (r->pid[i] > 0) kill(r->pid[i], SIGKILL);
    for (int i = 1; i < r->procs; i++)
        if (r->pid[i] > 0) waitpid(r->pid[i], NULL, 0);
}

int qb_ring_open(qb_ring **out, int procs, qb_ctx_place place, size_t ws, bool papi)
{
    *out = NULL;
    if (procs < 2 || procs > QB_CTX_MAX_PROCS)
        return qb_fail(QB_EUSAGE, "probe ctx: a ring of %d processes (2 to %d)", procs, QB_CTX_MAX_PROCS);
    qb_ring *r = calloc(1, sizeof *r);
    if (!r) return qb_fail(QB_ENOMEM, "out of memory");
    r->procs = procs;
    r->wsb = ws;
    r->papi = papi;
    for (int i = 0; i < procs; i++) r->pipes[i][0] = r->pipes[i][1] = -1;
    r->result[0] = r->result[1] = -1;
    int rc = QB_OK;
    for (int i = 0; i < procs && rc == QB_OK; i++)
        if (pipe(r->pipes[i]) != 0) rc = qb_fail(QB_EIO, "pipe: %s", strerror(errno));
    if (rc == QB_OK && pipe(r->result) != 0) rc = qb_fail(QB_EIO, "pipe: %s", strerror(errno));
    if (rc == QB_OK) rc = qb_ctx_place_self(place, 0);
    if (rc == QB_OK && ws && !(r->ws = touched_buffer(ws))) rc = qb_fail(QB_ENOMEM, "out of memory");
    for (int i = 1; i < procs && rc == QB_OK; i++) {
        const pid_t pid = fork();
        if (pid < 0) rc = qb_fail(QB_EIO, "fork: %s", strerror(errno));
        else if (pid == 0) child_main(r, i, place);
        else r->pid[i] = pid;
    }
    if (rc) {
        ring_kill(r);
        ring_free(r);
        return rc;
    }
    /* Member 0 keeps its own read end and member 1's write end. */
    for (int i = 0; i < procs; i++) {
        if (i != 0) close_fd(&r->pipes[i][0]);
        if (i != 1) close_fd(&r->pipes[i][1]);
    }
    close_fd(&r->result[1]);
    qb_switches_open(&r->sc, papi);
    qb_switches_start(&r->sc);
    *out = r;
    return QB_OK;
}

int qb_ring_run(qb_ring *r, uint64_t laps)
{
    int tok = 0;
    for (uint64_t i = 0; i < laps; i++) {
        qb_ctx_touch(r->ws, r->wsb);
        if (qb_write_full(r->pipes[1][1], &tok, sizeof tok) != 0 ||
            qb_read_full(r->pipes[0][0], &tok, sizeof tok) != 0)
            return qb_fail(QB_EIO, "probe ctx: the process ring broke: %s", strerror(errno));
    }
    return QB_OK;
}

int qb_ring_close(qb_ring *r, long long *counts, const char **source)
{
    int rc = QB_OK;
    counts[0] = qb_switches_stop(&r->sc);
    bool all_papi = r->sc.c != NULL;
    for (int i = 1; i < r->procs; i++) counts[i] = -1;
    int tok = -1;
    if (qb_write_full(r->pipes[1][1], &tok, sizeof tok) != 0 ||
        qb_read_full(r->pipes[0][0], &tok, sizeof tok) != 0) {
        rc = qb_fail(QB_EIO, "probe ctx: the process ring broke while ending");
        ring_kill(r);
    } else {
        for (int i = 1; i < r->procs; i++) {
            child_report rep;
            if (qb_read_full(r->result[0], &rep, sizeof rep) != 0) break;
            if (rep.member > 0 && rep.member < r->procs) counts[rep.member] = rep.switches;
            all_papi &= rep.papi != 0;
        }
        for (int i = 1; i < r->procs; i++) {
            int st = 0;
            if (waitpid(r->pid[i], &st, 0) == r->pid[i] && (!WIFEXITED(st) || WEXITSTATUS(st) != 0) && rc == QB_OK)
                rc = qb_fail(QB_EIO, "probe ctx: ring member %d failed (status %d)", i, st);
        }
    }
    *source = all_papi ? QB_CTX_SWITCH_EVENT : "getrusage";
    qb_switches_close(&r->sc);
    ring_free(r);
    return rc;
}

int qb_pipe_self_open(qb_pipe_self **out, size_t ws)
{
    *out = NULL;
    qb_pipe_self *p = calloc(1, sizeof *p);
    if (!p) return qb_fail(QB_ENOMEM, "out of memory");
    p->wsb = ws;
    if (pipe(p->p) != 0) {
        free(p);
        return qb_fail(QB_EIO, "pipe: %s", strerror(errno));
    }
    if (ws && !(p->ws = touched_buffer(ws))) {
        qb_pipe_self_close(p);
        return qb_fail(QB_ENOMEM, "out of memory");
    }
    *out = p;
    return QB_OK;
}

int qb_pipe_self_run(qb_pipe_self *p, uint64_t hops)
{
    int tok = 0;
    for (uint64_t i = 0; i < hops; i++) {
        qb_ctx_touch(p->ws, p->wsb);
        if (qb_write_full(p->p[1], &tok, sizeof tok) != 0 || qb_read_full(p->p[0], &tok, sizeof tok) != 0)
            return qb_fail(QB_EIO, "probe ctx: pipe: %s", strerror(errno));
    }
    return QB_OK;
}

void qb_pipe_self_close(qb_pipe_self *p)
{
    if (!p) return;
    close(p->p[0]);
    close(p->p[1]);
    free(p->ws);
    free(p);
}
