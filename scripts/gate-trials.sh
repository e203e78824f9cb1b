#!/usr/bin/env bash
# How well qbench ab gates on the machine it runs on: N checks of the same build
# against itself (each exit 1 is a false alarm) and N of the build against
# one with QB_TEST_SLOWDOWN (the fp32 GEMM micro-kernel about 20% slower;
# each exit 1 is a detection), alternating, then the counts. Builds build/
# and build-slow/ when they are missing; each check's output is kept in
# out/gate-trials/.
#
#   scripts/gate-trials.sh 20                     # the default groups
#   scripts/gate-trials.sh 5 --filter 'gemm,conv' # extra words go to qbench ab
#
# Measuring takes the machine: run nothing else meanwhile.
set -euo pipefail
[ $# -ge 1 ] && [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] ||
    { echo "usage: $0 N [qbench ab options...]  (N checks of each kind)" >&2; exit 2; }
n=$1
shift
root=$(git rev-parse --show-toplevel)
cd "$root"
if [ ! -x build/qbench ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j1 --target qbench >/dev/null
fi
if [ ! -x build-slow/qbench ]; then
    cmake -S . -B build-slow -DCMAKE_BUILD_TYPE=Release -DQB_TEST_SLOWDOWN=ON >/dev/null
    cmake --build build-slow -j1 --target qbench >/dev/null
fi
out=out/gate-trials
mkdir -p "$out"
alarms=0 caught=0 errors=0
# check KIND I NEW: one qbench ab of build/ against NEW; sets rc and the seconds it took.
check() {
    local kind=$1 i=$2 new=$3 t0
    t0=$(date +%s)
    set +e
    ./build/qbench ab --base build --new "$new" "${@:4}" >"$out/$kind-$i.txt" 2>"$out/$kind-$i.err"
    rc=$?
    set -e
    secs=$(($(date +%s) - t0))
    echo "gate-trials: $kind $i/$n: exit $rc in ${secs} s ($(head -1 "$out/$kind-$i.txt"))"
    [ "$rc" -le 1 ] || { errors=$((errors + 1)); cat "$out/$kind-$i.err" >&2; }
}
for i in $(seq 1 "$n"); do
    check same "$i" build "$@"
    [ "$rc" -ne 1 ] || alarms=$((alarms + 1))
    check slow "$i" build-slow "$@"
    [ "$rc" -ne 1 ] || caught=$((caught + 1))
done
echo "gate-trials: same build: $((n - alarms)) of $n without a false alarm ($alarms false alarm(s))"
echo "gate-trials: 20% slower fp32 GEMM: caught in $caught of $n"
[ "$errors" -eq 0 ] || { echo "gate-trials: $errors check(s) failed to run (exit 2)" >&2; exit 2; }
