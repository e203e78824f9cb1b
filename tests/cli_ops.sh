#!/usr/bin/env bash
# qbench ops on tiny shapes: the record contract (ids, params, metrics with
# units, verified), the comparison backends when compiled in, the ISA choice,
# and bad input (one line naming the word, exit 2, before any allocation).
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"
FAST=(--reps 1 --max-reps 2 --rounds 1 --warmup 0 --budget 0.01)

# The record contract on a small gemm in every dtype and policy, 1 and 2 threads.
if "$QB" ops --op gemm --shape 24,40,56 --policy all --threads 1,2 "${FAST[@]}" --json >"$tmp/g.json" &&
    python3 - "$tmp/g.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
R = {r["id"]: r for r in d["results"]}
for t in (1, 2):
    for v in ("fp32/none/none", "fp16/none/none", "int8/per-tensor/symmetric", "int8/per-channel/asymmetric",
              "int8/per-channel/pow2"):
        r = R["ops/gemm/%s/t%d" % (v, t)]
        p = r["params"]
        assert p["op"] == "gemm" and p["threads"] == t and p["backend"] == "builtin", p
        assert p["M"] == 24 and p["N"] == 40 and p["K"] == 56 and p["shape"] == "24,40,56", p
        assert p["verified"] is True, (r["id"], p.get("max_err"))
        m = r["metrics"]
        assert m["time"]["unit"] == "s" and m["time"]["better"] == "lower" and m["time"]["value"] > 0
        assert m["gops"]["unit"] == "GOP/s" and m["bandwidth"]["unit"] == "GB/s"
        assert m["ops"]["value"] == 2 * 24 * 40 * 56 and m["ops"]["unit"] == "op"
        assert m["bytes"]["unit"] == "B" and m["bytes"]["value"] > 0
        assert len(m["time"]["samples"]) >= 1
        # GB/s and GOP/s keep one sample per time sample (work / that time), so
        # compare can test them; each value is its work over the reported time
        ts = m["time"]["samples"]
        for rate, work in (("bandwidth", "bytes"), ("gops", "ops")):
            xs = m[rate]["samples"]
            assert len(xs) == len(ts), (r["id"], rate, len(xs), len(ts))
            for x, y in zip(ts, xs):
                assert abs(y - m[work]["value"] * 1e-9 / x) <= 1e-9 * y, (r["id"], rate, x, y)
            assert abs(m[rate]["value"] * m["time"]["value"] / (m[work]["value"] * 1e-9) - 1) < 1e-9, rate
# fp16 moves half the bytes of fp32 and says it computes in fp32
f32, f16 = R["ops/gemm/fp32/none/none/t1"], R["ops/gemm/fp16/none/none/t1"]
assert f16["metrics"]["bytes"]["value"] < 0.6 * f32["metrics"]["bytes"]["value"]
assert "fp32 arithmetic" in f16["params"]["math"]
q = R["ops/gemm/int8/per-channel/pow2/t1"]["params"]
assert q["isa"] in ("avx2", "avx512vnni") and q["requant"].startswith("shift")
# int8 weights use what the ISA allows: 8 bits where vpdpbusd sums into int32,
# 7 where vpmaddubsw sums pairs into int16
assert q["weight_bits"] == (8 if q["isa"] == "avx512vnni" else 7), q
assert ("7 bits" in q["int16_guard"]) == (q["weight_bits"] == 7), q["int16_guard"]
assert d["settings"]["ops"]["backends"]["builtin"]["compiled_in"] is True
PY
then ok; else bad "ops record contract"; fi

# Every compute op on a small shape, int8 on the AVX2 path (selectable and recorded).
shapes=("conv 1,8,9,9,12,3,3,1,1" "matmul 20,24,28" "batched-matmul 3,8,16,12" "lstm 3,2,16,8"
        "conv-transpose 1,6,4,4,5,4,4,2,1")
for s in "${shapes[@]}"; do
    set -- $s
    if "$QB" ops --op "$1" --shape "$2" --isa avx2 --threads 2 "${FAST[@]}" --json >"$tmp/o.json" &&
        python3 - "$tmp/o.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rs = [r for r in d["results"] if r["params"]["op"] == sys.argv[2]]
assert len(rs) == 4, [r["id"] for r in rs]  # fp32, fp16, int8 per-tensor and per-channel
for r in rs:
    assert r["params"]["verified"] is True, r["id"]
    if r["params"]["dtype"] == "int8":
        assert r["params"]["isa"] == "avx2" and "vpmaddubsw" in r["params"]["math"], r["params"]
        assert r["params"]["weight_bits"] == 7, r["params"]
