#!/bin/sh
# guest-flow.sh - runs in the guest (as root over ssh) while the host cuts
# the power: a stream of crew commands through vanctl, one line out per
# command, "OK|N|CMD|REPLY" when the daemon replied ok (it stores the event
# before it replies: the event is confirmed), "NO|N|CMD|REPLY" otherwise.
# The host reads the lines over ssh as they come; what reached it before
# the cut is what the daemon confirmed.
i=${1:-0}
while :; do
	i=$((i + 1))
	case $((i % 6)) in
	0) c="checkin" ;;
	1) c="occupancy +1" ;;
	2) c="occupancy -1" ;;
	3) c="incident --type other" ;;
	4) c="panic" ;;
	5) c="alarm clear" ;;
	esac
	# shellcheck disable=SC2086
	if out=$(vanctl --json --timeout 5 $c 2>/dev/null); then
		echo "OK|$i|$c|$out"
	else
		echo "NO|$i|$c|$out"
	fi
done
