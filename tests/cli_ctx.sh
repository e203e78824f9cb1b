#!/usr/bin/env bash
# qbench probe ctx on the command line: bad input gets one line naming the
# bad word and exit 2; a small run gives records with the overhead subtracted
# and the switches counted.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"

expect 2 "bogus" probe ctx --kinds bogus
expect 2 "nowhere" probe ctx --placements nowhere
expect 2 "12Q" probe ctx --ws 12Q
expect 2 "-5" probe ctx --ws -5
expect 2 "malformed" probe ctx --ws 0,,16K
expect 2 "out of range" probe ctx --procs 1
expect 2 "out of range" probe ctx --procs 65
expect 2 "does not fit in free memory" probe ctx --ws 60T
expect 0 "" probe ctx --help

if "$QB" probe ctx --kinds syscall,process --placements same-cpu --ws 0,16K --quick --rounds 1 \
        --reps 3 --max-reps 3 --json >"$tmp/c.json" 2>"$tmp/err" &&
    python3 - "$tmp/c.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = {r["id"]: r for r in d["results"]}
assert set(ids) == {"probe.ctx/syscall", "probe.ctx/process/same-cpu/ws0",
                    "probe.ctx/process/same-cpu/ws16384"}, sorted(ids)
s = ids["probe.ctx/syscall"]
assert s["params"]["kind"] == "syscall" and s["metrics"]["latency"]["unit"] == "ns"
assert s["metrics"]["latency_cycles"]["unit"] == "cycles"
for name in ("probe.ctx/process/same-cpu/ws0", "probe.ctx/process/same-cpu/ws16384"):
    p = ids[name]
    assert p["params"]["kind"] == "process" and p["params"]["placement"] == "same-cpu"
    m = p["metrics"]
    lat, raw, ov = m["latency"]["value"], m["raw_latency"]["value"], m["overhead"]["value"]
    assert lat >= 0 and all(x >= 0 for x in m["latency"]["samples"])
    assert abs(lat - max(0.0, raw - ov)) < 1e-6 * max(1.0, raw), (lat, raw, ov)
    # The subtracted overhead is shown, not judged: raw_latency holds its code path.
    assert m["overhead"]["better"] == "none" and m["raw_latency"]["better"] == "lower"
    assert p["params"]["clamped"] == (raw < ov)
    # Every hop on one CPU blocks its sender: about one switch each.
    assert 0.9 <= m["switches_per_op"]["value"] <= 1.5, m["switches_per_op"]
    assert p["params"]["switch_counter"] in ("perf::CONTEXT-SWITCHES:u=1:k=1", "getrusage")
assert ids["probe.ctx/process/same-cpu/ws16384"]["params"]["working_set_bytes"] == 16384
PY
then pass=$((pass + 1)); else echo "FAIL: probe ctx JSON"; cat "$tmp/err"; fail=$((fail + 1)); fi

echo "cli_ctx: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
