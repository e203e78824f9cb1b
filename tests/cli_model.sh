#!/usr/bin/env bash
# qbench model: the zoo's models and the same architectures written as ONNX
# files by scripts/make_onnx_models.py (into the scratch folder) list the same
# layers, shapes and FLOPs; the QDQ form of MobileNetV2 imports as the fp32
# graph with per-channel weight scales; bad input (truncated, not ONNX,
# dynamic dimension, batch 0, huge shape, unsupported op, external data) is
# one line, exit 2, nothing written. Skipped (77) without python3-onnx.
source "$2/lib_cli.sh"
PY=/usr/bin/python3
SCRIPT="$2/../scripts/make_onnx_models.py"

# The zoo needs nothing but qbench (the other models are listed below, beside their files).
expect 0 "" model --model mobilenet-v2
grep -q "^Total: 601.83 MFLOP" "$tmp/out" || bad "model mobilenet-v2: not the total of 601.83 MFLOP"
grep -q "^5  *block2.dw  *Conv+Clip  *1x96x112x112  *1x96x56x56  *96x1x3x3 " "$tmp/out" || bad "model mobilenet-v2: block2.dw's row"

if ! $PY -c "import onnx, numpy" 2>/dev/null; then
    echo "cli_model: python3-onnx or python3-numpy missing: the ONNX half skipped"
    echo "cli_model: $pass passed, $fail failed"
    [ "$fail" -eq 0 ] || exit 1
    exit 77
fi
if ! $PY "$SCRIPT" "$tmp/m" >"$tmp/gen.log" 2>&1; then
    bad "make_onnx_models.py failed"; cat "$tmp/gen.log"
fi

# The same layers, shapes and FLOPs from the file as from the zoo.
same() { # same ZOO-NAME FILE [ARGS...]
    local zoo=$1 file=$2
    shift 2
    "$QB" model --model "$zoo" --json "$@" >"$tmp/zoo.json" 2>"$tmp/err" || { bad "zoo $zoo $*"; cat "$tmp/err"; return; }
    cp "$tmp/zoo.json" "$tmp/zoo-$zoo.json"
    "$QB" model --model "$file" --json "$@" >"$tmp/file.json" 2>"$tmp/err" || { bad "file $file $*"; cat "$tmp/err"; return; }
    if $PY - "$tmp/zoo.json" "$tmp/file.json" <<'EOF'; then ok; else bad "$zoo: zoo and $(basename "$file") differ ($*)"; fi
import json, sys
z, f = (json.load(open(p)) for p in sys.argv[1:3])
def rows(d):
    return [(l["name"], l["op"], l.get("fused"), l.get("clip"), l["inputs"], l["output"],
             l["weight"]["shape"] if "weight" in l else None, l["flops"]) for l in d["layers"]]
a, b = rows(z), rows(f)
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        sys.exit("layer %d: zoo %s, file %s" % (i, x, y))
assert len(a) == len(b), (len(a), len(b))
assert z["input"]["shape"] == f["input"]["shape"] and z["output"]["shape"] == f["output"]["shape"]
assert z["total_flops"] == f["total_flops"] and z["weights"] == f["weights"], (z["weights"], f["weights"])
EOF
}
same mobilenet-v2 "$tmp/m/mobilenet-v2.onnx" --input-shape 2,3,160,160
same mobilenet-v2 "$tmp/m/mobilenet-v2.onnx"
same mobilenet-v2 "$tmp/m/mobilenet-v2-qdq.onnx"
same mobilenet-v2 "$tmp/m/mobilenet-v2-opset10.onnx"
same resnet-50 "$tmp/m/resnet-50.onnx"
same bert-base-layer "$tmp/m/bert-base-layer-opset13.onnx"
same bert-base-layer "$tmp/m/bert-base-layer.onnx"
same lstm-lm "$tmp/m/lstm-lm.onnx" --batch 4

