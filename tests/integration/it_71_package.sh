#!/usr/bin/env bash
# it_71_package - the Debian package, end to end, on THIS machine (CI is a
# throwaway machine; the test needs root and changes the system while it
# runs, then puts it back).
#
#  1. cpack -G DEB from the build tree (into the work dir)
#  2. dpkg -i: the vanctld system user and the gpio and vanctl groups exist,
#     vanctld is in both; files, modes and owners; the conffile; the units
#     and udev rule where systemd and udev want them
#  3. runuser -u vanctld -- vanctld --check-config -c /etc/vanctld/vanctld.conf
#     (the shipped example must pass), and nobody else can read the config
#  4. the installed daemon, started the way the unit starts it (user vanctld,
#     groups vanctld + gpio + vanctl, umask 0027, /run/vanctld 0755,
#     /var/lib/vanctld): the database is 0600, the control socket
#     answers a member of vanctl and refuses anyone else
#  5. dpkg -i again (the upgrade path) keeps a locally edited conffile
#  6. dpkg -r: binaries gone, config and database kept; dpkg -P: config and
#     /var/lib/vanctld gone; user and groups kept (by design)
# On exit, users and groups this test created are deleted again.
#
# No systemd runs here as PID 1 (a container): postinst/prerm/postrm must and
# do succeed without it.  Skips (77) when not root, without dpkg/cpack, or when
# a vanctld package is already installed.
source "$(dirname "$0")/lib.sh"
it_setup

