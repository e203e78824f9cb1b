#!/usr/bin/env bash
# qbench roofline on a saved run: the verdicts of the known cases, the chart
# (and what happens without gnuplot), and bad input.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"
FIX=$2/fixtures

if "$QB" roofline --from "$FIX/roofline-run.json" --op all --threads 2 --json >"$tmp/r.json" &&
    python3 - "$tmp/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
R = {r["id"]: r for r in d["results"]}
def verdict(i): return R["roofline/" + i]["params"]["verdict"]
assert verdict("conv/fp32/none/none") == "compute-bound"
assert verdict("conv/int8/per-channel/symmetric") == "compute-bound"
assert verdict("gemm/fp32/none/none") == "compute-bound"
assert verdict("relu/fp32/none/none") == "memory-bound"
assert R["roofline/relu/fp32/none/none"]["params"]["bound_by"] == "DRAM"
assert verdict("transpose/fp32/none/none") == "memory-bound"
# gemm at 17% of its roof is flagged rather than trusted
assert R["roofline/gemm/fp32/none/none"]["params"]["far_below_roof"] is True
# int8's ridge lies at a higher intensity than fp32's (twice the peak)
c = R["roofline/conv/int8/per-channel/symmetric"]["metrics"]["ridge_DRAM"]["value"]
f = R["roofline/conv/fp32/none/none"]["metrics"]["ridge_DRAM"]["value"]
assert abs(c / f - 2) < 0.05, (c, f)
# int8 moves the memory-bound point right (fewer bytes per op)
assert R["roofline/relu/int8/per-tensor/symmetric"]["metrics"]["intensity"]["value"] == 4 * R["roofline/relu/fp32/none/none"]["metrics"]["intensity"]["value"]
# the ceilings travel with the analysis, with units
assert R["roofline.ceiling/memory/DRAM/t2"]["metrics"]["bandwidth"]["unit"] == "GB/s"
for r in d["results"]:
    for m in r["metrics"].values():
        assert m["unit"], r["id"]
PY
then ok; else bad "roofline verdicts"; fi

# A padded conv above its peak: the formula counts every tap, and a kernel
# that skips the taps on the padding (padding_taps "skipped") is on its
# roof for the taps it computes; one that packs zeros has no such reason,
# and a library's record does not say.
if python3 - "$FIX/roofline-run.json" "$tmp/pad.json" <<'PY' &&
import copy, json, sys
d = json.load(open(sys.argv[1]))
conv = next(r for r in d["results"] if r["id"] == "ops/conv/fp32/none/none")
d["results"] = [r for r in d["results"] if r["group"] != "ops"]
ops = conv["metrics"]["ops"]["value"]
for tag, taps in (("skip", "skipped"), ("zeros", "computed (zeros packed in the panels)"), ("lib", None)):
    r = copy.deepcopy(conv)
    r["id"] += "/" + tag
    r["metrics"]["time"]["value"] = ops / 250e9  # 250 GOP/s against a 230 GOP/s peak
    r["metrics"]["padding_ops"] = {"value": 0.093 * ops, "unit": "op", "better": "none"}
    if taps: r["params"]["padding_taps"] = taps
    d["results"].append(r)
json.dump(d, open(sys.argv[2], "w"))
PY
    "$QB" roofline --from "$tmp/pad.json" --op conv --dtype fp32 --threads 2 --json >"$tmp/padrl.json" &&
    python3 - "$tmp/padrl.json" <<'PY'
import json, sys
R = {r["id"].rsplit("/", 1)[1]: r for r in json.load(open(sys.argv[1]))["results"] if r["group"] == "roofline"}
note = {k: " ".join(r.get("notes", [])) for k, r in R.items()}
assert all(r["params"]["above_roof"] for r in R.values()), R
# 250 / 230 x (1 - 0.093) = 98.6%: on its roof, no clock to suspect
assert "9.3% of the operations" in note["skip"] and "runs at 99% of the peak" in note["skip"], note["skip"]
assert "lower clock" not in note["skip"], note["skip"]
assert "9.3%" not in note["zeros"] and "lower clock" in note["zeros"], note["zeros"]
assert "may skip" in note["lib"] and "if it skips too few" in note["lib"], note["lib"]
PY
then ok; else bad "roofline: a padded conv above its peak"; fi

