#include "counters.h"

#include "error.h"

#include <papi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const qb_hw_events[2] = {"PAPI_TOT_CYC", "PAPI_TOT_INS"};

/* Software events the kernel always offers: they let the layer be tested on a
 * machine without a PMU. CONTEXT-SWITCHES only counts in the kernel domain. */
static const char *const probe_events[] = {
    "PAPI_TOT_CYC", "PAPI_TOT_INS", "perf::TASK-CLOCK", "perf::PAGE-FAULTS",
    "perf::CONTEXT-SWITCHES:u=1:k=1",
};
#define NPROBE ((int)(sizeof probe_events / sizeof probe_events[0]))

struct qb_counters {
    int eventset;
    int n;
    int map[QB_COUNTERS_MAX]; /* index into the PAPI value array, or -1 */
    int nok;
    bool running;
};

static int papi_state; /* 0 untried, 1 ok, -1 failed */
static char papi_reason[192];

static int papi_init(void)
{
    if (papi_state == 0) {
        const int v = PAPI_library_init(PAPI_VER_CURRENT);
        if (v != PAPI_VER_CURRENT) {
            snprintf(papi_reason, sizeof papi_reason, "PAPI_library_init failed: %s",
                     v < 0 ? PAPI_strerror(v) : "version mismatch");
            papi_state = -1;
        } else {
            papi_state = 1;
            const int cidx = PAPI_get_component_index("perf_event");
            const PAPI_component_info_t *ci = cidx >= 0 ? PAPI_get_component_info(cidx) : NULL;
            if (ci && ci->disabled)
                snprintf(papi_reason, sizeof papi_reason, "PAPI perf_event component disabled: %.150s",
                         ci->disabled_reason);
        }
    }
    return papi_state > 0 ? QB_OK : QB_EUNSUPPORTED;
}

/* Can this one event be added, started and stopped on its own? */
static bool try_event(const char *name, char *reason, size_t len)
{
    int es = PAPI_NULL;
    int r = PAPI_create_eventset(&es);
    if (r != PAPI_OK) {
        snprintf(reason, len, "PAPI_create_eventset: %s", PAPI_strerror(r));
        return false;
    }
    bool ok = false;
    r = PAPI_add_named_event(es, name);
    if (r != PAPI_OK) {
        snprintf(reason, len, "cannot add event: %s%s", PAPI_strerror(r),
                 r == PAPI_ENOEVNT ? " (no such event on this PMU, or no PMU: a VM without counters?)" : "");
        goto out;
    }
    r = PAPI_start(es);
    if (r != PAPI_OK) {
        snprintf(reason, len, "cannot start event: %s", PAPI_strerror(r));
        goto out;
    }
    long long v = 0;
    r = PAPI_stop(es, &v);
    if (r != PAPI_OK) {
        snprintf(reason, len, "cannot stop event: %s", PAPI_strerror(r));
        goto out;
    }
    ok = true;
    reason[0] = '\0';
out:
    PAPI_cleanup_eventset(es);
    PAPI_destroy_eventset(&es);
    return ok;
}

int qb_counters_open(const char *const *names, int n, qb_counters **out, qb_event_status *status)
{
    *out = NULL;
    if (n < 0 || n > QB_COUNTERS_MAX) return qb_fail(QB_EINTERNAL, "too many counter events");
    qb_counters *c = calloc(1, sizeof *c);
    if (!c) return qb_fail(QB_ENOMEM, "out of memory");
    c->eventset = PAPI_NULL;
    c->n = n;
    for (int i = 0; i < n; i++) {
        c->map[i] = -1;
        snprintf(status[i].name, sizeof status[i].name, "%s", names[i]);
        status[i].ok = false;
    }
    *out = c;
    if (papi_init() != QB_OK) {
        for (int i = 0; i < n; i++) snprintf(status[i].reason, sizeof status[i].reason, "%s", papi_reason);
        return qb_fail(QB_EUNSUPPORTED, "%s", papi_reason);
    }
    int r = PAPI_create_eventset(&c->eventset);
    if (r != PAPI_OK) {
        for (int i = 0; i < n; i++)
            snprintf(status[i].reason, sizeof status[i].reason, "PAPI_create_eventset: %s", PAPI_strerror(r));
        c->eventset = PAPI_NULL;
        return qb_fail(QB_EUNSUPPORTED, "PAPI_create_eventset: %s", PAPI_strerror(r));
    }
    for (int i = 0; i < n; i++) {
        status[i].ok = try_event(names[i], status[i].reason, sizeof status[i].reason);
        if (!status[i].ok) continue;
        r = PAPI_add_named_event(c->eventset, names[i]);
        if (r != PAPI_OK) {
            status[i].ok = false;
            snprintf(status[i].reason, sizeof status[i].reason,
                     "works alone but not together with the others: %s", PAPI_strerror(r));
            continue;
        }
        c->map[i] = c->nok++;
    }
    return QB_OK;
}

