#!/usr/bin/env bash
# qbench net: bad words get one line naming them and exit 2 with nothing
# written; a quick run of a small zoo model gives a record per configuration
# and per layer with the promised metrics, and the one-line answer.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"

expect2() { # expect2 WORD-IN-MESSAGE ARGS...
    local word=$1
    shift
    "$QB" net "$@" -o "$tmp/bad.json" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -qF -- "$word" "$tmp/err" ||
        [ -e "$tmp/bad.json" ]; then
        bad "qbench net $* exited $got, expected 2, one line naming '$word' and no file:"; cat "$tmp/err"
    else ok; fi
}

expect2 "--model" --dtype fp32
expect2 "0" --model mobilenet-v2 --batch 0
expect2 "fp8" --model mobilenet-v2 --dtype fp32,fp8
expect2 "per-row" --model mobilenet-v2 --quant per-row
expect2 "median" --model mobilenet-v2 --calib median
expect2 "no-such-model" --model no-such-model
expect2 "x" --model mobilenet-v2 --batch 1,x
expect2 "" --model mobilenet-v2 --batch 100000 --dtype fp32   # activations past the memory
expect2 "nhwcx" --model mobilenet-v2 --layout nhwcx

# A small input keeps the run to a few seconds; 1 thread, short budget.
small=(--model mobilenet-v2 --input-shape 1,3,32,32 --threads 1 --quick --budget 0.01)
if "$QB" net "${small[@]}" --dtype fp32,int8 --quant per-channel --batch 1,2 --json >"$tmp/net.json" 2>"$tmp/err"; then
    if python3 - "$tmp/net.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
recs = [r for r in d["results"] if r["group"] == "net"]
cfg = [r for r in recs if "latency" in r["metrics"]]
assert len(cfg) == 4, [r["id"] for r in cfg]
for r in cfg:
    m = r["metrics"]
    for k in ("latency_p90", "latency_p99", "throughput", "layer_sum", "peak_activation_bytes", "activation_bytes", "ops"):
        assert k in m, (r["id"], k)
    assert m["peak_activation_bytes"]["value"] <= m["activation_bytes"]["value"]
    assert m["latency"]["value"] <= m["latency_p99"]["value"]
i8 = [r for r in cfg if r["params"]["variant"] == "int8-per-channel" and r["params"]["batch"] == 1]
assert len(i8) == 1 and "nsr" in i8[0]["metrics"] and i8[0]["metrics"]["cosine"]["value"] > 0.9
layers = [r for r in recs if "/L" in r["id"]]
assert layers and all("time" in r["metrics"] and "share" in r["metrics"] for r in layers)
assert any("nsr_isolated" in r["metrics"] for r in layers)
# MobileNetV2 runs channels-last where the CPU has AVX-512 (and VNNI for int8)
flags = open("/proc/cpuinfo").read()
if all(f in flags for f in ("avx512f", "avx512bw", "avx512vl", "avx512_vnni")):
    assert all(r["params"]["layout"] == "nhwc" for r in cfg), [r["params"]["layout"] for r in cfg]
    assert any(r["params"]["kernel"] == "depthwise (channels-last)" for r in layers)
PY
    then ok; else bad "qbench net --json: records lack what was promised"; fi
else
    bad "qbench net ${small[*]} failed:"; cat "$tmp/err"
fi
# --layout nchw keeps the planar kernels, and says so
if "$QB" net "${small[@]}" --dtype fp32 --batch 1 --layout nchw --json >"$tmp/nchw.json" 2>"$tmp/err" &&
    python3 - "$tmp/nchw.json" <<'PY'
import json, sys
recs = json.load(open(sys.argv[1]))["results"]
cfg = [r for r in recs if "latency" in r["metrics"]]
assert len(cfg) == 1 and cfg[0]["params"]["layout"] == "nchw"
assert not any("channels-last" in r["params"].get("kernel", "") for r in recs)
PY
then ok; else bad "qbench net --layout nchw:"; cat "$tmp/err"; fi
if "$QB" net "${small[@]}" --dtype fp32,int8 --quant per-tensor >"$tmp/table" 2>"$tmp/err" &&
    grep -q "^INT8 per-tensor: .* than FP32 on 1 thread" "$tmp/table" && grep -q "Top layers by time" "$tmp/table"; then
    ok
else
    bad "qbench net table lacks the top layers or the answer line:"; cat "$tmp/table" "$tmp/err"
fi

echo "cli_net: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
