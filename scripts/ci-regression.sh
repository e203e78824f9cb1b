#!/usr/bin/env bash
# Same-machine regression check for CI: build BASE_REF and the current tree
# side by side (git worktree), run both quick suites alternately on this
# machine, pool each side's runs, and compare them. Writes out/ci/compare.md
# (a table for a CI comment) and exits as qbench compare does: 0 no
# regression, 1 regression, 2 bad input.
#
#   scripts/ci-regression.sh origin/main                  # whole quick suite
#   scripts/ci-regression.sh HEAD~1 --filter 'probe.*'    # extra words go to qbench run
#   QB_CI_PASSES=5 scripts/ci-regression.sh v0.1.0        # more alternations (default 3)
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BASE_REF [qbench run options...]" >&2; exit 2; }
base_ref=$1
shift
passes=${QB_CI_PASSES:-3}
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
for i in $(seq 1 "$passes"); do
    echo "ci-regression: pass $i/$passes"
    "$work/base/build/qbench" run --quick "$@" -o "$work/base-$i.json" >/dev/null
    ./build/qbench run --quick "$@" -o "$work/new-$i.json" >/dev/null
done
./build/qbench merge "$work"/base-*.json -o out/ci/base.json
./build/qbench merge "$work"/new-*.json -o out/ci/new.json
set +e
./build/qbench compare out/ci/base.json out/ci/new.json --format markdown >out/ci/compare.md
rc=$?
set -e
cat out/ci/compare.md
exit "$rc"
