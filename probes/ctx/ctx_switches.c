#include "ctx_switches.h"

#include "error.h"

#include <string.h>
#include <sys/resource.h>

static long long rusage_switches(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) != 0) return -1;
    return (long long)ru.ru_nvcsw + ru.ru_nivcsw;
}

void qb_switches_open(qb_switch_counter *s, bool allow_papi)
{
    memset(s, 0, sizeof *s);
    if (!allow_papi) return;
    const char *names[1] = {QB_CTX_SWITCH_EVENT};
    qb_event_status st[1];
    qb_counters *c = NULL;
    if (qb_counters_open(names, 1, &c, st) == QB_OK && st[0].ok) {
        s->c = c;
    } else {
        qb_counters_close(c);
        qb_clear_error();
    }
}

void qb_switches_start(qb_switch_counter *s)
{
    if (s->c && qb_counters_start(s->c) != QB_OK) {
        qb_counters_close(s->c);
        s->c = NULL;
        qb_clear_error();
    }
    s->start = s->c ? 0 : rusage_switches();
}

long long qb_switches_stop(qb_switch_counter *s)
{
    if (s->c) {
        long long v[1] = {-1};
        if (qb_counters_stop(s->c, v) != QB_OK) {
            qb_clear_error();
            return -1;
        }
        return v[0];
    }
    const long long now = rusage_switches();
    return now < 0 || s->start < 0 ? -1 : now - s->start;
}

void qb_switches_close(qb_switch_counter *s)
{
    qb_counters_close(s->c);
    s->c = NULL;
}

const char *qb_switches_source(const qb_switch_counter *s)
{
    return s->c ? QB_CTX_SWITCH_EVENT : "getrusage";
}
