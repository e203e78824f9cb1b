#!/usr/bin/env bash
# qbench merge: runs pooled into one file, bytes per cycle counted again at
# the fastest clock of the runs, bad input exits 2 with one line.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"

# Two runs of one probe mem record, calibrated at 3.5 and 4.0 GHz.
python3 - "$tmp" <<'PY'
import json, sys
for name, ghz, bw in (("a", 3.5, [100.0, 104.0, 102.0]), ("b", 4.0, [110.0, 108.0, 112.0])):
    doc = {"schema": "qbench.results/1",
           "tool": {"name": "qbench", "version": "0.1.0", "git": name, "compiler": "gcc", "flags": "-O3"},
           "machine": {"cpu": "test", "vendor": "AuthenticAMD", "family": 25, "model": 17, "cores": 2,
                       "core_ghz": ghz},
           "settings": {}, "started": "2026-11-27T00:00:00Z",
           "results": [{"id": "probe.mem/level/L2/read/t2", "group": "probe.mem",
                        "params": {"level": "L2", "kernel": "read", "threads": 2},
                        "metrics": {"bandwidth": {"unit": "GB/s", "better": "higher", "samples": bw,
                                                  "value": sorted(bw)[1]},
                                    "bytes_per_cycle": {"unit": "bytes/cycle/core", "better": "higher",
                                                        "samples": [x / 2 / ghz for x in bw],
                                                        "value": sorted(bw)[1] / 2 / ghz}}}]}
    json.dump(doc, open(f"{sys.argv[1]}/{name}.json", "w"))
PY

if "$QB" merge "$tmp/a.json" "$tmp/b.json" -o "$tmp/ab.json" >/dev/null &&
    python3 - "$tmp/ab.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["machine"]["core_ghz"] == 4.0, d["machine"]["core_ghz"]
assert d["tool"]["git"] == "a" and d["settings"]["merge"]["runs"] == 2
(r,) = d["results"]
b, c = r["metrics"]["bandwidth"], r["metrics"]["bytes_per_cycle"]
assert len(b["samples"]) == 6 and b["value"] == 110.0, b
assert all(abs(y - x / 8) < 1e-9 for x, y in zip(b["samples"], c["samples"])), c["samples"]
assert abs(c["value"] - 110.0 / 8) < 1e-9 and c["unit"] == "bytes/cycle/core", c
PY
then ok; else bad "merge: pooled samples, bytes per cycle at the fastest clock"; fi

# Bad input: one line on stderr, exit 2.
expect2() {
    "$QB" merge "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then ok; else
        bad "merge $*: exit $rc, stderr:"; cat "$tmp/err"
    fi
}
expect2 "$tmp/a.json" "$tmp/missing.json" -o "$tmp/x.json"
expect2 "$tmp/a.json" "$tmp/b.json"
printf '{"schema": "qbench.results/1", "results": [' >"$tmp/cut.json"
expect2 "$tmp/a.json" "$tmp/cut.json" -o "$tmp/x.json"
[ ! -e "$tmp/x.json" ] && ok || bad "merge wrote a file from bad input"

echo "cli_merge: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
