#!/usr/bin/env bash
# qbench probe storage against fio on the same folder, side by side: random
# 4 KiB reads at queue depth 1 (psync, median completion latency) and 32
# (io_uring, IOPS), and sequential 1 MiB reads (MB/s), all O_DIRECT.
#
#   bash scripts/reference/storage-vs-fio.sh DIR [PAIRS] [BUILD]   # default 6 pairs, build/
#
# A virtual disk's pace can move 2x within a minute, so one long run of each
# compares two different disks. Each pair here is short and tight: for each
# figure in turn, qbench probe storage --quick --reads of that figure alone
# (its own 256 MiB file, about 0.6 s of reads) and fio for 1 s on a 256 MiB
# file written just before (both files equally new), back to back, the
# order swapped every other pair. It prints each tool's median over the
# pairs against the other's, and the median of the
# pairs' ratios. fio's CPU use at depth 32 is printed too: near 100% of a
# vCPU its own work per read sets the pace, not the disk's. Both run pinned
# to one CPU (QB_CPU, default 0): the disk's interrupts are taken on one
# vCPU, and a reader on that vCPU or the other pays for them differently.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:?usage: storage-vs-fio.sh DIR [PAIRS] [BUILD]}
pairs=${2:-6}
build=${3:-build}
qb=$build/qbench
pin="taskset -c ${QB_CPU:-0}"
[ -x "$qb" ] || { echo "storage-vs-fio: $qb not found (bash scripts/build.sh)" >&2; exit 2; }
command -v fio >/dev/null || { echo "storage-vs-fio: fio not found (apt-get install fio)" >&2; exit 2; }
[ -d "$dir" ] && [ -w "$dir" ] || { echo "storage-vs-fio: '$dir' is not a writable folder" >&2; exit 2; }
ff="$dir/.qbench-fio-$$.tmp"
trap 'rm -f "$ff"' EXIT INT TERM

# One figure from each tool: qd1 (p50 latency, us), qd32 (IOPS, and fio's
# CPU %) or seq (MB/s).
ours() {
    $pin "$qb" probe storage --path "$dir" --quick --reads "$1" --json 2>/dev/null | python3 -c '
import json, sys
m = {r["id"]: r["metrics"] for r in json.load(sys.stdin)["results"]}
p = "probe.storage/"
k = sys.argv[1]
print(m[p + "randread/qd1"]["latency"]["value"] if k == "qd1" else
      m[p + "randread/qd32"]["iops"]["value"] if k == "qd32" else m[p + "seqread"]["bandwidth"]["value"])' "$1"
}
fio1() { $pin fio --name=r --filename="$ff" --size=256M --direct=1 --bs="$1" --rw="$2" --iodepth="$3" \
             --ioengine="$4" --runtime=1 --time_based --output-format=json 2>/dev/null; }
theirs() {
    case $1 in
    qd1) fio1 4k randread 1 psync | python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]; print(j["read"]["clat_ns"]["percentile"]["50.000000"] / 1e3)' ;;
    qd32) fio1 4k randread 32 io_uring | python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]; print(j["read"]["iops"], j["usr_cpu"] + j["sys_cpu"])' ;;
    seq) fio1 1M read 1 psync | python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]; print(j["read"]["bw_bytes"] / 1e6)' ;;
    esac
}
# fio's file is written as qbench writes its own: incompressible data in
# 1 MiB O_DIRECT writes. fio's own layout repeats one buffer, which a
# compressing or deduplicating layer under a virtual disk could serve
# faster than the file qbench reads.
fresh() {
    rm -f "$ff"
    dd if=/dev/urandom of="$ff" bs=1M count=256 oflag=direct status=none
}
rows=""
for p in $(seq 1 "$pairs"); do
    row=""
    for k in qd1 qd32 seq; do
        # each tool reads a file written just before, as qbench writes its own
        if [ $((p % 2)) = 1 ]; then q=$(ours $k); fresh; f=$(theirs $k); else fresh; f=$(theirs $k); q=$(ours $k); fi
        row+="$q $f "
    done
    # "QD1_Q QD1_F QD32_Q QD32_F FIO_CPU SEQ_Q SEQ_F"
    rows+="$row"$'\n'
done
python3 - "$rows" <<'PY'
import statistics as s, sys
rows = [list(map(float, l.split())) for l in sys.argv[1].strip().splitlines()]
print("pair  qd1 p50 us (qbench fio)  qd32 IOPS (qbench fio, fio cpu %)  seq MB/s (qbench fio)")
for i, (q1, f1, q32, f32, fcpu, qs, fs) in enumerate(rows, 1):
    print(f"{i:4}  {q1:8.1f} {f1:8.1f}       {q32:9.0f} {f32:9.0f} {fcpu:5.0f}          {qs:7.0f} {fs:7.0f}")
for name, qi, fi in (("qd1 latency p50", 0, 1), ("qd32 IOPS", 2, 3), ("seq bandwidth", 5, 6)):
    r = [row[qi] / row[fi] for row in rows]
    mq, mf = s.median(row[qi] for row in rows), s.median(row[fi] for row in rows)
    print(f"{name}: qbench / fio, median against median {mq:.4g} / {mf:.4g} = {mq / mf:.2f};"
          f" median of the {len(r)} pairs' ratios {s.median(r):.2f} ({min(r):.2f}..{max(r):.2f})")
PY
