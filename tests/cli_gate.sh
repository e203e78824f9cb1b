#!/usr/bin/env bash
# The round-median gate as CI uses it, on synthetic fixtures (fixtures/gate):
# qbench compare --gate exits 0 on the same code, 1 on a slower time, 2 on
# another machine (a warning with --any-machine) or another suite; its
# text says the verdict first, then the regressions, then the groups;
# Markdown stays within one CI comment even for a full quick run; JUnit has
# one testcase per gated metric. qbench ab refuses a missing or failing
# binary (exit 2) and runs end to end on one small group.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"
FIX=$2/fixtures/gate

expect_exit 0 "same code" -- compare --gate "$FIX/base.json" "$FIX/rerun.json"
head -1 "$tmp/out" | grep -q "^qbench compare --gate: no regression in 5 gated metrics (exit 0)" && ok || bad "same code: verdict first"
expect_exit 1 "slower" -- compare --gate "$FIX/base.json" "$FIX/slow.json"
head -1 "$tmp/out" | grep -q "REGRESSION in 2 of 5 gated metrics" && ok || bad "slower: verdict first"
# regressions largest first, with their confidence and detectable change, then the groups
sed -n 2,4p "$tmp/out" | grep -c "worse (.*confidence .*detectable" | grep -qx 2 && ok || bad "slower: regression lines"
grep -q "^  ops/conv: 0.8[0-9]*x, 1[0-9].[0-9]% worse (geometric mean over 1 metric)" "$tmp/out" && ok || bad "slower: group line"
grep -q "gops .* derived" "$tmp/out" && ok || bad "slower: rates shown as derived"
grep -q "2 gating metrics regressed" "$tmp/err" && ok || bad "slower: message"
expect_exit 0 "min-effect above the change" -- compare --gate "$FIX/base.json" "$FIX/slow.json" --min-effect 30
expect_exit 0 "fail-on elsewhere" -- compare --gate "$FIX/base.json" "$FIX/slow.json" --fail-on 'ops/relu*'
expect_exit 0 "faster" -- compare --gate "$FIX/base.json" "$FIX/fast.json"
grep -q "time .* improved" "$tmp/out" && ok || bad "faster: improved"

# Too few rounds: not judged, with a warning; several files a side pool their rounds.
expect_exit 0 "few rounds" -- compare --gate "$FIX/few-rounds.json" "$FIX/slow.json"
grep -q "warning: 5 metrics had fewer than 5 rounds" "$tmp/out" && ok || bad "few rounds: warning"
expect_exit 1 "pooled runs" -- compare --gate "$FIX/few-rounds.json" "$FIX/slow.json" "$FIX/few-rounds.json" "$FIX/slow.json" "$FIX/few-rounds.json" "$FIX/slow.json"
grep -q "(3 runs)" "$tmp/out" && ok || bad "pooled runs: counted"

# Another machine or suite: exit 2, or a warning when forced.
expect_exit 2 "other machine" -- compare --gate "$FIX/base.json" "$FIX/other-machine.json"
grep -q "other-machine.json comes from another machine.*Intel Xeon.*--any-machine" "$tmp/err" && ok || bad "other machine: message"
expect_exit 0 "other machine forced" -- compare --gate "$FIX/base.json" "$FIX/other-machine.json" --any-machine
grep -q "^warning: .*another machine" "$tmp/out" && ok || bad "other machine forced: warning"
expect_exit 2 "other suite" -- compare --gate "$FIX/base.json" "$FIX/other-suite.json"
grep -q "share no record.*same suite" "$tmp/err" && ok || bad "other suite: message"
expect_exit 2 "gate bad format" -- compare --gate "$FIX/base.json" "$FIX/slow.json" --format csv
expect_exit 2 "junit without gate" -- compare "$FIX/base.json" "$FIX/slow.json" --format junit

