#!/usr/bin/env bash
# it_72_vanbase_package - vanbase's Debian package of its own, and the van's
# package without it: built with cpack from this build tree; checked with
# dpkg-deb (not installed: it_71 shows the van's package installs, and the
# postinst here only adds the vanbase user).
#   - vanbase_*.deb holds /usr/sbin/vanbase, its unit, the conffile
#     /etc/vanbase/vanbase.conf (0640, the example), its docs;
#   - it depends on what vanbase links (libcurl, libmosquitto, ...) via
#     dpkg-shlibdeps, plus adduser; its postinst makes the vanbase user;
#   - the van's vanctld_*.deb carries nothing of vanbase.
source "$(dirname "$0")/lib.sh"
it_setup
for c in cpack dpkg-deb; do command -v "$c" >/dev/null || { echo "SKIP: no $c"; exit 77; }; done
[ -f "$VAN_BINARY_DIR/CPackConfig-vanbase.cmake" ] || fail "no CPackConfig-vanbase.cmake in $VAN_BINARY_DIR"

(cd "$WORK" && cpack --config "$VAN_BINARY_DIR/CPackConfig-vanbase.cmake" -B "$WORK/vb" > "$WORK/cpack-vb.log" 2>&1) ||
	fail "cpack vanbase: $(tail -5 "$WORK/cpack-vb.log")"
deb=$(ls "$WORK"/vb/vanbase_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no vanbase .deb: $(tail -5 "$WORK/cpack-vb.log")"
dpkg-deb -c "$deb" | awk '{print $1, $6}' > "$WORK/vb.list"
for want in "-rwxr-xr-x ./usr/sbin/vanbase" "-rw-r----- ./etc/vanbase/vanbase.conf" \
	"-rw-r--r-- ./usr/share/doc/vanbase/escalation.md"; do
	grep -qxF -- "$want" "$WORK/vb.list" || fail "vanbase package lacks '$want': $(cat "$WORK/vb.list")"
done
grep -qE 'systemd/system/vanbase.service$' "$WORK/vb.list" || fail "vanbase package lacks its unit"
grep -qE 'vanctld|vanctl$|vandisplay' "$WORK/vb.list" && fail "vanbase package carries the van's files: $(grep -E 'vanctl|vandisplay' "$WORK/vb.list")"
info=$(dpkg-deb -I "$deb")
grep -q "^ Package: vanbase$" <<<"$info" || fail "package name: $info"
grep -qE "^ Depends: adduser, .*libcurl4" <<<"$info" || fail "Depends: $(grep Depends <<<"$info")"
[ "$(dpkg-deb -I "$deb" conffiles)" = /etc/vanbase/vanbase.conf ] || fail "conffiles: $(dpkg-deb -I "$deb" conffiles)"
dpkg-deb -I "$deb" postinst | grep -q "adduser --system --group --quiet --home \"\$STATE\"" || fail "postinst does not make the vanbase user"
pass "vanbase_*.deb: daemon, unit, conffile 0640, docs; Depends from dpkg-shlibdeps (libcurl4 ...) and adduser"

(cd "$WORK" && cpack --config "$VAN_BINARY_DIR/CPackConfig.cmake" -B "$WORK/van" > "$WORK/cpack-van.log" 2>&1) ||
	fail "cpack vanctld: $(tail -5 "$WORK/cpack-van.log")"
vdeb=$(ls "$WORK"/van/vanctld_*.deb | head -1)
if dpkg-deb -c "$vdeb" | grep -E "vanbase"; then
	fail "the van's package carries vanbase"
fi
pass "vanctld_*.deb carries nothing of vanbase"
