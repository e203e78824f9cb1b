#include "roofline.h"

#include "chart_roofline.h"
#include "error.h"
#include "output.h"
#include "fmt.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *qb_roofline_ceiling_dtype(const qb_record *r)
{
    const char *dt = qb_param_str(r, "dtype"), *isa = qb_param_str(r, "isa");
    const bool i8 = strcmp(dt, "int8") == 0;
    if (i8 && strcmp(isa, "avx512vnni") == 0) return "int8-vnni-zmm";
    if (i8 && strstr(isa, "vnni")) return "int8-vnni";
    /* float tiles on zmm ("avx512f..." here, "avx512" from oneDNN): fp16 is
     * widened to fp32 before the same FMAs, and an int8 kernel that names
     * plain "avx512f" widens its bytes to float and sums them exactly in
     * float FMAs (the channels-last depthwise conv) */
    if ((strcmp(dt, "fp32") == 0 || strcmp(dt, "fp16") == 0) && strncmp(isa, "avx512", 6) == 0)
        return "fp32-avx512";
    if (i8 && strcmp(isa, "avx512f") == 0) return "fp32-avx512";
    return dt;
}

const char *qb_roofline_roof_dtype(const qb_ceilings *c, const qb_record *r)
{
    const char *dt = qb_roofline_ceiling_dtype(r);
    if (!qb_ceilings_compute(c, dt)) dt = qb_param_str(r, "dtype");
    return qb_ceilings_compute(c, dt) ? dt : NULL;
}

static int add_ceiling_records(const qb_ceilings *c, qb_results *out)
{
    char name[64];
    for (int i = 0; i < c->ncompute; i++) {
        snprintf(name, sizeof name, "compute/%s/t%d", c->compute[i].dtype, c->threads);
        qb_record *r = qb_results_add(out, "roofline.ceiling", name);
        if (!r) return QB_ENOMEM;
        int rc = qb_record_param_str(r, "kind", "compute");
        if (!rc) rc = qb_record_param_str(r, "dtype", c->compute[i].dtype);
        if (!rc) rc = qb_record_param_num(r, "threads", c->threads);
        if (!rc) rc = qb_record_metric(r, "peak", "GOP/s", QB_BETTER_HIGHER, c->compute[i].gops);
        if (rc) return rc;
    }
    for (int i = 0; i < c->nmemory; i++) {
        snprintf(name, sizeof name, "memory/%s/t%d", c->memory[i].level, c->threads);
        qb_record *r = qb_results_add(out, "roofline.ceiling", name);
        if (!r) return QB_ENOMEM;
        int rc = qb_record_param_str(r, "kind", "memory");
        if (!rc) rc = qb_record_param_str(r, "level", c->memory[i].level);
        if (!rc) rc = qb_record_param_str(r, "kernel", c->memory[i].kernel);
        if (!rc) rc = qb_record_param_num(r, "threads", c->threads);
        if (!rc && c->memory[i].capacity > 0) rc = qb_record_param_num(r, "capacity_bytes", c->memory[i].capacity);
        if (!rc && c->memory[i].gbs_nt > 0) rc = qb_record_param_num(r, "nt_bandwidth_gbs", c->memory[i].gbs_nt);
        if (!rc && c->memory[i].gbs_nt > 0) rc = qb_record_param_str(r, "nt_kernel", c->memory[i].kernel_nt);
        if (!rc) rc = qb_record_metric(r, "bandwidth", "GB/s", QB_BETTER_HIGHER, c->memory[i].gbs);
        if (rc) return rc;
    }
    return QB_OK;
}

/* The largest thread count among a document's roofline.ceiling records. */
static int max_ceiling_threads(const qb_results *res)
{
    int t = 0;
    for (size_t i = 0; i < res->n; i++)
        if (strcmp(res->recs[i].group, "roofline.ceiling") == 0 &&
            qb_param_num(&res->recs[i], "threads") > t)
            t = (int)qb_param_num(&res->recs[i], "threads");
    return t;
}

