#include "gnuplot.h"

#include "atomic_file.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char *qb_gnuplot_program(void)
{
    const char *p = getenv("QB_GNUPLOT");
    return p && *p ? p : "gnuplot";
}

/* Run the program with one argument in dir, output to /dev/null; returns the exit status or -1. */
static int run_in(const char *dir, const char *arg)
{
    const pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        const int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDOUT_FILENO);
            dup2(devnull, STDERR_FILENO);
            dup2(devnull, STDIN_FILENO);
        }
        if (dir && chdir(dir) != 0) _exit(126);
        execlp(qb_gnuplot_program(), qb_gnuplot_program(), arg, (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool qb_gnuplot_available(char *why, size_t len)
{
    static int state; /* 0 unknown, 1 yes, -1 no */
    if (state == 0) state = run_in(NULL, "--version") == 0 ? 1 : -1;
    if (state < 0 && why)
        snprintf(why, len, "gnuplot ('%s') is not installed or does not run: charts are left as "
                           "data and script (apt-get install gnuplot-nox)", qb_gnuplot_program());
    return state > 0;
}

int qb_chart_render(const char *dir, const char *name, const qb_buf *script, const qb_buf *data)
{
    if (script->oom || (data && data->oom)) return qb_fail(QB_ENOMEM, "out of memory for chart %s", name);
    char path[4096];
    int rc;
    if (data) {
        snprintf(path, sizeof path, "%s/%s.dat", dir, name);
        rc = qb_write_file_atomic(path, data->s ? data->s : "", data->len);
        if (rc) return rc;
    }
    snprintf(path, sizeof path, "%s/%s.gp", dir, name);
    rc = qb_write_file_atomic(path, script->s ? script->s : "", script->len);
    if (rc) return rc;
    char why[256];
    if (!qb_gnuplot_available(why, sizeof why)) return qb_fail(QB_EUNSUPPORTED, "%s", why);
    char gp[300];
    snprintf(gp, sizeof gp, "%s.gp", name);
    const int st = run_in(dir, gp);
    if (st != 0)
        return qb_fail(QB_EUNSUPPORTED, "gnuplot failed on %s/%s.gp (exit %d): data and script kept",
                       dir, name, st);
    return QB_OK;
}
