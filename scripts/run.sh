#!/usr/bin/env bash
# The main job: set up, build, run the quick suite into out/results.json and
# MobileNetV2 end to end (qbench net --quick) into out/net.json, and write the
# HTML report of both to out/report/report.html. A failed network run does not
# cost the suite's report: the report is written without it, and the script
# then exits 1.
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
# A file left by an earlier run must not stand in for this one's.
rm -f out/net.json
inputs=(out/results.json)
net_status=0
./build/qbench net --model mobilenet-v2 --quick -o out/net.json || net_status=$?
if [ "$net_status" -eq 0 ]; then
    inputs+=(out/net.json)
else
    echo "run: qbench net --model mobilenet-v2 failed (exit $net_status, message above);" \
        "the report is written without the network section" >&2
fi
echo
./build/qbench report "${inputs[@]}" -o out/report
if [ "$net_status" -ne 0 ]; then
    echo "run: results in out/results.json, report in out/report/report.html; the network run failed" >&2
    exit 1
fi
echo "run: results in out/results.json and out/net.json, report in out/report/report.html"