PY
    then ok; else bad "ops --op $1 --isa avx2"; fi
done

# The same shapes on the AVX512-VNNI path, where the CPU has it: 8-bit weights,
# still bit-exact against the integer reference.
if "$QB" list | grep -q "vpdpbusd-ymm .*unsupported here"; then :; else
    for s in "${shapes[@]}"; do
        set -- $s
        if "$QB" ops --op "$1" --shape "$2" --dtype int8 --isa avx512vnni --threads 2 "${FAST[@]}" --json >"$tmp/v.json" &&
            python3 - "$tmp/v.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    p = r["params"]
    assert p["verified"] is True and p["max_err"] == 0 and p["weight_bits"] == 8 and p["isa"] == "avx512vnni", p
PY
        then ok; else bad "ops --op $1 --isa avx512vnni (8-bit weights)"; fi
        # and with every tile on ymm, for comparison
        if "$QB" ops --op "$1" --shape "$2" --dtype int8 --isa avx512vnni-ymm --threads 2 "${FAST[@]}" --json >"$tmp/v.json" &&
            python3 - "$tmp/v.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    p = r["params"]
    assert p["verified"] is True and p["max_err"] == 0 and p["weight_bits"] == 8, p
    assert p["isa"] == "avx512vnni-ymm" and "ymm" in p["math"], p
PY
        then ok; else bad "ops --op $1 --isa avx512vnni-ymm"; fi
    done
fi

# Float tiles: zmm where the CPU has AVX-512F, ymm with --isa avx2; the
# record says which, and the roofline holds each under its own peak.
want_isa=avx2+fma
if grep -qw avx512f /proc/cpuinfo; then want_isa=avx512f; fi
for op in "conv 2,5,9,7,6,3,3,1,1" "gemm 13,33,70"; do
    set -- $op
    if "$QB" ops --op "$1" --shape "$2" --dtype fp32 --threads 1 "${FAST[@]}" --json >"$tmp/f.json" &&
        "$QB" ops --op "$1" --shape "$2" --dtype fp32 --isa avx2 --threads 1 "${FAST[@]}" --json >"$tmp/f2.json" &&
        python3 - "$tmp/f.json" "$tmp/f2.json" "$want_isa" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["results"][0]["params"]
b = json.load(open(sys.argv[2]))["results"][0]["params"]
assert a["verified"] is True and a["isa"] == sys.argv[3], a
assert b["verified"] is True and b["isa"] == "avx2+fma" and "ymm" in b["math"], b
PY
    then ok; else bad "ops --op $1 fp32 isa (zmm by default, ymm with --isa avx2)"; fi
done

# The human table: dtypes side by side with the speedup over fp32.
if "$QB" ops --op matmul --shape 16,16,16 --threads 1 "${FAST[@]}" >"$tmp/t.txt" &&
    grep -q "^matmul" "$tmp/t.txt" && grep -q "int8 pc sym" "$tmp/t.txt" && grep -q "x)" "$tmp/t.txt"; then ok
else bad "ops table"; cat "$tmp/t.txt"; fi

# Comparison backends: side by side when compiled in, a clear error when not.
for b in openblas onednn; do
    if "$QB" ops --help | grep -q "Backends compiled in:.*$b"; then
        if "$QB" ops --op gemm --shape 32,48,40 --backend builtin,$b --dtype fp32,int8 --threads 1 "${FAST[@]}" --json >"$tmp/b.json" &&
            python3 - "$tmp/b.json" "$b" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
b = sys.argv[2]
R = {r["id"]: r for r in d["results"]}
r = R["ops/gemm/fp32/none/none@%s/t1" % b]
assert r["params"]["backend"] == b and r["params"]["verified"] is True, r["params"]
if b == "onednn":
    r = R["ops/gemm/int8/per-channel/symmetric@onednn/t1"]
    assert r["params"]["verified"] is True and r["params"]["max_err"] <= 1, r["params"]
else:
    assert any(u.startswith("gemm int8@openblas: not in this data type") for u in d["settings"]["ops"]["unavailable"])
assert d["settings"]["ops"]["backends"][b]["compiled_in"] is True
PY
        then ok; else bad "ops --backend $b"; fi
    else
        out=$("$QB" ops --op gemm --backend $b 2>&1 >/dev/null)
        if [ $? -eq 2 ] && echo "$out" | grep -q "not compiled in"; then ok; else bad "ops --backend $b without it"; fi
    fi
done

