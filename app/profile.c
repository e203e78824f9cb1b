/* The machine profile: the ceilings of probe peak and probe mem kept between
 * runs ($XDG_CACHE_HOME/qbench/, keyed by CPU model, core count and qbench
 * version), measured quickly when missing or stale. */
#include "profile.h"
#include "results_pool.h"
#include "ceilings.h"
#include "cpu_features.h"
#include "error.h"
#include "defaults.h"
#include "pin.h"
#include "peak_kernels.h"
#include "probes.h"
#include "suite.h"
#include "sysinfo.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *cache_dir(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg) snprintf(buf, len, "%s/qbench", xdg);
    else snprintf(buf, len, "%s/.cache/qbench", getenv("HOME") ? getenv("HOME") : "/tmp");
    return buf;
}

int qb_profile_path(char *path, size_t len)
{
    char dir[2048], cpu[128] = "";
    cache_dir(dir, sizeof dir);
    /* The key: CPU model, cores and version; every other byte becomes '-'. */
    snprintf(cpu, sizeof cpu, "%s", qb_cpu_get()->brand);
    for (char *p = cpu; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            *p = '-';
    snprintf(path, len, "%s/profile-%s-%dc-%s.json", dir, cpu, qb_cpu_count(), QB_VERSION);
    return QB_OK;
}

static int mkdir_p(const char *dir)
{
    char tmp[2048];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return qb_fail(QB_EIO, "cannot create '%s': %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return qb_fail(QB_EIO, "cannot create '%s': %s", tmp, strerror(errno));
    return QB_OK;
}

int qb_profile_load(qb_results *res, bool *stale)
{
    *stale = false;
    char path[2300];
    int rc = qb_profile_path(path, sizeof path);
    if (rc) return rc;
    struct stat st;
    if (stat(path, &st) != 0) return qb_fail(QB_EINPUT, "no machine profile at %s", path);
    if (difftime(time(NULL), st.st_mtime) > QB_PROFILE_MAX_AGE_DAYS * 86400.0) {
        *stale = true;
        return qb_fail(QB_EINPUT, "machine profile %s is older than %d days", path,
                       QB_PROFILE_MAX_AGE_DAYS);
    }
    return qb_results_read(path, res);
}

int qb_profile_store(const qb_results *res)
{
    char path[2300], dir[2048];
    int rc = qb_profile_path(path, sizeof path);
    if (rc) return rc;
    rc = mkdir_p(cache_dir(dir, sizeof dir));
    if (rc) return rc;
    return qb_results_write(res, path);
}

/* Measure quick ceilings for one thread count into res. */
static int measure_ceilings(qb_results *res, int threads)
{
    qb_rep_policy pol = qb_rep_policy_default(true);
    int rc = qb_probe_peak_measure(res, NULL, &threads, 1, &pol);
    if (rc) return rc;
    qb_mem_opts mo;
    qb_mem_opts_init(&mo, true);
    mo.levels_only = true;
    /* the kernels a ceiling is taken from: ordinary and non-temporal stores */
    mo.kernels = "read,write,copy,triad,copy-nt,triad-nt";
    mo.threads = &threads;
    mo.nthreads = 1;
    return qb_probe_mem_measure(res, &mo, &pol);
}

/* Every peak this CPU can run has its ceiling (a profile of an older build
 * may lack a newer kernel's). */
static bool every_peak(const qb_ceilings *c)
{
    for (int i = 0; i < qb_peak_count; i++)
        if (qb_cpu_has(qb_peak_table[i].requires) && !qb_ceilings_compute(c, qb_peak_table[i].dtype)) return false;
    return true;
}

int qb_ceilings_obtain(int threads, bool refresh, qb_ceilings *c)
{
    qb_results prof, old = {0};
    bool stale = false;
    int rc = refresh ? QB_EINPUT : qb_profile_load(&prof, &stale);
    const bool have = rc == QB_OK;
    if (have) {
        rc = qb_ceilings_from_results(&prof, threads, c);
        if (rc == QB_OK && c->ncompute > 0 && c->nmemory > 0 && c->memory[c->nmemory - 1].gbs_nt > 0 &&
            every_peak(c)) {
            qb_results_free(&prof);
            return QB_OK;
        }
        old = prof; /* its other thread counts are kept beside the new one */
    }
    /* Missing, stale, refreshed, without this thread count, without the
     * non-temporal ceilings or a peak (profiles of older builds): this
     * thread count is measured again and stored beside the others kept. */
    const qb_rep_policy pol = qb_rep_policy_default(true);
    rc = qb_probe_results_begin(&prof, &pol, true);
    if (rc) {
        qb_results_free(&old);
        return rc;
    }
    char path[2300];
    qb_profile_path(path, sizeof path);
    fprintf(stderr, "qbench: %s machine profile for %d thread(s): measuring quick ceilings (%s)\n",
            refresh ? "refreshing the" : stale ? "stale" : have ? "incomplete" : "no", threads,
            path);
    rc = measure_ceilings(&prof, threads);
    if (rc == QB_OK && have) {
        /* the new records first, then the old ones they do not replace: a
         * roofline on 1 thread after one on 2 keeps both thread counts */
        qb_results merged;
        rc = qb_probe_results_begin(&merged, &pol, true);
        if (rc == QB_OK) {
            rc = qb_results_pool(&merged, &prof, 1);
            if (rc == QB_OK) rc = qb_results_pool(&merged, &old, 1);
            qb_results_free(&prof);
            prof = merged;
        }
    }
    qb_results_free(&old);
    if (rc == QB_OK) rc = qb_profile_store(&prof);
    if (rc == QB_OK) rc = qb_ceilings_from_results(&prof, threads, c);
    qb_results_free(&prof);
    if (rc == QB_OK && (c->ncompute == 0 || c->nmemory == 0))
        rc = qb_fail(QB_EINTERNAL, "measuring the ceilings gave no %s ceiling",
                     c->ncompute == 0 ? "compute" : "bandwidth");
    return rc;
}
