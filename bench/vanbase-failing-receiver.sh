#!/usr/bin/env bash
# bench/vanbase-failing-receiver.sh - a webhook receiver that fails for
# MINUTES while emergencies are raised: does e-mail, and do the chain's
# later steps, still go on time; does the failed channel retry (with what
# backoff), and does vanbase's log say why each attempt failed (issue 21,
# "Timing and reliability").
#
#   bash bench/vanbase-failing-receiver.sh     # MINUTES=5 ALARMS=5 MODES="500 hang refuse"
#
# For each mode one vanbase, all on one broker (each with its own topic
# prefixes), one real SMTP server on loopback (tests/integration/
# vb_smtp_server.py, python3-aiosmtpd) and one healthy webhook receiver
# shared by all; per mode a webhook receiver (vb_http_receiver.py
# --fail-for) that for MINUTES answers 500, or reads the request and never
# answers (hang), or refuses connections (refuse), and then answers 200.
# The modes run side by side (same instants), so the whole run takes about
# MINUTES + the last step + the last retry, not three times that.
#
# Each vanbase's chain for an emergency:
#   step 1 at 0 s         on_call (sam): the failing webhook ("push") and e-mail
#   step 2 at STEP2 (60)  backup (alex): the failing webhook, a healthy webhook, e-mail
#   step 3 at STEP3 (180) manager (pat): e-mail
# The failing channel: timeout 10 s, ATTEMPTS (15) attempts, backoff 2 s
# doubling to at most 60 s: enough retries to outlast a 5-minute outage.
# ALARMS emergencies per mode (a simulated van publishing its retained
# emergency, as vanbase-latency.sh does), spread evenly over the outage,
# never acknowledged.  Lateness is against the plan: the emergency's publish
# + the step's offset, on CLOCK_MONOTONIC (the SMTP server and receivers
# stamp on arrival); the retry intervals are from vanbase's log lines,
# stamped on arrival (bench/stamp_lines.py).
#
# Target (issue 21): e-mail and other steps on time (< 1 s late, as every
# step) while the webhook fails; the webhook retries; each failure's reason
# (HTTP status, timeout, connection refused) in the log.
. "$(dirname "$0")/lib.sh"
MINUTES=${MINUTES:-5}
ALARMS=${ALARMS:-5}
MODES=${MODES:-500 hang refuse}
STEP2=${STEP2:-60}
STEP3=${STEP3:-180}
ATTEMPTS=${ATTEMPTS:-15}
bench_setup vanbase-failing
bench_vanbase
$PY -c 'import paho.mqtt' 2>/dev/null || die "python3-paho-mqtt missing: bash bench/install-deps.sh"
$PY -c 'import aiosmtpd' 2>/dev/null || die "python3-aiosmtpd missing: bash bench/install-deps.sh"
IT="$VAN_SOURCE_DIR/tests/integration"
WINDOW=$((MINUTES * 60))

start_broker
mx_port=$(free_port)
$PY "$IT/vb_smtp_server.py" --port "$mx_port" --dir "$WORK/mail" --ready "$WORK/mx.ready" --tls none \
	>> "$WORK/mx.log" 2>&1 &
PIDS+=("$!")
ok_port=$(free_port)
$PY "$IT/vb_http_receiver.py" --port "$ok_port" --log "$WORK/okhook.jsonl" --ready "$WORK/okhook.ready" \
	>> "$WORK/okhook.log" 2>&1 &
PIDS+=("$!")
WAIT_S=10 wait_for test -e "$WORK/mx.ready" || die "the SMTP server did not start"
WAIT_S=10 wait_for test -e "$WORK/okhook.ready" || die "the healthy receiver did not start"

declare -A VB
for mode in $MODES; do
	case $mode in
	500) how="--answers 500" ;;
	hang) how="--hang" ;;
	refuse) how="--refuse" ;;
	*) die "unknown mode $mode (500, hang, refuse)" ;;
	esac
	port=$(free_port)
	cat > "$WORK/vb-$mode.conf" <<CONF
[base]
name = Bench base ($mode)
[mqtt]
host = 127.0.0.1
port = $BROKER_PORT
van_prefix = x$mode
prefix = vb$mode
client_id = vanctld-vb$mode
[storage]
db = $WORK/vb-$mode.db
[control]
socket = $WORK/vb-$mode.sock
[fleet]
$(for i in $(seq 1 "$ALARMS"); do echo "x$mode-$i = Bench van $i"; done)
[channel.push]
kind = webhook
template = generic
url = http://127.0.0.1:$port/push
timeout = 10s
attempts = $ATTEMPTS
backoff = 2s
backoff_max = 60s
[channel.ok]
kind = webhook
template = generic
url = http://127.0.0.1:$ok_port/ok
[channel.mail]
kind = email
url = smtp://127.0.0.1:$mx_port
tls = none
from = base@example.org
[contact.sam]
push = sam
mail = sam@$mode.example.org
[contact.alex]
push = alex
ok = alex
mail = alex@$mode.example.org
[contact.pat]
mail = pat@$mode.example.org
[rota]
on_call = sam always
backup = alex always
manager = pat always
[chain.emergency]
step = 0s on_call
step = ${STEP2}s backup
step = ${STEP3}s manager
CONF
	"$VANBASE" -c "$WORK/vb-$mode.conf" --check-config > "$WORK/vb-$mode.check" 2>&1 ||
		{ cat "$WORK/vb-$mode.check" >&2; die "vanbase ($mode) refused its config"; }
	mkfifo "$WORK/vb-$mode.fifo"
	$PY "$BENCH_DIR/stamp_lines.py" "$WORK/vb-$mode.fifo" "$WORK/vb-$mode.log" &
	PIDS+=("$!")
	"$VANBASE" -c "$WORK/vb-$mode.conf" > "$WORK/vb-$mode.fifo" 2>&1 &
	VB[$mode]=$!
	PIDS+=("$!")
	WAIT_S=10 wait_for "$VANBASE" -c "$WORK/vb-$mode.conf" status || die "vanbase ($mode) did not start"
	eval "HOOK_PORT_$mode=$port HOW_$mode='$how'"
done
# the failing receivers last: their MINUTES start now, ~3 s before the first emergency
$PY -c 'import time; print(time.monotonic())' > "$WORK/outage_start"
for mode in $MODES; do
	eval "port=\$HOOK_PORT_$mode how=\$HOW_$mode"
	# shellcheck disable=SC2086
	$PY "$IT/vb_http_receiver.py" --port "$port" --log "$WORK/hook-$mode.jsonl" --ready "$WORK/hook-$mode.ready" \
		$how --fail-for "$WINDOW" >> "$WORK/hook-$mode.log" 2>&1 &
	PIDS+=("$!")
	WAIT_S=10 wait_for test -e "$WORK/hook-$mode.ready" || die "the $mode receiver did not start"
done
say "vanbase with a failing webhook: modes $MODES, down $MINUTES min, $ALARMS emergencies per mode," \
	"steps 0/$STEP2/$STEP3 s, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
$PY "$BENCH_DIR/vanbase_failing.py" drive "$BROKER_PORT" "$WORK" "$MODES" "$ALARMS" "$WINDOW" "0,$STEP2,$STEP3" ||
	die "the driver failed"
$PY "$BENCH_DIR/vanbase_failing.py" report "$WORK" "$MODES" "$ALARMS" "$WINDOW" "0,$STEP2,$STEP3" ||
	die "the report failed"
for mode in $MODES; do
	kill -0 "${VB[$mode]}" 2>/dev/null || say "vanbase ($mode) DIED during the run"
done
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
