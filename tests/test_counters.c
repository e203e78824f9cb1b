/* The counter layer, tested with the kernel's software events (a virtual
 * machine often has no PMU). Exits 77 (skipped) when PAPI or the software events are unusable. */
#include "check.h"
#include "counters.h"
#include "error.h"
#include "timer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(void)
{
    const char *names[] = {"perf::TASK-CLOCK", "perf::PAGE-FAULTS", "NO_SUCH_EVENT_QBENCH"};
    qb_event_status st[3];
    qb_counters *c = NULL;
    const int rc = qb_counters_open(names, 3, &c, st);
    if (rc != QB_OK || !st[0].ok || !st[1].ok) {
        fprintf(stderr, "skipped: software events unavailable: %s\n", st[0].reason);
        qb_counters_close(c);
        return 77;
    }
    /* A bad event is reported with a reason and does not break the others. */
    CHECK(!st[2].ok);
    CHECK(st[2].reason[0] != '\0');
    CHECK(qb_counters_ok_count(c) == 2);

    enum { PAGES = 256 };
    const size_t bytes = (size_t)PAGES * 4096;
    long long v[3];
    CHECK(qb_counters_start(c) == QB_OK);
    const double cpu0 = thread_cpu_ns();
    const uint64_t t0 = qb_now_ns();
    qb_spin_ns(20000000ull);
    char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(mem != MAP_FAILED);
    for (size_t i = 0; i < bytes; i += 4096) mem[i] = 1; /* one fault per page */
    const uint64_t t1 = qb_now_ns();
    const double cpu1 = thread_cpu_ns();
    CHECK(qb_counters_stop(c, v) == QB_OK);
    munmap(mem, bytes);
    /* TASK-CLOCK counts ns on CPU: it agrees with the thread's CPU time from
     * the kernel (whatever else the machine runs) and never exceeds the wall time. */
    const double wall = (double)(t1 - t0), cpu = cpu1 - cpu0;
    CHECK(v[0] > 0 && v[0] <= 1.05 * wall + 1e6);
    CHECK(fabs((double)v[0] - cpu) <= 0.2 * cpu + 2e6);
    CHECK(v[1] >= PAGES / 2);
    CHECK(v[2] == -1);
    qb_counters_close(c);

    /* The machine status records every probed event with ok and a reason. */
    cJSON *m = cJSON_CreateObject();
    CHECK(qb_counters_status_json(m) == QB_OK);
    const cJSON *ct = cJSON_GetObjectItem(m, "counters");
    CHECK(cJSON_IsBool(cJSON_GetObjectItem(ct, "hardware")));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(ct, "events")) >= 3);
    if (!qb_counters_hw_available()) CHECK(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(ct, "reason"))) > 0);
    cJSON_Delete(m);
    TEST_DONE();
}