int qb_roofline_ceilings_of(const qb_results *res, int threads, qb_ceilings *c)
{
    memset(c, 0, sizeof *c);
    if (threads <= 0) threads = max_ceiling_threads(res);
    c->threads = threads;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "roofline.ceiling") != 0 || qb_param_num(r, "threads") != threads) continue;
        int rc = QB_OK;
        if (strcmp(qb_param_str(r, "kind"), "compute") == 0)
            rc = qb_ceilings_set_compute(c, qb_param_str(r, "dtype"), qb_metric_value(r, "peak"));
        else {
            rc = qb_ceilings_set_memory(c, qb_param_str(r, "level"), qb_metric_value(r, "bandwidth"),
                                        qb_param_str(r, "kernel"));
            if (!rc && qb_param_num(r, "capacity_bytes") > 0)
                rc = qb_ceilings_set_capacity(c, qb_param_str(r, "level"), qb_param_num(r, "capacity_bytes"));
            if (!rc && qb_param_num(r, "nt_bandwidth_gbs") > 0)
                rc = qb_ceilings_set_memory_nt(c, qb_param_str(r, "level"), qb_param_num(r, "nt_bandwidth_gbs"),
                                               qb_param_str(r, "nt_kernel"));
        }
        if (rc) return rc;
    }
    return QB_OK;
}

/* The time of the same op, size and threads in fp32, for the speedup columns. */
static const qb_record *fp32_twin(const qb_results *in, const qb_record *r)
{
    for (size_t i = 0; i < in->n; i++) {
        const qb_record *t = &in->recs[i];
        if (strcmp(t->group, "ops") == 0 && strcmp(qb_param_str(t, "op"), qb_param_str(r, "op")) == 0 &&
            strcmp(qb_param_str(t, "dtype"), "fp32") == 0 && strcmp(qb_param_str(t, "backend"), qb_param_str(r, "backend")) == 0 &&
            qb_param_num(t, "threads") == qb_param_num(r, "threads") &&
            strcmp(qb_param_str(t, "size"), qb_param_str(r, "size")) == 0)
            return t;
    }
    return NULL;
}

/* The gemm record measured beside r: same dtype, quantization, policy, isa,
 * backend and threads (the reference a compute-bound operator's tiles are
 * held to). NULL when the results have none, or r is that gemm. */
static const qb_record *gemm_twin(const qb_results *in, const qb_record *r)
{
    static const char *const same[] = {"dtype", "quant", "policy", "isa", "backend", "size"};
    if (strcmp(qb_param_str(r, "op"), "gemm") == 0) return NULL;
    for (size_t i = 0; i < in->n; i++) {
        const qb_record *t = &in->recs[i];
        if (strcmp(t->group, "ops") != 0 || strcmp(qb_param_str(t, "op"), "gemm") != 0 ||
            qb_param_num(t, "threads") != qb_param_num(r, "threads"))
            continue;
        bool ok = true;
        for (size_t k = 0; k < sizeof same / sizeof same[0] && ok; k++)
            ok = strcmp(qb_param_str(t, same[k]), qb_param_str(r, same[k])) == 0;
        if (ok) return t;
    }
    return NULL;
}

/* Whether an operator record writes with non-temporal stores (its "stores"
 * param, set by the memory-bound operators; the others store normally). */
static bool nt_stores(const qb_record *r)
{
    return strncmp(qb_param_str(r, "stores"), "non-temporal", 12) == 0;
}

/* Why a point sits below QB_RL_NEAR of its roof (far below under half) or
 * above it, from what the record and the
 * ceilings know: the footprint against each level's capacity, the time of one
 * call, the ceiling's kernel and byte accounting. */
/* The operator's phases as timed apart (params "phases", qb_op_desc.phases):
 * "its phases, timed apart: <name> 39% of the time at 686 GOP/s, ...", or
 * "" when the record has none. */
static void phases_text(const qb_record *src, char *buf, size_t cap)
{
    buf[0] = 0;
    const cJSON *ph = cJSON_GetObjectItem(src->params, "phases"), *f;
    if (!cJSON_IsArray(ph) || cJSON_GetArraySize(ph) == 0) return;
    size_t len = (size_t)snprintf(buf, cap, "; its phases, timed apart:");
    cJSON_ArrayForEach(f, ph) {
        if (len >= cap) break;
        const cJSON *name = cJSON_GetObjectItem(f, "phase"), *share = cJSON_GetObjectItem(f, "share");
        const cJSON *gops = cJSON_GetObjectItem(f, "gops");
        if (!cJSON_IsString(name) || !cJSON_IsNumber(share)) continue;
        char rate[48] = " (no arithmetic counted)";
        if (cJSON_IsNumber(gops)) snprintf(rate, sizeof rate, " at %.0f GOP/s", gops->valuedouble);
        len += (size_t)snprintf(buf + len, cap - len, "%s %s %.0f%% of the time%s", f == ph->child ? "" : ",",
                                name->valuestring, share->valuedouble, rate);
    }
}

