#!/usr/bin/env bash
# The layers the build enforces (issue 20): the programs that only read the
# config and the database link no MQTT, GPS, GPIO or systemd library, and
# no file of a pure core (controller/core, vanbase/core) includes a header
# from outside it; vanbase's core calls no clock and no I/O.
set -euo pipefail
src=${VAN_SOURCE_DIR:?} bin=${VAN_BINARY_DIR:?}
bad=0
for prog in vanctl/vanctl display/vandisplay; do
	[ -x "$bin/$prog" ] || { echo "FAIL: $bin/$prog is not built"; exit 1; }
	libs=$(ldd "$bin/$prog" | awk '{print $1}')
	for lib in libmosquitto libgps libgpiod libsystemd libcares; do
		if grep -q "^$lib\\." <<<"$libs"; then
			echo "FAIL: $prog links $lib"
			bad=1
		fi
	done
done
# the daemon does link them: the check above can fail
daemon_libs=$(ldd "$bin/controller/vanctld")
grep -q libmosquitto <<<"$daemon_libs" || { echo "FAIL: vanctld without libmosquitto?"; exit 1; }
# core files include only each other (by bare name) and system headers:
# the van's core (controller/core) and base's (vanbase/core)
for core in controller/core vanbase/core; do
	[ -d "$src/$core" ] || continue
	while IFS= read -r line; do
		file=${line%%:*} inc=${line#*\"}; inc=${inc%\"*}
		if [ ! -f "$src/$core/$inc" ] || [[ $inc == */* ]]; then
			echo "FAIL: $file includes \"$inc\" (the core includes only $core/ headers)"
			bad=1
		fi
	done < <(grep -H '^#include "' "$src/$core"/*.[ch])
done
# vanbase's core reads no clock and does no I/O: times come from the shell.
# What its library calls from outside must be jansson, itself, or plain
# memory and string functions (a clock, a file, a socket would show here).
lib="$bin/vanbase/core/libvbcore.a"
if [ -f "$lib" ]; then
	allowed='^(json_.*|vb_.*|__.*|calloc|malloc|realloc|free|mem(cpy|move|set|cmp)|snprintf|str(chr|rchr|cmp|ncmp|len|toull|tol|tod|ncat)|floor|fabs)$'
	extra=$(nm -u "$lib" | awk '$1 == "U" {print $2}' | sort -u | grep -vE "$allowed" || true)
	if [ -n "$extra" ]; then
		echo "FAIL: vanbase/core calls outside its contract (no clock, no I/O):" $extra
		bad=1
	fi
fi
# hw/ is below the core and the shell: it includes neither
if grep -n '^#include "controller/' "$src"/hw/*.[ch]; then
	echo "FAIL: hw/ includes controller/ headers (hw has its own types: hw/gps_report.h)"
	bad=1
fi
# the van's shell: one owner per concern (docs/architecture.md).  struct app
# (app_impl.h) is the life cycle's alone; the objects see each other only
# through their headers and call one way: the van's I/O -> the publisher and
# the GPS feed's fix; the feed and the publisher call no other object.
declare -A shell_may=(
	[app.c]="app.h app_impl.h" [main.c]="app.h"
	[app_impl.h]="app_gps.h app_publish.h app_van.h"
	[app_van.c]="app_van.h" [app_van.h]="app_gps.h app_publish.h"
	[app_gps.c]="app_gps.h" [app_publish.c]="app_publish.h"
)
for f in "$src"/controller/*.[ch]; do
	name=${f##*/}
	for inc in $(sed -n 's/^#include "\(app[a-z_]*\.h\)".*/\1/p' "$f"); do
		if [[ " ${shell_may[$name]:-} " != *" $inc "* ]]; then
			echo "FAIL: controller/$name includes \"$inc\" (docs/architecture.md: who may call whom in the van's shell)"
			bad=1
		fi
	done
done
[ $bad = 0 ] && echo "ok: vanctl and vandisplay link no MQTT/GPS/GPIO/systemd library; the cores include only themselves; vanbase's core reads no clock; the van's shell calls one way"
exit $bad
