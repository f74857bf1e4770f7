#!/usr/bin/env bash
# it_06: the broker's host name is resolved without blocking the loop.
#  1. mqtt.host = localhost, resolving to ::1 first (a hosts file given to
#     c-ares through CARES_HOSTS), reaches a broker listening on 127.0.0.1
#     only: every address is tried in turn.
#  2. A name whose DNS server never answers (VANCTLD_DNS_SERVERS, test-only,
#     points c-ares at a local UDP port that swallows queries) does not stall
#     the loop: the control socket answers at once while the lookup hangs,
#     the log says it cannot resolve the name, and the daemon stops promptly
#     with the lookup pending.  (Handed to libmosquitto, the name made its
#     getaddrinfo() block the whole loop for seconds at every attempt.)
. "$(dirname "$0")/lib.sh"
it_setup

MAX_MS=200   # each status reply within this (a few ms, even under valgrind)

# ---- 1. localhost: ::1 first, the broker on 127.0.0.1 only ----
start_broker
printf '::1 localhost\n127.0.0.1 localhost\n' > "$WORK/hosts"
MQTT_HOST=localhost write_conf "$WORK/van1.conf"
CARES_HOSTS="$WORK/hosts" start_vanctld "$WORK/van1.conf"
WAIT_S=20 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "localhost: never connected"
grep -q "mqtt: connected to localhost:$BROKER_PORT at 127.0.0.1" "$WORK/vanctld.log" \
	|| fail "localhost: not connected through 127.0.0.1"
first=$(grep -o "connecting to localhost:$BROKER_PORT at [^ ]*" "$WORK/vanctld.log" | head -1)
[ "$first" = "connecting to localhost:$BROKER_PORT at ::1" ] || fail "localhost: ::1 not tried first ($first)"
pass "localhost: ::1 tried first, connected through 127.0.0.1"
stop_vanctld TERM || fail "vanctld exit status $? (localhost)"
mv "$WORK/vanctld.log" "$WORK/vanctld-localhost.txt"

# ---- 2. a DNS server that never answers ----
python3 - "$WORK/dns.port" "$WORK/dns.count" <<'PY' 2>> "$WORK/dns.log" &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
n = 0
while True:              # receive, never answer
    s.recvfrom(4096)
    n += 1
    open(sys.argv[2], "w").write("%d\n" % n)
PY
PIDS+=("$!")
wait_for test -s "$WORK/dns.port" || fail "DNS stub did not start"
DNS_PORT=$(cat "$WORK/dns.port")

MQTT_HOST=broker.example.org write_conf "$WORK/van2.conf"
VANCTLD_DNS_SERVERS="127.0.0.1:$DNS_PORT" start_vanctld "$WORK/van2.conf"
WAIT_S=10 wait_for test -s "$WORK/dns.count" || fail "no DNS query reached the stub"
WAIT_S=10 wait_for ctl '{"cmd":"status"}' || fail "control socket does not answer"

# 10 status calls, over some 2 s, while the lookup hangs: each timed from
# connect to reply in one python process (python's own start takes most of
# a second on a slow machine: not the daemon's time)
times=$(python3 - "$WORK/control.sock" "$MAX_MS" <<'PY'
import socket, sys, time
worst = 0
for i in range(10):
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sys.argv[1])
    s.sendall(b'{"cmd":"status"}\n')
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    ms = (time.monotonic() - t0) * 1000
    print("%.0f" % ms, end=" ")
    if not buf.startswith(b'{"ok":true'):
        print("\nbad reply to call %d: %r" % (i + 1, buf[:200]))
        sys.exit(1)
    worst = max(worst, ms)
    time.sleep(0.2)
print("ms")
sys.exit(0 if worst < float(sys.argv[2]) else 1)
PY
) || fail "status calls while the broker's name was resolving: $times (each must take < $MAX_MS ms)"
grep -q 'cannot resolve' "$WORK/vanctld.log" && fail "the lookup ended before the status calls: test proves nothing"
pass "resolving: 10 status calls answered in $times (each < $MAX_MS)"

WAIT_S=20 wait_for grep -q 'mqtt: cannot resolve broker.example.org: .* (will retry)' "$WORK/vanctld.log" \
	|| fail "no 'cannot resolve' in the log"
pass "log: $(grep -o 'mqtt: cannot resolve.*' "$WORK/vanctld.log" | head -1)"

# a lookup is pending again (after the backoff): the daemon stops at once
WAIT_S=10 wait_for bash -c "[ \$(cat '$WORK/dns.count') -gt $(cat "$WORK/dns.count") ]" \
	|| fail "no new lookup after the backoff"
t0=$(date +%s%N)
stop_vanctld TERM || fail "vanctld exit status $? (stopped while resolving)"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 3000 ] || fail "stopping with a lookup pending took $ms ms"
pass "stopped with a lookup pending in $ms ms"
