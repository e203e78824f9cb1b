#!/usr/bin/env bash
# qbench export --format gbench as Google Benchmark's own tools read it: one
# benchmark per record with a time, in its unit, rates as counters, the
# repetitions and the mean/median/stddev aggregates, nothing that is not a
# number; then Google Benchmark's compare.py (Debian libbenchmark-tools) on
# two exports gives a finite overall geomean and moves each clearly changed
# time the way qbench compare does.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"
FIX=$2/fixtures/gate
for f in base slow fast; do
    "$QB" export "$FIX/$f.json" --format gbench -o "$tmp/$f.gb.json" 2>"$tmp/err" && ok || { bad "export $f"; cat "$tmp/err"; }
done

python3 - "$tmp/base.gb.json" <<'PY' && ok || bad "gbench structure"
import json, sys
def no_nan(s):
    raise ValueError("not a number in the export: " + s)
d = json.load(open(sys.argv[1]), parse_constant=no_nan)
b = d["benchmarks"]
names = {x["run_name"] for x in b}
# every record with a time, and only those (the probe.inst record counts cycles)
assert names == {"ops/gemm/fp32/none/none/t1", "ops/conv/fp32/none/none/t1", "ops/relu/fp32/none/none/t1",
                 "ops/gemm/int8/per-tensor/symmetric/t1"}, names
units = {x["run_name"]: x["time_unit"] for x in b}
assert units["ops/gemm/fp32/none/none/t1"] == "ms" and units["ops/relu/fp32/none/none/t1"] == "us", units
it = [x for x in b if x["run_name"] == "ops/gemm/fp32/none/none/t1" and x["run_type"] == "iteration"]
assert len(it) == 30 and sorted(x["repetition_index"] for x in it) == list(range(30))
assert all(x["repetitions"] == 30 and x["name"] == "ops/gemm/fp32/none/none/t1" for x in it)
assert all(15 < x["real_time"] < 30 and x["cpu_time"] == x["real_time"] for x in it)
# the rates are counters of the same repetition: gops x time is the same work
w = [x["gops"] * x["real_time"] for x in it]
assert max(w) / min(w) < 1.0001 and "bandwidth" in it[0] and "ops" not in it[0]
agg = {x["aggregate_name"]: x for x in b if x["run_name"] == "ops/gemm/fp32/none/none/t1" and x["run_type"] == "aggregate"}
assert set(agg) == {"mean", "median", "stddev"}, agg.keys()
assert agg["median"]["name"] == "ops/gemm/fp32/none/none/t1_median" and agg["median"]["aggregate_unit"] == "time"
assert 0 < agg["stddev"]["real_time"] < agg["mean"]["real_time"] and "gops" in agg["mean"]
PY

# Google Benchmark's compare.py needs SciPy: the Debian interpreter has it
# when setup.sh installed python3-scipy.
cmp_py=$(dpkg -L libbenchmark-tools 2>/dev/null | grep '/compare\.py$' | head -1)
py=""
for p in /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import scipy' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$cmp_py" ] || [ -z "$py" ]; then
    echo "note: Google Benchmark's compare.py or SciPy is missing (scripts/setup.sh installs libbenchmark-tools python3-scipy); its checks were skipped"
else
    for f in slow fast; do
        "$py" "$cmp_py" --no-color -d "$tmp/$f.cmp.json" benchmarks "$tmp/base.gb.json" "$tmp/$f.gb.json" >"$tmp/out" 2>"$tmp/err" &&
            ok || { bad "compare.py on $f"; cat "$tmp/err"; }
        "$QB" compare "$2/fixtures/gate/base.json" "$FIX/$f.json" --json >"$tmp/$f.qb.json" 2>/dev/null
        python3 - "$tmp/$f.cmp.json" "$tmp/$f.qb.json" "$f" <<'PY' && ok || bad "compare.py against qbench compare ($f)"
import json, math, sys
gb = json.load(open(sys.argv[1]))
qb = json.load(open(sys.argv[2]))
geo = [x for x in gb if x["name"] == "OVERALL_GEOMEAN"][0]["measurements"][0]["time"]
assert math.isfinite(geo), geo
assert (geo > 0) == (sys.argv[3] == "slow"), geo  # compare.py: positive is slower
med = {x["name"][:-len("_median")]: x["measurements"][0]["time"] for x in gb if x["name"].endswith("_median")}
checked = 0
for m in qb["metrics"]:
    if m["metric"] != "time" or abs(m["change"]) < 0.05:
        continue
    assert (med[m["id"]] > 0) == (m["change"] > 0), (m["id"], med[m["id"]], m["change"])
    checked += 1
assert checked >= 1, "no clearly changed time to check"
PY
    done
    grep -q "OVERALL_GEOMEAN" "$tmp/out" && ok || bad "compare.py table has OVERALL_GEOMEAN"
fi

echo "cli_export_gbench: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