# Published sizes: MobileNetV2 300 M multiply-adds and 3.5 M weights, ResNet-50 4.1 G and 25.6 M
# (at 224x224), BERT-base's layer 7.1 M weights, the medium LSTM LM 19.8 M (batch 4 above).
$PY - "$tmp" <<'EOF' && ok || bad "zoo totals"
import json, sys
def load(m):
    return json.load(open("%s/zoo-%s.json" % (sys.argv[1], m)))
for m, flops, weights in (("mobilenet-v2", 0.60e9, 3.5e6), ("resnet-50", 8.19e9, 25.6e6),
                          ("bert-base-layer", 1.87e9, 7.1e6), ("lstm-lm", 4 * 0.93e9, 19.8e6)):
    d = load(m)
    assert abs(d["total_flops"] / flops - 1) < 0.02 and abs(d["weights"] / weights - 1) < 0.02, (m, d["total_flops"], d["weights"])
EOF

# QDQ: every conv and the classifier carry per-channel int8 weight scales.
"$QB" model --model "$tmp/m/mobilenet-v2-qdq.onnx" --json >"$tmp/qdq.json" &&
    $PY - "$tmp/qdq.json" <<'EOF' && ok || bad "QDQ weight scales"
import json, sys
d = json.load(open(sys.argv[1]))
w = [l for l in d["layers"] if l["op"] in ("Conv", "Gemm")]
assert len(w) == 53, len(w)
assert all(l["weight"].get("quant") == "per-channel" for l in w), [l["name"] for l in w if l["weight"].get("quant") != "per-channel"]
EOF

# Running the QDQ file in int8 per channel uses the file's own int8 weights where the
# kernels keep 8 bits (AVX512-VNNI); per tensor, or without VNNI, they are quantized again.
vnni=0
grep -q avx512_vnni /proc/cpuinfo && vnni=1
"$QB" net --model "$tmp/m/mobilenet-v2-qdq.onnx" --dtype int8 --quant per-channel,per-tensor --batch 1 \
    --threads 1 --quick --json >"$tmp/qdq-net.json" 2>/dev/null &&
    $PY - "$tmp/qdq-net.json" "$vnni" <<'EOF' && ok || bad "QDQ file's int8 weights"
import json, sys
d = json.load(open(sys.argv[1]))
vnni = sys.argv[2] == "1"
layers = [r["params"] for r in d["results"] if "node" in r["params"] and r["params"]["op"] in ("Conv", "Gemm")
          and r["params"].get("weights")]
pc = [l for l in layers if l["variant"] == "int8-per-channel"]
pt = [l for l in layers if l["variant"] == "int8-per-tensor"]
assert len(pc) == 53 and len(pt) == 53, (len(pc), len(pt))
want = "the file's int8" if vnni else "quantized from the floats"
assert all(l["weights"] == want for l in pc), [l["node"] for l in pc if l["weights"] != want]
assert all(l["weights"] == "quantized from the floats" for l in pt)
EOF

# The weights themselves: batch norm folded into each conv (w s, (b - mean) s + beta with
# s = gamma / sqrt(var + eps)), and QDQ weights and biases dequantized ((q - zero point) scale
# per channel), against numpy's reading of the same files.
"$QB" model --model "$tmp/m/mobilenet-v2.onnx" --json >"$tmp/fp.json" &&
    $PY - "$tmp/m/mobilenet-v2.onnx" "$tmp/fp.json" "$tmp/m/mobilenet-v2-qdq.onnx" "$tmp/qdq.json" <<'EOF' && ok || bad "folded and dequantized weights"
import json, sys
import numpy as np
import onnx
from onnx import numpy_helper

def close(a, b, what):
    assert abs(a - b) <= 1e-4 * max(1.0, abs(a)), (what, a, b)

