/* qbench net: a whole network (a zoo model or an ONNX file) run layer by
 * layer in fp32, fp16 and int8 at each batch size and thread count. */
#include "commands.h"
#include "defaults.h"
#include "error.h"
#include "net_bench.h"
#include "net_print.h"
#include "output.h"
#include "pin.h"
#include "quant.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *model, *dtypes, *quants, *batches, *threads, *input_shape, *calib, *layout;
    bool skip;
    long seed;
    qb_net_bench_opts bo;
} net_args;

static int parse_dtypes(net_args *a)
{
    char buf[128], *w[QB_NET_MAX_LIST];
    int n = qb_split_words("qbench net --dtype", a->dtypes, buf, sizeof buf, w, QB_NET_MAX_LIST);
    if (n < 0) return n;
    for (int i = 0; i < n; i++) {
        qb_dtype d;
        if (strcmp(w[i], "fp32") == 0) d = QB_FP32;
        else if (strcmp(w[i], "fp16") == 0) d = QB_FP16;
        else if (strcmp(w[i], "int8") == 0) d = QB_INT8;
        else return qb_fail(QB_EUSAGE, "qbench net --dtype: unknown dtype '%s' (fp32, fp16, int8)", w[i]);
        if (a->bo.ndtypes == 3) return qb_fail(QB_EUSAGE, "qbench net --dtype: '%s' repeats a dtype", w[i]);
        a->bo.dtypes[a->bo.ndtypes++] = d;
    }
    n = qb_split_words("qbench net --quant", a->quants, buf, sizeof buf, w, QB_NET_MAX_LIST);
    if (n < 0) return n;
    for (int i = 0; i < n; i++) {
        qb_qgran g;
        int rc = qb_qgran_parse(w[i], &g);
        if (rc) return rc;
        if (g == QB_QNONE || a->bo.ngrans == 2)
            return qb_fail(QB_EUSAGE, "qbench net --quant: '%s' is not per-tensor or per-channel once", w[i]);
        a->bo.grans[a->bo.ngrans++] = g;
    }
    return QB_OK;
}

static int parse_lists(net_args *a)
{
    char buf[256], *w[QB_NET_MAX_LIST];
    int n = qb_split_words("qbench net --batch", a->batches, buf, sizeof buf, w, QB_NET_MAX_LIST);
    if (n < 0) return n;
    for (int i = 0; i < n; i++) {
        int rc = qb_parse_long("qbench net --batch", w[i], 1, 1L << 20, &a->bo.batches[i]);
        if (rc) return rc;
    }
    a->bo.nbatches = n;
    if (a->threads) {
        int rc = qb_parse_threads("qbench net --threads", a->threads, a->bo.threads, QB_NET_MAX_LIST,
                                  &a->bo.nthreads);
        if (rc) return rc;
    } else {
        a->bo.threads[0] = 1;
        a->bo.nthreads = 1;
        if (qb_cpu_count() > 1) a->bo.threads[a->bo.nthreads++] = qb_cpu_count();
    }
    if (a->input_shape) {
        n = qb_split_words("qbench net --input-shape", a->input_shape, buf, sizeof buf, w, QB_NET_MAX_LIST);
        if (n < 0) return n;
        for (int i = 0; i < n; i++) {
            int rc = qb_parse_long("qbench net --input-shape", w[i], 1, 1L << 30, &a->bo.load.input_shape[i]);
            if (rc) return rc;
        }
        a->bo.load.input_ndim = n;
    }
    if (!a->calib || strcmp(a->calib, "absmax") == 0) {
        a->bo.calib = QB_CALIB_ABSMAX;
    } else if (strncmp(a->calib, "percentile", 10) == 0) {
        a->bo.calib = QB_CALIB_PERCENTILE;
        a->bo.percentile = QB_NET_PERCENTILE_DEFAULT;
        if (a->calib[10] == ':') {
            int rc = qb_parse_double("qbench net --calib percentile", a->calib + 11, 50.0001, 100, &a->bo.percentile);
            if (rc) return rc;
        } else if (a->calib[10]) {
            return qb_fail(QB_EUSAGE, "qbench net --calib: unknown method '%s' (absmax, percentile[:P])", a->calib);
        }
    } else {
        return qb_fail(QB_EUSAGE, "qbench net --calib: unknown method '%s' (absmax, percentile[:P])", a->calib);
    }
    return QB_OK;
}

