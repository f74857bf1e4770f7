#!/usr/bin/env bash
# bench/storage.sh - what 1 Hz logging writes to disk, and what a power cut
# can lose.
#
#   bash bench/storage.sh       # STORAGE_MIN=10 minutes of real-time logging, TRIALS=5 kills
#
# 1. Bytes written per hour: vanctld with the production defaults, a session
#    running, gpsd (gpsfake) feeding a 1 Hz track in real time and the broker
#    up, for STORAGE_MIN minutes.  write_bytes from /proc/PID/io of the
#    daemon (what it caused to reach the block layer: database, WAL, logs
#    are on stderr) sampled after the first minute (start-up done) and at
#    the end, scaled to an hour.  Cross-check: a whole 8-hour shift replayed
#    under --virtual-time with the broker up (long-run effects: WAL
#    checkpoints, the database growing).
# 2. Power cut: TRIALS times, vanctld (-v: it logs each fix's verdict) runs
#    on the same database for a random 20-60 s while the crew records an
#    event every 0.5 s through the control socket, then SIGKILL.  Counted:
#    route points the filter kept (log) against rows in route_points, the
#    time from the newest committed point to the kill, and events whose
#    control-socket reply said ok against events in the database.
#    (SIGKILL leaves what the kernel has; an unplugged van also loses what
#    was not fsync'ed: route points and events are committed with
#    synchronous=FULL, see docs/schema.md.)
. "$(dirname "$0")/lib.sh"
bench_setup storage
STORAGE_MIN=${STORAGE_MIN:-10}
TRIALS=${TRIALS:-5}
export VANCTLD_CLOCK=system     # route point times by the system clock: comparable with the kill time

python3 "$VAN_SOURCE_DIR/tools/make-track.py" --rate 1 --hours 1 -o "$WORK/track.nmea" --stops-json none >/dev/null
start_broker
start_gps "$WORK/track.nmea" "" 0.333    # 3 sentences a second: 1 Hz in real time
write_conf "$WORK/van.conf" "[gpio]" "backend = sim" "[line.panic]" "role = panic"

echo "== disk writes of 1 Hz logging (defaults: track.flush_interval 30 s, mqtt.location_interval 10 s)"
"$VANCTLD" -c "$WORK/van.conf" > "$WORK/vanctld.log" 2>&1 &
VAN=$!
PIDS+=("$VAN")
WAIT_S=30 wait_for has_fix || die "no fix"
ctl '{"cmd":"session_start","crew":2}' | grep -q '"ok":true' || die "session start"
sleep 60
w0=$(write_bytes "$VAN"); t0=$(date +%s.%N); p0=$(sql 'select count(*) from route_points')
sleep $(( STORAGE_MIN * 60 - 60 ))
w1=$(write_bytes "$VAN"); t1=$(date +%s.%N); p1=$(sql 'select count(*) from route_points')
total=$w1
kill -TERM "$VAN"; wait "$VAN" 2>/dev/null
python3 - "$w0" "$w1" "$t0" "$t1" "$p0" "$p1" "$total" "$STORAGE_MIN" <<'PY'
import sys
w0, w1, t0, t1, p0, p1, total, mins = [float(x) for x in sys.argv[1:]]
per_h = (w1 - w0) / (t1 - t0) * 3600
print("  real time: %.0f s measured after the first minute: %d bytes written, %d route points stored"
      % (t1 - t0, w1 - w0, p1 - p0))
print("  => %.2f MB per hour of 1 Hz logging (target: under 3 MB); whole run incl. start-up: %d bytes in %d min"
      % (per_h / 1e6, total, mins))
PY
echo "  database after the run: $(du -k "$WORK/van.db" | cut -f1) kB (+ WAL $(du -k "$WORK/van.db-wal" 2>/dev/null | cut -f1) kB)"