/* A compute-bound point above its peak. A padded conv's formula counts
 * every tap, as libraries count a conv's work, and a kernel that skips the
 * taps on the zero padding (params padding_taps "skipped", metric
 * padding_ops) does that much less: on the taps it computes, it runs at the
 * efficiency times the share inside the image. What is left above the peak
 * has no such reason the record can give. */
static int above_peak_note(qb_record *o, const qb_record *src, const qb_rl_result *a)
{
    const char *peak = qb_param_str(o, "ceiling_dtype");
    const double pad = qb_metric_value(src, "padding_ops"), ops = qb_metric_value(src, "ops");
    const char *taps = qb_param_str(src, "padding_taps");
    char why[400] = "";
    double left = a->efficiency; /* the efficiency still to explain */
    const char *tail = "; above it still: ";
    const bool computed = strncmp(taps, "computed", 8) == 0;
    if (isfinite(pad) && pad > 0 && isfinite(ops) && ops > pad && !computed) {
        const double share = 100 * pad / ops, inside = a->efficiency * (1 - pad / ops);
        if (strcmp(taps, "skipped") == 0) {
            snprintf(why, sizeof why, "%.1f%% of the operations its formula counts (every tap, as libraries "
                                      "count a conv) fall on the zero padding, and this kernel skips them: on "
                                      "the taps it computes it runs at %.0f%% of the peak",
                     share, 100 * inside);
            left = inside;
        } else {
            snprintf(why, sizeof why, "%.1f%% of the operations its formula counts fall on the zero padding, "
                                      "which a kernel may skip (%s): without them it would run at %.0f%% of "
                                      "the peak",
                     share, taps[0] ? taps : "whether this one does is not recorded", 100 * inside);
            /* how much it skips is not known: the padding may explain it, or not */
            if (inside <= 1) tail = "; if it skips too few, ";
            else left = inside;
        }
    }
    const char *clock = "the peak probe ran at a lower clock than this operator, or the FLOP formula counts "
                        "less work than the kernel does";
    if (!why[0]) return qb_record_note(o, "runs at %.0f%% of the %s peak: %s", 100 * a->efficiency, peak, clock);
    return qb_record_note(o, "runs at %.0f%% of the %s peak: %s%s%s", 100 * a->efficiency, peak, why,
                          left > 1 ? tail : "", left > 1 ? clock : "");
}

