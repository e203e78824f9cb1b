#!/usr/bin/env bash
# Same-machine regression check for CI: build BASE_REF and the current tree
# side by side (git worktree), then one qbench ab: both builds measured
# alternately, benchmark group by benchmark group, as children of one
# process, and judged by the round-median gate. Writes out/ci/compare.md (the
# verdict for a CI comment), prints the text verdict, and exits as qbench ab
# does: 0 no regression, 1 regression, 2 bad input.
#
#   scripts/ci-regression.sh origin/main                        # the default groups
#   scripts/ci-regression.sh HEAD~1 --filter 'ops/conv*,gemm'   # extra words go to qbench ab
#   QB_CI_PASSES=6 scripts/ci-regression.sh v0.1.0              # more passes (default 4)
#
# One check instead of the 10 quick runs (5 voting pairs of qbench compare)
# this script used to take: see docs/method.md, "A/B checks".
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BASE_REF [qbench ab options...]" >&2; exit 2; }
base_ref=$1
shift
passes=${QB_CI_PASSES:-4}
# qbench ab takes 1 to 100 passes: say so now, not after the builds
[[ $passes =~ ^[0-9]+$ ]] && [ "$passes" -ge 1 ] && [ "$passes" -le 100 ] ||
    { echo "ci-regression: QB_CI_PASSES=$passes is not a pass count from 1 to 100" >&2; exit 2; }
root=$(git rev-parse --show-toplevel)
cd "$root"
git rev-parse --verify --quiet "$base_ref^{commit}" >/dev/null || { echo "ci-regression: unknown ref '$base_ref'" >&2; exit 2; }

work=$(mktemp -d)
cleanup() { git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

bash scripts/setup.sh
git worktree add --detach "$work/base" "$base_ref" >/dev/null
cmake -S "$work/base" -B "$work/base/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/base/build" -j "$(nproc)" --target qbench >/dev/null
bash scripts/build.sh >/dev/null

mkdir -p out/ci
set +e
./build/qbench ab --base "$work/base/build" --new build --rounds "$passes" "$@" --format markdown -o out/ci/compare.md
rc=$?
set -e
exit "$rc"