int qb_counters_ok_count(const qb_counters *c) { return c ? c->nok : 0; }

int qb_counters_start(qb_counters *c)
{
    if (!c || c->nok == 0) return QB_OK;
    const int r = PAPI_start(c->eventset);
    if (r != PAPI_OK) return qb_fail(QB_EIO, "PAPI_start: %s", PAPI_strerror(r));
    c->running = true;
    return QB_OK;
}

int qb_counters_stop(qb_counters *c, long long *values)
{
    long long raw[QB_COUNTERS_MAX] = {0};
    if (c && c->running) {
        const int r = PAPI_stop(c->eventset, raw);
        c->running = false;
        if (r != PAPI_OK) return qb_fail(QB_EIO, "PAPI_stop: %s", PAPI_strerror(r));
    }
    for (int i = 0; c && i < c->n; i++) values[i] = c->map[i] >= 0 ? raw[c->map[i]] : -1;
    return QB_OK;
}

void qb_counters_close(qb_counters *c)
{
    if (!c) return;
    if (c->eventset != PAPI_NULL) {
        if (c->running) {
            long long raw[QB_COUNTERS_MAX];
            PAPI_stop(c->eventset, raw);
        }
        PAPI_cleanup_eventset(c->eventset);
        PAPI_destroy_eventset(&c->eventset);
    }
    free(c);
}

/* ---- machine status ---- */

static bool probed;
static bool hw_ok;
static qb_event_status probe_status[NPROBE];
static char summary[600];

static void probe_once(void)
{
    if (probed) return;
    probed = true;
    qb_counters *c = NULL;
    const int rc = qb_counters_open(probe_events, NPROBE, &c, probe_status);
    qb_counters_close(c);
    hw_ok = rc == QB_OK && probe_status[0].ok && probe_status[1].ok;
    if (hw_ok)
        snprintf(summary, sizeof summary, "hardware counters available (PAPI %d.%d)",
                 PAPI_VERSION_MAJOR(PAPI_VERSION), PAPI_VERSION_MINOR(PAPI_VERSION));
    else if (rc != QB_OK)
        snprintf(summary, sizeof summary, "no counters: %s", probe_status[0].reason);
    else
        snprintf(summary, sizeof summary,
                 "no hardware counters (%s: %s); cycles come from the calibrated clock",
                 probe_status[0].name, probe_status[0].ok ? probe_status[1].reason : probe_status[0].reason);
}

bool qb_counters_hw_available(void)
{
    probe_once();
    return hw_ok;
}

const char *qb_counters_summary(void)
{
    probe_once();
    return summary;
}

int qb_counters_status_json(cJSON *machine)
{
    probe_once();
    cJSON *o = cJSON_CreateObject();
    if (!o) return qb_fail(QB_ENOMEM, "out of memory");
    char lib[32];
    snprintf(lib, sizeof lib, "PAPI %d.%d.%d", PAPI_VERSION_MAJOR(PAPI_VERSION),
             PAPI_VERSION_MINOR(PAPI_VERSION), PAPI_VERSION_REVISION(PAPI_VERSION));
    cJSON_AddStringToObject(o, "library", lib);
    cJSON_AddBoolToObject(o, "hardware", hw_ok);
    cJSON_AddStringToObject(o, "reason", hw_ok ? "" : summary);
    cJSON *ev = cJSON_AddArrayToObject(o, "events");
    for (int i = 0; ev && i < NPROBE; i++) {
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddStringToObject(e, "name", probe_status[i].name);
        cJSON_AddBoolToObject(e, "ok", probe_status[i].ok);
        if (!probe_status[i].ok) cJSON_AddStringToObject(e, "reason", probe_status[i].reason);
        cJSON_AddItemToArray(ev, e);
    }
    cJSON_DeleteItemFromObject(machine, "counters");
    cJSON_AddItemToObject(machine, "counters", o);
    return QB_OK;
}
