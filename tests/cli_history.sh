#!/usr/bin/env bash
# qbench history against a real SQLite file: add, show and detect round
# trips (a step found at its commit, a drift reported as a trend);
# concurrent writers lose nothing; bad input (newer schema, read-only, locked,
# corrupt results, a run refused half way, a killed add) exits 2 and stores
# nothing. The results files are synthetic (tests/history_gen.py): nothing is
# measured. PostgreSQL: tests/cli_history_pg.sh.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"
# shellcheck source=tests/lib_history.sh
. "$(dirname "$0")/lib_history.sh"
history_runs

# ---- SQLite: the default file, then --db sqlite:PATH ----
expect_exit 0 "add to the default database" -- history add "$tmp/runs/r1.json"
grep -q "added run 1 (machine [0-9a-f]\{12\}, 6 records, 24 metrics) to '$XDG_DATA_HOME/qbench/history.sqlite'" "$tmp/out" && ok || bad "add: summary line"
S=sqlite:$tmp/h.sqlite
for i in $(seq 1 14); do "$QB" history add "$tmp/runs/r$i.json" --db "$S" >/dev/null || bad "add r$i"; done
expect_exit 2 "the same run twice" -- history add "$tmp/runs/r3.json" --db "$S"
one_line "this run (started 2026-01-03T10:00:00Z) is already in .* as run 3" && ok || bad "duplicate: message"
expect_exit 0 "show json" -- history show --db "$S" --filter 'ops/k1/*' --json
$PY - "$tmp/out" <<'PY' && ok || bad "show json: the series"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "qbench.history.series/1"
s = {x["metric"]: x for x in d["series"]}
assert set(s) == {"time", "gops", "bytes", "cv"}, set(s)
t = s["time"]
assert t["id"] == "ops/k1/fp32" and t["unit"] == "s" and t["better"] == "lower" and t["runs"] == 14
assert [p["commit"] for p in t["points"]] == ["c%d" % i for i in range(1, 15)]
assert all(p["branch"] == "main" and p["p25"] <= p["value"] <= p["p75"] for p in t["points"])
assert t["points"][8]["value"] / t["points"][5]["value"] > 1.1
PY
expect_exit 0 "show table, last 3, one metric" -- history show --db "$S" --filter 'ops/k1/fp32:time' --last 3
grep -q "ops/k1/fp32 time \[s, lower is better\] machine [0-9a-f]\{12\}, 3 runs" "$tmp/out" && grep -q " c14 " "$tmp/out" && ! grep -q " c11 " "$tmp/out" && ok || bad "show --last 3"
fp=$(grep -o "machine [0-9a-f]*" "$tmp/out" | head -1 | cut -c9-14)
expect_exit 0 "show --machine prefix, --metric" -- history show --db "$S" --machine "$fp" --metric gops --json
$PY -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['series'])==6 and all(s['metric']=='gops' for s in d['series'])" "$tmp/out" && ok || bad "show --metric gops"
expect_exit 0 "show, another machine" -- history show --db "$S" --machine ffffffff
grep -q "no series match" "$tmp/out" && ok || bad "show: no match"
expect_exit 0 "detect json" -- history detect --db "$S" --json
$PY - "$tmp/out" <<'PY' && ok || bad "detect json: the step of k1 and the trend of k2"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "qbench.history.detect/1" and d["series_checked"] == 6, d["series_checked"]
f = {x["id"]: x for x in d["findings"]}
assert set(f) == {"ops/k1/fp32", "ops/k2/fp32"}, set(f)
k1 = f["ops/k1/fp32"]
assert k1["metric"] == "time" and len(k1["steps"]) == 1 and k1["trend"] is None
st = k1["steps"][0]
assert st["last_before"]["commit"] == "c7" and st["first_after"]["commit"] == "c8", st
assert st["kind"] == "regression" and 0.13 < st["change"] < 0.17 and st["p"] <= 0.01
k2 = f["ops/k2/fp32"]
assert k2["steps"] == [] and k2["trend"]["kind"] == "regression" and k2["trend"]["p"] <= 0.01
assert k2["trend"]["from"]["commit"] == "c1" and k2["trend"]["to"]["commit"] == "c14"
PY
expect_exit 0 "detect table" -- history detect --db "$S" --min-effect 5%
grep -q "^STEP  regression    +1[3-7].[0-9]%  ops/k1/fp32 time" "$tmp/out" && grep -q "between c7 (run 7, 2026-01-07T10:00:00Z) and c8 (run 8" "$tmp/out" && grep -q "^TREND regression" "$tmp/out" && grep -q "6 series checked: 1 step, 1 trend" "$tmp/out" && ok || bad "detect table"
expect_exit 0 "detect, a larger minimum effect" -- history detect --db "$S" --min-effect 30%
grep -q "0 steps, 0 trends" "$tmp/out" && ok || bad "detect --min-effect 30%"
expect_exit 2 "detect --min-effect junk" -- history detect --db "$S" --min-effect 5x
expect_exit 2 "detect --last 2" -- history detect --db "$S" --last 2
expect_exit 2 "unknown scheme" -- history show --db mysql://x/y
one_line "unknown database 'mysql://x/y'" && ok || bad "unknown scheme: message"

