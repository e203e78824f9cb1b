#!/usr/bin/env bash
# The machine-state check: qbench sysinfo --check says, for each thing that
# can distort a measurement, its value, whether it is fine, and what to do;
# it sees a CPU hog; qbench run keeps the checks in its results.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"

if "$QB" sysinfo --check --json >"$tmp/s.json" 2>"$tmp/err" && python3 - "$tmp/s.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["machine"]
st = {i["name"]: i for i in m["state"]}
assert set(st) == {"governor", "boost", "smt", "load", "thp", "virtual machine", "busy cpus"}, sorted(st)
for i in st.values():
    assert isinstance(i["ok"], bool) and i["value"], i
    assert i["ok"] or i.get("advice"), i
assert st["virtual machine"]["ok"] == (not m["virtualized"])
assert m["state_warnings"] == sum(not i["ok"] for i in st.values())
PY
then ok; else bad "sysinfo --check JSON"; cat "$tmp/err"; fi

# A process spinning on a CPU is seen as busy.
( while :; do :; done ) &
hog=$!
sleep 0.3
"$QB" sysinfo --check --json >"$tmp/h.json" 2>"$tmp/err"
kill "$hog" 2>/dev/null
wait "$hog" 2>/dev/null
if python3 - "$tmp/h.json" <<'PY'
import json, sys
st = {i["name"]: i for i in json.load(open(sys.argv[1]))["machine"]["state"]}
assert not st["busy cpus"]["ok"] and "busy" in st["busy cpus"]["value"], st["busy cpus"]
PY
then ok; else bad "sysinfo --check did not see a CPU hog"; fi

# The table names every check and ends with the count of warnings.
if "$QB" sysinfo --check >"$tmp/t.txt" 2>"$tmp/err" && grep -q "^  \(ok\|WARN\) *busy cpus" "$tmp/t.txt" &&
    grep -q "^[0-9]* warnings\?$" "$tmp/t.txt"; then ok; else bad "sysinfo --check table"; fi

# qbench run checks first and keeps what it found.
if "$QB" run --filter 'probe.inst/add-r64' --quick --interleave 1 --json >"$tmp/r.json" 2>"$tmp/err" &&
    python3 - "$tmp/r.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["machine"]
assert len(m["state"]) == 7 and "state_warnings" in m, m.keys()
PY
then ok; else bad "run keeps machine.state"; cat "$tmp/err"; fi

echo "cli_state: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
