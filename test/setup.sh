#!/usr/bin/env bash
# Sets up a fresh machine for berth's tests and demo: Debian packages (the build and
# check tools, the container runtime pieces), the local registry on 127.0.0.1:5000 and
# the busybox test image in it, and the Go modules. Idempotent and quick when done.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export DEBIAN_FRONTEND=noninteractive
tools=(systemd meson ninja-build pkg-config groff-base)
missing=()
for p in "${tools[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	apt-get -o DPkg::Lock::Timeout=300 update -qq
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}"
fi
test/fixtures/packages.sh
test/fixtures/registry.sh start
test/fixtures/image.sh >/dev/null
go mod download
echo "setup: done"