# qbench list shows the operators with their default shapes and sources.
if "$QB" list | grep -q "conv .*1,64,56,56,64,3,3,1,1.*ResNet-50"; then ok; else bad "list ops"; fi

# Bad input: one line naming the word, exit 2, and quickly (nothing allocated).
expect2() {
    local word=$1
    shift
    local t0=$SECONDS
    "$QB" ops "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -qF -- "$word" "$tmp/err" &&
        [ $((SECONDS - t0)) -lt 20 ]; then ok; else bad "ops $* (exit $rc)"; cat "$tmp/err"; fi
}
expect2 "nosuchop" --op nosuchop
expect2 "fp8" --op gemm --dtype fp8
expect2 "per-row" --op gemm --quant per-row
expect2 "sym" --op gemm --policy sym
expect2 "cuda" --op gemm --backend cuda
expect2 "sse" --op gemm --isa sse
expect2 "exactly one" --op gemm,conv --shape 1,2,3
expect2 "expected 3 integers" --op gemm --shape 1,2
expect2 "-4" --op gemm --shape 1,-4,3
expect2 "0x" --op gemm --shape 0x2x3
expect2 "memory" --op gemm --shape 1000000,1000000,1000000
expect2 "pad" --op conv --shape 1,3,8,8,4,3,3,1,5
expect2 "larger than" --op conv --shape 1,3,2,2,4,9,9,1,1
expect2 "malformed" --op gemm --threads 1,,2

# Many operators and repeated names: each operator is measured once, however
# many words name it (a class word eight times once overflowed the selection).
many=memory,memory,memory,memory,memory,memory,memory,memory,relu,compute,relu
if "$QB" ops --op "$many" --dtype int8 --quant per-tensor --threads 1 --quick --warmup 0 --reps 1 \
        --max-reps 1 --rounds 1 --budget 0.001 --json >"$tmp/many.json" 2>"$tmp/err" &&
    python3 - "$tmp/many.json" <<'PY'
import json, sys
ids = [r["id"] for r in json.load(open(sys.argv[1]))["results"]]
ops = [i.split("/")[1] for i in ids]
assert len(ids) == len(set(ids)) and len(set(ops)) >= 20, ids
assert ops.count("relu") == 1 and "conv" in ops and "transpose" in ops, ops
PY
then pass=$((pass + 1)); else echo "FAIL: ops --op with repeated names"; cat "$tmp/err"; fail=$((fail + 1)); fi

# --cache warm,cold: both modes, the cold one a call a sample, each record
# saying which it ran in.
if "$QB" ops --op relu --dtype fp32 --threads 1 --shape 1,1,64,64 --cache warm,cold --quick --json \
        >"$tmp/cache.json" 2>"$tmp/err" &&
    python3 - "$tmp/cache.json" <<'PY'
import json, sys
R = {r["id"]: r["params"] for r in json.load(open(sys.argv[1]))["results"]}
warm, cold = R["ops/relu/fp32/none/none/t1"], R["ops/relu/fp32/none/none/t1/cold"]
assert warm["cache"].startswith("warm") and cold["cache"].startswith("cold"), (warm["cache"], cold["cache"])
assert cold["runs_per_trial"] == 1 and warm["runs_per_trial"] > 1
assert warm["empty_call_ns"] > 0
PY
then pass=$((pass + 1)); else echo "FAIL: ops --cache warm,cold"; cat "$tmp/err"; fail=$((fail + 1)); fi
expect2 "warm or cold" --op relu --cache hot

# Many-step operators time their phases apart once, with the checks: their
# shares add up to 100 and each GEMM phase has its rate.
phases() { # op shape count
    if "$QB" ops --op "$1" --shape "$2" --dtype fp32,int8 --threads 1 --quick --json >"$tmp/ph.json" 2>"$tmp/err" &&
        python3 - "$tmp/ph.json" "$3" <<'PY'
import json, sys
R = [r["params"] for r in json.load(open(sys.argv[1]))["results"]]
assert len(R) == 3, len(R)
for p in R:
    ph = p["phases"]
    assert len(ph) == int(sys.argv[2]), ph
    assert abs(sum(f["share"] for f in ph) - 100) < 1e-6 and all(f["seconds"] > 0 for f in ph), ph
    assert "GEMM" in ph[0]["phase"] and ph[0]["gops"] > 0 and "gops" not in ph[-1], ph
PY
    then pass=$((pass + 1)); else echo "FAIL: ops phases of $1"; cat "$tmp/err"; fail=$((fail + 1)); fi
}
phases lstm 4,2,32,32 3
phases conv-transpose 1,16,8,8,8,4,4,2,1 2

echo "cli_ops: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