# cross-check: a whole 8 h shift under virtual time, broker up
d=$(mktemp -d "$WORK/shift.XXXXXX")
python3 "$VAN_SOURCE_DIR/tools/make-track.py" --rate 1 --hours 8 -o "$d/shift.nmea" --stops-json none >/dev/null
(
	WORK=$d
	write_conf "$d/van.conf"
	sed -i "s|^\\[gps\\]|[gps]\\nreplay_file = $d/shift.nmea\\nreplay_exit = 1|" "$d/van.conf"
	/usr/bin/time -v -o "$d/time" "$VANCTLD" -c "$d/van.conf" --virtual-time > "$d/vanctld.log" 2>&1
) || die "virtual-time shift failed"
wb=$(awk '/File system outputs/ {print $NF * 512}' "$d/time")
echo "  cross-check, 8 h shift replayed under virtual time with the broker up: $wb bytes written" \
     "(GNU time's file system outputs, 512-byte blocks) => $(python3 -c "print('%.2f' % ($wb / 8 / 1e6))") MB per hour;" \
     "database $(du -k "$d/van.db" | cut -f1) kB, $(sql 'select count(*) from route_points' "$d/van.db") route points"
rm -rf "$d"

echo "== power cut: SIGKILL at a random point, $TRIALS times (track.flush_interval = 30 s: target at most 30 s of route points, no events)"
rm -f "$WORK"/van.db*
worst_gap=0
for i in $(seq "$TRIALS"); do
	: > "$WORK/trial.log"
	rm -f "$WORK/log.fifo"; mkfifo "$WORK/log.fifo"
	python3 "$BENCH_DIR/stamp_lines.py" "$WORK/log.fifo" "$WORK/trial.log" &
	stamper=$!
	"$VANCTLD" -c "$WORK/van.conf" -v > "$WORK/log.fifo" 2>&1 &
	VAN=$!
	PIDS+=("$VAN" "$stamper")
	WAIT_S=30 wait_for has_fix || die "trial $i: no fix"
	pts0=$(sql 'select count(*) from route_points')
	ev0=$(sql "select count(*) from events where type='incident'")
	kept0=0    # a fresh log per trial
	ctl '{"cmd":"session_start","crew":2}' > /dev/null
	after=$(( 20 + RANDOM % 41 ))
	# the crew records events; each "ok" reply means the daemon said it is stored
	"$PY" - "$WORK/control.sock" "$WORK/acked" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
n = 0
with open(sys.argv[2], "w") as out:
    while True:
        try:
            f.write(b'{"cmd":"incident","type":"other","note":"bench"}\n'); f.flush()
            r = f.readline()
        except OSError:
            break
        if not r:
            break
        if b'"ok":true' in r:
            n += 1
            out.seek(0); out.write("%d\n" % n); out.flush()
        time.sleep(0.5)
PY
	crew=$!
	sleep "$after"
	kill -KILL "$VAN"
	tkill=$(date +%s%3N)
	wait "$VAN" 2>/dev/null
	wait "$crew" 2>/dev/null
	wait "$stamper" 2>/dev/null
	kept=$(( $(grep -c ': keep-' "$WORK/trial.log") - kept0 ))
	pts=$(( $(sql 'select count(*) from route_points') - pts0 ))
	acked=$(cat "$WORK/acked" 2>/dev/null || echo 0)
	evs=$(( $(sql "select count(*) from events where type='incident'") - ev0 ))
	# the kept points not committed: the first of them was kept at ...
	first_lost=$(grep ': keep-' "$WORK/trial.log" | sed -n "$(( pts + 1 ))p" | cut -f1)
	gap=$(( first_lost ? tkill - first_lost : 0 ))
	[ "$gap" -gt "$worst_gap" ] && worst_gap=$gap
	printf '  trial %d: killed after %2d s: route points kept %3d, committed %3d, lost %2d (the last %4.1f s); events acknowledged %3d, stored %3d%s\n' \
		"$i" "$after" "$kept" "$pts" $(( kept - pts )) "$(python3 -c "print($gap / 1000)")" "$acked" "$evs" \
		"$([ "$evs" -ge "$acked" ] || echo '  EVENTS LOST')"
	rm -f "$WORK/acked"
done
echo "  worst: route points of the last $(python3 -c "print($worst_gap / 1000)") s before a kill were lost (target: at most 30 s); events: see above"
