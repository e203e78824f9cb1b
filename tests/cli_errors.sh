#!/usr/bin/env bash
# The command line: bad words get one line on stderr naming them and exit 2;
# --help and --version exit 0; JSON output parses.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"

expect 2 "a command is required"
expect 2 "frobnicate" frobnicate
expect 2 "--bogus" sysinfo --bogus
expect 2 "-z" sysinfo -z
expect 2 "nope" probe nope
expect 2 "no-such-insn" probe inst --filter no-such-insn
expect 2 "abc" probe inst --reps abc
expect 2 "out of range" probe inst --reps 0
expect 2 "out of range" probe inst --rounds 99
expect 2 "1e999" probe inst --budget 1e999
expect 2 "needs a value" probe inst --filter
expect 2 "malformed" probe inst --filter 'add-r64,,imul-r64'
expect 2 "99999" probe peak --threads 99999
expect 2 "only" probe peak --threads 4096
expect 2 "x" probe peak --threads x
expect 2 "fp7" probe peak --filter fp7
expect 2 "extra" sysinfo extra
expect 2 "nosuchop" ops --op nosuchop
expect 2 "cannot write" sysinfo -o /nonexistent/dir/x.json
expect 0 "" --help
expect 0 "" --version
expect 0 "" sysinfo --help
expect 0 "" probe inst --help
expect 0 "" probe peak --help
expect 0 "" probe --help
expect 0 "" list

# --version (and every results file's tool.git) names the commit the binary
# was built from: stamped at each build, not at configure time.
root=${2:-}/..
if [ -n "${2:-}" ] && head=$(git -C "$root" describe --always --abbrev=12 2>/dev/null); then
    "$QB" --version | grep -qF "(git $head" && pass=$((pass + 1)) ||
        { echo "FAIL: --version says '$("$QB" --version)', HEAD is $head (rebuild after committing)"; fail=$((fail + 1)); }
fi

# --help shows every default it names, as a number: no macro name in any help.
macros=0
for c in sysinfo list "probe inst" "probe peak" "probe mem" "probe ctx" ops quant fuse roofline run report compare export merge model; do
    # shellcheck disable=SC2086
    if "$QB" $c --help 2>&1 | grep -q 'QB_[A-Z_]*'; then echo "FAIL: qbench $c --help names a macro"; macros=1; fi
done
[ "$macros" -eq 0 ] && pass=$((pass + 1)) || fail=$((fail + 1))
"$QB" probe inst --help | grep -q "default 9" && pass=$((pass + 1)) || { echo "FAIL: defaults missing from --help"; fail=$((fail + 1)); }
# ... and each default once: a help text that names its own default (it
# depends on --quick or the machine) is not followed by the option's unset value.
twice=$("$QB" --help | sed -n 's/^  \([a-z][a-z ]*[a-z]\)   .*/\1/p' | while read -r c; do
    # shellcheck disable=SC2086 # the command path is two words on purpose
    "$QB" $c --help | grep "(default.*(default" | sed "s/^/$c: /"
done)
[ -z "$twice" ] && pass=$((pass + 1)) || { echo "FAIL: a default shown twice in --help:"; echo "$twice"; fail=$((fail + 1)); }

# JSON to stdout parses and carries the contract's keys; -o writes the same document.
if "$QB" probe inst --filter imul-r64 --quick --json >"$tmp/inst.json" &&
    python3 - "$tmp/inst.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "qbench.results/1"
assert d["machine"]["core_ghz"] > 0 and "counters" in d["machine"]
r = d["results"][0]
assert r["id"] == "probe.inst/imul-r64" and r["group"] == "probe.inst"
lat = r["metrics"]["latency"]
assert lat["unit"] == "cycles" and lat["better"] == "lower" and len(lat["samples"]) >= 5
assert r["metrics"]["throughput"]["unit"] == "per_cycle"
assert d["settings"]["repetition"]["quick"] is True
PY
then pass=$((pass + 1)); else echo "FAIL: probe inst --json"; fail=$((fail + 1)); fi

if "$QB" probe peak --filter fp32 --threads 1 --quick -o "$tmp/peak.json" >"$tmp/peak.txt" &&
    grep -q "fp32" "$tmp/peak.txt" && python3 - "$tmp/peak.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"][0]
assert r["id"] == "probe.peak/fp32/t1"
assert r["params"]["dtype"] == "fp32" and r["params"]["threads"] == 1
assert r["metrics"]["gops"]["unit"] == "GOP/s" and r["metrics"]["gops"]["value"] > 0
assert r["metrics"]["ops_per_cycle"]["value"] > 0
PY
then pass=$((pass + 1)); else echo "FAIL: probe peak -o"; fail=$((fail + 1)); fi

# An instruction the CPU lacks is listed as unsupported and never executed.
if ! grep -qw avx512fp16 /proc/cpuinfo; then
    if "$QB" probe inst --filter vfmadd231ph-ymm --quick --json >"$tmp/ph.json" && python3 - "$tmp/ph.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
assert r["params"]["supported"] is False and r["metrics"] == {}
assert "not supported" in r["notes"][0]
PY
    then pass=$((pass + 1)); else echo "FAIL: unsupported instruction"; fail=$((fail + 1)); fi
fi

echo "cli_errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
