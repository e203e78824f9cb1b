#include "suite.h"

#include "cpu_features.h"

#include "error.h"
#include "interrupt.h"
#include "pin.h"
#include "sysinfo.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int qb_filter_select(const char *what, const char *filter, const char *const *names, int n,
                     bool *sel)
{
    for (int i = 0; i < n; i++) sel[i] = filter == NULL;
    if (!filter) return QB_OK;
    char *copy = strdup(filter);
    if (!copy) return qb_fail(QB_ENOMEM, "out of memory");
    char *items[64];
    const int k = qb_split_list(copy, items, 64);
    int rc = QB_OK;
    if (k < 0) {
        rc = qb_fail(QB_EUSAGE, "%s: malformed list '%s'", what, filter);
        goto out;
    }
    for (int j = 0; j < k; j++) {
        bool any = false;
        for (int i = 0; i < n; i++) {
            if (fnmatch(items[j], names[i], 0) == 0) {
                sel[i] = true;
                any = true;
            }
        }
        if (!any) {
            rc = qb_fail(QB_EUSAGE, "%s: unknown name '%s' (qbench list shows them)", what, items[j]);
            goto out;
        }
    }
out:
    free(copy);
    return rc;
}

int qb_probe_results_begin(qb_results *res, const qb_rep_policy *pol, bool quick)
{
    int rc = qb_results_init(res);
    if (rc) return rc;
    rc = qb_sysinfo_fill(res->machine);
    if (rc == QB_OK) rc = qb_settings_record(res, pol, quick);
    if (rc) qb_results_free(res);
    return rc;
}

int qb_cmd_measure(const qb_run_opts *o, const qb_rep_policy *pol, qb_measure_fn measure, void *ctx,
                   void (*print)(const qb_results *))
{
    qb_results res;
    int rc = qb_probe_results_begin(&res, pol, o->quick);
    if (rc) return rc;
    qb_interrupt_install();
    rc = measure(&res, pol, ctx);
    rc = qb_finish(o, &res, print, rc);
    qb_results_free(&res);
    return rc;
}

int qb_cmd_parse_measure(const qb_cmd_spec *spec, int argc, char **argv, const qb_run_opts *o,
                         qb_check_fn check, qb_measure_fn measure, void *ctx,
                         void (*print)(const qb_results *))
{
    if (spec->max_positional > 0)
        return qb_fail(QB_EINTERNAL, "%s: qb_cmd_parse_measure takes no positional words",
                       spec->path);
    char *pos[1];
    int npos;
    qb_rep_policy pol;
    int rc = qb_cli_parse_policy(spec, argc, argv, pos, &npos, o, &pol);
    if (rc == QB_OK && check) rc = check(o, &pol, ctx);
    return rc ? rc : qb_cmd_measure(o, &pol, measure, ctx, print);
}

int qb_parse_threads(const char *what, const char *s, int *out, int max, int *n)
{
    const int ncpu = qb_cpu_count();
    char *copy = strdup(s);
    if (!copy) return qb_fail(QB_ENOMEM, "out of memory");
    char *items[32];
    const int k = qb_split_list(copy, items, max < 32 ? max : 32);
    int rc = QB_OK;
    if (k < 0) {
        rc = qb_fail(QB_EUSAGE, "%s: malformed list '%s'", what, s);
        goto out;
    }
    for (int i = 0; i < k; i++) {
        long v;
        if (strcmp(items[i], "all") == 0 || strcmp(items[i], "max") == 0) {
            v = ncpu;
        } else {
            rc = qb_parse_long(what, items[i], 1, 4096, &v);
            if (rc) goto out;
            if (v > ncpu) {
                rc = qb_fail(QB_EUSAGE, "%s: %ld threads but only %d CPUs are available", what, v,
                             ncpu);
                goto out;
            }
        }
        out[i] = (int)v;
    }
    *n = k;
out:
    free(copy);
    return rc;
}

bool qb_host_shared(int threads)
{
    return qb_cpu_get()->hypervisor && threads >= 2 && threads >= qb_cpu_count();
}

int qb_record_host_shared(qb_record *rec, int threads, const char *what)
{
    if (!qb_host_shared(threads)) return QB_OK;
    char why[256];
    snprintf(why, sizeof why,
             "on a virtual machine %s on every vCPU runs at what other guests leave of the host's "
             "shared cache and memory bandwidth (seen up to 2x apart between runs); the 1-thread "
             "record gates the code",
             what);
    return qb_record_no_gate(rec, why);
}
