/* qbench: the command table and dispatch. */
#include "commands.h"
#include "error.h"
#include "results.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *word;    /* first word */
    const char *sub;     /* second word, or NULL */
    const char *summary;
    int (*fn)(int argc, char **argv);
} qb_command;

static const qb_command commands[] = {
    {"sysinfo", NULL, "CPU, ISA, caches, calibrated core clock, counters", qb_cmd_sysinfo},
    {"list", NULL, "every probe and operator with its parameters", qb_cmd_list},
    {"probe", "inst", "instruction latency and throughput in core cycles", qb_cmd_probe_inst},
    {"probe", "peak", "peak compute per data type, 1..N threads", qb_cmd_probe_peak},
    {"probe", "mem", "cache and DRAM bandwidth and latency", qb_cmd_probe_mem},
    {"probe", "ctx", "syscall and context-switch cost", qb_cmd_probe_ctx},
    {"probe", "interp", "one interpreted addition in CPython", qb_cmd_probe_interp},
    {"probe", "storage", "disk read latency, IOPS and bandwidth (O_DIRECT)", qb_cmd_probe_storage},
    {"ops", NULL, "operator benchmarks in fp32, fp16 and int8", qb_cmd_ops},
    {"quant", NULL, "quantization error of each policy", qb_cmd_quant},
    {"fuse", NULL, "fused vs unfused operator chains", qb_cmd_fuse},
    {"net", NULL, "a whole network layer by layer in fp32, fp16 and int8", qb_cmd_net},
    {"roofline", NULL, "roofline analysis of operators", qb_cmd_roofline},
    {"model", NULL, "a network's layers: shapes and work, from the zoo or ONNX", qb_cmd_model},
    {"costs", NULL, "what each instruction step and system operation costs here", qb_cmd_costs},
    {"run", NULL, "the whole suite into one results file", qb_cmd_run},
    {"report", NULL, "HTML report with charts from results files", qb_cmd_report},
    {"compare", NULL, "regression gate between two results files", qb_cmd_compare},
    {"ab", NULL, "A/B regression check of two qbench builds, measured alternately", qb_cmd_ab},
    {"export", NULL, "a results file as Google Benchmark JSON or CSV", qb_cmd_export},
    {"merge", NULL, "pool runs of the same suite into one results file", qb_cmd_merge},
    {"history", "add", "store a run in the results history (SQLite or PostgreSQL)", qb_cmd_history_add},
    {"history", "show", "each metric's series in the history", qb_cmd_history_show},
    {"history", "detect", "steps and trends in the history, pinned to commits", qb_cmd_history_detect},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "qbench %s: how fast this machine runs, from instructions to neural-network operators\n\n"
               "Usage: qbench COMMAND [options]   (qbench COMMAND --help for its options)\n\nCommands:\n",
            QB_VERSION);
    for (int i = 0; i < NCOMMANDS; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s%s%s", commands[i].word, commands[i].sub ? " " : "",
                 commands[i].sub ? commands[i].sub : "");
        fprintf(f, "  %-16s %s\n", name, commands[i].summary);
    }
    fprintf(f, "\nEvery command takes --json (JSON to stdout) and -o FILE (JSON written atomically).\n"
               "Exit status: 0 ok, 1 regression found, 2 usage or input error.\n"
               "\nExamples:\n  qbench sysinfo\n  qbench probe inst --quick\n"
               "  qbench probe peak -o out/peak.json\n");
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) return qb_fail(QB_EUSAGE, "qbench: a command is required (see qbench --help)");
    const char *w = argv[1];
    if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0 || strcmp(w, "help") == 0) {
        usage(stdout);
        return QB_OK;
    }
    if (strcmp(w, "--version") == 0 || strcmp(w, "version") == 0) {
        printf("qbench %s (git %s)\n", QB_VERSION, qb_tool_git());
        return QB_OK;
    }
    bool known_word = false;
    for (int i = 0; i < NCOMMANDS; i++) {
        const qb_command *c = &commands[i];
        if (strcmp(c->word, w) != 0) continue;
        known_word = true;
        int skip = 2;
        if (c->sub) {
            if (argc < 3 || strcmp(argv[2], c->sub) != 0) continue;
            skip = 3;
        }
        return c->fn(argc - skip, argv + skip);
    }
    if (known_word) {
        if (argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            printf("Usage: qbench %s SUBCOMMAND [options]\n\nSubcommands:\n", w);
            for (int i = 0; i < NCOMMANDS; i++)
                if (strcmp(commands[i].word, w) == 0)
                    printf("  %-8s %s\n", commands[i].sub, commands[i].summary);
            return QB_OK;
        }
        return qb_fail(QB_EUSAGE, "qbench %s: unknown subcommand '%s' (see qbench %s --help)", w,
                       argc >= 3 ? argv[2] : "", w);
    }
    return qb_fail(QB_EUSAGE, "qbench: unknown command '%s' (see qbench --help)", w);
}

int main(int argc, char **argv)
{
    /* Buffers of 4 MiB and more get pages of their own and give them back
     * when freed. glibc's default raises that threshold after each large
     * free, so the suite's many tensors of 16-32 MiB ended up in heaps that
     * are never returned, and the peak grew from step to step. */
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    const int rc = dispatch(argc, argv);
    if (rc < 0) {
        const char *msg = qb_last_error(rc);
        fprintf(stderr, "%s%s\n", strncmp(msg, "qbench", 6) == 0 ? "" : "qbench: ", msg);
    }
    return qb_exit_status(rc);
}
