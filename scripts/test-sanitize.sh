#!/usr/bin/env bash
# Build with AddressSanitizer and UndefinedBehaviorSanitizer (QB_SANITIZE=ON)
# into build-sanitize/ and run the whole CTest suite there. Any memory error,
# leak or undefined behaviour aborts the test that hit it, so ctest fails.
#
#   bash scripts/test-sanitize.sh [extra ctest arguments, e.g. -R compare]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
t0=$(date +%s)
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQB_WERROR=ON -DQB_SANITIZE=ON >/dev/null
cmake --build build-sanitize -j "$(nproc)" >/dev/null
t1=$(date +%s)
echo "test-sanitize: built in $((t1 - t0)) s"
# halt_on_error: the first report fails the test; abort_on_error gives a core-free
# abort that ctest reports as a failure. UBSan already stops at the first report
# (-fno-sanitize-recover), print_stacktrace says where.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The embedded CPython's own allocations that outlive Py_FinalizeEx (tests/lsan.supp).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}
cd build-sanitize
status=0
# Two tests at a time on two CPUs: under the sanitizers the suite is bound by
# the instrumented code, and what it checks (memory errors, leaks, undefined
# behaviour) does not depend on timing; serially it took most of CI's budget.
ctest --output-on-failure -j "$(nproc)" "$@" || status=$?
echo "test-sanitize: $(($(date +%s) - t0)) s in all"
exit "$status"