# The chart: SVG written, labels exactly as written (no enhanced-text mangling).
if "$QB" roofline --from "$FIX/roofline-run.json" --op conv,relu --threads 2 -o "$tmp/chart" >/dev/null &&
    [ -s "$tmp/chart/roofline.svg" ] && [ -s "$tmp/chart/roofline.json" ] &&
    python3 -c "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])" "$tmp/chart/roofline.svg" &&
    grep -q "conv i8c" "$tmp/chart/roofline.svg" && grep -q "L1 800 GB/s" "$tmp/chart/roofline.svg" &&
    [ "$(grep -c "^set arrow" "$tmp/chart/roofline.gp")" -ge 2 ]; then ok; else bad "roofline chart"; fi

# Without gnuplot: it says so, keeps the data and the script, and exits 0.
if QB_GNUPLOT=/nonexistent/gnuplot "$QB" roofline --from "$FIX/roofline-run.json" --threads 2 -o "$tmp/nognu" >/dev/null 2>"$tmp/err" &&
    grep -q "gnuplot" "$tmp/err" && [ -s "$tmp/nognu/roofline.gp" ] && [ -s "$tmp/nognu/roofline.dat" ] &&
    [ ! -e "$tmp/nognu/roofline.svg" ]; then ok; else bad "roofline without gnuplot"; cat "$tmp/err"; fi

# Bad input: one line, exit 2, nothing written.
expect2() {
    local out=$tmp/bad$pass$fail
    "$QB" "$@" -o "$out" >/dev/null 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ -z "$(ls -A "$out" 2>/dev/null)" ]; then ok; else bad "roofline $* (exit $rc)"; cat "$tmp/err"; fi
}
expect2 roofline --from "$FIX/truncated.json" --threads 2
expect2 roofline --from "$FIX/wrong-schema.json" --threads 2
expect2 roofline --from "$FIX/roofline-run.json" --threads 2 --level attic
expect2 roofline --from "$FIX/roofline-run.json" --threads 2 --ceilings "$FIX/roofline-no-int8-peak.json" --dtype int8
expect2 roofline --from "$FIX/roofline-run.json" --threads 1 --ceilings "$FIX/roofline-run.json"
expect2 roofline --from "$FIX/roofline-run.json" --threads 2 --op nosuchop

# A real measured relu at L1, L2 and DRAM footprints (8 KiB, 512 KiB, 128 MiB)
# on one thread is placed at the level its footprint lives in, from the
# capacities the memory probe measured, never by its speed; a point above its
# roof says so.
for s in 1,1,32,32 1,1,256,256 1,64,512,512; do
    "$QB" ops --op relu --dtype fp32 --threads 1 --shape $s --quick -o "$tmp/relu-$s.json" >/dev/null 2>&1
done
if python3 - "$tmp" <<'PY' && "$QB" roofline --op relu --from "$tmp/relu-all.json" --threads 1 --json >"$tmp/rl.json" 2>"$tmp/err" &&
import json, sys
out = None
for s in ["1,1,32,32", "1,1,256,256", "1,64,512,512"]:
    d = json.load(open("%s/relu-%s.json" % (sys.argv[1], s)))
    out = out or dict(d, results=[])
    for r in d["results"]:
        r["id"] += "/" + s.replace(",", "x")
        out["results"].append(r)
json.dump(out, open(sys.argv[1] + "/relu-all.json", "w"))
PY
    python3 - "$tmp/rl.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
R = {r["id"].rsplit("/", 1)[1]: r for r in d["results"] if r["group"] == "roofline"}
caps = {r["params"]["level"]: r["params"].get("capacity_bytes") for r in d["results"]
        if r["group"] == "roofline.ceiling" and r["params"]["kind"] == "memory"}
