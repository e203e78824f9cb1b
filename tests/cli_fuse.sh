#!/usr/bin/env bash
# qbench fuse: bad words exit 2 naming them; a small run gives one record per
# dtype with every form's time, the speedups and the bytes saved.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"

expect2() {
    local word=$1
    shift
    "$QB" fuse "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -qF -- "$word" "$tmp/err"; then
        bad "qbench fuse $* exited $got, expected 2 and one line naming '$word':"; cat "$tmp/err"
    else ok; fi
}
expect2 "bf16" --dtype bf16
expect2 "malformed" --dtype fp32,,int8
expect2 "--elems" --elems 10
expect2 "--elems" --elems abc
expect2 "do not fit" --elems 4000000000
expect2 "threads" --threads 999
expect2 "matmul-softmax" --chain matmul-softmax

if "$QB" fuse --chain relu-chain --elems 262144 --reps 3 --max-reps 3 --rounds 1 --json >"$tmp/f.json" &&
    python3 - "$tmp/f.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = [r["id"] for r in d["results"]]
assert ids == ["fuse/relu-chain/fp32", "fuse/relu-chain/fp16", "fuse/relu-chain/int8"], ids
for r in d["results"]:
    m = r["metrics"]
    for f in ("unfused", "fused", "folded"):
        assert m["time_" + f]["unit"] == "s" and m["time_" + f]["value"] > 0
        assert r["params"]["max_err_" + f] == 0, r["params"]
    size = {"fp32": 4, "fp16": 2, "int8": 1}[r["params"]["dtype"]]
    assert m["bytes_unfused"]["value"] == 8 * 262144 * size
    assert m["bytes_saved_fused"]["value"] == 6 * 262144 * size
    assert m["speedup_fused"]["unit"] == "x"
    # on every vCPU of a VM the memory-bound chain is no gate
    vm, t = bool(d["machine"].get("hypervisor")), r["params"]["threads"]
    assert (r["params"].get("gate") is False) == (vm and t >= 2 and t >= d["machine"]["cores"]), r["params"]
    # each form's GB/s keeps one sample per time sample: bytes / that time
    for f in ("unfused", "fused", "folded"):
        t, g = m["time_" + f], m["gbps_" + f]
        assert len(g["samples"]) == len(t["samples"]) >= 2, f
        for x, y in zip(t["samples"], g["samples"]):
            assert abs(y - m["bytes_" + f]["value"] * 1e-9 / x) <= 1e-9 * y, (f, x, y)
        assert abs(g["value"] - m["bytes_" + f]["value"] * 1e-9 / t["value"]) <= 1e-9 * g["value"]
PY
then ok; else bad "fuse small run"; fi

# on one thread the chain gates, and a finished record says nothing of an interruption
if "$QB" fuse --chain relu-chain --dtype fp32 --threads 1 --elems 65536 --reps 3 --max-reps 3 --rounds 1 \
    --json >"$tmp/f1.json" && python3 - "$tmp/f1.json" <<'PY'
import json, sys
(r,) = json.load(open(sys.argv[1]))["results"]
assert r["params"]["threads"] == 1 and "gate" not in r["params"], r["params"]
assert not any("interrupted" in n for n in r.get("notes", [])), r.get("notes")
PY
then ok; else bad "fuse on one thread"; fi

# the chains around the GEMM: fused output = unfused output
if "$QB" fuse --chain gemm-requant,gemm-relu --reps 2 --max-reps 2 --rounds 1 --json >"$tmp/g.json" &&
    python3 - "$tmp/g.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = [r["id"] for r in d["results"]]
assert ids == ["fuse/gemm-relu/fp32", "fuse/gemm-requant/int8"], ids
for r in d["results"]:
    assert r["params"]["max_diff_fused_vs_unfused"] == 0
    m = r["metrics"]
    assert m["bytes_saved_fused"]["value"] > 0 and m["speedup_fused"]["value"] > 0
    assert m["gops_fused"]["unit"] == "GOP/s"
    # rates keep one sample per time sample: each times its time is the same amount
    for f in ("unfused", "fused"):
        t = m["time_" + f]
        for k in ("gbps_", "gops_"):
            g = m[k + f]
            assert len(g["samples"]) == len(t["samples"]), (k, f)
            for x, y in zip(t["samples"], g["samples"]):
                assert abs(x * y / (t["value"] * g["value"]) - 1) < 1e-9, (k, f, x, y)
PY
then ok; else bad "fuse --chain gemm-requant,gemm-relu"; fi

echo "cli_fuse: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
