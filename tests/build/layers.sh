#!/usr/bin/env bash
# The layers the build enforces (issue 20): the programs that only read the
# config and the database link no MQTT, GPS, GPIO or systemd library, and
# no file of the pure core includes a header from outside controller/core/.
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
# core files include only each other (by bare name) and system headers
while IFS= read -r line; do
	file=${line%%:*} inc=${line#*\"}; inc=${inc%\"*}
	if [ ! -f "$src/controller/core/$inc" ] || [[ $inc == */* ]]; then
		echo "FAIL: $file includes \"$inc\" (the core includes only controller/core/ headers)"
		bad=1
	fi
done < <(grep -H '^#include "' "$src"/controller/core/*.[ch])
[ $bad = 0 ] && echo "ok: vanctl and vandisplay link no MQTT/GPS/GPIO/systemd library; the core includes only itself"
exit $bad
