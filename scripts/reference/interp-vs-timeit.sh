#!/usr/bin/env bash
# qbench probe interp against timeit, run by the same libpython, side by side.
#
#   bash scripts/reference/interp-vs-timeit.sh [PAIRS] [BUILD]   # default 12 pairs, build/
#
# qbench embeds the shared libpython; Debian's python3 executable is linked
# statically from a build of its own and runs the same loop faster, so it is
# not the reference. A small program embedding the same shared library runs
# timeit instead (built into out/ref with python3-config --embed). One
# process's figure, in either tool, is one draw (an interpreted addition's
# cost moves with where the interpreter's objects lie), so both sides are
# medians over processes: each pair is qbench probe interp with --processes P
# (QB_PROCS, default 7; its figure is the median over its P worker
# processes), then P timeit processes, each with 60 repeats of 200000 loops
# of 'a + b' and of 'pass', alternating, the pair's order swapped every
# other pair, all pinned to one CPU (QB_CPU, default 0). Two timeit figures
# per data type: timeit's own (fastest 'a + b' less fastest 'pass') and the
# median of the repeats' differences, which is what qbench reports (the best
# round's median of paired differences), each the median over the P
# processes. Then timeit's command line itself, timeit.main(), the code
# python3 -m timeit runs (its own loop count, best of 5), for 'a + b' and
# 'pass', in C processes (QB_CLI_PROCS, default 3), the median of their
# differences. Also shown: qbench's metric timeit, timeit run inside
# qbench's own workers. Prints each pair, then per data type the medians of
# both sides over the pairs and the median of the pairs' ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
pairs=${1:-12}
build=${2:-build}
qb=$build/qbench
pin="taskset -c ${QB_CPU:-0}"
procs=${QB_PROCS:-7}
cli_procs=${QB_CLI_PROCS:-3}
[ -x "$qb" ] || { echo "interp-vs-timeit: $qb not found (bash scripts/build.sh)" >&2; exit 2; }
# the system's python3-config, whatever else is first on PATH: it names the
# shared library qbench was built against
pyconf=/usr/bin/python3-config
[ -x "$pyconf" ] || { echo "interp-vs-timeit: $pyconf not found (apt-get install python3-dev)" >&2; exit 2; }
mkdir -p out/ref
if [ ! -x out/ref/pyrun ]; then
    cat > out/ref/pyrun.c <<'C'
#include <Python.h>
/* Runs the Python source in argv[1] in the embedded interpreter. */
int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    Py_Initialize();
    const int rc = PyRun_SimpleString(argv[1]);
    return Py_FinalizeEx() < 0 || rc != 0 ? 1 : 0;
}
C
    # shellcheck disable=SC2046
    cc -O2 -o out/ref/pyrun out/ref/pyrun.c $("$pyconf" --embed --cflags --ldflags)
fi
timeit_src='
import statistics, timeit
for kind, setup in (("int", "a=1; b=2"), ("float", "a=1.0; b=2.0")):
    add, emp = timeit.Timer("a + b", setup), timeit.Timer("pass", setup)
    n, pa, pe = 200000, [], []
    for _ in range(60):
        pa.append(add.timeit(n) / n * 1e9)
        pe.append(emp.timeit(n) / n * 1e9)
    print(min(pa) - min(pe), statistics.median(a - e for a, e in zip(pa, pe)), end=" ")
print()'
# timeit's command line: what python3 -m timeit -s SETUP STMT prints, in ns
cli_src='
import contextlib, io, re, timeit
def best(stmt, setup):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        timeit.main(["-s", setup, stmt])
    v, unit = re.search(r"best of \d+: ([\d.]+) (nsec|usec|msec|sec) per loop", out.getvalue()).groups()
    return float(v) * {"nsec": 1, "usec": 1e3, "msec": 1e6, "sec": 1e9}[unit]
for setup in ("a=1; b=2", "a=1.0; b=2.0"):
    print(best("a + b", setup) - best("pass", setup), end=" ")
print()'
ours() {
    $pin "$qb" probe interp --processes "$procs" --json 2>/dev/null | python3 -c '
import json, sys
m = {r["id"]: r["metrics"] for r in json.load(sys.stdin)["results"]}
i, f = m["probe.interp/add-int"], m["probe.interp/add-float"]
print(i["add"]["value"], f["add"]["value"], i["timeit"]["value"], f["timeit"]["value"])'
}
# timeit in P processes: the median of each of its four figures
theirs() {
    for _ in $(seq 1 "$procs"); do $pin out/ref/pyrun "$timeit_src"; done | python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
print(*(statistics.median(c) for c in zip(*rows)))'
}
lib=$(ldd out/ref/pyrun | awk '/libpython/ {print $3}')
ours_lib=$($pin "$qb" probe interp --quick --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["params"]["library"])')
[ "$(readlink -f "$lib")" = "$(readlink -f "$ours_lib")" ] ||
    { echo "interp-vs-timeit: timeit would run in $lib, qbench runs $ours_lib" >&2; exit 2; }
# timeit's command line in C processes: the median of its two figures
cli() {
    for _ in $(seq 1 "$cli_procs"); do $pin out/ref/pyrun "$cli_src"; done | python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
print(*(statistics.median(c) for c in zip(*rows)))'
}
rows=""
for p in $(seq 1 "$pairs"); do
    if [ $((p % 2)) = 1 ]; then q=$(ours); t=$(theirs); c=$(cli); else c=$(cli); t=$(theirs); q=$(ours); fi
    rows+="$q $t $c"$'\n'
done
python3 - "$rows" "$lib" "$procs" "$cli_procs" <<'PY'
import statistics as s, sys
rows = [list(map(float, l.split())) for l in sys.argv[1].strip().splitlines()]
print(f"timeit run by {sys.argv[2]}; ns per addition; the program's figures the median over {sys.argv[3]} "
      f"processes, the command line's over {sys.argv[4]}")
print("pair  int: qbench (its timeit) timeit(min) timeit(median) timeit-cli"
      "   float: qbench (its timeit) timeit(min) timeit(median) timeit-cli")
for i, (qi, qf, qti, qtf, ti_min, ti_med, tf_min, tf_med, ci, cf) in enumerate(rows, 1):
    print(f"{i:4}       {qi:6.2f} ({qti:5.2f}) {ti_min:11.2f} {ti_med:14.2f} {ci:10.2f}"
          f"            {qf:6.2f} ({qtf:5.2f}) {tf_min:11.2f} {tf_med:14.2f} {cf:10.2f}")
for name, q, t in (("int, against timeit's figure", 0, 4), ("int, against the median of timeit's pairs", 0, 5),
                   ("int, against timeit's command line", 0, 8),
                   ("int, timeit inside qbench against timeit's figure", 2, 4),
                   ("float, against timeit's figure", 1, 6), ("float, against the median of timeit's pairs", 1, 7),
                   ("float, against timeit's command line", 1, 9),
                   ("float, timeit inside qbench against timeit's figure", 3, 6)):
    r = [row[q] / row[t] for row in rows]
    mq, mt = s.median(row[q] for row in rows), s.median(row[t] for row in rows)
    print(f"{name}: median {mq:.2f} against {mt:.2f} ns, {mq / mt:.2f}; "
          f"median of the {len(r)} pairs' ratios {s.median(r):.2f} (pairs {min(r):.2f}..{max(r):.2f})")
PY
