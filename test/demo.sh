#!/usr/bin/env bash
# The main job: build the generator, turn examples/ into services as systemd would at
# daemon-reload, show them and their [Install] links, check them with
# `systemd-analyze verify`, then run them under a real systemd (test/e2e scenario 1).
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
echo "== under a real systemd (the nspawn sandbox): examples/ dropped into /etc/containers/systemd and started"
# test/e2e's first scenario: berth installed as a package would be, daemon-reload,
# systemctl start of every unit; it prints the units, the pod's containers, their
# MainPIDs (conmon) and the answer of http://127.0.0.1:8080/. BERTH_DEMO_KEEP=1 leaves
# the sandbox running afterwards (test/sandbox/run.sh CMD to look around).
test/setup.sh >/dev/null
BERTH_E2E_SCENARIOS=1 BERTH_E2E_KEEP=${BERTH_DEMO_KEEP:-0} test/e2e/run.sh
