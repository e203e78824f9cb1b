#!/usr/bin/env bash
# Same-machine regression check for CI: build BASE_REF and the current tree
# side by side (git worktree), run both quick suites alternately on this
# machine, and let the pairs (base i, new i) vote in qbench compare: a metric
# regresses only when it does in most pairs. Writes out/ci/compare.md (a
# table for a CI comment) and out/ci/compare.csv (every metric), and exits
# as qbench compare does: 0 no regression, 1 regression, 2 bad input.
#
#   scripts/ci-regression.sh origin/main                  # whole quick suite
#   scripts/ci-regression.sh HEAD~1 --filter 'probe.*'    # extra words go to qbench run
#   QB_CI_PASSES=7 scripts/ci-regression.sh v0.1.0        # more pairs (default 5)
#
# Why 5 pairs: on a shared 2-vCPU virtual machine one pair of quick runs
# false-alarmed in 2-7 of 10 tries; 5 voting pairs (3 needed) made no false
# alarm in 87 of 90 groups and caught a 20% GEMM slowdown in 89 of 90
# (docs/method.md).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BASE_REF [qbench run options...]" >&2; exit 2; }
base_ref=$1
shift
passes=${QB_CI_PASSES:-5}
# qbench compare takes at most 16 pairs: say so now, not after the runs
[[ $passes =~ ^[0-9]+$ ]] && [ "$passes" -ge 1 ] && [ "$passes" -le 16 ] ||
    { echo "ci-regression: QB_CI_PASSES=$passes is not a pair count from 1 to 16" >&2; exit 2; }
root=$(git rev-parse --show-toplevel)
cd "$root"
git rev-parse --verify --quiet "$base_ref^{commit}" >/dev/null || { echo "ci-regression: unknown ref '$base_ref'" >&2; exit 2; }

work=$(mktemp -d)
cleanup() { git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

bash scripts/setup.sh
git worktree add --detach "$work/base" "$base_ref" >/dev/null
cmake -S "$work/base" -B "$work/base/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/base/build" -j "$(nproc)" >/dev/null
bash scripts/build.sh >/dev/null

mkdir -p out/ci
# Alternate base and new so that a change in the machine's state (another
# tenant, the clock) falls on both sides alike.
pairs=()
for i in $(seq 1 "$passes"); do
    echo "ci-regression: pass $i/$passes"
    "$work/base/build/qbench" run --quick "$@" -o "$work/base-$i.json" >/dev/null
    ./build/qbench run --quick "$@" -o "$work/new-$i.json" >/dev/null
    pairs+=("$work/base-$i.json" "$work/new-$i.json")
done
# the pooled files, for reports and for qbench compare by hand
./build/qbench merge "$work"/base-*.json -o out/ci/base.json >/dev/null
./build/qbench merge "$work"/new-*.json -o out/ci/new.json >/dev/null
set +e
./build/qbench compare "${pairs[@]}" --format markdown >out/ci/compare.md
rc=$?
# every metric, for when the comment has no room for them all
./build/qbench compare "${pairs[@]}" --format csv -o out/ci/compare.csv >/dev/null
set -e
cat out/ci/compare.md
exit "$rc"
