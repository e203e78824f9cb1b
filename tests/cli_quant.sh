#!/usr/bin/env bash
# qbench quant: bad words get one line naming them and exit 2; the N(0,1),
# scale max|x|/128 exercise agrees with the analytic model; JSON has the promised metrics.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"

expect2() { # expect2 WORD-IN-MESSAGE ARGS...
    local word=$1
    shift
    "$QB" quant "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -qF -- "$word" "$tmp/err"; then
        bad "qbench quant $* exited $got, expected 2 and one line naming '$word':"; cat "$tmp/err"
    else ok; fi
}

expect2 "cauchy" --input cauchy:10x10
expect2 "gaussian:0x4" --input gaussian:0x4
expect2 "gaussian" --input gaussian
expect2 "do not fit" --input gaussian:1000000x1000000
expect2 "fancy" --policy fancy
expect2 "per-row" --granularity per-row
expect2 "int4" --range int4
expect2 "absmax/0" --scale absmax/0
expect2 "absmax/-2" --scale absmax/-2
expect2 "absmax/x" --scale absmax/x
expect2 "median" --scale median
expect2 "percentile:20" --scale percentile:20
expect2 "floor" --policy pow2 --pow2-round floor
expect2 "axis" --input gaussian:16x16 --granularity per-channel --axis 2
expect2 "no-such-op" --op no-such-op
expect2 "--shape needs --op" --shape 1,2,3
expect2 "--trials" --trials -1
expect2 "--target-se" --target-se 0
expect2 "--channel-spread" --channel-spread 0.5
expect2 "--op measures an operator" --op no-such-op --relu

# exercise 1, N(0,1) with scale max|x|/128 and no ReLU (n = 64 to stay fast): Monte Carlo within 1% of the model
if "$QB" quant --input gaussian:64x64 --policy symmetric --granularity per-tensor \
    --scale absmax/128 --trials 3000 --json >"$tmp/ex1.json" &&
    python3 - "$tmp/ex1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
(r,) = d["results"]
assert r["id"] == "quant/gaussian-64x64/symmetric-per-tensor-int8-absmax-d128", r["id"]
m = r["metrics"]
assert m["nsr"]["unit"] == "ratio" and m["nsr"]["better"] == "lower"
assert m["nsr_db"]["unit"] == "dB"
assert len(m["nsr"]["samples"]) == 3000
mc, se, model = m["nsr"]["value"], m["nsr_se"]["value"], m["nsr_model"]["value"]
assert abs(mc / model - 1) < 0.01, (mc, model)
assert se < 0.005 * mc, se
p = r["params"]
assert p["policy"] == "symmetric" and p["granularity"] == "per-tensor" and p["range"] == "int8"
assert p["divisor"] == 128 and p["scale_source"] == "absmax" and p["trials"] == 3000
PY
then ok; else bad "exercise 1 at n=64"; fi

# exercise 2 (ReLU first), the human table
if "$QB" quant --input gaussian:64x64 --relu --policy symmetric --granularity per-tensor \
    --scale absmax/128 --trials 200 >"$tmp/ex2.txt" && grep -q "gaussian:64x64+relu" "$tmp/ex2.txt" &&
    grep -q "model" "$tmp/ex2.txt"; then ok; else bad "exercise 2 table"; cat "$tmp/ex2.txt"; fi

# all policies by default, automatic trials, well under the time limit
start=$(date +%s)
if "$QB" quant --quick --input uniform:32x32 -o "$tmp/all.json" >/dev/null &&
    python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d['results']) == 6, len(d['results'])
assert sorted({r['params']['policy'] for r in d['results']}) == ['asymmetric', 'pow2', 'symmetric']
" "$tmp/all.json"; then ok; else bad "default policies"; fi
[ $(($(date +%s) - start)) -lt 30 ] && ok || bad "quant --quick took too long"

# quant --op says how many bits the weights had; where the kernel's path gave
# them 8, the 7-bit error of the AVX2 path stands beside it, and is worse.
if "$QB" quant --op conv --shape 1,16,12,12,16,3,3,1,1 --policy symmetric --granularity per-tensor --threads 1 \
        --quick --json >"$tmp/wb.json" 2>"$tmp/err" && python3 - "$tmp/wb.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
p, m = r["params"], r["metrics"]
assert p["weight_bits"] in (7, 8), p
if p["weight_bits"] == 8:
    assert m["nsr_db_7bit_weights"]["value"] > m["nsr_db"]["value"], (m["nsr_db_7bit_weights"], m["nsr_db"])
else:
    assert "nsr_db_7bit_weights" not in m
PY
then ok; else bad "quant --op weight_bits and the 7-bit error"; cat "$tmp/err"; fi

echo "cli_quant: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
