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

# Without gnuplot: tables still there, chart scripts kept, a warning.
if QB_GNUPLOT=/nonexistent "$QB" report "$FIX/roofline-run.json" -o "$tmp/nognu" >/dev/null 2>"$tmp/err" &&
    grep -q "gnuplot" "$tmp/err" && grep -q "<table" "$tmp/nognu/report.html" && [ -s "$tmp/nognu/charts/roofline.gp" ]; then ok; else bad "report without gnuplot"; fi

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
