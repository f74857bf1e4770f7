#!/usr/bin/env bash
# it_24: base's commands as base and the crew would see them (issue 18,
# points 5, 7, 8, 9), against a real mosquitto:
#  - text from outside (a field name, a plan name) cannot forge a journal
#    line or put an escape sequence into the log, from base or the control
#    socket;
#  - every malformed command gets a reply (bad name, unknown field in
#    status, a field name cut inside a UTF-8 character);
#  - a retained command is never run, not at a (re)connection either, and is
#    warned about once; a repeated (id, time) or a stale time is refused;
#  - a command sent while the van is offline is not carried out later (base
#    must resend, docs/mqtt.md), and a resent one is.
. "$(dirname "$0")/lib.sh"
it_setup
# the van's clock as synchronised (docs/time.md), so the stale check applies
# on a machine without NTP too; the unsynced case is checked at the end
export VANCTLD_CLOCK=system

start_broker
write_conf "$WORK/van.conf"
start_sub 'vanctld/van1/reply' "$WORK/replies.txt"
start_vanctld "$WORK/van.conf"
WAIT_S=15 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "vanctld did not connect"
sleep 0.5

# reply_for ID: the reply line carrying "id":"ID" (waits up to 5 s)
reply_for() { WAIT_S=${2:-5} wait_for grep -q "\"id\":\"$1\"" "$WORK/replies.txt" && grep "\"id\":\"$1\"" "$WORK/replies.txt" | tail -n 1; }
now_iso() { python3 -c 'import datetime; print(datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]+"Z")'; }
iso_ago() { python3 -c 'import datetime,sys; t=datetime.datetime.now(datetime.timezone.utc)-datetime.timedelta(seconds=int(sys.argv[1])); print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"; }

# ---- 9: log injection ----------------------------------------------------
base_cmd checkin_request '{"v":1,"unit":"van1","id":"inj1","x\n<0>vanctld: FORGED emergency.raised":1}'
reply_for inj1 > /dev/null || fail "no reply to the injection attempt"
base_cmd checkin_request '{"v":1,"unit":"van1","id":"inj2","\u001b[2J\u001b[31mRED\r\u0085":1}'
reply_for inj2 > /dev/null || fail "no reply to the escape sequence"
ctl '{"cmd":"session_start","crew":2,"plan":"p\n<0>vanctld: FORGED ctl \u001b[2J"}' > "$WORK/ctl1.txt"
sleep 0.3
grep -n 'FORGED' "$WORK/vanctld.log" >&2
grep -qE '^<0>' "$WORK/vanctld.log" && fail "a forged line at priority 0 reached the log"
grep -E '^(<[0-9]>)?vanctld: FORGED' "$WORK/vanctld.log" && fail "a forged line reached the log"
grep -q $'\x1b' "$WORK/vanctld.log" && fail "an escape byte reached the log raw"
grep -q $'\r' "$WORK/vanctld.log" && fail "a carriage return reached the log raw"
grep -q $'\xc2\x85' "$WORK/vanctld.log" && fail "a C1 control reached the log raw"
grep -qF 'x\n<0>vanctld: FORGED' "$WORK/vanctld.log" || fail "the base field name is not in the log, escaped"
grep -qF '\x1b[2J\x1b[31mRED\r\u0085' "$WORK/vanctld.log" || fail "the escape sequence is not in the log, escaped"
grep -qF 'FORGED ctl \x1b[2J' "$WORK/vanctld.log" || fail "the control socket's plan name is not in the log, escaped"
pass "untrusted text is escaped in every log line (base, control socket; newline, ESC, CR, C1)"

# ---- 8: replies as documented ---------------------------------------------
base_cmd status '{"v":1,"unit":"van1","id":"st1","bogus":1}'
r=$(reply_for st1) || fail "no reply to status with an unknown field"
echo "$r" | grep -q '"ok":false' && echo "$r" | grep -q '"error":"invalid_argument"' \
	|| fail "status accepted an unknown field: $r"
pass "status refuses unknown fields"

n=0
for name in Status status2 a-b '' 'abcdefghijklmnopqrstuvwxyzabcdefg' 'stätus' 'st%s' 'ack '; do
	n=$((n + 1))
	base_cmd "$name" "{\"v\":1,\"unit\":\"van1\",\"id\":\"bad$n\"}"
done
for i in $(seq 1 $n); do
	r=$(reply_for "bad$i") || fail "malformed command name #$i got no reply"
	echo "$r" | grep -q '"ok":false,' && echo "$r" | grep -q '"error":"unknown_command"' \
		|| fail "malformed command name #$i: wrong reply: $r"
done
grep '"id":"bad6"' "$WORK/replies.txt" | grep -q '"command":"stätus"' || fail "the reply does not echo the name"
pass "$n malformed command names each get an unknown_command reply"

# 39 ASCII bytes, then a 2-byte character across the 40-byte cut
key="$(printf 'k%.0s' $(seq 1 39))é"
base_cmd checkin_request "{\"v\":1,\"unit\":\"van1\",\"id\":\"cut1\",\"$key\":1}"
r=$(reply_for cut1) || fail "no reply to a field name cut inside a character"
echo "$r" | grep -q '"error":"invalid_argument"' || fail "field name cut at 40 bytes: $r"
pass "a field name cut inside a UTF-8 character: invalid_argument"

# ---- 5: retained commands, repeats, stale ones -----------------------------
t=$(now_iso)
base_cmd status "{\"v\":1,\"unit\":\"van1\",\"id\":\"rep1\",\"time\":\"$t\"}"
reply_for rep1 | grep -q '"ok":true' || fail "a command with id and time was refused"
base_cmd status "{\"v\":1,\"unit\":\"van1\",\"id\":\"rep1\",\"time\":\"$t\"}"
WAIT_S=5 wait_for bash -c "[ \$(grep -c '\"id\":\"rep1\"' '$WORK/replies.txt') -ge 2 ]" || fail "no reply to the repeat"
grep '"id":"rep1"' "$WORK/replies.txt" | tail -n 1 | grep -q '"error":"already"' || fail "a repeat was carried out again"
pass "a repeat (same id and time) is refused"

base_cmd replay "{\"v\":1,\"unit\":\"van1\",\"id\":\"old1\",\"time\":\"$(iso_ago 600)\",\"from_seq\":1}"
r=$(reply_for old1) || fail "no reply to a stale command"
echo "$r" | grep -q '"error":"stale"' || fail "a command sent 10 minutes ago was carried out: $r"
base_cmd replay '{"v":1,"unit":"van1","id":"bt1","time":"yesterday","from_seq":1}'
reply_for bt1 | grep -q '"error":"bad_request"' || fail "a bad time was accepted"
pass "a stale command (10 min old) is refused; a bad time is a bad_request"

# a retained replay and a retained ack, published while the van runs
# (MQTT 5: seen as retained) and then across two restarts
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -r -t vanctld/van1/cmd/replay -m '{"v":1,"unit":"van1","id":"ret1","from_seq":1}'
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -r -t vanctld/van1/cmd/ack -m '{"v":1,"unit":"van1","id":"ret2","by":"Sam (retained)"}'
sleep 1
# an emergency raised after them, alive across the restarts, must not be
# acknowledged by the retained ack
ctl '{"cmd":"panic"}' > /dev/null
sleep 1
for i in 1 2; do
	stop_vanctld TERM || true
	start_vanctld "$WORK/van.conf"
	WAIT_S=15 wait_for bash -c "[ \$(grep -c 'mqtt: connected' '$WORK/vanctld.log') -ge $((i + 1)) ]" || fail "no reconnect $i"
	sleep 1
done
st=$(ctl '{"cmd":"status"}')
echo "$st" | grep -q '"active":true' || fail "the emergency did not survive the restarts: $st"
echo "$st" | grep -q 'Sam (retained)' && fail "a retained ack acknowledged a later emergency"
grep -qE '"id":"ret[12]"' "$WORK/replies.txt" && fail "a retained command was run: $(grep -E '"id":"ret[12]"' "$WORK/replies.txt")"
w=$(grep -c 'RETAINED command' "$WORK/vanctld.log")
[ "$w" -ge 1 ] || fail "no warning about the retained commands"
# once per run: three runs (the first saw them published), two topics
[ "$w" -le 3 ] || fail "the retained warning is repeated ($w times in 3 runs)"
grep 'RETAINED command' "$WORK/vanctld.log" | head -n 1
pass "retained commands are never run (3 runs) and warned about once per run"
ctl '{"cmd":"alarm_clear"}' > /dev/null
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -r -n -t vanctld/van1/cmd/replay
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -r -n -t vanctld/van1/cmd/ack

# ---- 7: a command sent while the van is offline ---------------------------
stop_vanctld TERM || true
base_cmd status '{"v":1,"unit":"van1","id":"off1"}'
start_vanctld "$WORK/van.conf"
WAIT_S=15 wait_for bash -c "[ \$(grep -c 'mqtt: connected' '$WORK/vanctld.log') -ge 4 ]" || fail "no reconnect"
sleep 1.5
grep -q '"id":"off1"' "$WORK/replies.txt" && fail "a command sent while the van was offline was carried out later (docs/mqtt.md says base must resend)"
base_cmd status '{"v":1,"unit":"van1","id":"off2"}'
reply_for off2 | grep -q '"ok":true' || fail "the resent command got no reply"
pass "a command sent while offline is not carried out later; the resent one is (base resends)"

# an unsynchronised van clock cannot judge a command's age: not refused
stop_vanctld TERM || true
VANCTLD_CLOCK=unsynced start_vanctld "$WORK/van.conf"
WAIT_S=15 wait_for bash -c "[ \$(grep -c 'mqtt: connected' '$WORK/vanctld.log') -ge 5 ]" || fail "no reconnect"
sleep 0.5
base_cmd status "{\"v\":1,\"unit\":\"van1\",\"id\":\"uns1\",\"time\":\"$(iso_ago 600)\"}"
reply_for uns1 | grep -q '"ok":true' || fail "with an unsynchronised clock, a command's age was judged"
pass "an unsynchronised van clock does not judge a command's age"

kill -0 "$VANCTLD_PID" || fail "vanctld died"
stop_vanctld TERM || fail "vanctld exited with an error"
