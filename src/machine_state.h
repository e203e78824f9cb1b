/* What on the machine qbench runs on can distort a measurement, checked before measuring:
 * the frequency governor and boost, SMT, the load, transparent huge pages,
 * a hypervisor, and other processes on the CPUs. Each check gives its value,
 * whether it is fine for benchmarking, and what to do when it is not (as
 * pyperf's system check does). */
#ifndef QB_MACHINE_STATE_H
#define QB_MACHINE_STATE_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#define QB_STATE_MAX 16

typedef struct {
    char name[24];    /* "governor", "boost", "smt", "load", "thp", "virtual machine", "busy cpus" */
    char value[128];  /* what was found */
    bool ok;          /* fine for benchmarking */
    char advice[240]; /* what to do when not ok, or "" */
} qb_state_item;

/* Run every check (the busy-CPU check watches /proc/stat for
 * QB_STATE_BUSY_WINDOW_MS). Returns the count filled. */
int qb_machine_state(qb_state_item *items, int max);

/* Add machine.state: [{name, value, ok, advice}] and machine.state_warnings
 * (the count not ok) to a results document's machine object. */
int qb_machine_state_json(cJSON *machine);

/* One line on stderr per check that is not ok, from a machine object that
 * qb_machine_state_json filled: "qbench: warning: load: ...". */
void qb_state_warn(const cJSON *machine);

#endif
