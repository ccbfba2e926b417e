#!/usr/bin/env bash
# Builds the sandbox's root file system: a debootstrap --variant=minbase bookworm tree
# with systemd and the container runtime pieces, from the Debian mirror in the
# machine's apt sources. Cached: when the tree exists for the same package list it
# only checks. Takes about a minute when cold.
#
#   BERTH_SANDBOX_DIR       state folder                      [/var/tmp/berth-sandbox]
#   BERTH_SANDBOX_PACKAGES  extra packages, comma separated   []
#   BERTH_SANDBOX_MIRROR    Debian mirror                     [from /etc/apt/sources*]
set -euo pipefail
# shellcheck source=test/sandbox/common.sh
. "$(dirname "$0")/common.sh"
need_root

# netavark, aardvark-dns and iptables for bridge networks; uidmap for rootless users.
pkgs=systemd,systemd-sysv,dbus,libpam-systemd,conmon,crun,catatonit,containernetworking-plugins,busybox-static,netavark,aardvark-dns,iptables,uidmap
[ -n "${BERTH_SANDBOX_PACKAGES:-}" ] && pkgs+=,$BERTH_SANDBOX_PACKAGES
stamp="bookworm minbase $pkgs"
t0=$(date +%s.%N)

if [ "$(cat "$base/.berth-sandbox" 2>/dev/null)" = "$stamp" ] && [ -x "$rootfs/lib/systemd/systemd" ]; then
	say "rootfs ready at $rootfs ($(elapsed "$t0")s)"
	exit 0
fi
command -v debootstrap >/dev/null || die "debootstrap not installed: run test/fixtures/packages.sh"
command -v systemd-nspawn >/dev/null || die "systemd-nspawn not installed: run test/fixtures/packages.sh"
[ -n "$(sandbox_pid)" ] && die "the sandbox is running: test/sandbox/stop.sh first"

# mirror prints the first Debian mirror serving bookworm in the apt sources (deb822 or
# one-line format).
mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/{u=$2} /^Suites:/{for(i=2;i<=NF;i++) if($i=="bookworm") s=1}
			/^$/{if(u&&s){print u; exit} u="";s=0} END{if(u&&s) print u}' "$f"
	done
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1=="deb" && $0 ~ / bookworm / {for(i=2;i<=NF;i++) if($i ~ /^https?:/){print $i; exit}}' || true
}
m=${BERTH_SANDBOX_MIRROR:-$(mirror | grep -v security | head -n1 || true)}
[ -n "$m" ] || die "no bookworm mirror in /etc/apt/sources*; set BERTH_SANDBOX_MIRROR"

mkdir -p "$sbdir"
rm -rf "$base.tmp"
say "debootstrap minbase bookworm from $m into $base (about a minute)"
debootstrap --variant=minbase --include="$pkgs" bookworm "$base.tmp" "$m" >"$sbdir/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$sbdir/debootstrap.log" >&2; die "debootstrap failed (log: $sbdir/debootstrap.log)"; }

"$(dirname "$0")/configure.sh" "$base.tmp" || die "configuring $base.tmp failed"
echo "$stamp" >"$base.tmp/.berth-sandbox"
rm -rf "$base"
mv "$base.tmp" "$base"
"$(dirname "$0")/reset.sh"
say "rootfs built in $(elapsed "$t0")s"
