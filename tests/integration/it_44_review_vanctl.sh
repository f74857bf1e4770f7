#!/usr/bin/env bash
# it_44: the review commands reached through vanctl itself (vanctl.c's
# dispatcher, -c passed on) give exactly what review_main gives.
. "$(dirname "$0")/it_4x_review_lib.sh"
VANCTL_BIN="$VAN_BINARY_DIR/vanctl/vanctl"
[ -x "$VANCTL_BIN" ] || skip "vanctl is not built"
review_setup
O="$WORK/out"
mkdir "$O"
printf '[storage]\ndb = %s\n' "$DB" > "$WORK/van.conf"

same() {
	local name=$1; shift
	"$REVIEW_CLI" "$@" > "$O/$name.review" 2>&1
	local a=$?
	"$VANCTL_BIN" "$@" > "$O/$name.vanctl" 2>&1
	local b=$?
	[ "$a" = "$b" ] || fail "vanctl $*: exit $b, review_main: exit $a -- $(head -5 "$O/$name.vanctl")"
	cmp -s "$O/$name.review" "$O/$name.vanctl" ||
		fail "vanctl $*: other output: $(diff "$O/$name.review" "$O/$name.vanctl" | head -10)"
}

same sessions sessions --db "$DB"
same report report "$ID_A" --db "$DB"
same export export "$ID_D" --db "$DB" --format csv
same summary summary --month 2026-03 --db "$DB" --json
same help sessions --help
same usage report --db "$DB"
same conf sessions -c "$WORK/van.conf"
"$VANCTL_BIN" -c "$WORK/van.conf" sessions > "$O/global-c.txt" 2>&1 || fail "vanctl -c CONF sessions"
cmp -s "$O/global-c.txt" "$O/sessions.review" || fail "vanctl -c CONF sessions: other output"
pass "vanctl sessions/report/export/summary = review_main, -c before the command passed on"

# global options before the command, as users type them (the demo printed
# "vanctl --db FILE sessions" and it failed with "unknown command '--db'")
"$VANCTL_BIN" --db "$DB" sessions > "$O/global-db.txt" 2>&1 || fail "vanctl --db FILE sessions: $(head -3 "$O/global-db.txt")"
cmp -s "$O/global-db.txt" "$O/sessions.review" || fail "vanctl --db FILE sessions: other output"
"$VANCTL_BIN" --db="$DB" report "$ID_A" > "$O/global-db2.txt" 2>&1 || fail "vanctl --db=FILE report"
cmp -s "$O/global-db2.txt" "$O/report.review" || fail "vanctl --db=FILE report: other output"
"$VANCTL_BIN" --timeout 5 --db "$DB" export "$ID_D" --format csv > "$O/global-db3.txt" 2>&1 || fail "vanctl --timeout 5 --db FILE export"
cmp -s "$O/global-db3.txt" "$O/export.review" || fail "vanctl --timeout 5 --db FILE export: other output"
"$VANCTL_BIN" --db "$DB" status > "$O/db-status.txt" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q "\-\-db is for the manager's review commands" "$O/db-status.txt" ||
	fail "vanctl --db FILE status: exit $rc, $(cat "$O/db-status.txt")"
# a value that is missing is named as missing, not taken from the next option
"$VANCTL_BIN" summary --month --db "$DB" > "$O/month.txt" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q -- "--month needs a value (YYYY-MM), not the option --db" "$O/month.txt" ||
	fail "summary --month --db FILE: exit $rc, $(head -3 "$O/month.txt")"
pass "vanctl --db FILE before the command; a missing --month value is named"
