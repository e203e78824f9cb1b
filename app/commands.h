/* Every qbench command's entry point. argv holds the words after the command
 * path; a command returns QB_OK, QB_DONE (after --help) or a negative QB_E*
 * code with qb_fail() detail, and main.c turns that into the exit status. */
#ifndef QB_COMMANDS_H
#define QB_COMMANDS_H

int qb_cmd_sysinfo(int argc, char **argv);    /* app/sysinfo_cmd.c */
int qb_cmd_list(int argc, char **argv);       /* app/list_cmd.c */
int qb_cmd_probe_inst(int argc, char **argv); /* app/probe_inst_cmd.c */
int qb_cmd_probe_peak(int argc, char **argv); /* app/probe_peak_cmd.c */
int qb_cmd_probe_mem(int argc, char **argv);  /* app/probe_mem_cmd.c */
int qb_cmd_probe_ctx(int argc, char **argv);  /* app/probe_ctx_cmd.c */
int qb_cmd_probe_interp(int argc, char **argv); /* app/probe_interp_cmd.c */
int qb_cmd_probe_storage(int argc, char **argv); /* app/probe_storage_cmd.c */
int qb_cmd_ops(int argc, char **argv);        /* app/ops_cmd.c */
int qb_cmd_quant(int argc, char **argv);      /* app/quant_cmd.c */
int qb_cmd_fuse(int argc, char **argv);       /* app/fuse_cmd.c */
int qb_cmd_roofline(int argc, char **argv);   /* app/roofline_cmd.c */
int qb_cmd_report(int argc, char **argv);     /* app/report_cmd.c */
int qb_cmd_compare(int argc, char **argv);    /* app/compare_cmd.c */
int qb_cmd_ab(int argc, char **argv);         /* app/ab_cmd.c */
int qb_cmd_run(int argc, char **argv);        /* app/run_cmd.c */
int qb_cmd_merge(int argc, char **argv);      /* app/merge_cmd.c */
int qb_cmd_export(int argc, char **argv);     /* app/export_cmd.c */
int qb_cmd_costs(int argc, char **argv);      /* app/costs_cmd.c */
int qb_cmd_net(int argc, char **argv);        /* app/net_cmd.c */
int qb_cmd_model(int argc, char **argv);      /* app/model_cmd.c */
int qb_cmd_history_add(int argc, char **argv);    /* app/history_cmd.c */
int qb_cmd_history_show(int argc, char **argv);   /* app/history_cmd.c */
int qb_cmd_history_detect(int argc, char **argv); /* app/history_cmd.c */

#endif
