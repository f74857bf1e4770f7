#!/usr/bin/env bash
# build-image.sh - the guest of the whole-system test (tests/system/): a
# Debian 12 system built with mmdebstrap from Debian's own packages, written
# to a raw disk image with ext4 (mke2fs -d: nothing is mounted on the host),
# plus the kernel and initramfs Debian's linux-image-amd64 installed in it,
# copied out so that qemu can boot them with -kernel/-initrd.
#
#   build-image.sh CACHE_DIR       prints the image directory on stdout
#
# The image directory CACHE_DIR/system-KEY holds rootfs.img, vmlinuz,
# initrd.img, id_ed25519 (the host's key into the guest's root) and
# packages.txt.  KEY is a hash of this script (which holds the package list
# and the guest's set-up) and the mirror: the same list, the same image, kept
# between runs.  A half-built image is never used (.done marks a whole one).
#
# Boot speed (TCG): the initramfs holds only virtio and ext4 (MODULES=list),
# the network is static (qemu user networking: 10.0.2.15, gateway 10.0.2.2),
# timers and e2scrub are masked.
#
# Mirror: the first deb.debian.org-style URI of this machine's apt sources
# (never changed here), the same one the guest's apt uses.
set -euo pipefail
CACHE=$1
log() { echo "[system-image] $*" >&2; }
die() { echo "[system-image] FAIL: $*" >&2; exit 1; }

# The guest's packages.  The .deb's own Depends (computed by dpkg-shlibdeps)
# are pre-seeded here so that `apt install ./vanctld_*.deb` in the guest needs
# no network; if a new dependency appears the guest's apt fetches it from the
# mirror through qemu's user network (slower, still as a user would).
PKGS=(
  systemd-sysv udev dbus linux-image-amd64 initramfs-tools kmod
  openssh-server iproute2 procps less sqlite3 util-linux
  adduser libc6 libsqlite3-0 libmosquitto1 libgps28 libgpiod2 libsystemd0 libssl3
  libc-ares2 libinih1 libjansson4 libncursesw6 libtinfo6
  gpsd gpsd-clients mosquitto-clients
)

mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	/etc/apt/sources.list.d/*.sources 2>/dev/null |
	grep -oE 'https?://[^ ]*debian/?( |$)' | grep -v security | head -1 | tr -d " " || true)
mirror=${mirror%/}
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
KEY=$( { cat "$0"; echo "$mirror"; } | sha256sum | cut -c1-12)
D=$CACHE/system-$KEY
if [ -e "$D/.done" ]; then
	log "cached image $D"
	echo "$D"
	exit 0
fi
command -v mmdebstrap >/dev/null && command -v mke2fs >/dev/null ||
	die "mmdebstrap/mke2fs missing: run scripts/install-system-deps.sh"
rm -rf "$D" && mkdir -p "$D"
ROOT=$D/root
mkdir -p "$ROOT"
ssh-keygen -q -t ed25519 -N '' -C vanctld-system-test -f "$D/id_ed25519"
log "mmdebstrap bookworm from $mirror (${#PKGS[@]} packages named) into $ROOT"
t0=$(date +%s)
inc=$(IFS=,; echo "${PKGS[*]}")
# root mode: we are root on the host; the chroot is a plain directory
nice -n 10 mmdebstrap --mode=root --variant=minbase --format=directory \
	--include="$inc" \
	--essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d"; echo MODULES=list > "$1/etc/initramfs-tools/conf.d/modules"; printf "virtio_pci\nvirtio_blk\next4\ncrc32c_generic\n" > "$1/etc/initramfs-tools/modules"' \
	--customize-hook='echo van-in-a-box > "$1/etc/hostname"' \
	--customize-hook='printf "127.0.0.1 localhost\n127.0.1.1 van-in-a-box\n::1 localhost ip6-localhost ip6-loopback\n" > "$1/etc/hosts"' \
	--customize-hook='printf "/dev/vda / ext4 defaults,errors=remount-ro 0 1\n" > "$1/etc/fstab"' \
	--customize-hook='mkdir -p "$1/root/.ssh" && chmod 700 "$1/root/.ssh"' \
	--customize-hook="cp '$D/id_ed25519.pub' \"\$1/root/.ssh/authorized_keys\"" \
	--customize-hook='chroot "$1" passwd -d root' \
	--customize-hook='mkdir -p "$1/etc/systemd/network" && printf "[Match]\nName=en* eth*\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\nDNS=10.0.2.3\n[Link]\nRequiredForOnline=no\n" > "$1/etc/systemd/network/10-user.network"' \
	--customize-hook='chroot "$1" systemctl enable systemd-networkd.service' \
	--customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-networkd-wait-online.service' \
	--customize-hook='printf "UseDNS no\n" > "$1/etc/ssh/sshd_config.d/fast.conf"' \
	--customize-hook='mkdir -p "$1/etc/systemd/journald.conf.d" && printf "[Journal]\nStorage=persistent\n" > "$1/etc/systemd/journald.conf.d/persist.conf"' \
	--customize-hook="dpkg-query --root=\"\$1\" -W -f='\${Package} \${Version}\n' > '$D/packages.txt'" \
	--customize-hook="cp -L \"\$1/vmlinuz\" '$D/vmlinuz' && cp -L \"\$1/initrd.img\" '$D/initrd.img'" \
	bookworm "$ROOT" "$mirror" >"$D/mmdebstrap.log" 2>&1 ||
	{ tail -30 "$D/mmdebstrap.log" >&2; die "mmdebstrap failed (log $D/mmdebstrap.log)"; }
log "mmdebstrap took $(( $(date +%s) - t0 )) s, $(wc -l < "$D/packages.txt") packages"
# a raw disk with ext4, 3 GiB sparse, filled from the directory
mke2fs -q -t ext4 -L vanroot -d "$ROOT" "$D/rootfs.img" 3G ||
	die "mke2fs -d failed"
rm -rf "$ROOT"
touch "$D/.done"
log "image $D/rootfs.img ready"
echo "$D"
