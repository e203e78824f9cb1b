/* qbench model: load a network (a zoo name or an ONNX file), infer its
 * shapes and list its layers with their work. Measures nothing. */
#include "cli.h"
#include "commands.h"
#include "defaults.h"
#include "error.h"
#include "net_layers.h"
#include "net_load.h"
#include "net_zoo.h"
#include "output.h"
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "1,3,224,224" into o->input_shape. */
static int parse_shape(const char *s, qb_net_load_opts *o)
{
    char buf[256], *w[QB_NET_MAXDIM];
    const int n = qb_split_words("--input-shape", s, buf, sizeof buf, w, QB_NET_MAXDIM);
    if (n < 0) return n;
    for (int i = 0; i < n; i++) {
        int rc = qb_parse_long("--input-shape", w[i], 1, 1L << 40, &o->input_shape[i]);
        if (rc) return rc;
    }
    o->input_ndim = n;
    return QB_OK;
}

static int write_json(const qb_net_graph *g, bool to_stdout, const char *out)
{
    cJSON *doc = qb_net_layers_json(g);
    if (!doc) return qb_fail(QB_ENOMEM, "out of memory");
    int rc = out ? qb_json_write(doc, out) : QB_OK;
    if (!rc && to_stdout) rc = qb_json_write(doc, NULL);
    cJSON_Delete(doc);
    return rc;
}

int qb_cmd_model(int argc, char **argv)
{
    const char *model = NULL, *shape = NULL, *out = NULL;
    long batch = 0, seed = QB_NET_SEED_DEFAULT;
    bool skip = false, json = false;
    const qb_opt opts[] = {
        {"model", 'm', QB_OPT_STRING, &model, "M",
         "a zoo model (" QB_NET_ZOO_NAMES ") or an .onnx file", 0, 0},
        {"input-shape", 0, QB_OPT_STRING, &shape, "D,D,..",
         "the input's shape, batch first (default: the model's own)", 0, 0},
        {"batch", 0, QB_OPT_INT, &batch, "N",
         "the batch: replaces the input's first dimension (default: the model's, 1 where symbolic)",
         1, 1L << 30},
        {"skip-unsupported", 0, QB_OPT_FLAG, &skip, NULL,
         "leave out the nodes qbench cannot run, and say what share of the work they were", 0, 0},
        {"seed", 0, QB_OPT_INT, &seed, "N",
         "seed of the zoo models' random weights (default " QB_STR(QB_NET_SEED_DEFAULT) ")", 0,
         1e15},
        {"json", 0, QB_OPT_FLAG, &json, NULL, "print the listing as JSON, no table", 0, 0},
        {"output", 'o', QB_OPT_STRING, &out, "FILE",
         "also write the JSON listing to FILE (atomically)", 0, 0},
    };
    const qb_cmd_spec spec = {
        .path = "model",
        .usage =
            "--model M [--input-shape D,D,..] [--batch N] [--skip-unsupported] [--json] [-o FILE]",
        .summary =
            "List a network's layers: shapes inferred from the input, weights and work per layer.",
        .details = "M is a model of the built-in zoo (architectures from their papers, batch norm "
                   "folded,\n"
                   "seeded random weights) or an ONNX file. ONNX files are read with protobuf-c: "
                   "batch norm\n"
                   "after a conv is folded into it, ReLU and Clip after a conv or Gemm are fused "
                   "into it,\n"
                   "the Erf form of GELU becomes one node, and QuantizeLinear/DequantizeLinear "
                   "pairs become\n"
                   "scales on the tensors (column q: the weights' scales per channel, pc, or per "
                   "tensor, pt).\n"
                   "MFLOP counts a multiply-add as 2 operations. A node qbench cannot run stops "
                   "the import\n"
                   "(exit 2) unless --skip-unsupported is given.",
        .examples =
            "  qbench model --model mobilenet-v2\n"
            "  qbench model --model resnet-50 --batch 32 --json\n"
            "  qbench model --model model.onnx --input-shape 1,3,160,160 --skip-unsupported\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    char *pos[1];
    int npos;
    int rc = qb_cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return rc;
    if (!model)
        return qb_fail(QB_EUSAGE,
                       "qbench model: --model is required (a zoo name or an .onnx file)");
    qb_net_load_opts o;
    memset(&o, 0, sizeof o);
    if (shape && (rc = parse_shape(shape, &o))) return rc;
    o.batch = batch; /* 0: the first dimension of --input-shape, or the model's own */
    o.skip_unsupported = skip;
    o.seed = (uint64_t)seed;
    qb_net_graph g;
    rc = qb_net_load(model, &o, &g);
    if (rc) return rc;
    if (json || out) rc = write_json(&g, json, out);
    if (!rc && !json) rc = qb_net_print_layers(&g, stdout);
    qb_net_free(&g);
    return rc;
}
