# tests/integration/it_4x_review_lib.sh - shared by the review tests
# (it_4x_review_*.sh): builds the fixture database (tests/data/review_fixture.c)
# and runs the review commands through review_cli (review_main without
# vanctl's dispatcher; it_44 checks vanctl gives the same).
#
#   VAN_VALGRIND=1  run review_cli under valgrind memcheck (fails on errors/leaks)
#   VAN_KEEP=1      keep the work directory
# Screenshots and other artifacts go to $VAN_BINARY_DIR/tests/artifacts/review.
# Exit status 77 = skipped (a tool is missing: scripts/install-review-deps.sh).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REVIEW_CLI="$VAN_BINARY_DIR/tests/review_cli"
REVIEW_FIXTURE="$VAN_BINARY_DIR/tests/review_fixture"
ART="$VAN_BINARY_DIR/tests/artifacts/review"
export TZ=Europe/London

skip() { echo "SKIP: $*"; exit 77; }

# review_setup [--old]: fixture in $WORK/fx.db; ID_A .. ID_F (ID_G with --old);
# the expected figures in $WORK/fx.db.expect.json
review_setup() {
	it_setup
	[ -x "$REVIEW_CLI" ] || fail "no review_cli at $REVIEW_CLI (build first)"
	[ -x "$REVIEW_FIXTURE" ] || fail "no review_fixture at $REVIEW_FIXTURE (build first)"
	"$REVIEW_FIXTURE" "$WORK/fx.db" "$@" > "$WORK/ids.txt" 2> "$WORK/fixture.log" ||
		fail "review_fixture failed: $(cat "$WORK/fixture.log")"
	local n id
	while read -r n id; do
		eval "ID_$n=$id"
	done < "$WORK/ids.txt"
	DB="$WORK/fx.db"
	EXPECT="$WORK/fx.db.expect.json"
	mkdir -p "$ART"
}

# rv ARGS...: review_cli, under valgrind with VAN_VALGRIND=1
rv() {
	if [ "${VAN_VALGRIND:-0}" = 1 ]; then
		valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect "$REVIEW_CLI" "$@"
	else
		"$REVIEW_CLI" "$@"
	fi
}

# expect_rc WANT CMD...: run CMD, fail unless its exit status is WANT
expect_rc() {
	local want=$1; shift
	"$@" > "$WORK/last.out" 2> "$WORK/last.err"
	local rc=$?
	[ "$rc" = "$want" ] || fail "exit $rc (want $want): $* -- $(cat "$WORK/last.err")"
}

# has FILE TEXT: fail unless FILE contains TEXT (fixed string)
has() { grep -qF -- "$2" "$1" || fail "$1 lacks: $2"; }
hasnt() { ! grep -qF -- "$2" "$1" || fail "$1 has: $2"; }

# py SCRIPT ARGS...: python3 with the work dir and expectations at hand
py() { python3 - "$@"; }
