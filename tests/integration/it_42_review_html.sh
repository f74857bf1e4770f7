#!/usr/bin/env bash
# it_42: the HTML report opened in headless Chromium: it loads with no
# console error (and nothing refused by its Content-Security-Policy: it
# fetches nothing), shows the route (an SVG polyline with points), the
# occupancy chart and the tables; screenshots and a printed PDF are kept in
# $VAN_BINARY_DIR/tests/artifacts/review/ to be looked at.
. "$(dirname "$0")/it_4x_review_lib.sh"
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$CHROME" ] || skip "chromium not installed (scripts/install-review-deps.sh)"
review_setup
O="$WORK/out"
mkdir "$O"

# chrome NAME ARGS...: headless Chromium, its log in $WORK/NAME.chrome.log
chrome() {
	local name=$1; shift
	local prof
	prof=$(mktemp -d "$WORK/chrome.XXXXXX")
	timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-dev-shm-usage --user-data-dir="$prof" --enable-logging=stderr --v=0 \
		"$@" 2> "$WORK/$name.chrome.log"
}

# no_console_errors NAME: the page logged no error of its own
no_console_errors() {
	if grep -E 'CONSOLE|Uncaught|Refused to|Content Security Policy|net::ERR' "$WORK/$1.chrome.log"; then
		fail "$1: the page logged errors"
	fi
}

for s in A B C D E F; do
	id=$(eval echo "\$ID_$s")
	rv report "$id" --db "$DB" --html "$O/$s.html" > "$O/$s.txt" || fail "report $s --html"
	# self-contained: nothing to fetch, no script
	if grep -oE '(src|href)="[^"]*"' "$O/$s.html" | grep -vE '^(href="data:,")$'; then
		fail "$s.html refers to something outside itself"
	fi
	if grep -oE 'https?://[^" ]*' "$O/$s.html" | grep -v '^http://www.w3.org/2000/svg$'; then
		fail "$s.html names a URL"
	fi
	hasnt "$O/$s.html" "<script"
	chrome "$s.dom" --dump-dom "file://$O/$s.html" > "$O/$s.dom.html" || fail "chromium --dump-dom $s"
	no_console_errors "$s.dom"
	case $s in B | F) continue ;; esac   # (screenshots of the interesting four)
	chrome "$s.shot" --screenshot="$ART/report-$s.png" --window-size=1200,1600 "file://$O/$s.html" ||
		fail "chromium --screenshot $s"
	no_console_errors "$s.shot"
	[ "$(stat -c %s "$ART/report-$s.png")" -gt 10000 ] || fail "screenshot $s is (nearly) empty"
done
pass "6 reports load in Chromium with no console errors; screenshots of A, C, D, E in $ART"

# what the browser made of A: the route, the chart, the tables, the note as text
D="$O/A.dom.html"
py "$D" <<'PY' || fail "the page Chromium built"
import re, sys
from html.parser import HTMLParser
dom = open(sys.argv[1], encoding="utf-8").read()
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.route = []
        self.tables = {}
        self.cur = None
        self.text = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "polyline" and a.get("class") == "route":
            self.route.append(a.get("points", ""))
        if tag == "table":
            self.cur = a.get("class")
            self.tables[self.cur] = 0
        if tag == "tr" and self.cur:
            self.tables[self.cur] += 1
    def handle_endtag(self, tag):
        if tag == "table":
            self.cur = None
    def handle_data(self, d):
        self.text.append(d)
p = P()
p.feed(dom)
assert "script" not in p.tags, "a script element in the page"
assert p.route, "no route polyline"
pairs = sum(len(r.split()) for r in p.route)
assert pairs >= 50, ("route points drawn", pairs)
for xy in " ".join(p.route).split():
    x, y = map(float, xy.split(","))
    assert 0 <= x <= 1000 and 0 <= y <= 600, xy
assert 'class="occupancy"' in dom and 'class="limit"' in dom and 'class="over"' in dom
assert p.tables.get("stops") == 5, p.tables          # header + 4 stops
assert p.tables.get("plan") == 5, p.tables           # header + 4 planned locations
assert p.tables.get("incidents") == 6, p.tables      # header + 5 incidents
text = "".join(p.text)
assert "Shouted at crew <b>bold</b> & \"quoted\" 'single'" in text, "the note is not shown as text"
assert "</td></table><script>alert(1)</script>" in text
assert "Session report: Saturday 14 March 2026" in text
assert "emergency" not in text.lower(), "the covert emergency shows"
PY
pass "Chromium shows the route polyline, the chart, the stops/plan/incident tables, the note as text"

grep -q 'No GPS fix was recorded' "$O/C.dom.html" || fail "C: no placeholder for the missing route"
grep -q 'No stops recorded' "$O/B.dom.html" || fail "B: empty session"
grep -q '01:40 BST (+1)' "$O/D.dom.html" && grep -q '01:20 GMT (+1)' "$O/D.dom.html" ||
	fail "D: local times across the clock change"
grep -q 'still running' "$O/F.dom.html" || fail "F: running session"
grep -q 'plan late &quot;shift&quot; &lt;B&amp;C&gt;' "$O/F.html" || fail "F: plan name not escaped"
pass "empty, no-GPS, clock-change and running sessions render"

# printable: Chromium prints it to PDF, A4, more than one page
chrome print --print-to-pdf="$ART/report-A.pdf" --no-pdf-header-footer "file://$O/A.html" ||
	fail "chromium --print-to-pdf"
head -c 5 "$ART/report-A.pdf" | grep -q '%PDF-' || fail "not a PDF"
pages=$(grep -ao '/Count [0-9]*' "$ART/report-A.pdf" | head -n 1 | cut -d' ' -f2)
[ "${pages:-0}" -ge 2 ] || fail "the printed report has $pages page(s)"
pass "prints to PDF ($pages pages): $ART/report-A.pdf"