# Figures come back as the very doubles of the file, including ones SQLite's
# own text-to-real conversion can miss by a unit in the last place.
$PY - "$tmp/runs/r1.json" "$tmp/exact.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["results"][0]["metrics"]
m["cv"]["value"] = 0.00113922316467511
m["bytes"]["value"] = 75.2433403344317
json.dump(d, open(sys.argv[2], "w"))
PY
"$QB" history add "$tmp/exact.json" --db "sqlite:$tmp/exact.sqlite" >/dev/null || bad "exact: add"
expect_exit 0 "exact: show" -- history show --db "sqlite:$tmp/exact.sqlite" --filter 'ops/k0/fp32' --json
$PY - "$tmp/out" <<'PY' && ok || bad "exact: the figures read back are not the file's doubles"
import json, sys
s = {x["metric"]: x["points"][0]["value"] for x in json.load(open(sys.argv[1]))["series"]}
assert s["cv"] == 0.00113922316467511 and s["bytes"] == 75.2433403344317, s
PY

# report --history: the page, its findings and the chart scripts with the
# step marked (gnuplot pointed away: the scripts are what is checked).
QB_GNUPLOT=$tmp/no-gnuplot expect_exit 0 "report --history" -- report --history "$S" -o "$tmp/rep"
grep -q "step regression" "$tmp/rep/history.html" && grep -q "trend regression" "$tmp/rep/history.html" && ok || bad "report --history: findings table"
grep -l "ops/k1/fp32 time" "$tmp"/rep/charts/history-*.gp | xargs grep -q "set arrow from 7.5," && ok || bad "report --history: the step marked between runs 7 and 8"
grep -q "chart(s) not drawn" "$tmp/err" && ok || bad "report --history: says charts were not drawn"
expect_exit 2 "report --history with files" -- report --history "$S" "$tmp/runs/r1.json" -o "$tmp/rep"
expect_exit 2 "report --history, empty selection" -- report --history "$S" --filter 'nothing/*' -o "$tmp/rep"

# ---- bad input: nothing half-stored ----
runs() { sqlite3 "$1" "SELECT (SELECT count(*) FROM runs) || ' ' || (SELECT count(*) FROM records) || ' ' || (SELECT count(*) FROM points)"; }
before=$(runs "$tmp/h.sqlite")
printf '{"schema": "qbench.results/1", "tool": {' >"$tmp/corrupt.json"
expect_exit 2 "corrupt results file" -- history add "$tmp/corrupt.json" --db "$S"
one_line "not valid JSON" && ok || bad "corrupt: message"
$PY - "$tmp/runs/r1.json" "$tmp/empty.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["results"] = []
json.dump(d, open(sys.argv[2], "w"))
PY
expect_exit 2 "an empty run" -- history add "$tmp/empty.json" --db "$S"
one_line "holds no records" && ok || bad "empty run: message"
expect_exit 2 "a run the database refuses half way" -- history add "$tmp/dup.json" --db "$S"
one_line "UNIQUE constraint failed" && ok || bad "refused half way: message"
[ "$(runs "$tmp/h.sqlite")" = "$before" ] && ok || bad "refused half way: something was stored ($(runs "$tmp/h.sqlite") vs $before)"

