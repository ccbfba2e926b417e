#!/usr/bin/env bash
# test/e2e/run.sh: Quadlet files to running services and back, under a real systemd
# (issue 5). Boots the nspawn sandbox of test/sandbox/ with berth installed the way a
# package installs it (meson's install layout: /usr/bin/berth,
# /usr/libexec/berth/quadlet and its generator links), then plays an admin's day, one
# scenario per file in test/e2e/scenarios/:
#
#   1 first start   examples/ into /etc/containers/systemd, daemon-reload, start
#   2 boot          enabled units come up by themselves, in dependency order
#   3 failures      a killed container comes back; a bad image; a malformed file
#   4 removal       stop and file removal leave no container, process, mount, file
#   5 templates     two instances of a template side by side
#   6 escaping      hostile values through Exec=, Environment=, Label=, Volume=,
#                   PodmanArgs= reach the container byte for byte
#   7 rootless      the same kind of file in ~/.config/containers/systemd
#   8 objects       a pod's members on localhost, names on a network, a volume across
#                   restarts, a published port and what stop leaves of it
#
# Each check asserts real state (systemctl show, berth ps/inspect, files, /proc,
# sockets) and prints PASS or FAIL; the last line is "N passed, N failed", and the exit
# status is non-zero on failure. Needs root, the fixtures (test/setup.sh) and the
# sandbox rootfs (test/sandbox/setup.sh, run here). Only one sandbox can run on a
# machine: it is reset first and stopped at the end.
#
#   BERTH_BIN_DIR        berth and quadlet binaries     [build/bin, built here unless BERTH_E2E_NOBUILD=1]
#   BERTH_E2E_SCENARIOS  scenario numbers to run        [all, e.g. "1 3"; 2-5 build on 1]
#   BERTH_E2E_KEEP=1     leave the sandbox running at the end (to look around)
#   BERTH_REGISTRY_ADDR  the test registry              [127.0.0.1:5000]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=test/fixtures/lib.sh
. "$top/test/fixtures/lib.sh"
fx_name=e2e
need_root
# shellcheck source=test/e2e/lib.sh
. "$top/test/e2e/lib.sh"
bin=${BERTH_BIN_DIR:-$top/build/bin}
reg=${BERTH_REGISTRY_ADDR:-127.0.0.1:5000}
image=$reg/busybox:latest
export GOFLAGS="${GOFLAGS:-} -tags=containers_image_openpgp,exclude_graphdriver_btrfs"

t_all=$(date +%s.%N)
work=$(mktemp -d /tmp/berth-e2e.XXXXXX)
cleanup() {
	if [ "${BERTH_E2E_KEEP:-0}" = 1 ]; then
		say "sandbox left running (test/sandbox/run.sh CMD; test/sandbox/stop.sh)"
	else
		sb_stop || say "warning: test/sandbox/stop.sh failed"
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# ---- setup ----------------------------------------------------------------------------
scenario 0 "setup: build, sandbox, install berth as a package"
if [ "${BERTH_E2E_NOBUILD:-0}" != 1 ] && [ -z "${BERTH_BIN_DIR:-}" ]; then
	check "go build berth and quadlet into build/bin" bash -c "cd $(printf %q "$top") && mkdir -p build/bin &&
		go build -o build/bin/quadlet ./cmd/quadlet && go build -o build/bin/berth ./cmd/berth"
fi
check "go build the escaping helper" go build -C "$top" -o "$work/escape" ./test/e2e/escape
if [ ! -x "$bin/berth" ] || [ ! -x "$bin/quadlet" ]; then
	fail "no berth and quadlet binaries in $bin"
	scenario_end
	printf '%s\n' "${summary[@]}"
	echo "$passed passed, $failed failed"
	exit 1
fi
check "registry $reg answers" bash -c "$(printf %q "$top/test/fixtures/registry.sh") status || $(printf %q "$top/test/fixtures/registry.sh") start"
check "sandbox rootfs" "$sb/setup.sh"
sb_stop
check "sandbox reset to its pristine tree" "$sb/reset.sh"
check "meson install into the sandbox's rootfs" install_berth "$rootfs"
check "nothing of an earlier run in the host's network namespace (webapp's 10.89.10.0/24)" clean_host_net 10.89.10.

# Site configuration, as an admin of such a machine would write it. The registry is
# plain HTTP. Inside the sandbox only crun without cgroups runs containers (DESIGN.md):
# containers.conf says so for every container (pods' infra containers too), and a
# top-level container.d drop-in for .container units, whose --cgroups=split would
# override it.
mkdir -p "$rootfs/etc/containers/systemd/container.d"
printf '[generator]\nengine = "/usr/bin/berth"\n' >"$rootfs/etc/containers/berth.conf"
printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$reg" >"$rootfs/etc/containers/registries.conf"
printf '[containers]\ncgroups = "disabled"\n\n[engine]\nruntime = "crun"\ncgroup_manager = "cgroupfs"\n' >"$rootfs/etc/containers/containers.conf"
printf '[Container]\nCgroupsMode=disabled\n' >"$rootfs/etc/containers/systemd/container.d/10-sandbox.conf"

check "sandbox boots with berth installed" sb_boot
check "the generator is installed where systemd runs it" in_sb test -x /lib/systemd/system-generators/berth-system-generator
# The image is pulled once, in a unit, so that start times below are starts, not pulls.
check "berth pull $image (in a unit)" in_sb systemd-run --quiet --wait --pipe --collect \
	-p Type=oneshot /usr/bin/berth pull -q "$image"

# ---- scenarios ------------------------------------------------------------------------
want=${BERTH_E2E_SCENARIOS:-}
for f in "$top"/test/e2e/scenarios/[0-9]*.sh; do
	[ -e "$f" ] || continue
	n=$(basename "$f")
	n=${n%%-*}
	n=$((10#$n))
	[ -z "$want" ] || [[ " $want " == *" $n "* ]] || continue
	# shellcheck source=/dev/null
	. "$f"
done
scenario_end

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
[ -s "$work/times" ] && sed 's/^/time: /' "$work/times"
for b in "${blocked_list[@]}"; do echo "blocked: $b"; done
echo "e2e took $(elapsed "$t_all")s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
