#!/usr/bin/env bash
# Restores the sandbox's rootfs to the pristine tree setup.sh built (the sandbox must
# be stopped). Tests that change the rootfs (installing berth, dropping units) start
# from here.
set -euo pipefail
# shellcheck source=test/sandbox/common.sh
. "$(dirname "$0")/common.sh"
need_root
[ -x "$base/lib/systemd/systemd" ] || die "no pristine tree at $base: run test/sandbox/setup.sh"
[ -n "$(sandbox_pid)" ] && die "the sandbox is running: test/sandbox/stop.sh first"
t0=$(date +%s.%N)
rm -rf "$rootfs"
cp -a "$base" "$rootfs.tmp"
mv "$rootfs.tmp" "$rootfs"
say "rootfs reset from $base in $(elapsed "$t0")s"
