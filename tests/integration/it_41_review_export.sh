#!/usr/bin/env bash
# it_41: exports read back by independent tools and checked against the
# database itself (read with python's sqlite3): GPX 1.1 by gpsbabel (and
# python's XML parser), GeoJSON by python's json, CSV by python's csv.
# Points, stops and times must match; a coarse --precision must hold.
. "$(dirname "$0")/it_4x_review_lib.sh"
command -v gpsbabel > /dev/null || skip "gpsbabel not installed (scripts/install-review-deps.sh)"
review_setup
O="$WORK/out"
mkdir "$O"

# --- GPX ---------------------------------------------------------------------
rv export "$ID_A" --db "$DB" --format gpx -o "$O/a.gpx" || fail "export gpx"
[ "$(stat -c %a "$O/a.gpx")" = 600 ] || fail "export not created 0600"
gpsbabel -t -i gpx -f "$O/a.gpx" -o unicsv,utc=0 -F "$O/a.trk.csv" 2> "$WORK/gpsbabel.log" ||
	fail "gpsbabel could not read the track: $(cat "$WORK/gpsbabel.log")"
gpsbabel -w -i gpx -f "$O/a.gpx" -o unicsv,utc=0 -F "$O/a.wpt.csv" 2>> "$WORK/gpsbabel.log" ||
	fail "gpsbabel could not read the waypoints"
py "$DB" "$ID_A" "$O/a.gpx" "$O/a.trk.csv" "$O/a.wpt.csv" <<'PY' || fail "GPX against the database"
import csv, sqlite3, sys, datetime, xml.etree.ElementTree as ET
db, sid, gpx, trk, wpt = sys.argv[1:]
c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
pts = c.execute("SELECT utc_ms, lat, lon FROM route_points WHERE session_id=? ORDER BY utc_ms", (sid,)).fetchall()
stops = c.execute("SELECT arrived_utc_ms, lat, lon, name FROM stops WHERE session_id=? ORDER BY arrived_utc_ms", (sid,)).fetchall()
ns = {"g": "http://www.topografix.com/GPX/1/1"}
root = ET.parse(gpx).getroot()
assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx" and root.get("version") == "1.1"
assert [e.tag.split("}")[1] for e in root][:2] == ["metadata", "wpt"], "schema order"
def ms(s):
    return int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)
tp = root.findall(".//g:trkpt", ns)
assert len(tp) == len(pts), (len(tp), len(pts))
for e, (t, la, lo) in zip(tp, pts):
    assert abs(float(e.get("lat")) - la) < 1e-7 and abs(float(e.get("lon")) - lo) < 1e-7
    assert ms(e.find("g:time", ns).text) == t
rows = list(csv.DictReader(open(trk, newline="")))
assert len(rows) == len(pts), ("gpsbabel track points", len(rows), len(pts))
for r, (t, la, lo) in zip(rows, pts):
    assert abs(float(r["Latitude"]) - la) < 1e-6 and abs(float(r["Longitude"]) - lo) < 1e-6, r
    when = datetime.datetime.strptime(r["Date"] + " " + r["Time"], "%Y/%m/%d %H:%M:%S")
    assert int(when.replace(tzinfo=datetime.timezone.utc).timestamp()) * 1000 == t, (r, t)
w = list(csv.DictReader(open(wpt, newline="")))
assert len(w) == len(stops) == 4, (len(w), len(stops))
for r, (t, la, lo, name) in zip(w, stops):
    assert abs(float(r["Latitude"]) - la) < 1e-6 and abs(float(r["Longitude"]) - lo) < 1e-6
    assert (name or "stop") in r["Name"], r
PY
pass "GPX: gpsbabel and an XML parser read the track and the stops as stored"

# several sessions (a date range): one <trk> each, sessions without a fix too
rv export --db "$DB" --since 2026-03-01 --until 2026-03-31 --format gpx -o "$O/march.gpx" ||
	fail "export range"
gpsbabel -t -i gpx -f "$O/march.gpx" -o unicsv -F "$O/march.csv" || fail "gpsbabel on a range"
[ "$(grep -c '<trk>' "$O/march.gpx")" = 4 ] || fail "want 4 tracks in March"
n=$(python3 -c "import json; e=json.load(open('$EXPECT')); print(e['A']['points']+e['F']['points'])")
[ "$(($(wc -l < "$O/march.csv") - 1))" = "$n" ] || fail "March track points: want $n"
pass "GPX: a month's sessions in one file"

# --- GeoJSON -----------------------------------------------------------------
rv export "$ID_A" "$ID_C" "$ID_F" --db "$DB" --format geojson -o "$O/a.geojson" || fail "geojson"
py "$DB" "$O/a.geojson" "$ID_A" "$ID_C" "$ID_F" <<'PY' || fail "GeoJSON against the database"
import json, sqlite3, sys, datetime
db, path, *ids = sys.argv[1:]
c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
g = json.load(open(path))
assert g["type"] == "FeatureCollection"
fs = g["features"]
def ms(s):
    return int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)
