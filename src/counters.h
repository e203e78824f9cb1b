/* Hardware and software event counters through PAPI (libpfm4 event names).
 * A missing PMU is a reported state, never an error: each event carries its
 * own status and reason, as PAPI components carry disabled_reason. */
#ifndef QB_COUNTERS_H
#define QB_COUNTERS_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#define QB_COUNTERS_MAX 8

typedef struct {
    char name[96];
    bool ok;
    char reason[192]; /* why not, when !ok */
} qb_event_status;

typedef struct qb_counters qb_counters;

/* Open the named events for the calling thread. Each is tried alone first so a
 * failure is reported per event; the ones that work are counted together.
 * *out is set even when no event works (then start/stop count nothing).
 * Returns QB_OK, or QB_EUNSUPPORTED when PAPI itself cannot start (reason in status[0]). */
int qb_counters_open(const char *const *names, int n, qb_counters **out, qb_event_status *status);
int qb_counters_start(qb_counters *c);
/* values[i] is the count of names[i], or -1 for an event that is not ok. */
int qb_counters_stop(qb_counters *c, long long *values);
int qb_counters_ok_count(const qb_counters *c);
void qb_counters_close(qb_counters *c);

/* The events qbench wants for cycle-accurate probes. */
extern const char *const qb_hw_events[2]; /* cycles, instructions */

/* Probe the PMU once (cached): hardware true when cycles and instructions count.
 * Fills the machine.counters object of the results contract. */
bool qb_counters_hw_available(void);
int qb_counters_status_json(cJSON *machine);
/* One line for humans: "hardware counters: available" or the reason they are not. */
const char *qb_counters_summary(void);

#endif
