#include "ab_child.h"

#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int qb_ab_resolve(const char *option, const char *word, char *out, size_t len)
{
    struct stat st;
    if (stat(word, &st) != 0)
        return qb_fail(QB_EINPUT, "%s: '%s' does not exist (a qbench binary or a build folder with one)", option,
                       word);
    int n = S_ISDIR(st.st_mode) ? snprintf(out, len, "%s/qbench", word) : snprintf(out, len, "%s", word);
    if (n < 0 || (size_t)n >= len) return qb_fail(QB_EINPUT, "%s: path '%s' is too long", option, word);
    if (stat(out, &st) != 0 || !S_ISREG(st.st_mode) || access(out, X_OK) != 0)
        return qb_fail(QB_EINPUT, "%s: '%s' is not an executable qbench binary%s", option, out,
                       S_ISDIR(st.st_mode) ? "" : " (or a build folder holding one)");
    return QB_OK;
}

/* The last non-empty line of the file at path, in buf ("" when none). */
static void last_line(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0]) continue;
        const size_t n = strlen(line) < len - 1 ? strlen(line) : len - 1;
        memcpy(buf, line, n);
        buf[n] = '\0';
    }
    fclose(f);
}

int qb_ab_run_child(const char *bin, char *const argv[], const char *err_path, const char *what)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = -1;
    if (rc == 0) rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return qb_fail(QB_EIO, "%s: cannot start '%s': %s", what, bin, strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return qb_fail(QB_EIO, "%s: waiting for '%s': %s", what, bin, strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return QB_OK;
    char msg[300];
    last_line(err_path, msg, sizeof msg);
    if (WIFSIGNALED(status))
        return qb_fail(QB_EINPUT, "%s: killed by signal %d%s%s", what, WTERMSIG(status), msg[0] ? ": " : "", msg);
    return qb_fail(QB_EINPUT, "%s: exit %d%s%s", what, WEXITSTATUS(status), msg[0] ? ": " : "", msg);
}