static int verdict_note(qb_record *o, const qb_record *src, const qb_ceilings *c, const qb_rl_result *a,
                        const qb_rl_point *p, bool cache_aware, const qb_record *gemm, double gemm_eff)
{
    char fp[32];
    qb_fmt_bytes(fp, sizeof fp, p->bytes);
    const qb_rl_memory *lv = &c->memory[a->level];
    const char *roof = a->bound_level < 0 ? "compute" : lv->level;
    if (a->efficiency < QB_RL_NEAR) {
        const double call_us = p->seconds * 1e6, empty_us = qb_param_num(src, "empty_call_ns") * 1e-3;
        char where[96], why[200];
        if (a->bound_level < 0) snprintf(where, sizeof where, "the %s peak", qb_param_str(o, "ceiling_dtype"));
        else snprintf(where, sizeof where, "the %s roof, the level its %s footprint lives in", roof, fp);
        if (empty_us > 0 && empty_us >= QB_RL_OVERHEAD_SHARE * call_us)
            snprintf(why, sizeof why, "an empty call on its threads takes %.3g us (measured), %.0f%% of it: the "
                                      "call's fixed cost, not the roof, limits it at this size",
                     empty_us, 100 * empty_us / call_us);
        else if (empty_us > 0)
            snprintf(why, sizeof why, "an empty call takes only %.3g us (measured): the kernel's own loop, not "
                                      "the roof or the call's fixed cost, limits it", empty_us);
        else
            snprintf(why, sizeof why, "%s", call_us < QB_RL_SHORT_CALL_US
                                                ? "at this size a call's fixed cost can outweigh its work (the "
                                                  "record has no measured empty call)"
                                                : "the kernel's own loop, not the roof, limits it");
        /* a compute-bound operator beside the gemm on the same instructions:
         * when that gemm gets much nearer the peak in the same results (and
         * the call's fixed cost is small), the operator's shape, not the
         * tiles' arithmetic, holds it back */
        char why2[400];
        if (gemm && a->bound_level < 0 && gemm_eff >= a->efficiency + QB_RL_GEMM_GAP &&
            !(empty_us >= QB_RL_OVERHEAD_SHARE * call_us)) {
            snprintf(why2, sizeof why2,
                     "the gemm %s on the same instructions reaches %.0f%% of this peak in the same results: what "
                     "this operator does at its shape (%s = %s), short or narrow products and the work around them, "
                     "holds it back, not the tiles' arithmetic or the call's fixed cost",
                     qb_param_str(gemm, "shape"), 100 * gemm_eff, qb_param_str(src, "shape_keys"),
                     qb_param_str(src, "shape"));
        } else {
            snprintf(why2, sizeof why2, "%s", why);
        }
        char phases[600];
        phases_text(src, phases, sizeof phases);
        return qb_record_note(o, "runs at %.0f%% of %s; one call takes %.3g %s; %s%s", 100 * a->efficiency, where,
                              call_us < 1000 ? call_us : call_us / 1000, call_us < 1000 ? "us" : "ms", why2,
                              phases);
    }
    if (a->bound_level < 0) return above_peak_note(o, src, a);
    int inside = -1; /* the cache its footprint fits in, when the classic roof was used */
    if (!cache_aware) inside = qb_ceilings_footprint_level(c, p->bytes);
    if (inside >= 0 && inside < c->nmemory - 1) {
        char cap[32];
        qb_fmt_bytes(cap, sizeof cap, c->memory[inside].capacity);
        return qb_record_note(o, "above the DRAM roof by %.0f%%: its %s footprint fits in %s (%s), which "
                                 "served it; the classic roofline's DRAM roof does not bound it",
                              100 * (a->efficiency - 1), fp, c->memory[inside].level, cap);
    }
    const bool last = a->level == c->nmemory - 1;
    if (p->nt_stores && lv->gbs_nt <= 0)
        return qb_record_note(o, "above the %s roof by %.0f%%: it writes with non-temporal stores, which move "
                                 "just the bytes it counts, while the ceiling (%s kernel, ordinary stores, "
                                 "STREAM counting) does not count its write-allocate reads; no non-temporal "
                                 "ceiling was measured for %s",
                              lv->level, 100 * (a->efficiency - 1), lv->kernel[0] ? lv->kernel : "?", lv->level);
    return qb_record_note(o, "above the %s roof (%s kernel, %s stores) by %.0f%%: part of its %s footprint can "
                             "stay in %s, or the host gave this run more bandwidth than the ceiling's",
                          lv->level, p->nt_stores ? lv->kernel_nt : lv->kernel,
                          p->nt_stores ? "non-temporal" : "ordinary", 100 * (a->efficiency - 1), fp,
                          last ? "the last cache" : "a faster level");
}

