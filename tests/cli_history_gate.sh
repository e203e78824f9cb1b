#!/usr/bin/env bash
# qbench compare --history: new results files judged by the round-median gate
# against the last runs of a branch on their machine in the results history,
# on an SQLite file and on a throwaway PostgreSQL cluster (tests/lib_history.sh),
# which must give the same verdicts. The history holds 5 runs of main on
# machine A, then 5 of main on machine B (25% faster: were they used, a run
# like A's base would regress) and 2 of a branch "feat". A new run with one
# record 20% slower exits 1 naming it; a run like the base exits 0; a machine
# or branch the history does not know exits 2 in one line. Synthetic files
# (tests/history_gen.py): nothing is measured. A record the stored runs
# mark "gate": false does not gate.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"
# shellcheck source=tests/lib_history.sh
. "$(dirname "$0")/lib_history.sh"

# 15 samples in 5 rounds a metric: one new run has the gate's 5 rounds a side
common="--samples 15 --rounds 5 --noise 0.005"
{
    for i in 1 2 3 4 5; do echo "$tmp/a$i.json --commit a$i --branch main --started 2026-03-0${i}T10:00:00Z --seed $i $common"; done
    for i in 1 2 3 4 5; do
        echo "$tmp/b$i.json --commit b$i --branch main --started 2026-03-1${i}T10:00:00Z --seed $((20 + i)) $common --cpu 'Other CPU' $(for k in 0 1 2 3 4 5; do printf -- '--scale ops/k%d/fp32=0.75 ' $k; done)"
    done
    for i in 1 2 3 4 5; do echo "$tmp/g$i.json --commit g$i --branch main --started 2026-03-0${i}T11:00:00Z --seed $((50 + i)) $common --no-gate ops/k3/fp32"; done
    for i in 1 2; do echo "$tmp/f$i.json --commit f$i --branch feat --started 2026-03-2${i}T10:00:00Z --seed $((30 + i)) $common"; done
    echo "$tmp/slow.json --commit n1 --branch feat --started 2026-04-01T10:00:00Z --seed 41 $common --scale ops/k3/fp32=1.2"
    echo "$tmp/same.json --commit n2 --branch feat --started 2026-04-02T10:00:00Z --seed 42 $common"
    echo "$tmp/same3.json --commit n3 --branch feat --started 2026-04-03T10:00:00Z --seed 43"
    echo "$tmp/alien.json --commit n4 --started 2026-04-04T10:00:00Z --seed 44 $common --cpu 'Unknown CPU'"
} >"$tmp/gen.txt"
$GEN --batch <"$tmp/gen.txt" || bad "generating the results files"

fill() {
    for f in a1 a2 a3 a4 a5 b1 b2 b3 b4 b5 f1 f2; do "$QB" history add "$tmp/$f.json" --db "$1" >/dev/null || bad "$2: add $f"; done
}

