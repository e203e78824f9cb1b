/* Counting the context switches a benchmark really caused, so a figure can
 * say "1.00 switches per hop" beside it. The kernel's software event
 * perf::CONTEXT-SWITCHES through PAPI (it counts only with the kernel domain
 * included, hence :u=1:k=1) where it opens; getrusage otherwise (voluntary +
 * involuntary switches of the calling thread). Each thread or process of a
 * benchmark counts its own. */
#ifndef QB_CTX_SWITCHES_H
#define QB_CTX_SWITCHES_H

#include "counters.h"

#define QB_CTX_SWITCH_EVENT "perf::CONTEXT-SWITCHES:u=1:k=1"

typedef struct {
    qb_counters *c; /* NULL: getrusage */
    long long start;
} qb_switch_counter;

/* Open for the calling thread; allow_papi false forces getrusage. Never fails. */
void qb_switches_open(qb_switch_counter *s, bool allow_papi);
void qb_switches_start(qb_switch_counter *s);
/* Switches since start (-1 if the counter failed). */
long long qb_switches_stop(qb_switch_counter *s);
void qb_switches_close(qb_switch_counter *s);
/* "perf::CONTEXT-SWITCHES:u=1:k=1" or "getrusage". */
const char *qb_switches_source(const qb_switch_counter *s);

#endif