# JSON and JUnit.
expect_exit 1 "json" -- compare --gate "$FIX/base.json" "$FIX/slow.json" --json
python3 - "$tmp/out" <<'PY' && ok || bad "json output"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "qbench.gate/1" and d["regression"] is True and d["regressions"] == 2 and d["gated"] == 5
t = [m for m in d["metrics"] if m["id"] == "ops/gemm/fp32/none/none/t1" and m["metric"] == "time"][0]
assert t["status"] == "regressed" and t["primary"] and t["base_rounds"] == 6 and 0 < t["detectable"] < 0.05
assert t["confidence"] > 0.99
g = [m for m in d["metrics"] if m["metric"] == "gops"]
assert g and all(m["status"] == "derived" and not m["gating"] for m in g)
assert {x["group"] for x in d["groups"]} == {"ops/gemm", "ops/conv", "ops/relu", "probe.inst/add-r64"}
PY
expect_exit 1 "junit to file" -- compare --gate "$FIX/base.json" "$FIX/slow.json" --format junit -o "$tmp/gate.xml"
python3 - "$tmp/gate.xml" <<'PY' && ok || bad "junit output"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("tests") == "5" and root.get("failures") == "2"
cases = root.findall(".//testcase")
assert len(cases) == 5
failed = sorted(c.get("name") for c in cases if c.find("failure") is not None)
assert failed == ["ops/conv/fp32/none/none/t1:time", "ops/gemm/fp32/none/none/t1:time"], failed
PY
grep -q "REGRESSION" "$tmp/out" && ok || bad "junit -o: text on stdout"

# Markdown: one CI comment, even for 3000 regressed records.
python3 "$FIX/make.py" "$tmp/large-a.json" && python3 "$FIX/make.py" "$tmp/large-b.json" 1.3 || bad "large fixtures"
expect_exit 1 "large markdown" -- compare --gate "$tmp/large-a.json" "$tmp/large-b.json" --format markdown
size=$(wc -c <"$tmp/out")
[ "$size" -lt 65000 ] && ok || bad "large markdown: $size characters"
head -1 "$tmp/out" | grep -q "^### qbench compare --gate: \*\*REGRESSION\*\* in 3000 of 3000" && ok || bad "large markdown: verdict first"
grep -q "^- \.\.\. [0-9]* more$" "$tmp/out" && grep -q "^\.\.\. [0-9]* more (the comment" "$tmp/out" && ok || bad "large markdown: truncated lists"
expect_exit 1 "small markdown" -- compare --gate "$FIX/base.json" "$FIX/slow.json" --format md
grep -q "more" "$tmp/out" && bad "small markdown: nothing to truncate" || ok

# qbench ab: bad binaries are exit 2 before anything is measured.
expect_exit 2 "ab missing base" -- ab --base "$tmp/nope" --new "$QB"
grep -q "qbench ab --base: '$tmp/nope' does not exist" "$tmp/err" && ok || bad "ab missing: message"
mkdir -p "$tmp/emptybuild"
expect_exit 2 "ab build folder without qbench" -- ab --base "$QB" --new "$tmp/emptybuild"
grep -q "emptybuild/qbench' is not an executable" "$tmp/err" && ok || bad "ab empty folder: message"
expect_exit 2 "ab without --new" -- ab --base "$QB"
expect_exit 2 "ab unknown group" -- ab --base "$QB" --new "$QB" --filter 'ops/nosuchop'
expect_exit 2 "ab failing binary" -- ab --base "$QB" --new /bin/false --filter relu --rounds 1 --dtype fp32
grep -q "the new binary on ops/relu (pass 1): exit 1" "$tmp/err" && ok || bad "ab failing binary: message"
expect_exit 2 "ab bad format" -- ab --base "$QB" --new "$QB" --format csv
# End to end on one small group, one pass: 2 rounds a side can never reach
# the significance level, so the verdict is no regression whatever the host does.
# A temporary folder of this test's own, so another qbench ab running on the
# machine cannot make it look as if this one left its folder behind.
export TMPDIR="$tmp/abtmp"
mkdir -p "$TMPDIR"
expect_exit 0 "ab same binary" -- ab --base "$(dirname "$QB")" --new "$QB" --filter relu --rounds 1 --dtype fp32 --min-rounds 2 --json
python3 - "$tmp/out" <<'PY' && ok || bad "ab json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "qbench.gate/1" and d["command"] == "qbench ab" and d["regression"] is False
t = [m for m in d["metrics"] if m["metric"] == "time"]
assert len(t) == 1 and t[0]["id"] == "ops/relu/fp32/none/none/t1" and t[0]["base_rounds"] == 2 and t[0]["new_rounds"] == 2
assert t[0]["detectable"] is None and d["settings"]["base_runs"] == 1 and d["settings"]["new_runs"] == 1
assert any("could not have shown a change of 5%" in w for w in d["warnings"]), d["warnings"]
PY
grep -q "1 group x 1 pass x 2 sides measured" "$tmp/err" && ok || bad "ab: how long it took"
ls "$TMPDIR" | grep -q "^qbench-ab-" && bad "ab left its folder behind" || ok
unset TMPDIR

echo "cli_gate: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
