#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_msg[512];

const char *qb_strerror(int code)
{
    switch (code) {
    case QB_OK: return "success";
    case QB_EUSAGE: return "usage error";
    case QB_EINPUT: return "invalid input";
    case QB_ENOMEM: return "out of memory";
    case QB_EIO: return "input/output error";
    case QB_EUNSUPPORTED: return "not supported on this machine";
    case QB_EINTERNAL: return "internal error";
    case QB_EINTR: return "interrupted";
    case QB_EREGRESSION: return "performance regression found";
    default: return "unknown error";
    }
}

int qb_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    return code;
}

const char *qb_last_error(int code)
{
    return last_msg[0] ? last_msg : qb_strerror(code);
}

void qb_clear_error(void) { last_msg[0] = '\0'; }

int qb_exit_status(int code)
{
    if (code >= 0) return 0;
    if (code == QB_EREGRESSION) return 1;
    if (code == QB_EINTR) return 130;
    return 2;
}
