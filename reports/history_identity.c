/* What identifies things in the results history: a machine (the
 * fingerprint of what makes its figures comparable) and a run (a hash of its
 * whole content). */
#include "history_db.h"

#include "textbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define FNV_BASIS 0xcbf29ce484222325ull

static void add_item(qb_buf *b, const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v)) qb_buf_printf(b, "%s=%s;", key, v->valuestring);
    else if (cJSON_IsNumber(v)) qb_buf_printf(b, "%s=%.17g;", key, v->valuedouble);
    else if (cJSON_IsBool(v)) qb_buf_printf(b, "%s=%d;", key, cJSON_IsTrue(v));
}

void qb_history_fingerprint(const cJSON *machine, char *fp, size_t fplen, char *desc, size_t dlen)
{
    static const char *const keys[] = {"cpu", "vendor", "family", "model", "stepping", "cores",
                                       "threads", "threads_per_core", "virtualized", "hypervisor"};
    qb_buf b = {0};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) add_item(&b, machine, keys[i]);
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(machine, "caches"))
    {
        qb_buf_printf(&b, "cache:");
        add_item(&b, c, "level");
        add_item(&b, c, "type");
        add_item(&b, c, "bytes");
    }
    snprintf(fp, fplen, "%016llx", (unsigned long long)fnv1a(FNV_BASIS, b.s ? b.s : "", b.len));
    qb_buf_free(&b);
    const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(machine, "cpu");
    const cJSON *cores = cJSON_GetObjectItemCaseSensitive(machine, "cores");
    const cJSON *threads = cJSON_GetObjectItemCaseSensitive(machine, "threads");
    snprintf(desc, dlen, "%s, %d cores, %d threads", cJSON_IsString(cpu) ? cpu->valuestring : "unknown CPU",
             cJSON_IsNumber(cores) ? cores->valueint : 0, cJSON_IsNumber(threads) ? threads->valueint : 0);
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return fnv1a(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static uint64_t fnv_json(uint64_t h, const cJSON *v)
{
    char *t = v ? cJSON_PrintUnformatted(v) : NULL;
    h = fnv_str(h, t);
    free(t);
    return h;
}

/* A run's identity: a hash of its start, tool, machine, settings and every
 * record's id, parameters and figures (the doubles' bytes), so the same file
 * added again (under any commit) is recognised. */
void qb_history_run_key(const qb_results *r, char *key, size_t len)
{
    uint64_t h = fnv_str(FNV_BASIS, r->started);
    h = fnv_json(h, r->tool);
    h = fnv_json(h, r->machine);
    h = fnv_json(h, r->settings);
    for (size_t i = 0; i < r->n; i++) {
        const qb_record *rec = &r->recs[i];
        h = fnv_str(h, rec->id);
        h = fnv_json(h, rec->params);
        for (size_t k = 0; k < rec->nmetrics; k++) {
            const qb_metric *m = &rec->metrics[k];
            h = fnv_str(h, m->name);
            h = fnv1a(h, (const char *)&m->value, sizeof m->value);
            if (m->nsamples) h = fnv1a(h, (const char *)m->samples, m->nsamples * sizeof *m->samples);
        }
    }
    snprintf(key, len, "%016llx", (unsigned long long)h);
}
