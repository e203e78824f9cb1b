#!/usr/bin/env bash
# qbench costs: both tables filled, each row with its textbook figure, the
# measured cycles and ns at the document's clock, and the record it came
# from, which is in the same document; rows a probe could not fill say why.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"
fast=(--quick --warmup 0 --reps 3 --max-reps 3 --rounds 1 --budget 0.01)

if "$QB" costs "${fast[@]}" --json >"$tmp/c.json" 2>"$tmp/err" && python3 - "$tmp/c.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ghz = d["machine"]["core_ghz"]
ids = {r["id"]: r for r in d["results"]}
rows = [r for r in d["results"] if r["group"] == "costs"]
tables = {r["params"]["table"] for r in rows}
assert tables == {"instruction", "system"}, tables
for r in rows:
    p, m = r["params"], r["metrics"]
    assert p["what"] and p["primer"] and p["source"], r["id"]
    if "cycles" in m:
        assert m["cycles"]["unit"] == "cycles" and m["time"]["unit"] == "ns", r["id"]
        assert abs(m["time"]["value"] * ghz - m["cycles"]["value"]) <= 1e-6 * m["cycles"]["value"], r["id"]
        assert p["source"] in ids, (r["id"], p["source"])
    else:
        assert p["missing"], r["id"]
# every row of the instruction table and the switches are measured on any x86 Linux
for r in rows:
    if r["params"]["table"] == "instruction" or "switch" in r["id"] or "syscall" in r["id"]:
        assert "cycles" in r["metrics"], r["id"]
add = ids["costs/instruction/execute-add"]["metrics"]["cycles"]["value"]
assert 0.8 < add < 1.25, add
# the disk: one of the two storage rows, the other saying why not
disk = [ids["costs/system/ssd-read"], ids["costs/system/disk-read"]]
if "probe.storage/randread/qd1" in ids:
    assert sum("cycles" in r["metrics"] for r in disk) == 1, [r["params"] for r in disk]
PY
then ok; else bad "costs JSON"; cat "$tmp/err"; fi

if "$QB" costs "${fast[@]}" >"$tmp/t.txt" 2>"$tmp/err" && grep -q "What one step of executing an instruction costs" "$tmp/t.txt" &&
    grep -q "What the system's slow operations cost" "$tmp/t.txt"; then ok; else bad "costs table"; fi
# A folder the storage probe refuses leaves the storage rows empty, with why.
if "$QB" costs "${fast[@]}" --path /proc --json >"$tmp/p.json" 2>"$tmp/err" && python3 - "$tmp/p.json" <<'PY'
import json, sys
ids = {r["id"]: r for r in json.load(open(sys.argv[1]))["results"]}
for n in ("ssd-read", "disk-read"):
    p = ids["costs/system/" + n]["params"]
    assert p["missing"].startswith("not measured: ") and len(p["missing"]) > 20, p
assert "cycles" in ids["costs/system/syscall"]["metrics"]
PY
then ok; else bad "costs --path /proc"; cat "$tmp/err"; fi

"$QB" costs --nope >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && ok || bad "costs --nope: exit 2, one line"

echo "cli_costs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
