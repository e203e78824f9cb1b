#include "ceilings.h"

#include "defaults.h"
#include "error.h"
#include "suite.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int qb_ceilings_from_results(const qb_results *res, int threads, qb_ceilings *c)
{
    memset(c, 0, sizeof *c);
    c->threads = threads;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (qb_param_num(r, "threads") != threads) continue;
        if (strcmp(r->group, "probe.peak") == 0) {
            const qb_metric *m = qb_record_find_metric(r, "gops");
            if (!m || !qb_param_str(r, "dtype")[0]) continue;
            const qb_rl_compute *old = qb_ceilings_compute(c, qb_param_str(r, "dtype"));
            if (old && old->gops >= m->value) continue;
            const int rc = qb_ceilings_set_compute(c, qb_param_str(r, "dtype"), m->value);
            if (rc) return rc;
        } else if (strcmp(r->group, "probe.mem") == 0) {
            const char *level = qb_param_str(r, "level"), *kernel = qb_param_str(r, "kernel");
            const qb_metric *m = qb_record_find_metric(r, "bandwidth");
            if (!m || !level[0] || strcmp(kernel, "write-nt") == 0 || strcmp(kernel, "latency") == 0)
                continue;
            const qb_rl_memory *old = qb_ceilings_level(c, level);
            if (old && old->gbs >= m->value) continue;
            const int rc = qb_ceilings_set_memory(c, level, m->value, kernel);
            if (rc) return rc;
        }
    }
    return QB_OK;
}
