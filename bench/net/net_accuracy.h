/* The accuracy of a network run in fp16 or int8 against fp32 on seeded
 * inputs: the output's noise-to-signal ratio and cosine, and per layer the
 * error of its output both accumulated (every layer before it in the dtype
 * too) and isolated (its inputs taken from the fp32 run, only that layer in
 * the dtype), as layerwise and graphwise quantization analyses report. */
#ifndef QB_NET_ACCURACY_H
#define QB_NET_ACCURACY_H

#include "net_exec.h"
#include "qerror.h"

typedef struct {
    qb_qerror output;
    qb_qerror *accumulated; /* [nnodes]; inactive layers copy their producer's */
    qb_qerror *isolated;    /* [nnodes] */
    int nnodes;
} qb_net_accuracy;

/* Run g in fp32 and in o's dtype on `batches` seeded inputs (seeds
 * o->seed + 1000 + b, apart from the calibration's) and measure. */
int qb_net_accuracy_run(const qb_net_graph *g, const qb_net_exec_opts *o, int batches,
                        qb_net_accuracy *out);
void qb_net_accuracy_free(qb_net_accuracy *a);

#endif