int qb_roofline_records(const qb_results *in, const qb_ceilings *c, int threads, bool cache_aware,
                        qb_results *out)
{
    int rc = add_ceiling_records(c, out);
    if (rc) return rc;
    int analysed = 0;
    for (size_t i = 0; i < in->n && rc == QB_OK; i++) {
        const qb_record *r = &in->recs[i];
        if (strcmp(r->group, "ops") != 0 || qb_param_num(r, "threads") != threads) continue;
        const qb_rl_point p = {qb_metric_value(r, "ops"), qb_metric_value(r, "bytes"), qb_metric_value(r, "time"),
                               nt_stores(r)};
        if (!isfinite(p.ops) || !isfinite(p.bytes) || !isfinite(p.seconds)) continue;
        const char *cdt = qb_roofline_roof_dtype(c, r);
        qb_rl_result a;
        rc = qb_roofline_analyse(c, cdt ? cdt : qb_roofline_ceiling_dtype(r), &p, cache_aware, &a);
        if (rc) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s", qb_last_error(rc));
            return qb_fail(rc, "%s: %s (measure the ceilings of this data type with probe peak)",
                           r->id, msg);
        }
        qb_record *o = qb_results_add(out, "roofline", r->id + strlen("ops/"));
        if (!o) return QB_ENOMEM;
        static const char *const keys[] = {"op", "dtype", "quant", "policy", "backend", "isa", "size", "cache", "stores"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0] && rc == QB_OK; k++)
            if (qb_param_str(r, keys[k])[0]) rc = qb_record_param_str(o, keys[k], qb_param_str(r, keys[k]));
        if (rc) return rc;
        qb_record_param_num(o, "threads", threads);
        qb_record_param_str(o, "ceiling_dtype", cdt);
        qb_record_param_str(o, "roofline", cache_aware ? "cache-aware" : "classic (DRAM)");
        qb_record_param_str(o, "verdict", a.verdict == QB_RL_COMPUTE_BOUND ? "compute-bound" : "memory-bound");
        qb_record_param_str(o, "bound_by", a.bound_level < 0 ? "compute" : c->memory[a.bound_level].level);
        qb_record_param_str(o, "level", c->memory[a.level].level);
        if (a.bound_level >= 0) {
            /* the ceiling it is held to, of its own store kind and byte count */
            const qb_rl_memory *lm = &c->memory[a.bound_level];
            const bool nt = p.nt_stores && lm->gbs_nt > 0;
            qb_record_param_str(o, "ceiling_kernel", nt ? lm->kernel_nt : lm->kernel);
            qb_record_param_str(o, "ceiling_stores", nt ? "non-temporal" : "regular");
        }
        qb_record_param_num(o, "footprint_bytes", p.bytes);
        if (c->memory[a.level].capacity > 0)
            qb_record_param_num(o, "level_capacity_bytes", c->memory[a.level].capacity);
        cJSON_AddBoolToObject(o->params, "far_below_roof", a.far_below);
        cJSON_AddBoolToObject(o->params, "above_roof", a.above_roof);
        rc = qb_record_metric(o, "ops", "op", QB_BETTER_NONE, p.ops);
        if (!rc) rc = qb_record_metric(o, "bytes", "B", QB_BETTER_NONE, p.bytes);
        if (!rc) rc = qb_record_metric(o, "intensity", "op/B", QB_BETTER_NONE, a.ai);
        if (!rc) rc = qb_record_metric(o, "performance", "GOP/s", QB_BETTER_HIGHER, a.measured);
        if (!rc) rc = qb_record_metric(o, "bandwidth", "GB/s", QB_BETTER_HIGHER, a.measured_gbs);
        if (!rc) rc = qb_record_metric(o, "peak", "GOP/s", QB_BETTER_NONE, a.peak);
        if (!rc) rc = qb_record_metric(o, "attainable_dram", "GOP/s", QB_BETTER_NONE, a.dram_attainable);
        for (int l = 0; l < c->nmemory && !rc; l++) {
            char name[48];
            snprintf(name, sizeof name, "ridge_%s", c->memory[l].level);
            rc = qb_record_metric(o, name, "op/B", QB_BETTER_NONE, a.ridge[l]);
        }
        if (!rc)
            rc = qb_record_metric(o, "roof", p.ops > 0 ? "GOP/s" : "GB/s", QB_BETTER_NONE, a.roof);
        if (!rc) rc = qb_record_metric(o, "efficiency", "ratio", QB_BETTER_HIGHER, a.efficiency);
        const qb_record *twin = strcmp(qb_param_str(r, "dtype"), "fp32") != 0 ? fp32_twin(in, r) : NULL;
        if (!rc && twin) {
            /* What quantization buys: the measured speedup over fp32, and the
             * ratio of the two roofs, its upper bound on this machine. */
            qb_rl_result af;
            const qb_rl_point pf = {qb_metric_value(twin, "ops"), qb_metric_value(twin, "bytes"),
                                    qb_metric_value(twin, "time"), nt_stores(twin)};
            if (qb_roofline_roof_dtype(c, twin) &&
                qb_roofline_analyse(c, qb_roofline_roof_dtype(c, twin), &pf, cache_aware, &af) == QB_OK &&
                p.ops > 0 && pf.ops > 0) {
                rc = qb_record_metric(o, "speedup_vs_fp32", "x", QB_BETTER_HIGHER, pf.seconds / p.seconds);
                if (!rc)
                    rc = qb_record_metric(o, "roof_gain_vs_fp32", "x", QB_BETTER_NONE,
                                          a.dram_attainable / af.dram_attainable);
            }
        }
        if (!rc && (a.efficiency < QB_RL_NEAR || a.above_roof)) {
            const qb_record *gm = gemm_twin(in, r);
            double gemm_eff = 0;
            if (gm) {
                const qb_rl_point pg = {qb_metric_value(gm, "ops"), qb_metric_value(gm, "bytes"),
                                        qb_metric_value(gm, "time"), false};
                qb_rl_result ag;
                if (qb_roofline_analyse(c, cdt, &pg, cache_aware, &ag) == QB_OK && ag.bound_level < 0)
                    gemm_eff = ag.efficiency;
                else
                    gm = NULL;
                qb_clear_error();
            }
            rc = verdict_note(o, r, c, &a, &p, cache_aware, gm, gemm_eff);
            if (!rc && gm) rc = qb_record_param_num(o, "gemm_efficiency", gemm_eff);
        }
        analysed++;
    }
    if (rc == QB_OK && analysed == 0)
        return qb_fail(QB_EINPUT, "no operator results with %d thread(s) to analyse", threads);
    return rc;
}

