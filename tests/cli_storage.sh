#!/usr/bin/env bash
# qbench probe storage on the command line: a missing, wrong, read-only or
# tmpfs folder and a size past the free space get one line and exit 2; a
# small real run gives positive latency, IOPS and bandwidth with the device
# named; no run, finished, refused or interrupted, leaves its file behind.
source "$(dirname "$0")/lib_cli.sh"

# The real runs need a folder on a disk: beside the binary (a build folder),
# unless /tmp already is on one.
if [ "$(stat -f -c %T "$tmp")" != tmpfs ]; then disk=$tmp/disk; mkdir "$disk"
else disk=$(mktemp -d -p "$(dirname "$QB")"); fi
mounts=()
cleanup() {
    for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
    rm -rf "$tmp" "$disk"
}
trap cleanup EXIT

leftovers() { # the test files left in a folder
    find "$1" -maxdepth 1 -name '.qbench-storage-*' 2>/dev/null | wc -l
}

touch "$tmp/afile"
expect 2 "--path DIR is required" probe storage --quick
expect 2 "nowhere" probe storage --path "$tmp/nowhere" --quick
expect 2 "is not a folder" probe storage --path "$tmp/afile" --quick
expect 2 "has no blocks" probe storage --path /proc --quick
expect 2 "does not fit" probe storage --path "$disk" --size 1000T
expect 2 "whole number of MiB" probe storage --path "$disk" --size 5K
expect 2 "12Q" probe storage --path "$disk" --size 12Q
expect 2 "'qd3' is not qd1, qd32 or seq" probe storage --path "$disk" --quick --reads qd1,qd3
expect 2 "--reads" probe storage --path "$disk" --quick --reads ,
expect 0 "" probe storage --help

# tmpfs: a small one of our own when mounting is allowed, else /dev/shm.
mkdir "$tmp/tmpfs"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=8m tmpfs "$tmp/tmpfs" 2>/dev/null; then
    mounts+=("$tmp/tmpfs"); tdir=$tmp/tmpfs
elif [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then tdir=/dev/shm
else tdir=; fi
if [ -n "$tdir" ]; then
    expect 2 "is on tmpfs, which has no O_DIRECT; give a folder on a disk" probe storage --path "$tdir" --quick
    [ "$(leftovers "$tdir")" -eq 0 ] && ok || bad "a file was left in $tdir"
fi

# Read-only: a read-only bind mount of a folder (root writes through chmod 555).
mkdir "$tmp/ro"
if [ "$(id -u)" -eq 0 ] && mount --bind "$tmp/ro" "$tmp/ro" 2>/dev/null; then
    mounts+=("$tmp/ro")
    if mount -o remount,bind,ro "$tmp/ro" 2>/dev/null; then
        expect 2 "read-only" probe storage --path "$tmp/ro" --quick
    fi
fi
[ "$(leftovers "$disk")" -eq 0 ] && ok || bad "a refused run left a file in $disk"

# A quick real run: records with the device named and positive figures.
if "$QB" probe storage --path "$disk" --size 64M --quick --json >"$tmp/s.json" 2>"$tmp/err" &&
    python3 - "$tmp/s.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = {r["id"]: r for r in d["results"]}
assert set(ids) == {"probe.storage/randread/qd1", "probe.storage/randread/qd32",
                    "probe.storage/seqread"}, sorted(ids)
for r in ids.values():
    p = r["params"]
    assert p["device"] and p["disk"] and p["fs_type"] and p["size_bytes"] == 64 << 20, p
    assert p["rotational"] in (True, False, None), p
q1 = ids["probe.storage/randread/qd1"]["metrics"]
assert q1["latency"]["unit"] == "us" and 0 < q1["latency"]["value"] <= q1["latency_p99"]["value"]
assert len(q1["latency"]["samples"]) > 10 and q1["latency_mean"]["value"] > 0
assert q1["iops"]["unit"] == "IOPS" and q1["iops"]["value"] > 0
q32 = ids["probe.storage/randread/qd32"]
if q32["params"].get("available", True):
    m = q32["metrics"]
    assert m["iops"]["value"] > 0 and m["bandwidth"]["unit"] == "MB/s" and m["bandwidth"]["value"] > 0
    assert abs(m["bandwidth"]["value"] - m["iops"]["value"] * 4096e-6) < 1e-6 * m["bandwidth"]["value"]
else:
    assert any("unavailable" in n for n in q32.get("notes", [])), q32
s = ids["probe.storage/seqread"]["metrics"]["bandwidth"]
assert s["unit"] == "MB/s" and s["value"] > 0
# A rate is the sustained one, over the time of every trial (equal trials: the
# mean of their rates), and a note says when the median trial is far from it.
rates = [("probe.storage/seqread", "bandwidth")]
if q32["params"].get("available", True):
    rates.append(("probe.storage/randread/qd32", "iops"))
for rid, name in rates:
    r = ids[rid]
    m = r["metrics"][name]
    mean = sum(m["samples"]) / len(m["samples"])
    assert abs(m["value"] - mean) <= 1e-9 * mean, (rid, m["value"], mean)
    split = abs(m["median"] - mean) > 0.05 * mean
    assert split == any(name + ": the rate over all trials" in n for n in r.get("notes", [])), (rid, r.get("notes"))
PY
then ok; else bad "probe storage JSON"; cat "$tmp/err"; fi
[ "$(leftovers "$disk")" -eq 0 ] && ok || bad "a finished run left a file in $disk"

# --reads runs and records only the benchmarks it names.
if "$QB" probe storage --path "$disk" --size 16M --quick --reads seq,qd1 --json >"$tmp/r.json" 2>"$tmp/err" &&
    python3 - "$tmp/r.json" <<'PY'
import json, sys
ids = sorted(r["id"] for r in json.load(open(sys.argv[1]))["results"])
assert ids == ["probe.storage/randread/qd1", "probe.storage/seqread"], ids
PY
then ok; else bad "probe storage --reads seq,qd1"; cat "$tmp/err"; fi

# Interrupted while writing or reading: exit 130 and no file left.
"$QB" probe storage --path "$disk" --size 256M --json >"$tmp/i.json" 2>"$tmp/ierr" &
pid=$!
sleep 0.5
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 130 ] && ok || { bad "interrupted run exited $rc, expected 130"; cat "$tmp/ierr"; }
[ "$(leftovers "$disk")" -eq 0 ] && ok || bad "an interrupted run left a file in $disk"

echo "cli_storage: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
