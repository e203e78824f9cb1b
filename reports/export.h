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

/* Google Benchmark JSON. Each metric of each record (better lower or higher;
 * informational ones are left out) becomes a benchmark named "<id>/<metric>":
 * one "iteration" entry per sample (repetitions = sample count) and, with two
 * or more samples, the mean, median, stddev and cv aggregates Google
 * Benchmark writes with --benchmark_repetitions. real_time and cpu_time hold
 * the value; time_unit is the metric's unit when it is ns, us, ms or s.
 * Metrics in other units keep their own numbers with time_unit "ns" and say
 * their real unit and direction in "label" and in "qbench_unit" and
 * "qbench_better". filter: "ID[:METRIC]" patterns as in compare, NULL for all. */
cJSON *qb_export_gbench(const qb_results *r, const char *filter);

/* CSV with a header: id, group, metric, unit, better, value, n, median, min,
 * max, mean, stddev, cv, p25, p75, params (compact JSON), samples (space
 * separated). */
void qb_export_csv(FILE *f, const qb_results *r, const char *filter);

#endif