void qb_roofline_print(const qb_results *res)
{
    qb_ceilings c;
    if (qb_roofline_ceilings_of(res, 0, &c) == QB_OK) {
        printf("Ceilings (%d thread%s):", c.threads, c.threads == 1 ? "" : "s");
        for (int i = 0; i < c.ncompute; i++) printf("  %s %.0f GOP/s", c.compute[i].dtype, c.compute[i].gops);
        printf("\n          ");
        for (int i = 0; i < c.nmemory; i++)
            printf("  %s %.0f GB/s (%s)", c.memory[i].level, c.memory[i].gbs, c.memory[i].kernel);
        printf("\n\n");
    }
    static const char *const head[] = {"operator", "footprint", "intensity", "GOP/s", "roof", "efficiency",
                                       "verdict", "bound by", "vs fp32", "roof gain"};
    qb_table t;
    qb_table_init(&t, 10, head);
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "roofline") != 0) continue;
        char sp[16] = "-", rg[16] = "-", eff[24];
        const qb_metric *m = qb_record_find_metric(r, "speedup_vs_fp32");
        if (m) snprintf(sp, sizeof sp, "%.2fx", m->value);
        m = qb_record_find_metric(r, "roof_gain_vs_fp32");
        if (m) snprintf(rg, sizeof rg, "%.2fx", m->value);
        const bool far = cJSON_IsTrue(cJSON_GetObjectItem(r->params, "far_below_roof"));
        const bool above = cJSON_IsTrue(cJSON_GetObjectItem(r->params, "above_roof"));
        snprintf(eff, sizeof eff, "%.0f%%%s", 100 * qb_metric_value(r, "efficiency"),
                 far ? " (far below)" : above ? " (above)" : "");
        const bool bytes_only = qb_metric_value(r, "ops") == 0;
        char perf[32], roof[32];
        snprintf(perf, sizeof perf, bytes_only ? "%.1f GB/s" : "%.1f", bytes_only ? qb_metric_value(r, "bandwidth") : qb_metric_value(r, "performance"));
        snprintf(roof, sizeof roof, bytes_only ? "%.1f GB/s" : "%.1f", qb_metric_value(r, "roof"));
        char fp[48] = "-";
        if (qb_param_num(r, "footprint_bytes") > 0) {
            qb_fmt_bytes(fp, sizeof fp, qb_param_num(r, "footprint_bytes"));
            snprintf(fp + strlen(fp), sizeof fp - strlen(fp), " in %s", qb_param_str(r, "level"));
        }
        qb_table_rowf(&t, "%s\t%s\t%.3g\t%s\t%s\t%s\t%s\t%s\t%s\t%s", r->id + strlen("roofline/"), fp,
                      qb_metric_value(r, "intensity"), perf, roof, eff, qb_param_str(r, "verdict"), qb_param_str(r, "bound_by"), sp, rg);
    }
    qb_table_print(&t, stdout);
    qb_table_free(&t);
    printf("\nmemory-bound points speed up with fewer bytes (fp16, int8) or by fusing them into\n"
           "their neighbour (qbench fuse), not with more compute; 'roof gain' is the ratio of the\n"
           "quantized point's roof to fp32's, the most quantization can buy here.\n");
    qb_print_notes(res);
}

