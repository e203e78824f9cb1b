#!/usr/bin/env bash
# qbench probe interp on the command line: bad input gets one line naming the
# bad word and exit 2; a quick run gives an addition cost in ns and cycles for
# small ints and floats, with the Python version in the params. Skipped (77)
# when qbench was built without libpython.
source "$2/lib_cli.sh"

# A build without libpython says so in one line, exit 2, and the rest is skipped.
"$QB" probe interp --quick --rounds 1 --reps 1 --max-reps 1 --iterations 1000 >"$tmp/out" 2>"$tmp/err"
status=$?
if grep -qF "built without libpython" "$tmp/err"; then
    if [ "$status" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
        echo "cli_interp: qbench was built without libpython: skipped"
        exit 77
    fi
    echo "FAIL: the message without libpython: exit $status, $(wc -l <"$tmp/err") lines"
    exit 1
fi

expect 2 "bogus" probe interp --filter bogus
expect 2 "bogus" probe interp --filter add-int,bogus
expect 2 "malformed" probe interp --filter add-int,,add-float
expect 2 "out of range" probe interp --iterations 0
expect 2 "x" probe interp --iterations x
expect 2 "extra" probe interp extra
expect 2 "--nope" probe interp --nope
expect 2 "out of range" probe interp --processes 0
expect 2 "out of range" probe interp --processes 33
expect 0 "" probe interp --help

if "$QB" probe interp --quick --rounds 1 --reps 5 --max-reps 5 --json >"$tmp/i.json" 2>"$tmp/err" &&
    python3 - "$tmp/i.json" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
ids = {r["id"]: r for r in d["results"]}
assert set(ids) == {"probe.interp/empty-loop", "probe.interp/add-int", "probe.interp/add-float"}, sorted(ids)
for r in ids.values():
    assert r["group"] == "probe.interp"
    p = r["params"]
    assert re.match(r"3\.\d+", p["python"]) and p["python_version"].startswith(p["python"]), p
    assert p["iterations"] >= 1000 and p["method"]
    for name, m in r["metrics"].items():
        assert m["unit"], (r["id"], name)
e = ids["probe.interp/empty-loop"]["metrics"]
assert e["loop"]["unit"] == "ns" and e["loop"]["value"] > 0 and e["loop_cycles"]["unit"] == "cycles"
for kind in ("add-int", "add-float"):
    r = ids["probe.interp/" + kind]
    m = r["metrics"]
    assert r["params"]["kind"] == kind
    assert m["add"]["unit"] == "ns" and m["add_cycles"]["unit"] == "cycles"
    assert m["add"]["value"] > 0 and m["add_cycles"]["value"] > 0, (kind, m["add"], m["add_cycles"])
    assert len(m["add"]["samples"]) == len(m["add_cycles"]["samples"]) >= 5
    # The paired loops' halves are shown beside, as information.
    assert m["loop"]["value"] > m["empty_loop"]["value"] > 0, (m["loop"], m["empty_loop"])
    assert m["empty_loop"]["better"] == "none" and m["loop"]["better"] == "none"
    assert m["add"]["better"] == "lower"
    # timeit itself, run in the same workers, beside the figure as a reference:
    # the same operation, so within a small factor of it.
    t = m["timeit"]
    assert t["unit"] == "ns" and t["better"] == "none", t
    assert m["add"]["value"] / 3 < t["value"] < 3 * m["add"]["value"], (kind, t, m["add"])
    # An interpreted addition takes nanoseconds, not picoseconds or microseconds.
    assert 0.05 < m["add"]["value"] < 1000, m["add"]
PY
then ok; else bad "probe interp JSON"; cat "$tmp/err"; fi

# Three worker processes, one round each: the samples are grouped by process,
# and each figure is the median of the processes' figures (with one round, a
# process's figure is its group's median).
if "$QB" probe interp --quick --processes 3 --rounds 1 --reps 5 --max-reps 5 --json >"$tmp/p.json" 2>"$tmp/err" &&
    python3 - "$tmp/p.json" <<'PY'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
assert d["settings"]["probe.interp"]["processes"] == 3, d["settings"]
for r in d["results"]:
    assert r["params"]["processes"] == 3, r["params"]
    for name in ("add", "add_cycles") if "add" in r["metrics"] else ("loop", "loop_cycles"):
        m = r["metrics"][name]
        assert len(m["round_medians"]) == 3 and sum(m["round_sizes"]) == len(m["samples"]), (r["id"], name, m)
        off = 0
        for med, size in zip(m["round_medians"], m["round_sizes"]):
            assert size >= 5 and abs(statistics.median(m["samples"][off:off + size]) - med) < 1e-9
            off += size
        assert abs(m["value"] - statistics.median(m["round_medians"])) < 1e-9, (r["id"], name, m["value"])
PY
then ok; else bad "probe interp --processes 3"; cat "$tmp/err"; fi

# SIGINT between worker processes: exit 130, and the file keeps the figures
# of the processes that finished.
"$QB" probe interp --quick --processes 30 -o "$tmp/int.json" >/dev/null 2>"$tmp/err" &
pid=$!
sleep 2
kill -INT "$pid"
wait "$pid"
status=$?
if [ "$status" -eq 130 ] && python3 - "$tmp/int.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
recs = [r for r in d["results"] if r["group"] == "probe.interp"]
assert len(recs) == 3 and all(0 < r["params"]["processes"] < 30 for r in recs), [r["params"] for r in recs]
PY
then ok; else bad "probe interp interrupted: exit $status"; cat "$tmp/err"; fi

# Ctrl-C reaches the worker too (the whole process group): one interrupted in
# its first round, before any timeit, still gives exit 130 and the records it
# finished, without a timeit metric. 200 trials of 1 ms per kind put 1.5 s
# inside the first round's additions.
setsid "$QB" probe interp --quick --processes 1 --rounds 1 --reps 200 --max-reps 200 --warmup 0 \
    -o "$tmp/grp.json" >/dev/null 2>"$tmp/err" &
pid=$!
sleep 1.5
kill -INT -- -"$pid"
wait "$pid"
status=$?
if [ "$status" -eq 130 ] && python3 - "$tmp/grp.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
recs = {r["id"]: r for r in d["results"]}
adds = [r for i, r in recs.items() if i != "probe.interp/empty-loop"]
assert adds and all("timeit" not in r["metrics"] and r["metrics"]["add"]["value"] > 0 for r in adds), recs
PY
then ok; else bad "probe interp interrupted in a worker's first round: exit $status"; cat "$tmp/err"; fi

# The table names the Python version and both additions.
if "$QB" probe interp --quick --rounds 1 --reps 1 --max-reps 1 --filter add-int >"$tmp/t" 2>"$tmp/err" &&
    grep -q "CPython 3\." "$tmp/t" && grep -q "^add-int" "$tmp/t" && grep -q "^empty-loop" "$tmp/t" &&
    ! grep -q "^add-float" "$tmp/t"; then
    ok
else
    bad "probe interp table"; cat "$tmp/t" "$tmp/err"
fi

echo "cli_interp: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
