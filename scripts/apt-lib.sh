# shellcheck shell=dash
# scripts/apt-lib.sh - sourced (POSIX sh and bash) by the scripts that install
# Debian packages: scripts/install-*deps.sh and bench/install-deps.sh.
#
#   apt_ensure [-q] WHO PKG...   install those of PKG... dpkg does not list as
#                                installed; nothing at all (no apt-get update)
#                                when every one is
#   apt_install [-q] WHO PKG...  apt-get update, then install PKG... (none: nothing)
#   apt_missing PKG...           print those of PKG... not installed, one a line
#
# WHO names the caller in the one line said before installing.  -q: apt-get
# -qq.  As root, or through sudo when not root.

apt_missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			printf '%s\n' "$p"
	done
}

apt_install() {
	local q="" who sudo=""
	if [ "$1" = -q ]; then q=-qq; shift; fi
	who=$1; shift
	[ $# -gt 0 ] || return 0
	echo "$who: installing: $*"
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update $q
	$sudo apt-get install -y $q --no-install-recommends "$@"
}

apt_ensure() {
	local q="" who
	if [ "$1" = -q ]; then q=-q; shift; fi
	who=$1; shift
	# shellcheck disable=SC2046  # package names: one word each
	apt_install $q "$who" $(apt_missing "$@")
}
