/* qbench net's human output: the end-to-end table, the top layers of each
 * variant and the totals per operator class, and the one-line answer. */
#ifndef QB_NET_PRINT_H
#define QB_NET_PRINT_H

#include "results.h"

void qb_net_print(const qb_results *res);

#endif
