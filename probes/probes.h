/* Entry points of the probe commands (argv excludes the command words). */
#ifndef QB_PROBES_H
#define QB_PROBES_H

int qb_cmd_sysinfo(int argc, char **argv);
int qb_cmd_probe_inst(int argc, char **argv);
int qb_cmd_probe_peak(int argc, char **argv);

/* qbench list: the probe part of the listing. */
void qb_probes_list(void);

#endif