# A killed add: the run is there whole or not at all, and the next add works.
$GEN "$tmp/big.json" --commit big --started 2026-03-01T00:00:00Z --records 1000 --samples 30
cp "$tmp/h.sqlite" "$tmp/k.sqlite"
kb=$(runs "$tmp/k.sqlite")
"$QB" history add "$tmp/big.json" --db "sqlite:$tmp/k.sqlite" >/dev/null 2>&1 &
kpid=$!
sleep 0.15
kill -9 "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
ka=$(runs "$tmp/k.sqlite")
[ "$ka" = "$kb" ] || [ "$ka" = "15 $((84 + 1000)) $((336 + 4000))" ] && ok || bad "killed add: half stored ($kb -> $ka)"
[ "$(sqlite3 "$tmp/k.sqlite" 'PRAGMA integrity_check')" = ok ] && ok || bad "killed add: integrity"
"$QB" history add "$tmp/runs/r1.json" --db "sqlite:$tmp/k.sqlite" >/dev/null 2>"$tmp/err"
grep -q "already in" "$tmp/err" && ok || bad "killed add: the database works afterwards"

# A newer schema.
cp "$tmp/h.sqlite" "$tmp/new.sqlite"
sqlite3 "$tmp/new.sqlite" "UPDATE meta SET value = '99' WHERE key = 'schema_version'"
expect_exit 2 "newer schema, add" -- history add "$tmp/runs/r1.json" --db "sqlite:$tmp/new.sqlite"
one_line "has schema version 99; this qbench knows versions up to 1" && ok || bad "newer schema: message"
expect_exit 2 "newer schema, show" -- history show --db "sqlite:$tmp/new.sqlite"
expect_exit 2 "not a database" -- history show --db "sqlite:$tmp/corrupt.json"
one_line "is not an SQLite database" && ok || bad "not a database: message"

# Locked: another process holds the write lock.
cp "$tmp/h.sqlite" "$tmp/l.sqlite"
$PY - "$tmp/l.sqlite" "$tmp/locked" "$tmp/release" <<'PY' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
for _ in range(100):
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.05)
c.execute("ROLLBACK")
PY
lpid=$!
for _ in $(seq 50); do [ -e "$tmp/locked" ] && break; sleep 0.1; done
expect_exit 2 "locked database" -- history add "$tmp/late.json" --db "sqlite:$tmp/l.sqlite" --wait 0.5
one_line "is locked by another process (waited 0.5 s)" && ok || bad "locked: message"
touch "$tmp/release"
wait "$lpid"
expect_exit 0 "add once the lock is gone" -- history add "$tmp/late.json" --db "sqlite:$tmp/l.sqlite"

# Read-only: a file the user may read but not write (root ignores modes, so
# the check runs as nobody when the test runs as root).
mkdir -p "$tmp/ro" && cp "$tmp/h.sqlite" "$tmp/ro/h.sqlite" && chmod 755 "$tmp" "$tmp/ro" && chmod 444 "$tmp/ro/h.sqlite"
as_user=()
if [ "$(id -u)" -eq 0 ]; then as_user=(runuser -u nobody --); chmod 644 "$tmp/ro.json"; fi
"${as_user[@]}" "$QB" history add "$tmp/ro.json" --db "sqlite:$tmp/ro/h.sqlite" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && one_line "read-only" && ok || { bad "read-only: exit 2 and a message"; cat "$tmp/err"; }
"${as_user[@]}" "$QB" history show --db "sqlite:$tmp/ro/h.sqlite" --filter 'ops/k1/*:time' >"$tmp/out" 2>"$tmp/err" && ok || { bad "read-only: show still reads"; cat "$tmp/err"; }

# Concurrent writers: 4 processes adding 3 runs each at once, all 12 kept.
C=sqlite:$tmp/c.sqlite
add_concurrently "$C" "$tmp/cfail"
[ ! -e "$tmp/cfail" ] && [ "$(runs "$tmp/c.sqlite")" = "12 72 288" ] && ok || bad "concurrent writers: $(runs "$tmp/c.sqlite") stored; $(cat "$tmp/cfail" 2>/dev/null)"

echo "cli_history: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
