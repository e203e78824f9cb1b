/* Every qbench command's entry point. argv holds the words after the command
 * path; a command returns QB_OK, QB_DONE (after --help) or a negative QB_E*
 * code with qb_fail() detail, and main.c turns that into the exit status. */
#ifndef QB_COMMANDS_H
#define QB_COMMANDS_H

int qb_cmd_sysinfo(int argc, char **argv);    /* probes/sysinfo.c */
int qb_cmd_list(int argc, char **argv);       /* src/list_cmd.c */
int qb_cmd_probe_inst(int argc, char **argv); /* probes/inst.c */
int qb_cmd_probe_peak(int argc, char **argv); /* probes/peak.c */
int qb_cmd_probe_mem(int argc, char **argv);  /* probes/mem.c */
int qb_cmd_probe_ctx(int argc, char **argv);  /* probes/ctx.c */
int qb_cmd_ops(int argc, char **argv);        /* bench/ops_cmd.c */
int qb_cmd_quant(int argc, char **argv);      /* bench/quant_cmd.c */
int qb_cmd_fuse(int argc, char **argv);       /* bench/fuse_cmd.c */
int qb_cmd_roofline(int argc, char **argv);   /* reports/roofline_cmd.c */
int qb_cmd_report(int argc, char **argv);     /* reports/report_cmd.c */
int qb_cmd_compare(int argc, char **argv);    /* reports/compare_cmd.c */
int qb_cmd_run(int argc, char **argv);        /* src/run_cmd.c */
int qb_cmd_merge(int argc, char **argv);      /* src/merge_cmd.c */
int qb_cmd_export(int argc, char **argv);     /* reports/export_cmd.c */

#endif
