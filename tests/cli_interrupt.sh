#!/usr/bin/env bash
# SIGINT in the middle of a run: exit 130, and the results file holds every
# record that was finished, written atomically (valid JSON, no temp file left).
set -u
QB=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$QB" probe inst --rounds 16 -o "$tmp/r.json" >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
rc=$?
fail=0
[ "$rc" -eq 130 ] || { echo "FAIL: exit $rc, expected 130"; cat "$tmp/err"; fail=1; }
python3 - "$tmp/r.json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
measured = [r for r in d["results"] if r["metrics"]]
assert measured, "no finished record was saved"
PY
ls "$tmp" | grep -q tmp && { echo "FAIL: temporary file left behind"; fail=1; }
[ "$fail" -eq 0 ] && echo "cli_interrupt: 1 passed, 0 failed" || echo "cli_interrupt: 0 passed, 1 failed"
exit $fail
