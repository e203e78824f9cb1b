#!/usr/bin/env bash
# Every command, run quickly on fixed inputs, makes the same records as the
# listing in fixtures/records/ says: record ids, metric names and units, and
# the exit status. A change to the layout or the helpers must not change what
# a command writes; a deliberate change regenerates the listing with
#   bash tests/cli_records.sh build/qbench tests --update
source "$(dirname "$0")/lib_cli.sh"
FIX=$2/fixtures
want=$FIX/records
update=${3:-}
fast=(--quick --warmup 0 --reps 3 --max-reps 3 --rounds 1 --budget 0.01)

# One line per record: the id, then each metric as name[unit], sorted; the
# exit status last. Numbers are left out: they are measurements.
# A comparison lists each metric's verdict instead; a text output (list), its
# first words.
listing() {
    python3 -c '
import json, sys
text = open(sys.argv[1]).read()
try:
    d = json.loads(text)
except ValueError:
    for line in text.splitlines():
        if line.strip(): print(line.split()[0])
    sys.exit(0)
if "metrics" in d and isinstance(d["metrics"], list):
    print("summary", " ".join(sorted(d["summary"])))
    for m in sorted(d["metrics"], key=lambda m: (m["id"], m["metric"])):
        print(m["id"], "%s[%s]" % (m["metric"], m["unit"]), m["status"])
    sys.exit(0)
print("machine", " ".join(sorted(d.get("machine", {}))))
for r in sorted(d.get("results", []), key=lambda r: r["id"]):
    ms = " ".join(sorted("%s[%s]" % (k, v.get("unit", "")) for k, v in r.get("metrics", {}).items()))
    print(r["id"], ms)
' "$1"
}

check() { # name, then the command's words: it prints its JSON (or its table) to stdout
    local name=$1; shift
    "$QB" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    local rc=$?
    { [ -s "$tmp/$name.out" ] && listing "$tmp/$name.out"; echo "exit $rc"; } >"$tmp/$name.txt"
    if [ "$update" = --update ]; then cp "$tmp/$name.txt" "$want/$name.txt"; ok; return; fi
    if diff -u "$want/$name.txt" "$tmp/$name.txt" >"$tmp/$name.diff"; then ok; else
        bad "records of $name differ from fixtures/records/$name.txt"; head -40 "$tmp/$name.diff"; cat "$tmp/$name.err"
    fi
}

check sysinfo sysinfo --json
check list list
check probe-inst probe inst --filter add-r64,imul-r64,vfmadd231ps-ymm "${fast[@]}" --json
check probe-peak probe peak --filter fp32,int8-vnni --threads 1 "${fast[@]}" --json
check probe-mem probe mem --sizes 16K,64M --kernels read,copy,latency --threads 1 "${fast[@]}" --json
check probe-ctx probe ctx --kinds syscall,thread --placements same-cpu --ws 0 "${fast[@]}" --json
# probe interp where qbench embeds libpython (cli_interp.sh checks the message
# of a build without it)
if ! "$QB" probe interp --processes 1 "${fast[@]}" --iterations 1000 2>&1 >/dev/null | grep -q "without libpython"; then
    check probe-interp probe interp --processes 2 --iterations 1000 "${fast[@]}" --json
fi
check ops ops --op relu,add,transpose,conv,gemm --dtype fp32,fp16,int8 --threads 1 "${fast[@]}" --json
check quant quant --input gaussian:64x64 --trials 4 --threads 1 "${fast[@]}" --json
check quant-op quant --op relu,conv --threads 1 "${fast[@]}" --json
check fuse fuse --elems 65536 --threads 1 "${fast[@]}" --json
check net net --model mobilenet-v2 --input-shape 1,3,32,32 --dtype fp32,int8 --quant per-channel --threads 1 "${fast[@]}" --json
check roofline roofline --from "$FIX/roofline-run.json" --ceilings "$FIX/roofline-run.json" --op all --threads 2 --json
check merge merge "$FIX/compare-base.json" "$FIX/compare-rerun.json" --json
check run run --filter 'probe.inst/*,ops/relu/*' --interleave 1 "${fast[@]}" --json
check compare compare "$FIX/compare-base.json" "$FIX/compare-slow.json" --json

echo "cli_records: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
