#!/usr/bin/env bash
# The main job: set up, build, run the quick suite into out/results.json and
# write the HTML report to out/report/report.html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p out
./build/qbench sysinfo
echo
./build/qbench run --quick -o out/results.json
echo
./build/qbench roofline --from out/results.json --op all -o out/roofline
echo
./build/qbench report out/results.json -o out/report
echo "run: results in out/results.json, report in out/report/report.html"
