#!/usr/bin/env bash
# bench/store-wal.sh - what the store writes for an hour of 1 Hz logging,
# measured quickly: vanctld replays a generated 1 Hz track under
# --virtual-time (seconds instead of an hour) under strace; the writes are
# summed per file (database, -wal, ...), the fsyncs counted, and GNU time's
# file system outputs and peak RSS reported.
#
#   bash bench/store-wal.sh               # no broker: the outbox only fills
#   MQTT=1 bash bench/store-wal.sh        # a local mosquitto on a free port: the drain side too
#
#   VANCTLD   the daemon (default: build/controller/vanctld of this tree)
#   HOURS     length of the track (default 1)
#   KEEP=1    keep the work directory
#   DB=FILE   start from a copy of this database instead of a new one
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
VANCTLD=${VANCTLD:-$SRC/build/controller/vanctld}
HOURS=${HOURS:-1}
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/store-wal.XXXXXX")
BROKER=
cleanup() {
	[ -n "$BROKER" ] && kill "$BROKER" 2>/dev/null && wait "$BROKER" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] && echo "work directory: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

python3 "$SRC/tools/make-track.py" --rate 1 --hours "$HOURS" -o "$WORK/track.nmea" \
	--stops-json none >/dev/null || exit 1
cat > "$WORK/van.conf" <<EOF
[unit]
id = van1
name = Store bench
[gps]
replay_file = $WORK/track.nmea
replay_exit = 1
[storage]
db = $WORK/van.db
[control]
socket = $WORK/c.sock
EOF
if [ "${MQTT:-0}" = 1 ]; then
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mosquitto -p "$port" > "$WORK/broker.log" 2>&1 &
	BROKER=$!
	for _ in $(seq 100); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.1)" 2>/dev/null && break
		read -r -t 0.05 <> <(:) || true
	done
	printf '[mqtt]\nhost = 127.0.0.1\nport = %s\nreconnect_max = 1\n' "$port" >> "$WORK/van.conf"
fi
[ -n "${DB:-}" ] && cp "$DB" "$WORK/van.db"

/usr/bin/time -v -o "$WORK/time" strace -f -y -e trace=pwrite64,write,fdatasync,fsync \
	-o "$WORK/strace" "$VANCTLD" -c "$WORK/van.conf" --virtual-time > "$WORK/vanctld.log" 2>&1 ||
	{ tail -n 20 "$WORK/vanctld.log"; exit 1; }

echo "== $HOURS h of 1 Hz under virtual time, $([ -n "$BROKER" ] && echo "broker up" || echo "no broker")"
echo "writes per file (strace pwrite64/write to the database files):"
sed -nE 's/.*(pwrite64|write)\([0-9]+<([^>]*van\.db[^>]*)>.*= ([0-9]+)$/\2 \3/p' "$WORK/strace" |
	awk '{ s[$1] += $2; n[$1]++; t += $2 }
	     END { for (k in s) printf "  %-40s %6d calls %10d bytes\n", k, n[k], s[k];
		   printf "  total %d bytes = %.2f MB per hour\n", t, t / 1e6 / '"$HOURS"' }'
echo "syncs: $(grep -cE 'fdatasync|fsync' "$WORK/strace")" \
	"($(grep -E 'f(data)?sync\([0-9]+<[^>]*-wal>' "$WORK/strace" | wc -l) of the WAL)"
awk '/File system outputs/ { printf "file system outputs (GNU time, 512-byte blocks): %d bytes\n", $NF * 512 }
     /Maximum resident/ { printf "peak RSS (strace'"'"'d, so indicative only): %d kB\n", $NF }' "$WORK/time"
db() { sqlite3 -batch -noheader "$WORK/van.db" "$1"; }
echo "database: page_size $(db 'pragma page_size'), $(db 'pragma page_count') pages," \
	"$(db 'pragma freelist_count') free; route points $(db 'select count(*) from route_points')," \
	"outbox $(db 'select count(*) from outbox'), events $(db 'select count(*) from events')"
