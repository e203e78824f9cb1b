/* The one line that answers "will quantizing this network pay off on this
 * machine", from qbench net's records (group "net"): per model, batch and
 * thread count, the fastest quantized variant (int8 before fp16) against
 * fp32 end to end, with its output error. qbench net prints it and the
 * report's network section shows it. */
#ifndef QB_NET_ANSWER_H
#define QB_NET_ANSWER_H

#include "results.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const qb_record *fp32;  /* the fp32 end-to-end record */
    const qb_record *best;  /* the variant compared with it */
    double speedup;         /* fp32's median latency over best's: above 1, best is faster */
    double nsr, nsr_db;     /* best's output error against fp32; NAN when not measured */
} qb_net_answer;

/* True for one configuration's end-to-end record (net/<model>/<variant>/b<batch>/t<threads>). */
bool qb_net_is_config(const qb_record *r);

/* The answer for one model at one batch and thread count; false when the
 * records there lack fp32 or any other variant. */
bool qb_net_answer_at(const qb_results *res, const char *model, double batch, double threads,
                      qb_net_answer *a);

/* Every answer of res: one per model and thread count, at the model's first
 * batch in record order (where qbench net also profiles the layers). Returns
 * how many were written to out, at most max. */
int qb_net_answers(const qb_results *res, qb_net_answer *out, int max);

/* "INT8 per-channel: 2.9x faster end to end than FP32 on 2 threads (batch 1),
 * output NSR 0.0003 (-35 dB)"; "accuracy not measured" in place of the
 * error when the records have none. */
void qb_net_answer_format(const qb_net_answer *a, char *buf, size_t len);

#endif
