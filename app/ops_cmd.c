/* qbench ops: operator benchmarks per data type, quantization and backend. */
#include "backend.h"
#include "commands.h"
#include "cpu_features.h"
#include "defaults.h"
#include "error.h"
#include "ops_run.h"
#include "output.h"
#include "suite.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    qb_ops_opts oo;
    const char *threads_s, *cache_s;
    bool no_verify, warm, cold;
    int threads[32];
} ops_args;

static int check_ops(const qb_run_opts *ro, qb_rep_policy *pol, void *ctx)
{
    (void)pol;
    ops_args *a = ctx;
    if (a->threads_s) {
        int rc =
            qb_parse_threads("qbench ops --threads", a->threads_s, a->threads, 32, &a->oo.nthreads);
        if (rc) return rc;
        a->oo.threads = a->threads;
    }
    a->oo.quick = ro->quick;
    a->oo.verify = !a->no_verify;
    return qb_ops_parse_cache("qbench ops --cache", a->cache_s, &a->warm, &a->cold);
}

static int measure_ops(qb_results *res, const qb_rep_policy *pol, void *ctx)
{
    const ops_args *a = ctx;
    return qb_ops_measure_caches(res, &a->oo, pol, a->warm, a->cold);
}

int qb_cmd_ops(int argc, char **argv)
{
    qb_run_opts ro;
    qb_run_opts_init(&ro);
    ops_args a = {.threads_s = NULL, .no_verify = false};
    qb_ops_opts_init(&a.oo);
    const qb_opt opts[] = {
        {"op", 0, QB_OPT_STRING, &a.oo.ops, "LIST",
         "operators (qbench list), 'compute', 'memory' or all (default all)", 0, 0},
        {"dtype", 0, QB_OPT_STRING, &a.oo.dtypes, "LIST",
         "data types (default " QB_OPS_DTYPES_DEFAULT ")", 0, 0},
        {"quant", 0, QB_OPT_STRING, &a.oo.quants, "LIST",
         "int8 granularity (default " QB_OPS_QUANTS_DEFAULT ")", 0, 0},
        {"policy", 0, QB_OPT_STRING, &a.oo.policies, "LIST",
         "int8 policies: symmetric, asymmetric, pow2 or all (default " QB_OPS_POLICIES_DEFAULT ")",
         0, 0},
        {"threads", 't', QB_OPT_STRING, &a.threads_s, "LIST",
         "thread counts, e.g. 1,2 or all (default 1 and all CPUs; all CPUs with --quick)", 0, 0},
        {"shape", 0, QB_OPT_STRING, &a.oo.shape, "N,N,..",
         "the shape of a single --op, keys as qbench list shows", 0, 0},
        {"backend", 'b', QB_OPT_STRING, &a.oo.backends, "LIST",
         "builtin, openblas, onednn or all (default " QB_OPS_BACKENDS_DEFAULT ")", 0, 0},
        {"isa", 0, QB_OPT_STRING, &a.oo.isa, "WORD",
         "kernels: auto, avx2 (ymm everywhere: vfmadd231ps, vpmaddubsw), avx512vnni (zmm tiles: "
         "vfmadd231ps, vpdpbusd) or avx512vnni-ymm (vpdpbusd on ymm) (default auto)", 0, 0},
        {"cache", 0, QB_OPT_STRING, &a.cache_s, "MODE",
         "warm (runs back to back), cold (caches evicted before each sample) or warm,cold (default warm)", 0, 0},
        {"no-verify", 0, QB_OPT_FLAG, &a.no_verify, NULL,
         "skip the check of each variant against its scalar reference", 0, 0},
        QB_POLICY_OPTS(ro),
        QB_OUTPUT_OPTS(ro),
    };
    static char details[1024];
    snprintf(details, sizeof details,
             "Every operator x data type x int8 quantization variant x backend x thread count,\n"
             "checked against its scalar reference (fp32 relative tolerance, fp16 from its\n"
             "precision, int8 bit-exact) and timed in interleaved rounds. fp16 is binary16 storage\n"
             "with F16C conversion and fp32 arithmetic (%s). int8 is\n"
             "u8 activations x s8 weights into s32 (weights in 8 bits on the VNNI path, 7 on the\n"
             "AVX2 path so vpmaddubsw cannot saturate; records say weight_bits),\n"
             "requantized per tensor or per output channel.\n"
             "Records: ops/<op>/<dtype>/<quant>/<policy>[@backend]/t<threads>[/cold], metrics time (s),\n"
             "gops (GOP/s), bandwidth (GB/s from the byte formula), ops and bytes.\n"
             "Backends compiled in: builtin%s%s%s%s.",
             qb_cpu_has("avx512fp16") ? "AVX512-FP16 is not used" : "this CPU has no FP16 arithmetic",
             qb_backend_available("openblas") ? ", openblas" : "",
             qb_backend_available("onednn") ? ", onednn" : "",
             qb_backend_available("openblas") ? "" : " (openblas: not compiled in)",
             qb_backend_available("onednn") ? "" : " (onednn: not compiled in)");
    const qb_cmd_spec spec = {
        .path = "ops",
        .summary = "Operator benchmarks in fp32, fp16 and int8 (per-tensor, per-channel), vs libraries.",
        .details = details,
        .examples = "  qbench ops --op conv --dtype fp32,fp16,int8 --quant per-tensor,per-channel\n"
                    "  qbench ops --op gemm,conv --backend builtin,openblas,onednn --threads 1,2\n"
                    "  qbench ops --op conv --shape 1,256,14,14,256,3,3,1,1 --policy all\n"
                    "  qbench ops --op relu --cache warm,cold --threads 1\n"
                    "  qbench ops --quick -o ops.json\n",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
    };
    return qb_cmd_parse_measure(&spec, argc, argv, &ro, check_ops, measure_ops, &a, qb_ops_print);
}
