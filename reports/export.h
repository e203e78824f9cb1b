/* A results file in other tools' formats, so a qbench run can feed what a
 * team already uses:
 *  - Google Benchmark JSON ("context" + "benchmarks"), read by its
 *    tools/compare.py, github-action-benchmark (tool: googlecpp) and bencher
 *    (adapter cpp_google);
 *  - CSV, one row per metric, for spreadsheets and pandas. */
#ifndef QB_EXPORT_H
#define QB_EXPORT_H

#include "results.h"

#include <cjson/cJSON.h>
#include <stdio.h>

/* Google Benchmark JSON: one benchmark per record that has a time (its
 * "time" metric, else its first lower-is-better metric in s, ms, us or ns),
 * named by the record's id; records without one are left out. The time is
 * real_time and cpu_time in ns, us or ms, whichever keeps its median between
 * 1 and 1000 where it can; the record's other directed metrics (rates,
 * cycles) are user counters. Each time sample is one "iteration" entry
 * (repetition_index, repetitions = sample count) and, with two or more, the
 * mean, median and stddev "aggregate" rows follow, as Google Benchmark
 * writes with --benchmark_repetitions. Nothing written is NaN or infinite.
 * filter: "ID[:METRIC]" patterns as in compare (the time metric must be
 * selected), NULL for all. */
cJSON *qb_export_gbench(const qb_results *r, const char *filter);

/* CSV with a header: id, group, metric, unit, better, value, n, median, min,
 * max, mean, stddev, cv, p25, p75, params (compact JSON), samples (space
 * separated). */
void qb_export_csv(FILE *f, const qb_results *r, const char *filter);

#endif