/* A point's short label: op, dtype in three letters (int8 with t or c for
 * per-tensor or per-channel), and its size when it has one: "relu i8t L2". */
static void short_label(const qb_record *r, char *buf, size_t len)
{
    const char *dt = qb_param_str(r, "dtype"), *q = qb_param_str(r, "quant"), *size = qb_param_str(r, "size");
    char d[8];
    if (strcmp(dt, "int8") == 0) snprintf(d, sizeof d, "i8%s", strcmp(q, "per-channel") == 0 ? "c" : "t");
    else snprintf(d, sizeof d, "%c%s", dt[0], dt[0] ? dt + strcspn(dt, "0123456789") : "");
    snprintf(buf, len, "%s %s%s%s", qb_param_str(r, "op"), d, size[0] ? " " : "", size);
}

int qb_roofline_thread_counts(const qb_results *res, int *threads, int max)
{
    int n = 0;
    for (size_t i = 0; i < res->n; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "roofline.ceiling") != 0) continue;
        const int t = (int)qb_param_num(r, "threads");
        bool seen = false;
        for (int k = 0; k < n; k++) seen |= threads[k] == t;
        if (!seen && n < max && t > 0) threads[n++] = t;
    }
    return n;
}

int qb_roofline_chart_name(const qb_results *res, int threads, char *name, size_t len)
{
    int all[64];
    const int n = qb_roofline_thread_counts(res, all, 64);
    int most = 0;
    for (int i = 0; i < n; i++) most = all[i] > most ? all[i] : most;
    if (threads == most) snprintf(name, len, "roofline");
    else snprintf(name, len, "roofline-t%d", threads);
    return QB_OK;
}

int qb_roofline_chart_threads(const qb_results *res, const char *dir, int threads)
{
    qb_ceilings c;
    int rc = qb_roofline_ceilings_of(res, threads, &c);
    if (rc) return rc;
    enum { MAXP = 256 };
    static qb_rl_plot_point pts[MAXP];
    const char *dtypes[QB_RL_MAX_DTYPES];
    int np = 0, nd = 0;
    for (size_t i = 0; i < res->n && np < MAXP; i++) {
        const qb_record *r = &res->recs[i];
        if (strcmp(r->group, "roofline") != 0 || qb_param_num(r, "threads") != c.threads) continue;
        qb_rl_plot_point *p = &pts[np++];
        short_label(r, p->label, sizeof p->label);
        snprintf(p->dtype, sizeof p->dtype, "%s", qb_param_str(r, "ceiling_dtype"));
        snprintf(p->group, sizeof p->group, "%s|%s|%s|%s", qb_param_str(r, "op"), qb_param_str(r, "size"),
                 qb_param_str(r, "backend"), qb_param_str(r, "cache"));
        p->base = strcmp(qb_param_str(r, "dtype"), "fp32") == 0;
        p->ai = qb_metric_value(r, "intensity");
        p->gops = qb_metric_value(r, "performance");
        bool seen = false;
        for (int d = 0; d < nd; d++) seen |= strcmp(dtypes[d], qb_param_str(r, "ceiling_dtype")) == 0;
        if (!seen && nd < QB_RL_MAX_DTYPES && qb_ceilings_compute(&c, qb_param_str(r, "ceiling_dtype")))
            dtypes[nd++] = qb_ceilings_compute(&c, qb_param_str(r, "ceiling_dtype"))->dtype;
    }
    char title[128], name[64];
    snprintf(title, sizeof title, "Roofline, %d thread%s", c.threads, c.threads == 1 ? "" : "s");
    qb_roofline_chart_name(res, threads, name, sizeof name);
    return qb_chart_roofline(dir, name, title, &c, dtypes, nd, pts, np);
}

int qb_roofline_chart(const qb_results *res, const char *dir)
{
    int threads[64];
    const int n = qb_roofline_thread_counts(res, threads, 64);
    if (n == 0) return qb_fail(QB_EINPUT, "roofline chart: no ceilings in the results");
    int rc = QB_OK;
    for (int i = 0; i < n; i++) {
        const int one = qb_roofline_chart_threads(res, dir, threads[i]);
        if (one && (rc == QB_OK || rc == QB_EUNSUPPORTED)) rc = one;
    }
    return rc;
}