i = 0
for sid in map(int, ids):
    pts = c.execute("SELECT lat, lon FROM route_points WHERE session_id=? ORDER BY utc_ms", (sid,)).fetchall()
    stops = c.execute("SELECT arrived_utc_ms, departed_utc_ms, lat, lon, name, entries, peak FROM stops WHERE session_id=? ORDER BY arrived_utc_ms", (sid,)).fetchall()
    route = fs[i]; i += 1
    assert route["type"] == "Feature" and route["properties"]["kind"] == "route"
    assert route["properties"]["session_id"] == sid
    if len(pts) >= 2:
        geom = route["geometry"]
        assert geom["type"] == "LineString"
        assert len(geom["coordinates"]) == len(pts)
        for (lo, la), (pla, plo) in zip(geom["coordinates"], pts):   # RFC 7946: lon, lat
            assert abs(la - pla) < 1e-7 and abs(lo - plo) < 1e-7
    else:
        assert route["geometry"] is None, route
    for (arr, dep, la, lo, name, ent, peak) in stops:
        f = fs[i]; i += 1
        p = f["properties"]
        assert p["kind"] == "stop" and p["session_id"] == sid
        assert f["geometry"]["type"] == "Point"
        assert abs(f["geometry"]["coordinates"][0] - lo) < 1e-7 and abs(f["geometry"]["coordinates"][1] - la) < 1e-7
        assert ms(p["arrival_utc"]) == arr
        assert (p["departure_utc"] is None) == (dep == 0)
        if dep:
            assert ms(p["departure_utc"]) == dep and p["on_site_s"] == (dep - arr) // 1000
        assert p["name"] == name and p["entries"] == ent and p["peak_occupancy"] == peak
assert i == len(fs), (i, len(fs))
PY
pass "GeoJSON: route LineString and stop Points match the database"

# --- CSV ---------------------------------------------------------------------
rv export "$ID_D" --db "$DB" --format csv -o "$O/d.csv" || fail "csv"
py "$DB" "$O/d.csv" "$ID_D" <<'PY' || fail "CSV against the database"
import csv, sqlite3, sys, datetime
db, path, sid = sys.argv[1:]
c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
pts = c.execute("SELECT utc_ms, lat, lon, speed, sats FROM route_points WHERE session_id=? ORDER BY utc_ms", (sid,)).fetchall()
rows = list(csv.DictReader(open(path, newline="")))
assert len(rows) == len(pts), (len(rows), len(pts))
offsets = set()
for r, (t, la, lo, sp, sats) in zip(rows, pts):
    u = datetime.datetime.fromisoformat(r["utc"].replace("Z", "+00:00"))
    l = datetime.datetime.fromisoformat(r["local"])
    assert int(u.timestamp() * 1000) == t and l == u, (r, t)
    offsets.add(l.utcoffset().total_seconds())
    assert abs(float(r["lat"]) - la) < 1e-7 and abs(float(r["lon"]) - lo) < 1e-7
    assert r["session_id"] == sid and int(r["sats"]) == sats and r["utc_src"] == "system"
assert offsets == {3600.0, 0.0}, offsets   # the session spans the end of summer time
PY
pass "CSV: every point, UTC and local time (both sides of the clock change)"

# --- precision ---------------------------------------------------------------
rv export "$ID_A" --db "$DB" --format gpx --precision 1km -o "$O/a-1km.gpx" || fail "1km"
gpsbabel -t -i gpx -f "$O/a-1km.gpx" -o unicsv -F "$O/a-1km.csv" || fail "gpsbabel 1km"
rv export "$ID_A" --db "$DB" --format csv --precision 100m -o "$O/a-100m.csv" || fail "100m"
py "$O/a-1km.csv" "$O/a-100m.csv" "$DB" "$ID_A" <<'PY' || fail "coarse positions"
import csv, math, sqlite3, sys
km, hm, db, sid = sys.argv[1:]
c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
n = c.execute("SELECT count(*) FROM route_points WHERE session_id=?", (sid,)).fetchone()[0]
def check(rows, m, lat="Latitude", lon="Longitude"):
    step = m / 111320.0
    pos = [(float(r[lat]), float(r[lon])) for r in rows]
    assert 1 < len(pos) < n / 5, (len(pos), n)
    for a, b in zip(pos, pos[1:]):
        assert a != b, "a repeated grid point"
    for la, lo in pos:
        k = la / step
        assert abs(k - round(k)) < 0.02, ("latitude off the grid", la)
        sl = step / math.cos(math.radians(round(k) * step))
        j = lo / sl
        assert abs(j - round(j)) < 0.02, ("longitude off the grid", lo)
check(list(csv.DictReader(open(km, newline=""))), 1000)
check(list(csv.DictReader(open(hm, newline=""))), 100, "lat", "lon")
PY
hasnt "$O/a-1km.gpx" "<ele>"
hasnt "$O/a-1km.gpx" "site-"      # place names are left out of a coarse copy too
pass "precision: 1 km and 100 m grids, no repeated points, no altitude"

# --- the 12-hour session -----------------------------------------------------
start=$(date +%s%N)
rv export "$ID_E" --db "$DB" --format csv -o "$O/e.csv" || fail "csv of 12 h"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
want=$(python3 -c "import json; print(json.load(open('$EXPECT'))['E']['points'])")
[ "$(($(wc -l < "$O/e.csv") - 1))" = "$want" ] || fail "12 h CSV: want $want rows"
echo "--- 12 h session: $want points exported as CSV in $ms ms"

expect_rc 1 rv export "$ID_A" --db "$DB" --format gpx -o "$DB"
has "$WORK/last.err" "refusing to overwrite the database"
expect_rc 1 rv export "$ID_A" --db "$DB" --format gpx -o "$DB-wal"
pass "exports never overwrite the database"
