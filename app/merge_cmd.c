/* qbench merge: pool several runs of the same suite into one results file,
 * as `run --interleave` pools its passes (every sample kept, the best pass's
 * value), for instance the alternating runs of each side of a comparison. */
#include "commands.h"
#include "error.h"
#include "output.h"
#include "probes.h"
#include "results_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QB_MERGE_MAX 64

int qb_cmd_merge(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    const qb_opt opts[] = {QB_OUTPUT_OPTS(ro)};
    const qb_cmd_spec spec = {
        .path = "merge",
        .usage = "RUN.json [RUN.json ...] (-o FILE | --json)",
        .summary = "Pool runs of the same suite into one results file (samples of every run kept).",
        .details = "The tool, machine and settings of the first file are kept, but machine.core_ghz\n"
                   "becomes the fastest of the files' clocks and probe mem's bytes_per_cycle are\n"
                   "counted again at it. A record present in any file is kept; each metric holds\n"
                   "every run's samples and the best run's value.",
        .examples = "  qbench merge base-1.json base-2.json base-3.json -o base.json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .max_positional = QB_MERGE_MAX,
    };
    char *pos[QB_MERGE_MAX];
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return rc;
    if (npos == 0) return qb_fail(QB_EUSAGE, "qbench merge: name at least one results file");
    if (!ro.out && !ro.json) return qb_fail(QB_EUSAGE, "qbench merge: give -o FILE or --json");
    qb_results *in = calloc((size_t)npos, sizeof *in);
    if (!in) return qb_fail(QB_ENOMEM, "out of memory");
    int nread = 0;
    for (; nread < npos && rc == QB_OK; nread++) rc = qb_results_read(pos[nread], &in[nread]);
    if (rc) nread--;
    qb_results out = {0};
    if (rc == QB_OK) rc = qb_results_init(&out);
    if (rc == QB_OK) {
        /* The first file speaks for the tool that measured (not this one,
         * which only pools: the base build's runs may be merged with the new
         * build's qbench), the machine and the settings. */
        cJSON_Delete(out.tool);
        cJSON_Delete(out.machine);
        cJSON_Delete(out.settings);
        out.tool = cJSON_Duplicate(in[0].tool, 1);
        out.machine = cJSON_Duplicate(in[0].machine, 1);
        out.settings = cJSON_Duplicate(in[0].settings, 1);
        snprintf(out.started, sizeof out.started, "%s", in[0].started);
        if (!out.tool || !out.machine || !out.settings) rc = qb_fail(QB_ENOMEM, "out of memory");
        if (rc == QB_OK) rc = qb_results_pool(&out, in, npos);
    }
    /* Each run counted bytes per cycle at its own clock: the merged ones are
     * counted again at the fastest of them, which machine.core_ghz then says. */
    double ghz = 0;
    for (int i = 0; i < npos && rc == QB_OK; i++) {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(in[i].machine, "core_ghz");
        if (cJSON_IsNumber(g) && g->valuedouble > ghz) ghz = g->valuedouble;
    }
    if (rc == QB_OK && ghz > 0) rc = qb_mem_per_cycle_at(&out, ghz);
    if (rc == QB_OK) rc = qb_settings_put(&out, "merge", "runs", npos);
    if (rc == QB_OK) rc = qb_emit(&ro, &out, NULL);
    qb_results_free(&out);
    for (int i = 0; i < nread; i++) qb_results_free(&in[i]);
    free(in);
    return rc;
}
