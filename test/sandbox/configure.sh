#!/usr/bin/env bash
# configure.sh TREE: makes a freshly debootstrapped tree boot cleanly as a sandbox.
# setup.sh runs it; it is idempotent.
set -euo pipefail
# shellcheck source=test/sandbox/common.sh
. "$(dirname "$0")/common.sh"
t=${1:?usage: configure.sh TREE}
[ -x "$t/lib/systemd/systemd" ] || die "$t has no systemd"

echo berth-sandbox >"$t/etc/hostname"
printf '127.0.0.1\tlocalhost berth-sandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$t/etc/hosts"
mkdir -p "$t/etc/containers/systemd"
rm -rf "$t/var/cache/apt/archives/"*.deb "$t/var/lib/apt/lists/"*_Packages 2>/dev/null || true