[ "${VAN_SKIP_PACKAGE:-0}" = 1 ] && { echo "SKIP: VAN_SKIP_PACKAGE=1"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (installs the package on this machine)"; exit 77; }
for c in dpkg dpkg-deb cpack runuser setpriv python3 getent; do
	command -v "$c" >/dev/null || { echo "SKIP: no $c"; exit 77; }
done
if dpkg-query -W -f='${Status}' vanctld 2>/dev/null | grep -q 'installed'; then
	echo "SKIP: a vanctld package is installed on this machine; not touching it"
	exit 77
fi
[ -f "$VAN_BINARY_DIR/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in $VAN_BINARY_DIR"

# remember what existed, to put the machine back
had_user=0; getent passwd vanctld >/dev/null && had_user=1
had_gpio=0; getent group gpio >/dev/null && had_gpio=1
had_vanctl=0; getent group vanctl >/dev/null && had_vanctl=1
had_vgroup=0; getent group vanctld >/dev/null && had_vgroup=1
had_run=0; [ -e /run/vanctld ] && had_run=1
DAEMON_PID=""
restore() {
	[ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	if dpkg-query -W -f='${Status}' vanctld 2>/dev/null | grep -q 'ok'; then
		dpkg -P vanctld >/dev/null 2>&1 || true
	fi
	[ $had_run = 0 ] && rm -rf /run/vanctld
	[ $had_user = 0 ] && getent passwd vanctld >/dev/null && userdel vanctld 2>/dev/null
	[ $had_vgroup = 0 ] && getent group vanctld >/dev/null && groupdel vanctld 2>/dev/null
	[ $had_vanctl = 0 ] && getent group vanctl >/dev/null && groupdel vanctl 2>/dev/null
	[ $had_gpio = 0 ] && getent group gpio >/dev/null && groupdel gpio 2>/dev/null
	it_cleanup
}
trap restore EXIT

# ---- 1. build ----
note "cpack -G DEB"
start=$(date +%s)
(cd "$WORK" && cpack -G DEB -B "$WORK/pkg" --config "$VAN_BINARY_DIR/CPackConfig.cmake") > "$WORK/cpack.log" 2>&1 ||
	{ cat "$WORK/cpack.log" >&2; fail "cpack failed"; }
DEB=$(ls "$WORK"/pkg/vanctld_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] || fail "cpack made no vanctld_*.deb"
pass "built $(basename "$DEB") in $(( $(date +%s) - start )) s"

dpkg-deb -c "$DEB" > "$WORK/contents.txt"
dpkg-deb -f "$DEB" Depends > "$WORK/depends.txt"
for f in ./usr/sbin/vanctld ./etc/vanctld/vanctld.conf /systemd/system/vanctld.service \
	/udev/rules.d/60-vanctld-gpio.rules ./usr/share/doc/vanctld/README.md; do
	grep -qF "$f" "$WORK/contents.txt" || { cat "$WORK/contents.txt" >&2; fail "package lacks $f"; }
done
grep -q 'libc6' "$WORK/depends.txt" && grep -q 'adduser' "$WORK/depends.txt" ||
	fail "Depends not computed: $(cat "$WORK/depends.txt")"
grep -qE ' root/root .*\./etc/vanctld/vanctld\.conf$' "$WORK/contents.txt" &&
	grep -E '\./etc/vanctld/vanctld\.conf$' "$WORK/contents.txt" | grep -q '^-rw-r-----' ||
	fail "the conffile is not 0640 root in the package"
dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles 2>/dev/null | grep -qx /etc/vanctld/vanctld.conf ||
	fail "/etc/vanctld/vanctld.conf is not a conffile"
pass "contents, Depends ($(cat "$WORK/depends.txt")), conffile"

# ---- 2. install ----
note "dpkg -i (ps -p 1: $(ps -o comm= -p 1 2>/dev/null || echo '?'))"
dpkg -i "$DEB" > "$WORK/dpkg-i.log" 2>&1 || { cat "$WORK/dpkg-i.log" >&2; fail "dpkg -i failed"; }
dpkg-query -W -f='${Status}' vanctld | grep -q 'install ok installed' || fail "not installed after dpkg -i"
if command -v deb-systemd-helper >/dev/null; then
	[ -L /etc/systemd/system/multi-user.target.wants/vanctld.service ] || fail "postinst did not enable vanctld.service"
fi
pass "dpkg -i (no systemd running: postinst still enables the unit)"

ent=$(getent passwd vanctld) || fail "no vanctld user"
IFS=: read -r _ _ uid gid _ home shell <<<"$ent"
[ "$uid" -lt 1000 ] || fail "vanctld is not a system user (uid $uid)"
[ "$home" = /var/lib/vanctld ] || fail "vanctld's home is $home"
case "$shell" in */nologin|/bin/false) ;; *) fail "vanctld's shell is $shell" ;; esac
[ "$(getent group "$gid" | cut -d: -f1)" = vanctld ] || fail "vanctld's primary group is not vanctld"
for g in gpio vanctl; do
	gent=$(getent group $g) || fail "no $g group"
	[ "$(echo "$gent" | cut -d: -f3)" -lt 1000 ] || fail "$g is not a system group"
	id -nG vanctld | tr ' ' '\n' | grep -qx $g || fail "vanctld is not in group $g ($(id -nG vanctld))"
done
pass "user vanctld (uid $uid, $home, $shell), groups: $(id -nG vanctld)"

# mode owner group path
check_stat() {
	local got
	got=$(stat -c '%a %U %G' "$4") || fail "$4 missing"
	[ "$got" = "$1 $2 $3" ] || fail "$4 is $got, want $1 $2 $3"
}
check_stat 755 root root /usr/sbin/vanctld
check_stat 640 root vanctl /etc/vanctld/vanctld.conf
check_stat 755 root root /etc/vanctld
check_stat 750 vanctld vanctld /var/lib/vanctld
UNITDIR=$(dirname "$(dpkg -L vanctld | grep '/systemd/system/vanctld.service$')")
RULES=$(dpkg -L vanctld | grep '/rules.d/60-vanctld-gpio.rules$')
[ -n "$UNITDIR" ] && [ -f "$UNITDIR/vanctld.service" ] || fail "unit not installed"
[ -n "$RULES" ] && [ -f "$RULES" ] || fail "udev rule not installed"
check_stat 644 root root "$UNITDIR/vanctld.service"
check_stat 644 root root "$RULES"
dpkg-query -W -f='${Conffiles}' vanctld | grep -q '/etc/vanctld/vanctld.conf' || fail "dpkg lists no conffile"
for t in vanctl vandisplay; do
	if find "$VAN_BINARY_DIR" -maxdepth 3 -type f -name $t -perm -u+x | grep -q .; then
		[ -x /usr/bin/$t ] || fail "$t is built but not packaged in /usr/bin"
		pass "/usr/bin/$t packaged"
	fi
done
if [ -f "$VAN_SOURCE_DIR/systemd/vandisplay.service" ]; then
	[ -f "$UNITDIR/vandisplay.service" ] || fail "vandisplay.service not packaged"
fi
/usr/sbin/vanctld --version | grep -q '^vanctld ' || fail "installed vanctld --version"
pass "files, modes, owners ($UNITDIR, $RULES)"

# ---- 3. the shipped config, as the service user ----
runuser -u vanctld -- /usr/sbin/vanctld --check-config -c /etc/vanctld/vanctld.conf > "$WORK/check.log" 2>&1 ||
	{ cat "$WORK/check.log" >&2; fail "vanctld --check-config as vanctld failed on the shipped config"; }
pass "runuser -u vanctld -- vanctld --check-config: $(cat "$WORK/check.log")"
if runuser -u nobody -- cat /etc/vanctld/vanctld.conf >/dev/null 2>&1; then
	fail "user nobody can read /etc/vanctld/vanctld.conf"
fi
pass "the config is not world-readable"

# ---- 4. the installed daemon, as the unit runs it (minus systemd) ----
# RuntimeDirectory=vanctld + RuntimeDirectoryMode=0755 (the socket's own
# mode and group keep others out).
if [ $had_run = 0 ]; then
	install -d -o vanctld -g vanctld -m 0755 /run/vanctld
	check_stat 755 vanctld vanctld /run/vanctld
	# The shipped config with the network parts off: no broker here.
	CONF_DIR=$(mktemp -d /tmp/vanpkg.XXXXXX)
	sed -e '/^\[mqtt\]/,/^\[/{/^\[mqtt\]/!{/^\[/!d}}' -e 's/^\[mqtt\]$/[mqtt]\nenabled = false/' \
		/etc/vanctld/vanctld.conf > "$CONF_DIR/run.conf"
	chmod 0755 "$CONF_DIR"; chmod 0644 "$CONF_DIR/run.conf"
	# setpriv execs in place (runuser would stay as the parent), so the PID
	# is the daemon's and SIGTERM reaches it as systemd's stop would.
	(umask 0027; exec setpriv --reuid vanctld --regid vanctld --groups vanctld,gpio,vanctl -- \
		/usr/sbin/vanctld -c "$CONF_DIR/run.conf" --gpsd "127.0.0.1:$(free_port)") > "$WORK/vanctld.log" 2>&1 &
	DAEMON_PID=$!
	WAIT_S=15 wait_for test -S /run/vanctld/control.sock || { rm -rf "$CONF_DIR"; fail "no control socket from the installed daemon"; }
	rm -rf "$CONF_DIR"
	check_stat 660 vanctld vanctl /run/vanctld/control.sock
	check_stat 600 vanctld vanctld /var/lib/vanctld/vanctld.db
	ask='import socket,sys
s=socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect("/run/vanctld/control.sock")
s.sendall(b"{\"id\":1,\"cmd\":\"status\"}\n"); b=b""
while not b.endswith(b"\n"):
    c=s.recv(65536)
    if not c: break
    b+=c
sys.stdout.write(b.decode())'
	reply=$(runuser -u nobody -g nogroup -G vanctl -- python3 -c "$ask" 2>&1) ||
		fail "a member of vanctl cannot use the control socket: $reply"
	echo "$reply" | grep -q '"ok": *true' || fail "status over the socket: $reply"
	if runuser -u nobody -g nogroup -- python3 -c "$ask" >/dev/null 2>&1; then
		fail "a user outside vanctl reached the control socket"
	fi
	kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; rc=$?; DAEMON_PID=""
	[ $rc -eq 0 ] || fail "the installed daemon exited $rc on SIGTERM"
	rm -rf /run/vanctld
	pass "installed daemon as vanctld: database 0600, socket vanctld:vanctl 0660; vanctl member served, others refused"
else
	note "/run/vanctld exists on this machine: daemon run skipped"
fi

# ---- 5. reinstall keeps a local edit of the conffile ----
echo "# local edit by it_71_package" >> /etc/vanctld/vanctld.conf
dpkg -i --force-confold "$DEB" > "$WORK/dpkg-i2.log" 2>&1 || { cat "$WORK/dpkg-i2.log" >&2; fail "second dpkg -i failed"; }
grep -q 'local edit by it_71_package' /etc/vanctld/vanctld.conf || fail "reinstall lost the local config edit"
check_stat 640 root vanctl /etc/vanctld/vanctld.conf
pass "reinstall (postinst configure with a previous version) keeps the local config"

# ---- 6. remove, purge ----
dpkg -r vanctld > "$WORK/dpkg-r.log" 2>&1 || { cat "$WORK/dpkg-r.log" >&2; fail "dpkg -r failed"; }
[ ! -e /usr/sbin/vanctld ] || fail "/usr/sbin/vanctld left after dpkg -r"
[ ! -e "$UNITDIR/vanctld.service" ] || fail "unit left after dpkg -r"
[ ! -e "$RULES" ] || fail "udev rule left after dpkg -r"
[ -f /etc/vanctld/vanctld.conf ] || fail "dpkg -r removed the config (a conffile stays until purge)"
[ -f /var/lib/vanctld/vanctld.db ] || [ $had_run = 1 ] || fail "dpkg -r removed the database"
dpkg-query -W -f='${Status}' vanctld | grep -q 'config-files' || fail "not in config-files state after dpkg -r"
if command -v deb-systemd-helper >/dev/null; then
	[ "$(readlink /etc/systemd/system/vanctld.service)" = /dev/null ] || fail "dpkg -r did not mask vanctld.service"
fi
pass "dpkg -r: binaries, unit, rule gone; config and database kept"

dpkg -P vanctld > "$WORK/dpkg-p.log" 2>&1 || { cat "$WORK/dpkg-p.log" >&2; fail "dpkg -P failed"; }
[ ! -e /etc/vanctld/vanctld.conf ] || fail "config left after dpkg -P"
[ ! -e /etc/vanctld ] || fail "/etc/vanctld left after dpkg -P: $(ls -A /etc/vanctld)"
[ ! -e /var/lib/vanctld ] || fail "/var/lib/vanctld left after dpkg -P"
! dpkg-query -W -f='${Status}' vanctld 2>/dev/null | grep -q 'ok' || fail "still known to dpkg after dpkg -P"
getent passwd vanctld >/dev/null || fail "dpkg -P removed the vanctld user (it is kept by design)"
for l in /etc/systemd/system/vanctld.service /etc/systemd/system/multi-user.target.wants/vanctld.service; do
	[ ! -L "$l" ] && [ ! -e "$l" ] || fail "$l left after dpkg -P"
done
pass "dpkg -P: config and state gone; user and groups kept"
exit 0
