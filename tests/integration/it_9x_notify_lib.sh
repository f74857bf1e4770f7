# tests/integration/it_9x_notify_lib.sh - shared by it_90..it_93 (vanbase's
# notification channels).  Sources lib.sh for fail/pass/free_port/wait_for
# and its cleanup by PID; adds the receivers:
#   start_http NAME [receiver args]  vb_http_receiver.py on a free port:
#                                    sets NAME_PORT, NAME_LOG (JSON lines)
#   make_cert                        a self-signed cert for 127.0.0.1: $CERT $KEY
#   start_smtp NAME [server args]    vb_smtp_server.py (aiosmtpd): NAME_PORT, NAME_DIR
#   drive SPEC                       vb_notify_drive SPEC > $WORK/results.jsonl,
#                                    its log in $WORK/drive.log; VAN_VALGRIND=1: memcheck
#   result ID [FIELD]                the result line of notification ID (or a field of it)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Debian's python3 (python3-aiosmtpd), not whatever python3 PATH finds first
PY3=/usr/bin/python3
DRIVE="$VAN_BINARY_DIR/tests/vb_notify_drive"
HERE="$VAN_SOURCE_DIR/tests/integration"

vb_setup() {
	# the receivers are on loopback: no proxy from the environment
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/vbnit.XXXXXX")
	trap it_cleanup EXIT
	[ -x "$DRIVE" ] || fail "no vb_notify_drive at $DRIVE (build first)"
	"$PY3" -c 'import aiosmtpd' 2>/dev/null || fail "python3-aiosmtpd missing (scripts/install-deps.sh)"
}

start_http() {
	local name=$1; shift
	local port; port=$(free_port)
	"$PY3" "$HERE/vb_http_receiver.py" --port "$port" --log "$WORK/$name.jsonl" \
		--ready "$WORK/$name.ready" "$@" >> "$WORK/$name.log" 2>&1 &
	PIDS+=("$!")
	printf -v "${name}_PORT" %s "$port"
	printf -v "${name}_LOG" %s "$WORK/$name.jsonl"
	printf -v "${name}_PID" %s "$!"
	WAIT_S=10 wait_for test -e "$WORK/$name.ready" || fail "receiver $name did not start"
}

make_cert() {
	CERT="$WORK/cert.pem"; KEY="$WORK/key.pem"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$KEY" -out "$CERT" -days 2 \
		-subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		>> "$WORK/openssl.log" 2>&1 || fail "openssl could not make a test certificate"
}

start_smtp() {
	local name=$1; shift
	local port; port=$(free_port)
	"$PY3" "$HERE/vb_smtp_server.py" --port "$port" --dir "$WORK/$name.d" \
		--ready "$WORK/$name.ready" "$@" >> "$WORK/$name.log" 2>&1 &
	PIDS+=("$!")
	printf -v "${name}_PORT" %s "$port"
	printf -v "${name}_DIR" %s "$WORK/$name.d"
	WAIT_S=15 wait_for test -e "$WORK/$name.ready" || fail "SMTP server $name did not start"
}

drive() {
	local vg=()
	if [ "${VAN_VALGRIND:-0}" = 1 ]; then
		vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
		    --track-fds=no)
	fi
	VB_DEBUG=1 "${vg[@]}" "$DRIVE" "$1" > "$WORK/results.jsonl" 2> "$WORK/drive.log"
	DRIVE_RC=$?
	[ "$DRIVE_RC" = 99 ] && fail "valgrind found errors (see drive.log)"
	return 0
}

result() {
	"$PY3" - "$WORK/results.jsonl" "$1" "${2:-}" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("id") == sys.argv[2]:
        print(json.dumps(r) if not sys.argv[3] else
              (json.dumps(r[sys.argv[3]]) if not isinstance(r[sys.argv[3]], str) else r[sys.argv[3]]))
        sys.exit(0)
sys.exit(1)
PY
}
