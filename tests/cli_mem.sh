#!/usr/bin/env bash
# qbench probe mem on the command line: bad input gets one line naming the
# bad word and exit 2 before anything is allocated; a small run gives the
# records the roofline and report read.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"

expect 2 "16Q" probe mem --sizes 16Q
expect 2 "--loaded" probe mem --loaded-delays 0
expect 2 "'x'" probe mem --loaded --loaded-delays idle,x
expect 2 "--loaded" probe mem --loaded --kernels read
expect 2 "1K" probe mem --sizes 1K
expect 2 "malformed" probe mem --sizes 16K,,8M
expect 2 "-4K" probe mem --sizes -4K
expect 2 "bogus" probe mem --kernels bogus
expect 2 "bogus" probe mem --kernels read,bogus
expect 2 "0" probe mem --threads 0
expect 2 "only" probe mem --threads 4096
expect 2 "x" probe mem --threads x
expect 2 "out of range" probe mem --per-octave 0
expect 2 "do not go together" probe mem --sizes 16K --levels-only
expect 2 "extra" probe mem extra
# Larger than free memory: refused at once, nothing mapped (a 60T mapping would fail anyway).
start=$(date +%s%N)
expect 2 "does not fit in free memory" probe mem --sizes 60T
expect 2 "does not fit in free memory" probe mem --sizes 16K,60T --kernels latency
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ] && pass=$((pass + 1)) || { echo "FAIL: the memory check was slow"; fail=$((fail + 1)); }
expect 0 "" probe mem --help
"$QB" probe mem --help | grep -q "default 2, 1 with --quick" && pass=$((pass + 1)) || { echo "FAIL: defaults missing from --help"; fail=$((fail + 1)); }

fast=(--quick --rounds 1 --reps 2 --max-reps 2 --warmup 0)
if "$QB" probe mem --sizes 16K,64K --kernels triad,latency,write-nt --threads 1 "${fast[@]}" --json >"$tmp/m.json" 2>"$tmp/err" &&
    python3 - "$tmp/m.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = {r["id"]: r for r in d["results"]}
for want in ["probe.mem/triad/t1/16384", "probe.mem/triad/t1/65536", "probe.mem/write-nt/t1/16384",
             "probe.mem/latency/16384", "probe.mem/latency/65536"]:
    assert want in ids, (want, sorted(ids))
t = ids["probe.mem/triad/t1/16384"]
assert t["group"] == "probe.mem"
assert t["params"]["kernel"] == "triad" and t["params"]["bytes"] == 16384 and t["params"]["threads"] == 1
assert t["metrics"]["bandwidth"]["unit"] == "GB/s" and t["metrics"]["bandwidth"]["value"] > 0
assert t["params"]["pages"] in ("2M", "4K", "unknown")
l = ids["probe.mem/latency/65536"]
assert l["params"]["kernel"] == "latency"
assert l["metrics"]["latency"]["unit"] == "ns" and l["metrics"]["latency_cycles"]["unit"] == "cycles"
assert not any("level" in r["params"] for r in d["results"]), "explicit sizes make no level records"
# Bytes per cycle are counted at the clock the document states (the fastest
# calibration of the run), sample by sample.
ghz = d["machine"]["core_ghz"]
for r in d["results"]:
    m = r["metrics"]
    if "bytes_per_cycle" not in m: continue
    per = 1 / (r["params"]["threads"] * ghz)
    b, c = m["bandwidth"], m["bytes_per_cycle"]
    assert abs(c["value"] - b["value"] * per) <= 1e-9 * c["value"], (r["id"], c["value"], b["value"], ghz)
    assert all(abs(y - x * per) <= 1e-9 * y for x, y in zip(b["samples"], c["samples"])), r["id"]
assert d["settings"]["probe.mem"]["trial_us"] > 0
PY
then pass=$((pass + 1)); else echo "FAIL: probe mem --sizes JSON"; cat "$tmp/err"; fail=$((fail + 1)); fi

# On a VM, figures on every vCPU that go through what the host shares are no
# gate: non-temporal stores go to memory even for a 16K working set.
if "$QB" probe mem --sizes 16K --kernels read,write-nt --threads all "${fast[@]}" --json >"$tmp/h.json" 2>"$tmp/err" &&
    python3 - "$tmp/h.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
vm = bool(d["machine"].get("hypervisor"))
for r in d["results"]:
    p = r["params"]
    host = vm and p["threads"] >= 2 and p["threads"] >= d["machine"]["cores"] and p["kernel"] == "write-nt"
    assert (p.get("gate") is False) == host, (r["id"], p.get("gate"), vm)
PY
then pass=$((pass + 1)); else echo "FAIL: probe mem host-shared gates"; cat "$tmp/err"; fail=$((fail + 1)); fi

# ... and so is a pointer chase past the per-core caches, even on one thread:
# the shared last-level cache holds what other guests leave of it.
if "$QB" probe mem --sizes 16K,64M --kernels latency --threads 1 "${fast[@]}" --json >"$tmp/hl.json" 2>"$tmp/err" &&
    python3 - "$tmp/hl.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
