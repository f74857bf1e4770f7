#!/usr/bin/env bash
# it_04: the command line (--check-config with every problem as FILE:LINE,
# exit codes, overrides, --help/--version) and SIGHUP: what can change live
# changes, what needs a restart is named, a broken file is refused whole.
. "$(dirname "$0")/lib.sh"
it_setup

for f in "$VAN_SOURCE_DIR"/config/vanctld.conf.example "$VAN_SOURCE_DIR"/config/demo/demo.conf; do
	out=$("$VANCTLD" --check-config -c "$f" 2>&1) || fail "--check-config $f: $out"
	echo "$out" | grep -q "configuration OK" || fail "no OK for $f"
done
pass "shipped configs pass --check-config"

printf '[unit]\nid = van 1\n[mqtt]\nport = 70000\nfoo = 1\n[gps]\nstale_after = soon\n' > "$WORK/bad.conf"
rc=0
out=$("$VANCTLD" --check-config -c "$WORK/bad.conf" 2>&1) || rc=$?
[ $rc -eq 2 ] || fail "bad config exit status $rc, want 2"
for m in "bad.conf:2: unit.id 'van 1' must be" "bad.conf:4: mqtt.port: 70000 is out of range" \
	 "bad.conf:5: unknown key 'foo' in [mqtt]" "bad.conf:7: gps.stale_after: 'soon' is not a duration"; do
	echo "$out" | grep -qF "$m" || fail "missing message: $m (got: $out)"
done
pass "bad config: exit 2, every problem as FILE:LINE"

rc=0 rc2=0 rc3=0
"$VANCTLD" --check-config -c /nonexistent.conf > "$WORK/o" 2>&1 || rc=$?
"$VANCTLD" --bogus > /dev/null 2>&1 || rc2=$?
"$VANCTLD" --check-config -c "$VAN_SOURCE_DIR/config/demo/demo.conf" --broker nonsense > "$WORK/o2" 2>&1 || rc3=$?
[ $rc -eq 2 ] && grep -q "/nonexistent.conf: cannot read the config file" "$WORK/o" || fail "unreadable file: $rc $(cat "$WORK/o")"
[ $rc2 -eq 2 ] || fail "unknown option exit $rc2"
[ $rc3 -eq 2 ] && grep -q "\-\-broker: 'nonsense' is not HOST:PORT" "$WORK/o2" || fail "bad override: $(cat "$WORK/o2")"
"$VANCTLD" --help | grep -q -- "--check-config" || fail "--help"
"$VANCTLD" --version | grep -qE "^vanctld [0-9]+\.[0-9]+" || fail "--version"
pass "exit codes, overrides, --help, --version"

start_broker
write_conf "$WORK/van.conf"
start_vanctld "$WORK/van.conf"
WAIT_S=10 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "not running"
sed -i 's/^location_interval = 1$/location_interval = 7/; s/^id = van1$/id = van9/' "$WORK/van.conf"
kill -HUP "$VANCTLD_PID"
WAIT_S=5 wait_for grep -q 'reload: configuration re-read' "$WORK/vanctld.log" || fail "no reload"
grep -q 'reload: unit.id changed; it takes effect after a restart' "$WORK/vanctld.log" || fail "unit.id change not named"
echo "[mqtt]" >> "$WORK/van.conf"; echo "port = banana" >> "$WORK/van.conf"
kill -HUP "$VANCTLD_PID"
WAIT_S=5 wait_for grep -q 'keeping the running configuration' "$WORK/vanctld.log" || fail "broken file not refused"
grep -q "mqtt.port: 'banana' is not a whole number" "$WORK/vanctld.log" || fail "reload error not named"
kill -0 "$VANCTLD_PID" || fail "vanctld died on reload"
pass "SIGHUP: live changes applied, restart-only changes named, broken file refused"
stop_vanctld TERM || fail "exit status $?"
