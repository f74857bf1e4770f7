#!/usr/bin/env bash
# gpiod-v2-compile.sh - proves the libgpiod 2.x variant of the gpiod backend
# (hw/gpio_gpiod_v2.c) builds on a Debian 12 CI machine, which only has
# libgpiod 1.6 installed:
#   1. scripts/fetch-gpiod2.sh unpacks Debian 13's libgpiod-dev + libgpiod3
#      into a private cache (no change to the machine's apt setup);
#   2. hw/gpio.c, gpio_conf.c, gpio_sim.c and gpio_gpiod_v2.c are compiled against its
#      gpiod.h with the project's warnings and -Werror;
#   3. tests/vm/gpio_vmtest.c is linked with them twice, against the 2.x
#      libgpiod.so and statically against libgpiod.a, and both are run: they
#      must report the 2.x API, and opening a chip that does not exist must
#      fail with the backend's "not found" message (this runs v2's chip lookup).
# Fails loudly when the packages cannot be fetched.  VAN_SKIP_GPIOD2=1 skips
# (exit 77, shown by ctest as skipped) for quick local runs only.
set -euo pipefail

if [ "${VAN_SKIP_GPIOD2:-0}" = 1 ]; then
	echo "gpiod_v2_compile: SKIPPED because VAN_SKIP_GPIOD2=1 (the 2.x build is NOT checked)"
	exit 77
fi
SRC=${VAN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
OUT=${VAN_BINARY_DIR:-/tmp}/gpiod2-compile
CC=${CC:-cc}
fail() { echo "gpiod_v2_compile: FAIL: $*" >&2; exit 1; }

ROOT=$("$SRC/scripts/fetch-gpiod2.sh") || fail "could not fetch Debian 13 libgpiod 2.x (see above)"
LIBDIR=$(dirname "$(ls "$ROOT"/usr/lib/*/libgpiod.so | head -1)")
[ -r "$LIBDIR/libgpiod.a" ] || fail "no libgpiod.a in $LIBDIR"
echo "gpiod_v2_compile: libgpiod from $(tr '\n' ' ' < "$ROOT/PACKAGES")"

rm -rf "$OUT"
mkdir -p "$OUT"
CFLAGS=(-std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
	-DVAN_HAVE_GPIOD=1 -I"$SRC" -isystem "$ROOT/usr/include")
for f in gpio gpio_conf gpio_sim gpio_gpiod_v2; do
	echo "+ $CC ${CFLAGS[*]} -c hw/$f.c"
	"$CC" "${CFLAGS[@]}" -c "$SRC/hw/$f.c" -o "$OUT/$f.o" || fail "hw/$f.c does not build against libgpiod 2.x"
done
"$CC" "${CFLAGS[@]}" -c "$SRC/tests/vm/gpio_vmtest.c" -o "$OUT/gpio_vmtest.o" || fail "gpio_vmtest.c"
OBJS=("$OUT/gpio.o" "$OUT/gpio_conf.o" "$OUT/gpio_sim.o" "$OUT/gpio_gpiod_v2.o" "$OUT/gpio_vmtest.o")

# the v2 objects must use the 2.x API (and not silently the 1.6 one)
nm "$OUT/gpio_gpiod_v2.o" | grep -q ' U gpiod_line_settings_set_debounce_period_us$' ||
	fail "gpio_gpiod_v2.o does not call gpiod_line_settings_set_debounce_period_us"
nm "$OUT/gpio_gpiod_v2.o" | grep -q ' U gpiod_line_request_read_edge_events$' ||
	fail "gpio_gpiod_v2.o does not call gpiod_line_request_read_edge_events"

echo "+ link against $LIBDIR/libgpiod.so"
"$CC" -o "$OUT/gpio_vmtest-v2-shared" "${OBJS[@]}" -L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -lgpiod ||
	fail "linking against libgpiod.so (2.x) failed"
echo "+ link statically against $LIBDIR/libgpiod.a"
"$CC" -static -o "$OUT/gpio_vmtest-v2-static" "${OBJS[@]}" "$LIBDIR/libgpiod.a" ||
	fail "linking against libgpiod.a (2.x) failed"

cat > "$OUT/nochip.conf" <<'EOF'
[gpio]
backend = gpiod
[line.door_side]
role = door
chip = no-such-chip-label
offset = 3
EOF
for v in shared static; do
	bin=$OUT/gpio_vmtest-v2-$v
	api=$("$bin" --version) || fail "$bin --version failed"
	[ "$api" = "libgpiod 2.x" ] || fail "$bin reports API '$api', want 'libgpiod 2.x'"
	out=$("$bin" "$OUT/nochip.conf" || true)
	echo "$v: $out"
	case $out in
	*"OPEN-ERROR -2 [line.door_side]: GPIO chip 'no-such-chip-label' not found"*) ;;
	*) fail "$bin: unexpected result for a missing chip: $out" ;;
	esac
done
echo "gpiod_v2_compile: PASS (hw/gpio_gpiod_v2.c builds with -Werror, links and runs against libgpiod 2.x)"