want = {"1x1x32x32": "L1", "1x1x256x256": "L2", "1x64x512x512": "DRAM"}
for shape, r in R.items():
    p = r["params"]
    assert p["footprint_bytes"] == r["metrics"]["bytes"]["value"], shape
    # the first level whose measured capacity holds the footprint
    lv = next((l for l in ("L1", "L2", "L3") if caps.get(l) and p["footprint_bytes"] <= caps[l]), "DRAM")
    assert p["level"] == lv == p["bound_by"], (shape, p["level"], lv, caps)
    if caps.get("L1", 0) >= 8192 and caps.get("L2", 0) >= 524288:
        assert p["level"] == want[shape], (shape, p["level"], caps)
    eff = r["metrics"]["efficiency"]["value"]
    assert p["above_roof"] == (eff > 1) and p["far_below_roof"] == (eff < 0.5), (shape, eff, p)
    if p["above_roof"] or p["far_below_roof"]:
        assert r.get("notes"), shape
PY
then pass=$((pass + 1)); else echo "FAIL: roofline level by footprint (measured)"; cat "$tmp/err"; fail=$((fail + 1)); fi

# The machine profile keeps every thread count it measured: a roofline on 2
# threads after the one on 1 above measures its own ceilings, and one more on
# 1 thread then finds its ceilings still there.
if "$QB" ops --op relu --dtype fp32 --threads 1,2 --shape 1,1,32,32 --quick -o "$tmp/relu12.json" >/dev/null 2>&1 &&
    "$QB" roofline --op relu --from "$tmp/relu12.json" --threads 2 >/dev/null 2>"$tmp/err2" &&
    grep -q "measuring quick ceilings" "$tmp/err2" &&
    "$QB" roofline --op relu --from "$tmp/relu12.json" --threads 1 >/dev/null 2>"$tmp/err1" &&
    ! grep -q "measuring quick ceilings" "$tmp/err1"
then pass=$((pass + 1)); else echo "FAIL: the profile keeps both thread counts"; cat "$tmp/err2" "$tmp/err1"; fail=$((fail + 1)); fi

# --sizes with byte sizes and --cache warm,cold: one point per size and mode,
# each record saying its size, its cache mode and its calls per sample.
if "$QB" roofline --op relu --dtype fp32 --threads 1 --sizes 16K,64M --cache warm,cold --quick --json \
        >"$tmp/sz.json" 2>"$tmp/err" &&
    python3 - "$tmp/sz.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
R = {r["id"]: r for r in d["results"] if r["group"] == "roofline"}
want = {"roofline/relu/fp32/none/none/t1/" + s for s in ("16K", "64M", "16K/cold", "64M/cold")}
assert set(R) == want, sorted(R)
for i, r in R.items():
    fp = r["params"]["footprint_bytes"]
    target = 16384 if "/16K" in i else 64 << 20
    assert target / 2 <= fp <= target * 2, (i, fp)
    # the point says its size and cache mode, so the chart can label and join it
    assert r["params"]["size"] == ("16K" if "/16K" in i else "64M"), r["params"]
    assert r["params"]["cache"].startswith("cold" if i.endswith("/cold") else "warm"), r["params"]["cache"]
PY
then pass=$((pass + 1)); else echo "FAIL: roofline --sizes --cache"; cat "$tmp/err"; fail=$((fail + 1)); fi
for bad in "--sizes L9" "--sizes ,," "--cache hot" "--sizes L1 --from $FIX/roofline-run.json"; do
    # shellcheck disable=SC2086
    "$QB" roofline --op relu --threads 1 $bad >/dev/null 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then pass=$((pass + 1)); else
        echo "FAIL: roofline $bad: exit $rc"; cat "$tmp/err"; fail=$((fail + 1)); fi
done

echo "cli_roofline: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
