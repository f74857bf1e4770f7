#!/usr/bin/env bash
# it_19: which clock the daemon stamps its records with when NTP has not
# synchronised (docs/time.md), on what the daemon itself stores.  Three
# replayed half-hour tracks into one database, in virtual time:
#   A. a receiver after a week-rollover "correction": GPS 1024 weeks ahead.
#      Not believed; records keep the system clock (utc_src 2).
#   B. GPS one hour ahead of the unsynchronised system clock (a Pi without
#      RTC, out of NTP coverage): believed after three reports; the step is
#      recorded as a clock.step event; records carry GPS time (utc_src 1).
#   C. an older track replayed on the same van (GPS an hour behind what B
#      recorded): not believed; no record is stamped before B's last one.
# Every track is made relative to the machine's clock when the test runs,
# and the daemon is told to treat the system clock as unsynchronised
# (VANCTLD_CLOCK=unsynced) so the test means the same on a machine with NTP.
# The database's last known good time is pinned to a day before now for B
# and C: with a build years old (the suite run with the clock ten years
# ahead) a fresh database believes no GPS time at all, which is the rule
# (test_clock's test_old_build), not what this test is about.
. "$(dirname "$0")/lib.sh"
it_setup

export VANCTLD_CLOCK=unsynced
track() { # NAME START
	python3 "$VAN_SOURCE_DIR/tools/make-track.py" --hours 0.5 --start "$2" -o "$WORK/$1.nmea" \
		--stops-json "$WORK/$1.json" >/dev/null || fail "track $1 ($2)"
}
first_fix_ms() { python3 -c "import json,datetime,sys; d=json.load(open(sys.argv[1])); \
print(int(datetime.datetime.fromisoformat(d['start'].replace('Z','+00:00')).timestamp()*1000))" "$WORK/$1.json"; }
run() { # NAME
	cat > "$WORK/$1.conf" <<CONF
[unit]
id = van1
[gps]
replay_file = $WORK/$1.nmea
replay_exit = 5
[mqtt]
enabled = false
[storage]
db = $WORK/van.db
[control]
socket = $WORK/control.sock
CONF
	timeout 60 "$VANCTLD" -c "$WORK/$1.conf" --virtual-time > "$WORK/$1.log" 2>&1 ||
		fail "vanctld ($1) exit status $?"
}

note "A: GPS 1024 weeks ahead (week rollover) is not believed"
track a now+7168d
before=$(date +%s%3N)
run a
after=$(date +%s%3N)
grep -q "clock: GPS time 20[0-9-]*T.* not believed: more than 400 days after the last known good time" "$WORK/a.log" ||
	fail "A: no notice that the GPS time is not believed"
[ "$(grep -c 'not believed' "$WORK/a.log")" = 1 ] || fail "A: the notice is not once per episode"
read -r n bad lo hi <<< "$(sql "SELECT count(*), sum(utc_src != 2), min(utc_ms), max(utc_ms) FROM route_points" | tr '|' ' ')"
[ "$n" -gt 50 ] || fail "A: only $n route points stored"
[ "$bad" = 0 ] || fail "A: $bad of $n points are not stamped system-unsynced"
# virtual time runs the half-hour track in well under a second of real time:
# the stamps are the system clock's from the start, plus up to 31 minutes
[ "$lo" -ge "$((before - 2000))" ] && [ "$hi" -le "$((after + 32 * 60000))" ] ||
	fail "A: stamps $lo..$hi are not the system clock's ($before..$after + 32 min)"
pass "A: $n points stamped by the system clock, the rollover time refused once"

note "B: GPS an hour ahead of the unsynchronised clock is believed, and the step recorded"
day_ago=$(( $(date +%s%3N) - 86400000 ))
sql "INSERT OR REPLACE INTO kv(key, value) VALUES ('clock_lkg_utc_ms', '$day_ago')"
sql "DELETE FROM route_points"
track b now+1h
b0=$(first_fix_ms b)
run b
grep -q "clock: GPS time .* believed$" "$WORK/b.log" || fail "B: no notice that GPS time is believed"
read -r n gps lo hi <<< "$(sql "SELECT count(*), sum(utc_src = 1), min(utc_ms), max(utc_ms) FROM route_points" | tr '|' ' ')"
[ "$n" -gt 50 ] || fail "B: only $n route points stored"
# the first reports are counted before GPS time is believed: at most the
# first few points keep the system clock
[ "$((n - gps))" -le 3 ] || fail "B: $((n - gps)) of $n points not stamped with GPS time"
hi_gps=$(sql "SELECT max(utc_ms) FROM route_points WHERE utc_src = 1")
lo_gps=$(sql "SELECT min(utc_ms) FROM route_points WHERE utc_src = 1")
[ "$lo_gps" -ge "$b0" ] && [ "$hi_gps" -le "$((b0 + 31 * 60000))" ] ||
	fail "B: GPS-stamped points $lo_gps..$hi_gps are not the track's ($b0 + 30 min)"
step=$(sql "SELECT json_extract(data, '\$.from') || ' ' || json_extract(data, '\$.to') || ' ' ||
	json_extract(data, '\$.step_ms') || ' ' || utc_src FROM events WHERE type = 'clock.step'")
[ "$(wc -l <<< "$step")" = 1 ] || fail "B: expected one clock.step event, got: $step"
read -r from to ms src <<< "$step"
[ "$from $to $src" = "system-unsynced gps 1" ] || fail "B: clock.step is '$step'"
[ "$ms" -ge 3540000 ] && [ "$ms" -le 3660000 ] || fail "B: step of $ms ms, expected about +1 h"
pass "B: $gps of $n points on GPS time, clock.step $from -> $to of $ms ms"

note "C: an older track replayed later is not believed; nothing stamped before what B recorded"
sql "DELETE FROM route_points WHERE utc_src != 1"
track c now
run c
grep -q "clock: GPS time .* not believed: before the last known good time .* (from what is recorded)" "$WORK/c.log" ||
	fail "C: no notice that the older GPS time is not believed"
read -r n bad lo <<< "$(sql "SELECT count(*), sum(utc_src != 2), min(utc_ms) FROM route_points WHERE id > (SELECT max(id) FROM route_points WHERE utc_src = 1)" | tr '|' ' ')"
[ "$n" -gt 50 ] || fail "C: only $n route points stored"
[ "$bad" = 0 ] || fail "C: $bad of $n points are stamped as trusted"
[ "$lo" -ge "$hi_gps" ] || fail "C: a point stamped $lo, before B's last $hi_gps"
pass "C: $n points, none before the last known good time"