m = onnx.load(sys.argv[1])
init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
layers = {l["name"]: l for l in json.load(open(sys.argv[2]))["layers"]}
bn = {n.input[0]: n for n in m.graph.node if n.op_type == "BatchNormalization"}
convs = [n for n in m.graph.node if n.op_type == "Conv"]
for c in convs:
    b = bn[c.output[0]]
    g, beta, mean, var = (init[x] for x in b.input[1:])
    s = g / np.sqrt(var + 1e-5)
    w = init[c.input[1]] * s.reshape(-1, 1, 1, 1)
    close(w.sum(), layers[c.name]["weight"]["sum"], c.name + " weight")
    close((-mean * s + beta).sum(), layers[c.name]["bias"]["sum"], c.name + " bias")

q = onnx.load(sys.argv[3])
init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in q.graph.initializer}
layers = {l["name"]: l for l in json.load(open(sys.argv[4]))["layers"]}
dq = {n.output[0]: n for n in q.graph.node if n.op_type == "DequantizeLinear"}
def deq(name):
    n = dq[name]
    x, s, z = (init[i] for i in n.input)
    shape = (-1,) + (1,) * (x.ndim - 1)
    return (x - z.reshape(shape)) * s.reshape(shape)
n = 0
for c in q.graph.node:
    if c.op_type in ("Conv", "Gemm"):
        close(deq(c.input[1]).sum(), layers[c.name]["weight"]["sum"], c.name + " weight")
        close(deq(c.input[2]).sum(), layers[c.name]["bias"]["sum"], c.name + " bias")
        n += 1
assert n == 53 and len(convs) == 52, (n, len(convs))
EOF

# Bad input: one line naming the problem, exit 2, nothing written.
head -c 3000 "$tmp/m/mobilenet-v2.onnx" >"$tmp/truncated.onnx"
echo "not a model at all" >"$tmp/text.onnx"
: >"$tmp/empty.onnx"
expect 2 "truncated" model --model "$tmp/truncated.onnx" -o "$tmp/w1.json"
expect 2 "not an ONNX model" model --model "$tmp/text.onnx" -o "$tmp/w2.json"
expect 2 "empty" model --model "$tmp/empty.onnx"
expect 2 "No such file" model --model "$tmp/missing.onnx"
expect 2 "not in the zoo" model --model resnet-51
expect 2 "dynamic (height)" model --model "$tmp/m/dynamic.onnx" -o "$tmp/w3.json"
expect 0 "" model --model "$tmp/m/dynamic.onnx" --input-shape 1,3,40,48
grep -q "1x8x40x48" "$tmp/out" || bad "dynamic model: the given height and width are not used"
expect 2 "out of range" model --model mobilenet-v2 --batch 0
expect 2 "physical memory" model --model mobilenet-v2 --input-shape 100000,3,2240,2240 -o "$tmp/w4.json"
expect 2 "more than" model --model "$tmp/m/mobilenet-v2.onnx" --input-shape 1000000000,3,100000,100000
expect 2 "input shape must be" model --model mobilenet-v2 --input-shape 1,3,224
expect 2 "HardSwish" model --model "$tmp/m/unsupported.onnx" -o "$tmp/w5.json"
grep -qF "node middle" "$tmp/err" || bad "the unsupported node is not named"
expect 2 "external file external.weights" model --model "$tmp/m/external.onnx"
for i in 1 2 3 4 5; do [ ! -e "$tmp/w$i.json" ] || bad "w$i.json written after an error"; done

# --skip-unsupported: the rest is listed and the share left out is said.
expect 0 "" model --model "$tmp/m/unsupported.onnx" --skip-unsupported -o "$tmp/skip.json"
grep -q "Left out (unsupported): 1 node" "$tmp/out" || bad "--skip-unsupported: no share line"
$PY - "$tmp/skip.json" <<'EOF' && ok || bad "--skip-unsupported JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert [s["op"] for s in d["skipped"]] == ["HardSwish"], d["skipped"]
assert 0 < d["skipped_share"] < 0.1, d["skipped_share"]
assert [l["op"] for l in d["layers"]] == ["Conv", "GlobalAveragePool", "Flatten", "Gemm"]
EOF

echo "cli_model: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
