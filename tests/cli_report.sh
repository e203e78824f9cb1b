#!/usr/bin/env bash
# qbench report as a person sees it: the page renders in headless Chromium to
# a non-blank screenshot, every inline SVG chart parses as XML, names with
# underscores come out as written, the page is small; bad input is refused
# with nothing written.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"
FIX=$2/fixtures

"$QB" report "$FIX/roofline-run.json" "$FIX/valid.json" -o "$tmp/rep" >"$tmp/out" 2>"$tmp/err" || { bad "report exit $?"; cat "$tmp/err"; }
page=$tmp/rep/report.html
if [ -s "$page" ] && [ "$(stat -c %s "$page")" -lt 2000000 ]; then ok; else bad "report.html missing or over 2 MB"; fi

if python3 - "$page" <<'PY'
import re, sys, xml.dom.minidom
html = open(sys.argv[1]).read()
svgs = re.findall(r"<svg.*?</svg>", html, re.S)
assert len(svgs) >= 2, "expected the ops and roofline charts, got %d" % len(svgs)
for s in svgs:
    xml.dom.minidom.parseString(s)
text = "".join(svgs)
assert "my_fused_op" in text, "underscored label was not written as is"
assert "<script" not in html.lower(), "the page must not need JavaScript"
assert "http://" not in html.replace("http://www.w3.org", ""), "the page must not load anything"
for section in ("Machine", "Roofline", "Operators", "Measurement conditions"):
    assert section in html, section
assert 'id="net"' not in html, "a network section without network records"
# The machine table shows plain values, not JSON with quotes.
machine = html.split("Machine", 1)[1].split("</table>", 1)[0]
assert "<td>fixture cpu</td>" in machine and "&quot;" not in machine, machine[:400]
PY
then ok; else bad "inline SVG charts"; fi

# Headless Chromium: the screenshot is not blank.
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROME" ]; then
    timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$tmp/chrome" --window-size=1200,2400 --screenshot="$tmp/shot.png" \
        "file://$page" >/dev/null 2>&1
    if python3 - "$tmp/shot.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h = struct.unpack(">II", body[:8])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
assert w > 100 and h > 100
ink = sum(1 for b in raw[::7] if b < 200)
assert ink > len(raw[::7]) * 0.01, "screenshot is blank"
PY
    then ok; else bad "chromium screenshot blank or missing"; fi
else
    echo "note: chromium not installed, screenshot check skipped"
fi

# Networks: a suite run and a qbench net run (fixtures/net-mobilenet-v2.json:
# a real quick run of mobilenet-v2, its layer records cut to the top twelve
# of the profiled configuration) in one page. The answer line is the one the
# records give; the three charts are drawn and inline; the suite's tables
# get no column for the network file.
"$QB" report "$FIX/roofline-run.json" "$FIX/net-mobilenet-v2.json" -o "$tmp/net" >/dev/null 2>"$tmp/err" ||
    { bad "report with a network exit $?"; cat "$tmp/err"; }
if python3 - "$tmp/net" "$FIX/net-mobilenet-v2.json" <<'PY'
import json, os, re, sys, xml.dom.minidom
out, fix = sys.argv[1], sys.argv[2]
html = open(os.path.join(out, "report.html")).read()
assert '<h2 id="net">Networks</h2>' in html and '<a href="#net">' in html
net = html.split('<h2 id="net">', 1)[1].split('<h2 id="conditions">', 1)[0]
recs = [r for r in json.load(open(fix))["results"] if "latency" in r["metrics"]]
for t in (1, 2):
    cfg = {r["params"]["variant"]: r for r in recs if r["params"]["threads"] == t}
    best = min((v for v in cfg if v.startswith("int8")), key=lambda v: cfg[v]["metrics"]["latency"]["value"])
    s = cfg["fp32"]["metrics"]["latency"]["value"] / cfg[best]["metrics"]["latency"]["value"]
    acc = [r for r in recs if r["params"]["variant"] == best and "nsr" in r["metrics"]][0]["metrics"]
    line = "%s: %sx %s end to end than FP32 on %d thread%s (batch 1), output NSR %s (%.0f dB)" % (
        best.replace("int8-", "INT8 "), "%.2g" % (s if s >= 1 else 1 / s), "faster" if s >= 1 else "slower",
        t, "" if t == 1 else "s", "%.2g" % acc["nsr"]["value"], acc["nsr_db"]["value"])
    assert "<strong>%s</strong>" % line in net, (line, net[:2000])
for chart in ("layers", "roofline", "latency"):
    assert os.path.getsize(os.path.join(out, "charts", "net-mobilenet-v2-%s.svg" % chart)) > 1000, chart
svgs = re.findall(r"<svg.*?</svg>", net, re.S)
assert len(svgs) == 3, len(svgs)
for s in svgs:
    xml.dom.minidom.parseString(s)