vm = bool(d["machine"].get("hypervisor"))
gate = {r["params"]["bytes"]: r["params"].get("gate") for r in d["results"]}
assert set(gate) == {16384, 64 << 20}, gate
assert gate[16384] is None and (gate[64 << 20] is False) == vm, (gate, vm)
PY
then pass=$((pass + 1)); else echo "FAIL: probe mem latency gates"; cat "$tmp/err"; fail=$((fail + 1)); fi

# The level records the roofline reads, from the quickest levels-only run.
if "$QB" probe mem --levels-only --kernels read --per-octave 1 "${fast[@]}" --json >"$tmp/l.json" 2>"$tmp/err" &&
    python3 - "$tmp/l.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
lv = [r for r in d["results"] if "level" in r["params"]]
assert lv, "no level records"
for r in lv:
    p = r["params"]
    assert r["id"] == "probe.mem/level/%s/%s/t%d" % (p["level"], p["kernel"], p["threads"]), r["id"]
    assert p["level"] in ("L1", "L2", "L3", "L4", "DRAM")
    assert r["metrics"]["bandwidth"]["unit"] == "GB/s"
names = {r["params"]["level"] for r in lv}
assert {"L1", "DRAM"} <= names, names
assert not any("level" not in r["params"] for r in d["results"]), "levels-only makes only level records"
# One round: only figures short of a ceiling (L1 ports, scaling on a VM) get more.
extra = d["settings"]["probe.mem"]["confirming_rounds"]
for r in lv:
    n = len(r["metrics"]["bandwidth"]["round_medians"])
    assert 1 <= n <= 1 + extra and (n == 1 or r["params"]["level"] in ("L1", "L2")), (r["id"], n, extra)
PY
then pass=$((pass + 1)); else echo "FAIL: probe mem --levels-only JSON"; cat "$tmp/err"; fail=$((fail + 1)); fi

# Two rounds: unconfirmed level figures (or points, with --sizes) get extra
# rounds, within the stated maximum, started the stated spacing apart (so
# the run lasts at least that long: a lower bound, not a timing target).
two=(--kernels read,copy --threads 1 --quick --rounds 2 --reps 2 --max-reps 2 --warmup 0 --json)
for how in --levels-only "--sizes 16K,48K"; do
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    if "$QB" probe mem $how "${two[@]}" >"$tmp/c.json" 2>"$tmp/err" &&
        python3 - "$tmp/c.json" "$t0" "$(date +%s%N)" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
elapsed = (int(sys.argv[3]) - int(sys.argv[2])) / 1e9
s = d["settings"]["probe.mem"]
extra, most = s["confirming_rounds"], s["confirming_rounds_max"]
assert 0 <= extra <= most and most > 0 and s["confirm_budget_s"] > 0, s
assert abs(s["confirm_spacing_s"] * most - s["confirm_budget_s"]) < 1e-9, s
assert elapsed >= (extra - 1) * s["confirm_spacing_s"], (elapsed, s)
assert d["results"]
for r in d["results"]:
    n = len(r["metrics"]["bandwidth"]["round_medians"])
    assert 2 <= n <= 2 + extra, (r["id"], n, extra)
PY
    then pass=$((pass + 1)); else echo "FAIL: probe mem $how confirming rounds"; cat "$tmp/err"; fail=$((fail + 1)); fi
done

# Loaded latency: the idle point draws no bandwidth, the loaded one does, and
# the knee names a point of the curve.
if "$QB" probe mem --loaded --loaded-delays idle,2000,0 --sizes 64M --quick --warmup 0 --reps 3 --max-reps 3 \
        --budget 0.01 --json >"$tmp/ld.json" 2>"$tmp/err" && python3 - "$tmp/ld.json" <<'PY'
import json, sys
R = {r["id"]: r for r in json.load(open(sys.argv[1]))["results"]}
idle, d60, d0 = R["probe.mem/loaded/idle"], R["probe.mem/loaded/delay2000"], R["probe.mem/loaded/delay0"]
for r in (idle, d60, d0):
    m = r["metrics"]
    assert m["latency"]["unit"] == "ns" and m["latency"]["value"] > 0 and len(m["latency"]["samples"]) >= 3, r["id"]
    assert m["bandwidth"]["unit"] == "GB/s" and m["latency_cycles"]["unit"] == "cycles", r["id"]
    assert r["params"]["gate"] is False, r["id"]
assert idle["metrics"]["bandwidth"]["value"] == 0 and idle["params"]["streamers"] == 0
assert d0["metrics"]["bandwidth"]["value"] > d60["metrics"]["bandwidth"]["value"] > 0
k = R["probe.mem/loaded/knee"]
assert k["metrics"]["idle_latency"]["value"] == idle["metrics"]["latency"]["value"]
assert "point" not in k["params"] or k["params"]["point"] in R
PY
then pass=$((pass + 1)); else echo "FAIL: probe mem --loaded"; cat "$tmp/err"; fail=$((fail + 1)); fi

echo "cli_mem: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
