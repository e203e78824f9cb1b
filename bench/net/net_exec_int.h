/* The executor's private state, shared by its files: net_exec.c (create,
 * plan, run, tensor I/O), net_exec_prep.c (per-layer weights), net_exec_node.c
 * (per-layer kernels), net_exec_f32.c (the fp32 kernels of the other layers)
 * and net_exec_calib.c (int8 ranges). */
#ifndef QB_NET_EXEC_INT_H
#define QB_NET_EXEC_INT_H

#include "depthwise.h"
#include "conv_group.h"
#include "gemm_conv.h"
#include "gemm.h"
#include "layout_plan.h"
#include "net_exec.h"
#include "nn_kern.h"

typedef enum {
    EX_SKIP = 0, /* inactive: an alias, a fused activation, or a skipped layer */
    EX_CONV,     /* grouped GEMM (groups 1 included) */
    EX_DW,       /* depthwise kernel */
    EX_FC,       /* Gemm / MatMul with a constant right operand */
    EX_ADD,      /* Add of two activations of one shape */
    EX_MAXPOOL,
    EX_AVGPOOL,
    EX_GAP,
    EX_ACT,      /* Relu / Clip not fused */
    EX_TRANSPOSE, /* up to 4-D: the layout operators' plan, on the dtype's bytes */
    EX_F32,      /* any other layer: the fp32 kernel, inputs and output converted */
} ex_kind;

typedef struct {
    ex_kind kind;
    int act;             /* fused or own activation: 0, QB_NOP_RELU or QB_NOP_CLIP */
    float lo, hi;        /* its bounds (relu: 0, +inf) */
    /* conv and fc */
    long N, M, K, Nn;    /* fc: rows M, inputs K, outputs Nn */
    qb_conv_group cg;
    qb_mat *w;           /* [group] packed weights (fc: one packed B) */
    long group;
    float *bias;         /* float bias (float dtypes), [K out] */
    int32_t *bias_i32;
    float *mult;
    qb_epilogue epi;
    /* depthwise */
    qb_dw_geom dg;
    float *dw_w;
    uint16_t *dw_wh;
    int8_t *dw_wq;
    qb_dw_rq *rq;
    qb_dw_c8 dc;  /* the 8-channel-block route (depthwise.h), taken when dw_wb is set */
    float *dw_wb; /* its weights in blocks */
    /* channels-last (net_exec_nhwc.c): a conv's route, the direct conv's
     * geometry, a depthwise conv's weights [taps][channels] (set: its route) */
    int cl;       /* EX_CONV: 0 planar, CL_GEMM (1x1: one GEMM), CL_DIRECT */
    qb_conv_nhwc nc;
    float *dw_wt;
    /* pooling */
    qb_pool_geom pg;
    /* transpose */
    qb_lay_plan lay;
    /* the fp32 route: batch norm's a, b; LSTM's scratch (input gates of
     * every step, one step's hidden gates, the cell state) */
    float *bn_a, *bn_b;
    float *lstm_gx, *lstm_gh, *lstm_c;
} ex_node;

typedef struct {
    bool act;         /* an activation (not a constant) */
    int root;         /* the tensor whose storage it shares (itself if none) */
    size_t numel;
    void *p;          /* its data in the exec's dtype */
    float scale;      /* int8 */
    int32_t zp;
    bool raw;         /* integer data (token ids): kept as float in every dtype */
    int producer;     /* the node writing it, or -1 */
    int uses;         /* how many node inputs read it */
} ex_tensor;

struct qb_net_exec {
    const qb_net_graph *g;
    qb_net_exec_opts o;
    qb_gemm_isa isa;
    qb_gemm_ws *ws;
    ex_node *nodes;
    qb_net_layer *layers;
    ex_tensor *t;
    unsigned char *arena;
    size_t arena_bytes, total_bytes;
    size_t esz;        /* activation element size */
    /* the fp32 route's buffers (fp16 and int8): one per activation input
     * (QB_NET_MAXIN at most) and the output's, nf32 of them allocated */
    float *f32[QB_NET_MAXIN + 1];
    int nf32;
    size_t f32_elems;
    int file_scales;   /* int8: activation params taken from a QDQ model */
    unsigned char *lay_tmp;    /* per thread: QB_LAY_TMP_BYTES of the layout plans */
    unsigned char *dw_scratch; /* per thread */
    size_t dw_scratch_sz;
    /* channels-last: every 4-D activation is stored N x H x W x C */
    bool nhwc;
    void *xpad;         /* the direct conv's padded image (the largest layer's) */
    size_t xpad_bytes;
    void *cl_in;        /* the graph input in the exec's dtype, before its permutation */
    bool in_planar;     /* the graph input stays NCHW (only direct convs read it) */
};

enum { CL_GEMM = 1, CL_DIRECT = 2 };

/* net_exec_prep.c: a layer's kind, fusion and weights (g's node i). */
int qb_ex_prep_node(qb_net_exec *e, int i);
void qb_ex_free_node(ex_node *n);
/* net_exec_prep.c: layer i's int8 weights and requantization, once every
 * activation has its params. */
int qb_ex_prep_int8(qb_net_exec *e, int i);
/* net_exec_node.c: run layer i on the exec's buffers. */
int qb_ex_run_node(qb_net_exec *e, int i);
/* net_exec_f32.c: layer i's fp32 kernel from float inputs to a float output. */
int qb_ex_f32_node(const qb_net_exec *e, int i, const float *const *in, float *out);
/* Whether the fp32 route can run node n's op. */
bool qb_ex_f32_supported(const qb_net_graph *g, const qb_net_node *n);
/* net_exec_calib.c: int8 params for every activation tensor. */
int qb_ex_calibrate(qb_net_exec *e);
/* net_exec_nhwc.c: choose the channels-last layout when every layer can run
 * in it (after qb_ex_prep_node), and re-prepare the layers for it. */
int qb_ex_nhwc_choose(qb_net_exec *e);
/* Its int8 weights (from qb_ex_prep_int8): wq [channels][inputs]. */
int qb_ex_nhwc_int8(qb_net_exec *e, int i, const int8_t *wq);
/* Whether tensor t is stored channels-last. */
bool qb_ex_nhwc_tensor(const qb_net_exec *e, int t);
/* Run a channels-last conv, depthwise conv, max pool or global average pool. */
int qb_ex_nhwc_run(qb_net_exec *e, int i);
/* Tensor t as float from x (NCHW) into its storage, and back out. */
int qb_ex_nhwc_store(qb_net_exec *e, int t, const float *x);
int qb_ex_nhwc_load(const qb_net_exec *e, int t, float *x);
/* net_exec_node.c: the float epilogue of a layer (bias, ReLU or ReLU6), and
 * the Clip it could not take. */
qb_epilogue qb_ex_float_epi(const qb_net_exec *e, const ex_node *n, void *y, long ldc, bool rows);
void qb_ex_act_after(const qb_net_exec *e, const ex_node *n, void *y, size_t cnt);
/* The constant data of tensor i as float, or NULL (not a constant). */
const float *qb_ex_const(const qb_net_graph *g, int i);
/* Float value -> exec tensor element and back. */
void qb_ex_store(const qb_net_exec *e, int t, const float *x, size_t n);
void qb_ex_load(const qb_net_exec *e, int t, float *x, size_t n);
/* The same into or from other storage than the tensor's own. */
void qb_ex_store_at(const qb_net_exec *e, int t, const float *x, size_t n, void *dst);
void qb_ex_load_at(const qb_net_exec *e, int t, const void *src, float *x, size_t n);

#endif