# gate_checks NAME DB: the verdicts; each JSON verdict is kept as $tmp/NAME-*.json
gate_checks() {
    local n=$1 db=$2
    expect_exit 1 "$n: a record 20% slower" -- compare --history "$tmp/slow.json" --db "$db"
    grep -q "REGRESSION in 1 of 6 gated metrics" "$tmp/out" && grep -q "ops/k3/fp32" "$tmp/out" && ok || { bad "$n: slow: the verdict"; head -5 "$tmp/out"; }
    grep -q "base: the history's last runs of main on machine [0-9a-f]\{12\}, a1..a5 (5 runs)" "$tmp/out" && ok || { bad "$n: slow: the base"; grep base: "$tmp/out"; }
    "$QB" compare --history "$tmp/slow.json" --db "$db" --json >"$tmp/$n-slow.json"
    $PY - "$tmp/$n-slow.json" <<'PY' && ok || bad "$n: slow: json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["regression"] and d["settings"]["base_runs"] == 5 and d["settings"]["new_runs"] == 1, d["settings"]
m = {(x["id"], x["metric"]): x for x in d["metrics"]}
reg = [k for k, x in m.items() if x["status"] == "regressed"]
assert reg == [("ops/k3/fp32", "time")], reg
t = m[("ops/k3/fp32", "time")]
assert t["base_rounds"] == 25 and t["new_rounds"] == 5, t
assert 0.15 < t["change"] < 0.25, t["change"]
assert m[("ops/k0/fp32", "gops")]["status"] == "derived"
PY
    expect_exit 0 "$n: a run like the base" -- compare --history "$tmp/same.json" --db "$db"
    grep -q "no regression in 6 gated metrics" "$tmp/out" && ok || { bad "$n: same: the verdict"; head -3 "$tmp/out"; }
    "$QB" compare --history "$tmp/same.json" --db "$db" --json >"$tmp/$n-same.json"
    expect_exit 1 "$n: junit" -- compare --history "$tmp/slow.json" --db "$db" --format junit
    grep -c "<failure" "$tmp/out" | grep -qx 1 && grep -q 'ops/k3/fp32' "$tmp/out" && ok || bad "$n: junit: one failure"
    expect_exit 1 "$n: markdown" -- compare --history "$tmp/slow.json" --db "$db" --format markdown
    grep -q 'REGRESSION' "$tmp/out" && ok || bad "$n: markdown"
    # the new run stored itself (on its branch) is left out of the base
    "$QB" history add "$tmp/same.json" --db "$db" --branch main >/dev/null || bad "$n: add same"
    expect_exit 0 "$n: the new run in the history" -- compare --history "$tmp/same.json" --db "$db" --json
    $PY -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['settings']['base_runs']==5 and 'a1..a5' in d['settings']['base'], d['settings']" "$tmp/out" && ok || bad "$n: the new run left out"
    # one base run from the history judges as that run's file does
    "$QB" compare --history "$tmp/same.json" --db "$db" --last 1 --json >"$tmp/hist1.json"
    "$QB" compare --gate "$tmp/a5.json" "$tmp/same.json" --json >"$tmp/gate1.json"
    $PY - "$tmp/hist1.json" "$tmp/gate1.json" <<'PY' && ok || bad "$n: --last 1 and compare --gate on its file differ"
import json, sys
h, g = (json.load(open(f)) for f in sys.argv[1:])
assert "a5..a5" in h["settings"]["base"], h["settings"]
assert h["metrics"] == g["metrics"] and h["counts"] == g["counts"], (h["counts"], g["counts"])
PY
    # fewer runs than asked for: a warning
    expect_exit 0 "$n: --last 10" -- compare --history "$tmp/same.json" --db "$db" --last 10
    grep -q "warning: the history holds 5 runs of branch 'main' on this machine, fewer than the 10 asked for" "$tmp/out" && ok || bad "$n: few runs warning"
    # another branch: its two runs, 10 rounds
    expect_exit 0 "$n: --branch feat" -- compare --history "$tmp/same.json" --db "$db" --branch feat --json
    $PY -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['settings']['base_runs']==2 and 'f1..f2' in d['settings']['base'], d['settings']" "$tmp/out" && ok || bad "$n: branch feat"
    # a quick run's 3 rounds: not judged, with the gate's warning
    expect_exit 0 "$n: too few new rounds" -- compare --history "$tmp/same3.json" --db "$db"
    grep -q "fewer than 5 rounds on a side" "$tmp/out" && ok || bad "$n: few rounds warning"
    expect_exit 2 "$n: no such branch" -- compare --history "$tmp/slow.json" --db "$db" --branch nope
    one_line "holds no run of branch 'nope' on machine [0-9a-f]\{16\}" && ok || bad "$n: no branch: message"
    expect_exit 2 "$n: an unknown machine" -- compare --history "$tmp/alien.json" --db "$db"
    one_line "holds no run of branch 'main' on machine .*Unknown CPU" && ok || bad "$n: unknown machine: message"
}

S=sqlite:$tmp/h.sqlite
fill "$S" sqlite
gate_checks sqlite "$S"
expect_exit 2 "both --gate and --history" -- compare --gate --history "$tmp/slow.json" --db "$S"
one_line "exclude each other" && ok || bad "--gate --history: message"
expect_exit 2 "--db without --history" -- compare "$tmp/a1.json" "$tmp/slow.json" --db "$S"
one_line "go with --history" && ok || bad "--db alone: message"
# a record the stored runs mark "gate": false is judged but does not gate
for i in 1 2 3 4 5; do "$QB" history add "$tmp/g$i.json" --db "sqlite:$tmp/g.sqlite" >/dev/null || bad "add g$i"; done
expect_exit 0 "a record marked gate: false in the history" -- compare --history "$tmp/slow.json" --db "sqlite:$tmp/g.sqlite" --json
$PY -c "import json,sys; d=json.load(open(sys.argv[1])); m=[x for x in d['metrics'] if x['id']=='ops/k3/fp32' and x['metric']=='time'][0]; assert m['status']=='regressed' and not m['gating'], m" "$tmp/out" && ok || bad "gate: false from the history"
expect_exit 1 "... unless --fail-on names it" -- compare --history "$tmp/slow.json" --db "sqlite:$tmp/g.sqlite" --fail-on 'ops/k3/*'
expect_exit 2 "--history and a missing file" -- compare --history "$tmp/nope.json" --db "$S"

if pg_available; then
    pg_start
    fill "$P" pg
    gate_checks pg "$P"
    for v in slow same; do
        cmp -s "$tmp/pg-$v.json" "$tmp/sqlite-$v.json" && ok || { bad "pg and sqlite differ: $v"; diff "$tmp/pg-$v.json" "$tmp/sqlite-$v.json" | head -5; }
    done
fi

echo "cli_history_gate: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
