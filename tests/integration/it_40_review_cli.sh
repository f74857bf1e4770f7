#!/usr/bin/env bash
# it_40: the manager's review commands on the fixture database: sessions,
# report, summary and purge, database lookup (--db, -c CONF), and the rule
# that a read never creates or changes a file.
. "$(dirname "$0")/it_4x_review_lib.sh"
review_setup --old

# The database and its -wal, byte for byte and by mtime, and the names in
# its directory.  (-shm is SQLite's shared-memory index: every WAL reader
# takes its read locks there, so it is not compared.)
snapshot() {
	(cd "$1" && ls -1A && stat -c '%n %s %Y.%y' fx.db fx.db-wal && sha256sum fx.db fx.db-wal)
}

# --- reads change nothing --------------------------------------------------
mkdir "$WORK/out" "$WORK/snap"
snapshot "$WORK" > "$WORK/snap/before.txt"
rv sessions --db "$DB" > "$WORK/out/sessions.txt" || fail "sessions"
rv report "$ID_A" --db "$DB" --html "$WORK/out/a.html" > "$WORK/out/a.txt" || fail "report"
rv export "$ID_A" --db "$DB" --format gpx -o "$WORK/out/a.gpx" || fail "export"
rv summary --db "$DB" --month 2026-03 --json > "$WORK/out/sum.json" || fail "summary"
snapshot "$WORK" > "$WORK/snap/after.txt"
diff "$WORK/snap/before.txt" "$WORK/snap/after.txt" > /dev/null ||
	fail "a read changed something: $(diff "$WORK/snap/before.txt" "$WORK/snap/after.txt")"
pass "reads leave the database and its directory as they were"

# a copy of the database file alone (no -wal/-shm): still nothing created
mkdir "$WORK/alone"
cp "$DB" "$WORK/alone/copy.db"
rv sessions --db "$WORK/alone/copy.db" > /dev/null || fail "sessions on a lone copy"
[ "$(ls "$WORK/alone")" = "copy.db" ] || fail "files appeared beside a lone copy: $(ls "$WORK/alone")"
pass "a lone copy is read without -wal/-shm being created"

# --- sessions --------------------------------------------------------------
S="$WORK/out/sessions.txt"
[ "$(grep -c '^[0-9]\{13\} ' "$S")" = 7 ] || fail "want 7 sessions: $(cat "$S")"
grep "^$ID_A " "$S" | grep -q 'Sat 2026-03-14  19:00 GMT  23:30 GMT .* 4h30m .* 4 .* 11 .* 5 .* 3m20s .* 6 .* 1 .* 5$' ||
	fail "session A line: $(grep "^$ID_A " "$S")"
grep "^$ID_D " "$S" | grep -q '23:00 BST  03:30 GMT (+1) .* 5h30m' || fail "session D line"
grep "^$ID_F " "$S" | grep -q 'running' || fail "session F line"
has "$S" "times in Europe/London"
rv sessions --db "$DB" --since 2026-03-14 --until 2026-03-16 > "$WORK/range.txt" || fail "range"
[ "$(grep -c '^[0-9]\{13\} ' "$WORK/range.txt")" = 2 ] || fail "--since/--until: $(cat "$WORK/range.txt")"
rv sessions --db "$DB" --since 2030-01-01 > "$WORK/none.txt" || fail "empty range"
has "$WORK/none.txt" "no sessions in that range"
pass "sessions: one line each, figures, date range (until inclusive)"

# --- report ----------------------------------------------------------------
R="$WORK/out/a.txt"
for s in "started      19:00 GMT" "planned end  23:00 GMT (ended 30m00s after it)" \
	"peak         5 on board (limit 4)" "over limit   3m20s" \
	"check-ins    6 made (start and end included), 1 missed" "incidents    5" \
	"late 25m00s" "left out" "unplanned stops: 1" "change of plan: site-3 left out (reason: police)" \
	'note: "Shouted at crew <b>bold</b>'; do
	has "$R" "$s"
done
hasnt "$R" "emergency"     # the covert emergency never shows
! grep -q $'\x1b' "$R" || fail "a raw escape character reached the terminal"
expect_rc 1 rv report 42 --db "$DB"
has "$WORK/last.err" "no such session"
expect_rc 0 rv report last --db "$DB"
has "$WORK/last.out" "Session $ID_D"
pass "report: figures, planned against actual, incidents, hostile note made visible"

