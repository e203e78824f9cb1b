/* Pieces the probe commands share: choosing names from a table with --filter,
 * the common header of a results document, and the steps around a measurement. */
#ifndef QB_PROBE_COMMON_H
#define QB_PROBE_COMMON_H

#include "output.h"
#include "results.h"

#include <stdbool.h>

/* --filter: comma list of names or shell patterns ("vfma*"). A plain name
 * that matches nothing is a usage error naming it. sel[i] is set for each
 * selected names[i]. A NULL filter selects everything. */
int qb_filter_select(const char *what, const char *filter, const char *const *names, int n,
                     bool *sel);

/* Start a results document: tool, machine (sysinfo), settings with the policy. */
int qb_probe_results_begin(qb_results *res, const qb_rep_policy *pol, bool quick);

/* What a measuring command does once its options are parsed and checked:
 * start the results (qb_probe_results_begin), install the interrupt handler,
 * measure(res, pol, ctx), emit what was measured (qb_finish, print for the
 * table) and free the results. Returns the command's status. */
typedef int (*qb_measure_fn)(qb_results *res, const qb_rep_policy *pol, void *ctx);
int qb_cmd_measure(const qb_run_opts *o, const qb_rep_policy *pol, qb_measure_fn measure, void *ctx,
                   void (*print)(const qb_results *));

/* A measuring command without positional words, whole: parse argv by spec
 * (qb_cli_parse_policy), then check(o, pol, ctx) when check is not NULL,
 * then qb_cmd_measure. check validates the command's own options and derives
 * what measure needs into ctx, and may adjust the policy; it runs before the
 * results (and their machine probe) begin, so bad input fails at once. */
typedef int (*qb_check_fn)(const qb_run_opts *o, qb_rep_policy *pol, void *ctx);
int qb_cmd_parse_measure(const qb_cmd_spec *spec, int argc, char **argv, const qb_run_opts *o,
                         qb_check_fn check, qb_measure_fn measure, void *ctx,
                         void (*print)(const qb_results *));

/* A figure taken on every vCPU of a virtual machine through what the host
 * shares with other guests (last-level cache, DRAM): no default regression
 * gate (qb_record_no_gate), since other guests' load moves it up to 2x between
 * runs; the 1-thread figure of the same kernel gates the code. No-op on bare
 * metal or below every CPU. */
int qb_record_host_shared(qb_record *rec, int threads, const char *what);

/* Whether a figure over a shared resource on `threads` threads is the host's
 * (a virtual machine, every vCPU busy): the test qb_record_host_shared makes. */
bool qb_host_shared(int threads);

/* Parse a thread-count list such as "1,2"; "all" or "max" means every allowed CPU. */
int qb_parse_threads(const char *what, const char *s, int *out, int max, int *n);

#endif
