#!/bin/bash
# check-install.sh: build berth with meson, install it into a temporary DESTDIR, and check
# that the install tree has what a package needs: the generator and the two links systemd
# runs it by, the man pages, and the user unit that generated user services wait on.
#
#   man/check-install.sh [MESON-SETUP-OPTIONS...]
#
# Run from anywhere; CI runs it as is. Extra options go to `meson setup`. Exits non-zero,
# naming what is wrong, when a check fails. KEEP=1 keeps the temporary folder.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
fail=0
say() { printf '%s\n' "$*"; }
bad() { printf 'FAIL: %s\n' "$*" >&2; fail=1; }

# meson, ninja and pkg-config are Debian packages; install them when missing and allowed.
need_tools() {
	command -v meson >/dev/null && command -v ninja >/dev/null && command -v pkg-config >/dev/null && return
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		say "check-install: meson, ninja-build and pkg-config are needed" >&2
		exit 1
	fi
	local apt=(apt-get install -y -q -o DPkg::Lock::Timeout=300 meson ninja-build pkg-config)
	"${apt[@]}" >/dev/null || { apt-get update -q -o DPkg::Lock::Timeout=300 >/dev/null && "${apt[@]}" >/dev/null; }
}
need_tools

tmp=$(mktemp -d /tmp/berth-check-install.XXXXXX)
if [ "${KEEP:-}" = 1 ]; then say "check-install: keeping $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi
root=$tmp/root

meson setup "$tmp/build" "$here" --prefix=/usr "$@" >"$tmp/setup.log" || { cat "$tmp/setup.log"; exit 1; }
meson compile -C "$tmp/build" >"$tmp/compile.log" || { cat "$tmp/compile.log"; exit 1; }
DESTDIR=$root meson install -C "$tmp/build" >"$tmp/install.log" || { cat "$tmp/install.log"; exit 1; }

# systemd's folders, found the way meson.build finds them.
pcvar() { pkg-config --variable="$1" systemd 2>/dev/null || true; }
sysgen=$(pcvar systemdsystemgeneratordir); sysgen=${sysgen:-/usr/lib/systemd/system-generators}
usergen=$(pcvar systemdusergeneratordir); usergen=${usergen:-/usr/lib/systemd/user-generators}
userunit=$(pcvar systemduserunitdir); userunit=${userunit:-/usr/lib/systemd/user}

gen=/usr/libexec/berth/quadlet
engine=/usr/bin/berth
for arg in "$@"; do
	case $arg in -Dengine_path=?*) engine=${arg#-Dengine_path=} ;; esac
done
version=$(sed -n 's/^var Version = "\(.*\)"$/\1/p' "$here/version/version.go")

# The generator: installed, executable, built with the version and the engine path.
if [ -x "$root$gen" ]; then
	got=$("$root$gen" -version) || bad "$gen -version failed"
	[ "$got" = "$version" ] || bad "$gen -version says '$got', version.go says '$version'"
	units=$tmp/units
	mkdir -p "$units"
	printf '[Container]\nImage=localhost/test\n' >"$units/check.container"
	out=$(env -u BERTH_ENGINE QUADLET_UNIT_DIRS="$units" "$root$gen" -dryrun 2>&1) || bad "$gen -dryrun failed: $out"
	grep -qF "ExecStart=$engine run " <<<"$out" || bad "the generated ExecStart does not run $engine: $out"
else
	bad "$gen is missing or not executable"
fi

# The links systemd runs the generator by.
for link in "$sysgen/berth-system-generator" "$usergen/berth-user-generator"; do
	if [ ! -L "$root$link" ]; then
		bad "$link is not a symbolic link"
	elif [ "$(readlink "$root$link")" != "$gen" ]; then
		bad "$link points to $(readlink "$root$link"), not $gen"
	fi
done

# The engine, when its sources exist.
if [ -f "$here/cmd/berth/main.go" ] && [ ! -x "$root/usr/bin/berth" ]; then
	bad "/usr/bin/berth is missing"
fi

# Man pages, and the generator's other names for its page.
man=$root/usr/share/man
for page in man5/berth-quadlet.5 man8/quadlet.8; do
	[ -s "$man/$page" ] || { bad "/usr/share/man/$page is missing"; continue; }
	if command -v groff >/dev/null; then
		warn=$(groff -t -man -Tutf8 -ww -z "$man/$page" 2>&1) || true
		[ -z "$warn" ] || bad "groff warns about $page: $warn"
	fi
done
for page in berth-system-generator.8 berth-user-generator.8; do
	[ "$(readlink "$man/man8/$page" 2>/dev/null)" = quadlet.8 ] || bad "/usr/share/man/man8/$page does not link to quadlet.8"
done

# The user unit that generated user services want, valid for systemd (its
# Documentation= pages are checked against the installed man pages).
unit=$userunit/berth-user-wait-network-online.service
if [ ! -f "$root$unit" ]; then
	bad "$unit is missing"
elif command -v systemd-analyze >/dev/null; then
	if ! out=$(MANPATH=$man systemd-analyze verify "$root$unit" 2>&1) || [ -n "$out" ]; then
		bad "systemd-analyze verify $unit: $out"
	fi
fi

if [ "$fail" != 0 ]; then
	ls -lR "$root" >&2
	exit 1
fi
say "check-install: OK ($(cd "$root" && find . ! -type d | wc -l) files installed)"
(cd "$root" && find . -type l -printf '  /%P -> %l\n' -o -type f -printf '  /%P\n' | sort)