assert "block2.expand" in svgs[0] and "int8-per-channel" in svgs[0]   # bars: layers by variant
assert "int8-per-channel, 2 threads" in svgs[2]                       # one line per variant and threads
tables = re.findall(r"<table>.*?</table>", net, re.S)
assert len(tables) == 3, len(tables)
assert tables[0].count("<td rowspan=") == 2 * 10, "top ten layers, node and op cells"
assert "compute" in tables[1] and "%</td>" in tables[1], "the layers placed under their roof"
assert tables[2].count("<tr>") == 1 + 8, "every configuration in the latency table"
ops = html.split('<h2 id="ops">', 1)[1].split("</table>", 1)[0]
assert "roofline-run.json" in ops and "net-mobilenet-v2.json" not in ops, "a column for a file without ops"
PY
then ok; else bad "network section"; fi

# Without ceilings the layers are not placed, and the page says why; a
# batch sweep (the fixture's configurations again at batch 4, made here)
# draws each line from the smallest batch to the largest.
python3 - "$FIX/net-mobilenet-v2.json" "$tmp/sweep.json" <<'PY'
import copy, json, sys
d = json.load(open(sys.argv[1]))
more = []
for r in d["results"]:
    if "latency" not in r["metrics"]:
        continue
    b = copy.deepcopy(r)
    b["id"] = b["id"].replace("/b1/", "/b4/")
    b["params"]["batch"] = 4
    lat = b["metrics"]["latency"]
    lat["samples"] = [x * 3 for x in lat["samples"]]
    for k in ("value", "min", "max", "mean", "median", "stddev", "p25", "p75"):
        lat[k] *= 3
    b["metrics"]["throughput"]["value"] = 4 / lat["value"]
    more.append(b)
d["results"] = more + d["results"]   # the larger batch first in the file
json.dump(d, open(sys.argv[2], "w"))
PY
if "$QB" report "$tmp/sweep.json" -o "$tmp/sweep" >/dev/null 2>"$tmp/err" &&
    grep -q "No roofline for the layers: no input has ceilings for 2 threads" "$tmp/sweep/report.html" &&
    python3 - "$tmp/sweep/charts/net-mobilenet-v2-latency.dat" <<'PY'
import sys
blocks = [b for b in open(sys.argv[1]).read().split("\n\n\n") if b.strip()]
assert len(blocks) == 8, len(blocks)
for b in blocks:
    pts = [tuple(map(float, l.split())) for l in b.splitlines() if l and not l.startswith("#")]
    assert len(pts) == 2 and pts[0][0] < pts[1][0] and pts[0][1] < pts[1][1], pts
PY
then ok; else bad "network batch sweep or missing ceilings"; cat "$tmp/err"; fi

# The profiled thread count (the last in the file) without ceilings or
# layer records: the layers go under the ceilings of the other thread count.
python3 - "$FIX/net-mobilenet-v2.json" "$tmp/t1last.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["results"].sort(key=lambda r: r["params"].get("threads", 2) == 1)
json.dump(d, open(sys.argv[2], "w"))
PY
if "$QB" report "$FIX/roofline-run.json" "$tmp/t1last.json" -o "$tmp/t1last" >/dev/null 2>"$tmp/err" &&
    grep -q "No layer records for batch 1 on 1 thread" "$tmp/t1last/report.html" &&
    grep -q "layers on the roofline, batch 1, 2 threads" "$tmp/t1last/charts/net-mobilenet-v2-roofline.gp"; then
    ok
else
    bad "network layers under another thread count's ceilings"; cat "$tmp/err"
fi

# Without gnuplot: tables still there, chart scripts kept, a warning.
if QB_GNUPLOT=/nonexistent "$QB" report "$FIX/roofline-run.json" -o "$tmp/nognu" >/dev/null 2>"$tmp/err" &&
    grep -q "gnuplot" "$tmp/err" && grep -q "<table" "$tmp/nognu/report.html" && [ -s "$tmp/nognu/charts/roofline.gp" ]; then ok; else bad "report without gnuplot"; fi
if QB_GNUPLOT=/nonexistent "$QB" report "$FIX/net-mobilenet-v2.json" -o "$tmp/nognu-net" >/dev/null 2>"$tmp/err" &&
    grep -q "gnuplot" "$tmp/err" && grep -q "Chart net-mobilenet-v2-layers not drawn" "$tmp/nognu-net/report.html" &&
    grep -q "INT8 per-" "$tmp/nognu-net/report.html" && [ -s "$tmp/nognu-net/charts/net-mobilenet-v2-latency.gp" ] &&
    [ -s "$tmp/nognu-net/charts/net-mobilenet-v2-layers.dat" ]; then ok; else bad "network section without gnuplot"; fi

expect2() { # output folder must stay absent
    local out=$tmp/bad$pass$fail
    "$QB" report "$@" -o "$out" >/dev/null 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -e "$out" ]; then ok; else bad "report $* (exit $rc)"; cat "$tmp/err"; fi
}
expect2 "$FIX/truncated.json"
expect2 "$FIX/wrong-schema.json"
expect2 "$FIX/not-json.txt"
expect2 "$FIX/valid.json" "$FIX/missing-key.json"
echo '{"schema":"qbench.results/1","tool":{},"machine":{},"started":"x","results":[]}' >"$tmp/empty.json"
expect2 "$tmp/empty.json"
"$QB" report "$FIX/valid.json" >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "report without -o"

echo "cli_report: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