# --- database lookup and errors --------------------------------------------
expect_rc 1 rv sessions --db "$WORK/missing.db"
has "$WORK/last.err" "no database there"
[ ! -e "$WORK/missing.db" ] || fail "a read created the missing database"
python3 -c "import sqlite3; c=sqlite3.connect('$WORK/other.db'); c.execute('create table t(x)'); c.commit()"
expect_rc 1 rv sessions --db "$WORK/other.db"
has "$WORK/last.err" "not a vanctld database"
: > "$WORK/empty.db"
expect_rc 1 rv sessions --db "$WORK/empty.db"
expect_rc 1 rv sessions --db "$WORK"
printf '[storage]\ndb = %s\n' "$DB" > "$WORK/van.conf"
expect_rc 0 rv sessions -c "$WORK/van.conf"
cmp -s "$WORK/last.out" "$S" || fail "-c CONF gave other output than --db"
printf '[storage]\ndb = %s\nbogus = 1\n' "$DB" > "$WORK/bad.conf"
expect_rc 1 rv sessions -c "$WORK/bad.conf"
has "$WORK/last.err" "bad.conf:3"
expect_rc 1 rv sessions -c "$WORK/nothere.conf"
expect_rc 2 rv sessions --db "$DB" --since 2026-02-30
expect_rc 2 rv report --db "$DB"
expect_rc 2 rv frobnicate
pass "database from --db or the config; clear errors for missing, foreign, bad config"

# --- summary -----------------------------------------------------------------
rv summary --db "$DB" --month 2026-03 > "$WORK/sum.txt" || fail "summary table"
has "$WORK/sum.txt" "Summary 2026-03-01 to 2026-03-31 (Europe/London)"
rv summary --db "$DB" --month 2026-03 --csv > "$WORK/sum.csv" || fail "summary csv"
py "$WORK/out/sum.json" "$WORK/sum.csv" "$EXPECT" <<'PY' || fail "summary figures"
import csv, json, sys
j = json.load(open(sys.argv[1]))
rows = dict(csv.reader(open(sys.argv[2], newline="")))
ex = json.load(open(sys.argv[3]))
march = [ex[k] for k in "ABCF"]
assert j["sessions"] == 4 and j["sessions_running"] == 1, j
assert j["entries"] == sum(s["entries"] for s in march), j
assert j["stops"] == sum(len(s["stops"]) for s in march), j
assert j["peak_occupancy"] == 5 and j["over_limit_s"] == 200 and j["checkins_missed"] == 1, j
cats = {}
for s in march:
    for k, v in s["incidents"].items():
        cats[k] = cats.get(k, 0) + v
assert j["incidents_by_category"] == cats, (j["incidents_by_category"], cats)
assert "emergency" not in cats
# hours: A 4.5 + B 5 min + C 4 h + F running (1h10m to its last record)
assert abs(j["hours_of_service"] - (4.5 + 5/60 + 4 + 70/60)) < 0.01, j
for k in ("sessions", "entries", "stops", "incidents", "checkins_missed", "peak_occupancy"):
    assert int(rows[k]) == j[k], (k, rows[k], j[k])
for k, v in cats.items():
    assert int(rows["incidents:" + k]) == v
assert rows["period_from"] == "2026-03-01" and rows["period_to"] == "2026-03-31"
PY
expect_rc 2 rv summary --db "$DB"
pass "summary: table, CSV and JSON agree with the fixture"

# --- purge -------------------------------------------------------------------
cp "$DB" "$WORK/p.db"
rv report "$ID_A" --db "$WORK/p.db" > "$WORK/a1.txt" || fail "report A before purge"
# the cutoff falls between G (2024-01-10) and A (2026-03-14) on any date:
# days from 2025-01-01 to the clock the test runs under, as vanctl counts
DAYS=$(( ( $(date +%s) - $(date -d 2025-01-01T00:00Z +%s) ) / 86400 ))
rv purge --db "$WORK/p.db" --older-than "$DAYS" > "$WORK/purge0.txt" 2> "$WORK/purge0.err"
rc=$?
if [ "$rc" = 1 ]; then
	has "$WORK/purge0.err" "not synchronised"
	expect_rc 0 rv purge --db "$WORK/p.db" --older-than "$DAYS" --force
	cp "$WORK/last.out" "$WORK/purge0.txt"
elif [ "$rc" != 0 ]; then
	fail "purge: exit $rc"
fi
gp=$(python3 -c "import json; print(json.load(open('$EXPECT'))['G']['points'])")
grep -q "route points deleted *$gp (from 1 session)" "$WORK/purge0.txt" ||
	fail "purge report: $(cat "$WORK/purge0.txt") (want $gp points)"
has "$WORK/purge0.txt" "stops cleared of position   1"
rv report "$ID_G" --db "$WORK/p.db" > "$WORK/g.txt" || fail "report after purge"
has "$WORK/g.txt" "entries      2"
has "$WORK/g.txt" "0 route points: the route was removed by the retention purge"
hasnt "$WORK/a1.txt" "retention purge"
has "$WORK/g.txt" 'note: "old note kept"'
rv report "$ID_A" --db "$WORK/p.db" > "$WORK/a2.txt" || fail "report A after purge"
cmp -s "$WORK/a1.txt" "$WORK/a2.txt" || fail "purge touched a recent session"
expect_rc 1 rv purge --db "$WORK/nothing.db" --older-than 30 --force
[ ! -e "$WORK/nothing.db" ] || fail "purge created a database"
expect_rc 2 rv purge --db "$WORK/p.db" --older-than 0
pass "purge: old route removed and reported, figures and incident notes kept"
