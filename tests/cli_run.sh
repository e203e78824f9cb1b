#!/usr/bin/env bash
# qbench run: filters, interleaved passes pooled, SIGINT keeps finished
# records (exit 130), bad input exits 2.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"

if "$QB" run --quick --filter 'probe.inst/imul-r64,probe.peak/fp32/*' --interleave 2 -o "$tmp/r.json" >/dev/null &&
    python3 - "$tmp/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = sorted(r["id"] for r in d["results"])
assert ids[0] == "probe.inst/imul-r64" and all(i.startswith("probe.peak/fp32/") for i in ids[1:]), ids
lat = d["results"][0]["metrics"]["latency"]
# 2 passes x 2 rounds x 5 samples: at least 9 kept samples per metric in CI mode
assert len(lat["samples"]) >= 9, len(lat["samples"])
assert d["settings"]["run"]["interleave"] == 2
PY
then ok; else bad "run --filter --interleave"; fi

# Pooled passes count bytes per cycle at the document's one clock, even when
# a later pass calibrated the core faster than the first.
if "$QB" run --quick --filter 'probe.mem/level/L1/read/*' --interleave 2 -o "$tmp/m.json" >/dev/null &&
    python3 - "$tmp/m.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ghz = d["machine"]["core_ghz"]
assert {r["id"] for r in d["results"]} >= {"probe.mem/level/L1/read/t1"}, [r["id"] for r in d["results"]]
for r in d["results"]:
    b, c = r["metrics"]["bandwidth"], r["metrics"]["bytes_per_cycle"]
    per = 1 / (r["params"]["threads"] * ghz)
    assert abs(c["value"] - b["value"] * per) <= 1e-9 * c["value"], (r["id"], c["value"], b["value"], ghz)
    assert all(abs(y - x * per) <= 1e-9 * y for x, y in zip(b["samples"], c["samples"])), r["id"]
    assert len(c["round_medians"]) == len(b["round_medians"]) >= 2, r["id"]
PY
then ok; else bad "run: bytes per cycle at the document's clock"; fi

"$QB" run --rounds 16 -o "$tmp/int.json" >/dev/null 2>"$tmp/err" &
pid=$!
sleep 1.5
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" -eq 130 ] && python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert any(r['metrics'] for r in d['results'])" "$tmp/int.json"; then ok; else bad "run interrupted: exit $rc"; cat "$tmp/err"; fi

for args in "--quick --full" "--filter nothing.here" "--interleave 0" "--repetitions x"; do
    # shellcheck disable=SC2086
    "$QB" run $args >/dev/null 2>"$tmp/err"
    r=$?
    if [ "$r" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then ok; else bad "run $args: exit $r"; fi
done
echo "cli_run: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
