#!/usr/bin/env bash
# Configure and build qbench into build/ (warnings are errors: QB_WERROR=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DQB_WERROR=ON "$@" >/dev/null
cmake --build build -j "$(nproc)"