static int check_net(const qb_run_opts *ro, qb_rep_policy *pol, void *ctx)
{
    (void)pol;
    net_args *a = ctx;
    if (!a->model) return qb_fail(QB_EUSAGE, "qbench net: --model is required (a zoo name or an .onnx file)");
    int rc = parse_dtypes(a);
    if (!rc) rc = parse_lists(a);
    if (rc) return rc;
    a->bo.model = a->model;
    a->bo.quick = ro->quick;
    a->bo.seed = (uint64_t)a->seed;
    a->bo.load.seed = (uint64_t)a->seed;
    a->bo.load.skip_unsupported = a->skip;
    if (a->layout && strcmp(a->layout, "nchw") != 0 && strcmp(a->layout, "auto") != 0)
        return qb_fail(QB_EUSAGE, "qbench net --layout: unknown layout '%s' (auto, nchw)", a->layout);
    a->bo.planar = a->layout && strcmp(a->layout, "nchw") == 0;
    a->bo.budget_s = ro->budget > 0 ? ro->budget : ro->quick ? QB_NET_QUICK_BUDGET_S : QB_NET_BUDGET_S_DEFAULT;
    /* load once now, so a bad model fails before the results begin */
    qb_net_load_opts lo = a->bo.load;
    lo.batch = a->bo.batches[0];
    qb_net_graph g;
    rc = qb_net_load(a->model, &lo, &g);
    if (rc) return rc;
    qb_net_free(&g);
    return QB_OK;
}

static int measure_net(qb_results *res, const qb_rep_policy *pol, void *ctx)
{
    const net_args *a = ctx;
    return qb_net_bench_measure(res, &a->bo, pol);
}

int qb_cmd_net(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    net_args a = {.dtypes = QB_NET_DTYPES_DEFAULT, .quants = QB_NET_QUANTS_DEFAULT,
                  .batches = QB_NET_BATCH_DEFAULT, .seed = QB_NET_SEED_DEFAULT};
    const qb_opt opts[] = {
        {"model", 'm', QB_OPT_STRING, &a.model, "M",
         "a zoo model (mobilenet-v2, resnet-50, bert-base-layer, lstm-lm) or an .onnx file", 0, 0},
        {"dtype", 0, QB_OPT_STRING, &a.dtypes, "LIST", "fp32, fp16, int8 (default " QB_NET_DTYPES_DEFAULT ")", 0, 0},
        {"quant", 0, QB_OPT_STRING, &a.quants, "LIST",
         "int8 weights: per-tensor, per-channel (default " QB_NET_QUANTS_DEFAULT ")", 0, 0},
        {"batch", 0, QB_OPT_STRING, &a.batches, "LIST", "batch sizes, e.g. 1,8,32,128 (default " QB_NET_BATCH_DEFAULT ")", 0, 0},
        {"threads", 't', QB_OPT_STRING, &a.threads, "LIST", "thread counts (default 1 and all CPUs)", 0, 0},
        {"input-shape", 0, QB_OPT_STRING, &a.input_shape, "N,C,H,W",
         "the input's shape (its first dimension is replaced by each batch)", 0, 0},
        {"skip-unsupported", 0, QB_OPT_FLAG, &a.skip, NULL,
         "time the layers qbench can run, skip the others (their share of the operations is recorded)", 0, 0},
        {"calib", 0, QB_OPT_STRING, &a.calib, "METHOD",
         "int8 activation ranges: absmax (extremes) or percentile[:P] (default absmax; P "
         QB_STR(QB_NET_PERCENTILE_DEFAULT) ")", 0, 0},
        {"layout", 0, QB_OPT_STRING, &a.layout, "L",
         "activations: auto (channels-last where every layer can run so) or nchw (default auto)", 0, 0},
        {"seed", 0, QB_OPT_INT, &a.seed, "S", "zoo weights, inputs and calibration batches", 0, 9.0e15},
        QB_POLICY_OPTS(ro),
        QB_OUTPUT_OPTS(ro),
    };
    const qb_cmd_spec spec = {
        .path = "net",
        .summary = "A whole network layer by layer in fp32, fp16 and int8: where the time goes, "
                   "what quantization buys and costs.",
        .details =
            "Each configuration (dtype and int8 granularity x batch x threads) runs the graph\n"
            "end to end (layers back to back, activations in one planned arena) until the budget\n"
            "is spent: latency p50/p90/p99 and images/s; then a few runs timed layer by layer\n"
            "(median per layer; their sum is shown beside the end-to-end time). fp16 and int8\n"
            "are compared with fp32 on seeded inputs: output NSR and cosine, and per layer the\n"
            "error isolated (fp32 inputs) and accumulated. int8 activations are u8 per tensor,\n"
            "calibrated on seeded fp32 runs; weights s8 per tensor or per output channel.\n"
            "--budget: seconds of end-to-end runs per configuration (default " QB_STR(QB_NET_BUDGET_S_DEFAULT)
            ", " QB_STR(QB_NET_QUICK_BUDGET_S) " with --quick).\n"
            "Records: net/<model>/<variant>/b<batch>/t<threads>, and one per layer below it (/L<i>).",
        .examples = "  qbench net --model mobilenet-v2 --quick\n"
                    "  qbench net --model resnet-50 --dtype fp32,int8 --quant per-channel --batch 1,32\n"
                    "  qbench net --model model.onnx --input-shape 1,3,224,224 --skip-unsupported\n"
                    "  qbench net --model mobilenet-v2 --batch 1,8,32,128 --threads 1,all -o net.json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    return qb_cmd_parse_measure(&spec, argc, argv, &ro, check_net, measure_net, &a, qb_net_print);
}
