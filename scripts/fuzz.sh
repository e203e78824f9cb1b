#!/usr/bin/env bash
# Fuzz the results reader and qbench compare, and the ONNX importer, with
# libFuzzer, under AddressSanitizer and UndefinedBehaviorSanitizer, for a
# bounded time.
#
#   bash scripts/fuzz.sh [SECONDS]    (default 60, or $QB_FUZZ_SECONDS)
#
# Builds with clang into build-fuzz/ (QB_FUZZ=ON, QB_SANITIZE=ON), seeds the
# corpus from tests/fixtures, and shares SECONDS among the targets: half for
# tests/fuzz_compare.c, a third for tests/fuzz_onnx.c (on small models
# scripts/make_onnx_models.py writes) and a sixth for tests/fuzz_mannwhitney.c. Exit 0 without a finding;
# a crash, leak, UB report or timeout leaves its input in
# build-fuzz/artifacts/ (replay: build-fuzz/fuzz_compare FILE) and exits 1.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
secs=${1:-${QB_FUZZ_SECONDS:-60}}
case $secs in '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, not '$secs'" >&2; exit 2 ;; esac

# clang and its libFuzzer runtime, from Debian's packages.
bash scripts/setup.sh
need=()
command -v clang >/dev/null || need+=(clang)
clang_major=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
rt=libclang-rt-${clang_major:-14}-dev
dpkg-query -W -f='${Status}' "$rt" 2>/dev/null | grep -q "install ok installed" || need+=("$rt")
dpkg-query -W -f='${Status}' libomp-dev 2>/dev/null | grep -q "install ok installed" || need+=(libomp-dev)
if [ "${#need[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "fuzz: installing ${need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

t0=$(date +%s)
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQB_FUZZ=ON -DQB_SANITIZE=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_compare fuzz_mannwhitney fuzz_onnx >/dev/null
t1=$(date +%s)
echo "fuzz: built in $((t1 - t0)) s"

# Seeds: each fixture alone (compared with itself) and pairs "base NUL new".
corpus=build-fuzz/corpus-compare
seeds=build-fuzz/seeds-compare
mkdir -p "$corpus" "$seeds" build-fuzz/artifacts build-fuzz/corpus-mannwhitney
rm -f "$seeds"/*
i=0
for a in tests/fixtures/*.json; do
    cp "$a" "$seeds/one-$i.json"
    i=$((i + 1))
done
for a in tests/fixtures/compare-*.json; do
    for b in tests/fixtures/compare-*.json; do
        { cat "$a"; printf '\0'; cat "$b"; } >"$seeds/pair-$i"
        i=$((i + 1))
    done
done
dict=build-fuzz/results.dict
cat >"$dict" <<'EOF'
"\"schema\""
"\"qbench.results/1\""
"\"tool\""
"\"machine\""
"\"settings\""
"\"started\""
"\"results\""
"\"id\""
"\"group\""
"\"params\""
"\"metrics\""
"\"notes\""
"\"value\""
"\"unit\""
"\"better\""
"\"lower\""
"\"higher\""
"\"none\""
"\"samples\""
"\"repetition\""
"\"quick\""
"\"cpu\""
"\"cores\""
"1e308"
"-0"
"NaN"
"\\u0000"
"\x00"
EOF

run() { # name seconds corpus [flags...] -- [seed dirs...]
    local name=$1 s=$2 dir=$3 flags=() seed_dirs=()
    shift 3
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do flags+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    seed_dirs=("$@")
    echo "fuzz: $name for $s s"
    # The first folder receives new inputs; the seed folders are only read.
    # -rss_limit_mb: the reader may hold a large document; more is a finding.
    if ! "build-fuzz/$name" -max_total_time="$s" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix=build-fuzz/artifacts/"$name"- -print_final_stats=1 "${flags[@]}" \
        "$dir" "${seed_dirs[@]}" >"build-fuzz/$name.log" 2>&1; then
        tail -60 "build-fuzz/$name.log"
        echo "fuzz: $name FOUND A PROBLEM; the input is in build-fuzz/artifacts/" >&2
        return 1
    fi
    grep -E "^Done|stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/$name.log" || true
}
status=0
run fuzz_compare $(((secs + 1) / 2)) "$corpus" -dict="$dict" -- "$seeds" || status=1
run fuzz_mannwhitney $(((secs + 5) / 6)) build-fuzz/corpus-mannwhitney -- || status=1
# The importer, seeded with the small models of the error tests (written with python3-onnx).
mkdir -p build-fuzz/corpus-onnx build-fuzz/seeds-onnx
/usr/bin/python3 scripts/make_onnx_models.py build-fuzz/seeds-onnx --only dynamic,unsupported,external >/dev/null
rm -f build-fuzz/seeds-onnx/*.weights
run fuzz_onnx $(((secs + 2) / 3)) build-fuzz/corpus-onnx -- build-fuzz/seeds-onnx || status=1
echo "fuzz: $(($(date +%s) - t0)) s in all"
if [ "$status" -eq 0 ]; then
    echo "fuzz: 3 passed, 0 failed"
else
    echo "fuzz: 0 passed, 1 failed"
fi
exit "$status"
