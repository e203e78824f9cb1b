#!/usr/bin/env bash
# The main job: set up, build, run the quick suite, write results under out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p out
./build/qbench sysinfo -o out/sysinfo.json
echo
./build/qbench probe inst --quick -o out/inst.json
echo
./build/qbench probe peak --quick -o out/peak.json
echo
echo "run: results in out/ (sysinfo.json, inst.json, peak.json)"
