/* The medium LSTM language model as published (2014): a vocabulary of
 * 10000 words embedded in 650 dimensions, two LSTM layers of 650 units and
 * a decoder back to 10000 logits, unrolled over 35 steps. The input is
 * token ids [batch, seq] (batch first, as --batch sets it), transposed to
 * the [seq, batch, features] the LSTM layers read. */
#include "zoo_build.h"

#include "error.h"

enum { VOCAB = 10000, EMBED = 650, HIDDEN = 650 };

static int lstm(qb_zoo *z, const char *name, const char *wn, const char *rn, const char *bn, int x,
                long in)
{
    const long wd[3] = {1, 4 * HIDDEN, in}, rd[3] = {1, 4 * HIDDEN, HIDDEN},
               bd[2] = {1, 8 * HIDDEN};
    const int ins[4] = {x, zoo_weight(z, wn, 3, wd, in), zoo_weight(z, rn, 3, rd, HIDDEN),
                        zoo_weight(z, bn, 2, bd, 600)};
    qb_net_attr a;
    qb_net_attr_init(&a);
    a.hidden = HIDDEN;
    return zoo_node(z, name, QB_NOP_LSTM, ins, 4, &a);
}

int qb_zoo_lstm_lm(qb_zoo *z, const long *dims, int ndim)
{
    if (ndim != 2) return qb_fail(QB_EINPUT, "lstm-lm: the input shape must be N,SEQ (token ids)");
    const int tok = zoo_input(z, "tokens", QB_NT_I64, ndim, dims);
    const long ed[2] = {VOCAB, EMBED};
    const int emb[2] = {zoo_weight(z, "embed.weight", 2, ed, 3), tok};
    int x = zoo_node(z, "embed", QB_NOP_GATHER, emb, 2, NULL);
    qb_net_attr t;
    qb_net_attr_init(&t);
    t.nperm = 3;
    t.perm[0] = 1;
    t.perm[1] = 0;
    t.perm[2] = 2;
    x = zoo_node(z, "embed.transpose", QB_NOP_TRANSPOSE, &x, 1, &t);
    x = lstm(z, "lstm1", "lstm1.W", "lstm1.R", "lstm1.B", x, EMBED);
    x = lstm(z, "lstm2", "lstm2.W", "lstm2.R", "lstm2.B", x, HIDDEN);
    const long dd[2] = {HIDDEN, VOCAB}, bd = VOCAB;
    const int dec[2] = {x, zoo_weight(z, "decoder.weight", 2, dd, HIDDEN)};
    x = zoo_node(z, "decoder", QB_NOP_MATMUL, dec, 2, NULL);
    const int db[2] = {x, zoo_weight(z, "decoder.bias", 1, &bd, 600)};
    x = zoo_node(z, "decoder.bias_add", QB_NOP_ADD, db, 2, NULL);
    return zoo_end(z, x);
}
