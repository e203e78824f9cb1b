/* libFuzzer target: the results reader and compare must survive any bytes.
 * The input is two documents separated by the first NUL byte (one document
 * alone is compared with itself). Each is parsed the way qb_json_read parses
 * a file, read into the results model, compared, and written out in every
 * format compare, the gate and export have; invariants of the comparison are checked
 * with abort() so a broken one counts as a finding. */
#include "compare.h"
#include "compare_format.h"
#include "error.h"
#include "export.h"
#include "gate_format.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *sink;

static int load(const uint8_t *data, size_t len, qb_results *out)
{
    cJSON *doc = cJSON_ParseWithLength((const char *)data, len);
    if (!doc) return QB_EINPUT;
    const int rc = qb_results_from_json(doc, out);
    cJSON_Delete(doc);
    return rc;
}

static void check(const qb_comparison *c, const qb_cmp_options *o)
{
    size_t total = 0, gating = 0;
    for (int s = QB_CMP_UNCHANGED; s <= QB_CMP_INFO; s++) total += c->count[s];
    if (total != c->nm) abort();
    for (size_t i = 0; i < c->nm; i++) {
        const qb_cmp_metric *x = &c->m[i];
        if (!(x->limit >= o->threshold)) abort();
        if (x->tested && !(x->mwu.p >= 0 && x->mwu.p <= 1)) abort();
        if (x->tested && fabs(x->mwu.u1 + x->mwu.u2 - (double)x->mwu.n1 * (double)x->mwu.n2) > 1e-6 * (1 + x->mwu.u1))
            abort();
        if (x->status == QB_CMP_REGRESSED && x->gating) gating++;
        if ((x->status == QB_CMP_REGRESSED || x->status == QB_CMP_IMPROVED) &&
            (!x->tested || !(fabs(x->change) > x->limit)))
            abort();
    }
    if (gating != c->gating_regressions) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sink) sink = fopen("/dev/null", "w");
    const uint8_t *nul = memchr(data, 0, size);
    const size_t la = nul ? (size_t)(nul - data) : size;
    const uint8_t *b = nul ? nul + 1 : data;
    const size_t lb = nul ? size - la - 1 : size;
    qb_results base, cur;
    if (load(data, la, &base) != QB_OK) return 0;
    if (load(b, lb, &cur) != QB_OK) {
        qb_results_free(&base);
        return 0;
    }
    qb_cmp_options o;
    qb_cmp_options_default(&o);
    /* The last byte picks pattern options too, so the matcher is fuzzed. */
    static const char *const patterns[] = {NULL, "probe.*", "*:latency", "a/b:c,d", "x/*:*/y"};
    const unsigned pick = size ? data[size - 1] : 0;
    o.filter = patterns[pick % 5];
    o.fail_on = patterns[(pick / 5) % 5];
    o.min_samples = 2 + pick % 7;
    qb_comparison c;
    if (qb_compare(&base, &cur, &o, &c) == QB_OK) {
        check(&c, &o);
        const qb_cmp_context ctx = {"base", "new", &base, &cur, &o, 1, 1};
        qb_compare_print_text(sink, &ctx, &c);
        qb_compare_print_markdown(sink, &ctx, &c);
        qb_compare_print_csv(sink, &c);
        cJSON *j = qb_compare_to_json(&ctx, &c);
        char *s = j ? cJSON_PrintUnformatted(j) : NULL;
        free(s);
        cJSON_Delete(j);
        qb_comparison_free(&c);
    }
    /* The round-median gate on the same pair, in every format. */
    qb_gate_options go;
    qb_gate_options_default(&go);
    go.filter = o.filter;
    go.fail_on = o.fail_on;
    go.any_machine = pick & 1;
    go.min_rounds = 2 + pick % 5;
    qb_gate gate = {0};
    if (qb_gate_add_run(&gate, 0, &base, "base", &go) == QB_OK && qb_gate_add_run(&gate, 1, &cur, "new", &go) == QB_OK &&
        qb_gate_judge(&gate, &go) == QB_OK) {
        const qb_gate_context gctx = {"fuzz", "base", "new", &go};
        qb_gate_print_text(sink, &gctx, &gate);
        qb_gate_print_markdown(sink, &gctx, &gate);
        qb_gate_print_junit(sink, &gctx, &gate);
        cJSON *j = qb_gate_to_json(&gctx, &gate);
        cJSON_Delete(j);
    }
    qb_gate_free(&gate);
    cJSON *g = qb_export_gbench(&cur, o.filter);
    cJSON_Delete(g);
    qb_export_csv(sink, &base, NULL);
    /* What was read must serialise and read back. */
    cJSON *again = qb_results_to_json(&base);
    if (again) {
        qb_results back;
        if (qb_results_from_json(again, &back) == QB_OK) qb_results_free(&back);
        cJSON_Delete(again);
    }
    qb_results_free(&base);
    qb_results_free(&cur);
    qb_clear_error();
    return 0;
}
