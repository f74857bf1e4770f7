#!/usr/bin/env bash
# it_25: the retention rule runs in the daemon.  A van's database holds an
# evening 200 days old (written by the daemon itself, its clock pinned to that
# track); the next run, on a track of today and storage.retention_days = 90,
# purges the old route a minute after start and logs what it removed, and
# keeps today's.  Without a trusted clock the purge waits and says so.
. "$(dirname "$0")/lib.sh"
it_setup

conf() { # conf TRACK EXTRA...
	cat > "$WORK/van.conf" <<CONF
[unit]
id = van1
[gps]
replay_file = $1
replay_exit = 2m
[mqtt]
enabled = false
[storage]
db = $WORK/van.db
retention_days = 90
[control]
socket = $WORK/control.sock
CONF
}
run() { timeout 120 "$VANCTLD" -c "$WORK/van.conf" --virtual-time >> "$WORK/vanctld.log" 2>&1 || fail "vanctld exit status $?"; }

python3 "$VAN_SOURCE_DIR/tools/make-track.py" --start now-200d -o "$WORK/old.nmea" --stops-json none 2> /dev/null || fail "old track"
python3 "$VAN_SOURCE_DIR/tools/make-track.py" --start now -o "$WORK/new.nmea" --stops-json none 2> /dev/null || fail "new track"
# the clock pinned to each track (docs/time.md): the stored times are the track's
export VANCTLD_CLOCK=gps
conf "$WORK/old.nmea"
run
OLD=$(sql "select count(*) from route_points")
[ "$OLD" -gt 100 ] || fail "the old evening stored $OLD route points"
grep -q "retention: nothing older than 90 days" "$WORK/vanctld.log" || fail "the first run's purge: $(grep retention "$WORK/vanctld.log")"
pass "an evening 200 days old, $OLD route points, nothing to purge by its own clock"

: > "$WORK/vanctld.log"
conf "$WORK/new.nmea"
run
grep -qE "retention: purged detail older than 90 days: $OLD route points" "$WORK/vanctld.log" ||
	fail "the purge did not run or did not say so: $(grep retention "$WORK/vanctld.log")"
cut=$(( $(date +%s) * 1000 - 91 * 86400000 ))
[ "$(sql "select count(*) from route_points where utc_ms < $cut")" = 0 ] || fail "old route points left"
NEW=$(sql "select count(*) from route_points")
[ "$NEW" -gt 100 ] || fail "today's route was purged too ($NEW points left)"
pass "the daemon purged the old route ($OLD points) a minute after start and kept today's ($NEW)"

# no trusted clock: a receiver without a fix, NTP never synchronised
: > "$WORK/vanctld.log"
grep -m 20 ',V,' "$WORK/new.nmea" > "$WORK/nofix.nmea" || fail "no-fix sentences"
VANCTLD_CLOCK=unsynced conf "$WORK/nofix.nmea"
VANCTLD_CLOCK=unsynced run
grep -q "retention: the purge of records older than 90 days waits for a trusted clock" "$WORK/vanctld.log" ||
	fail "an untrusted clock: $(grep retention "$WORK/vanctld.log")"
grep -q "retention: purged\|retention: nothing" "$WORK/vanctld.log" && fail "purged on an untrusted clock"
[ "$(sql "select count(*) from route_points")" = "$NEW" ] || fail "records changed on an untrusted clock"
pass "on an untrusted clock the purge waits and says so"
