#!/usr/bin/env bash
# qbench net against ONNX Runtime on the same ONNX files, side by side:
# MobileNetV2 at batch 1 on one thread, fp32 (the plain file) and int8 (its
# QDQ form, which ONNX Runtime fuses into integer kernels and qbench reads the
# scales of), in alternating pairs so that a slow spell of the host hits both.
#
#   bash scripts/reference/net-vs-ort.sh [PAIRS] [BUILD]     # default 3 pairs, build/
#
# Needs node and npm; installs onnxruntime-node into out/ort (its install
# script downloads GPU binaries: skipped, the CPU library is in the package).
# Prints each pair's p50 latencies and the medians' ratio qbench / ORT.
# Both run pinned to one CPU (QB_CPU, default 0): on a virtual machine two
# vCPUs can differ by 1.4x for minutes at a time (another guest on a
# sibling), and an unpinned process lands on either.
set -euo pipefail
cd "$(dirname "$0")/../.."
pairs=${1:-3}
build=${2:-build}
pin="taskset -c ${QB_CPU:-0}"
qb=$build/qbench
[ -x "$qb" ] || { echo "net-vs-ort: $qb not found (bash scripts/build.sh)" >&2; exit 2; }
command -v node >/dev/null || { echo "net-vs-ort: node not found (apt-get install nodejs npm)" >&2; exit 2; }
mkdir -p out/ort out/models
if [ ! -d out/ort/node_modules/onnxruntime-node ]; then
    npm install --silent --ignore-scripts --prefix out/ort onnxruntime-node >/dev/null
fi
for f in mobilenet-v2 mobilenet-v2-qdq; do
    [ -f "out/models/$f.onnx" ] || /usr/bin/python3 scripts/make_onnx_models.py --only "$f" out/models >/dev/null
done
ort() { NODE_PATH=out/ort/node_modules $pin node scripts/reference/ort_latency.js "$1" --batch 1 --threads 1 --runs 300 --warmup 30 |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["p50_ms"])'; }
# qbench's p50 of the end-to-end record of the one configuration asked for.
ours() {
    $pin "$qb" net --model "$1" --dtype "$2" --quant per-channel --batch 1 --threads 1 --json 2>/dev/null |
        python3 -c '
import json, sys
d = json.load(sys.stdin)
e = [r for r in d["results"] if r["params"].get("batch") == 1 and "latency" in r["metrics"]]
print(e[0]["metrics"]["latency"]["value"] * 1e3)'
}
declare -a f_q f_o i_q i_o
for p in $(seq 1 "$pairs"); do
    f_o+=("$(ort out/models/mobilenet-v2.onnx)")
    f_q+=("$(ours out/models/mobilenet-v2.onnx fp32)")
    i_q+=("$(ours out/models/mobilenet-v2-qdq.onnx int8)")
    i_o+=("$(ort out/models/mobilenet-v2-qdq.onnx)")
    echo "pair $p: fp32 qbench ${f_q[-1]} ms, ORT ${f_o[-1]} ms; int8 qbench ${i_q[-1]} ms, ORT ${i_o[-1]} ms"
done
python3 - "${f_q[*]}" "${f_o[*]}" "${i_q[*]}" "${i_o[*]}" "$(NODE_PATH=out/ort/node_modules node -e 'console.log(require("onnxruntime-node").env.versions.common)')" "${QB_CPU:-0}" <<'PY'
import statistics as s, sys
fq, fo, iq, io = ([float(x) for x in a.split()] for a in sys.argv[1:5])
print("MobileNetV2, batch 1, 1 thread, medians of %d pairs (ONNX Runtime %s, CPU provider; both on CPU %s):" % (len(fq), sys.argv[5], sys.argv[6]))
print("  fp32: qbench %.2f ms, ORT %.2f ms: %.2fx" % (s.median(fq), s.median(fo), s.median(fq) / s.median(fo)))
print("  int8: qbench %.2f ms, ORT %.2f ms (QDQ): %.2fx" % (s.median(iq), s.median(io), s.median(iq) / s.median(io)))
PY
