#!/usr/bin/env bash
# The main job: build the generator, turn examples/ into services as systemd would at
# daemon-reload, show them and their [Install] links, and check them with
# `systemd-analyze verify`.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
command -v systemd-analyze >/dev/null || {
	apt-get -o DPkg::Lock::Timeout=300 update -qq
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends systemd
}
mkdir -p build/bin
go build -o build/bin/quadlet ./cmd/quadlet
echo "== the generator's dry run over examples/"
QUADLET_UNIT_DIRS="$top/examples" BERTH_ENGINE=/usr/bin/berth build/bin/quadlet -dryrun
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
QUADLET_UNIT_DIRS="$top/examples" BERTH_ENGINE=/usr/bin/berth build/bin/quadlet -no-kmsg-log "$out"
echo "== written into $out, as systemd's generator folder would hold them"
(cd "$out" && find . -type l -printf '%p -> %l\n' | sort && ls *.service)
echo "== systemd-analyze verify"
test/verify-examples.sh build/bin/quadlet
echo "== under a real systemd (the nspawn sandbox): examples/clock.container from boot to stop"
test/demo-live.sh
