#!/usr/bin/env bash
# The main job under a real systemd: boots the nspawn sandbox with berth installed as
# its system generator, drops examples/clock.container into /etc/containers/systemd,
# and starts it the way an admin would (daemon-reload, systemctl start). Prints the
# generated unit, the unit's state after boot, its MainPID (conmon), berth ps and logs,
# the time of a fresh systemctl start; stops everything at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export GOFLAGS="${GOFLAGS:-} -tags=containers_image_openpgp,exclude_graphdriver_btrfs"
test/setup.sh >/dev/null
test/sandbox/setup.sh >/dev/null
mkdir -p build/bin
go build -o build/bin/quadlet ./cmd/quadlet
go build -o build/bin/berth ./cmd/berth
sb=test/sandbox
rootfs=${BERTH_SANDBOX_DIR:-/var/tmp/berth-sandbox}/rootfs
"$sb/stop.sh" >/dev/null 2>&1 || true
"$sb/reset.sh" >/dev/null
trap '"$sb/stop.sh" >/dev/null 2>&1 || true' EXIT

# Install as a package would: the generator link, berth.conf naming the engine.
mkdir -p "$rootfs/etc/systemd/system-generators" "$rootfs/etc/containers/systemd/container.d"
ln -sf /opt/berth/bin/quadlet "$rootfs/etc/systemd/system-generators/berth-system-generator"
printf '[generator]\nengine = "/opt/berth/bin/berth"\n' >"$rootfs/etc/containers/berth.conf"
printf '[[registry]]\nlocation = "127.0.0.1:5000"\ninsecure = true\n' >"$rootfs/etc/containers/registries.conf"
# Inside the sandbox only crun without cgroups can run containers (see DESIGN.md): a
# top-level drop-in says so for every .container.
cat >"$rootfs/etc/containers/systemd/container.d/10-sandbox.conf" <<'CONF'
[Container]
CgroupsMode=disabled
GlobalArgs=--runtime=crun --cgroup-manager=cgroupfs
CONF
cp examples/clock.container "$rootfs/etc/containers/systemd/"

"$sb/boot.sh" "--bind-ro=$top/build/bin:/opt/berth/bin" >/dev/null
run() { "$sb/run.sh" "$@"; }
echo "== the generated unit (/run/systemd/generator/clock.service)"
run cat /run/systemd/generator/clock.service
# [Install] WantedBy=multi-user.target: the generator's link started it at boot.
run systemctl is-active --wait clock.service >/dev/null || true
echo "== clock.service after boot"
run systemctl show -p ActiveState -p SubState -p MainPID clock.service
pid=$(run systemctl show -p MainPID --value clock.service)
echo "MainPID $pid is $(run cat "/proc/$pid/comm")"
run /opt/berth/bin/berth ps
echo "== the container's output (berth logs systemd-clock)"
run /opt/berth/bin/berth logs systemd-clock
# A fresh start, timed as an admin would see it.
run systemctl stop clock.service
t0=$(date +%s%N)
run systemctl start clock.service
t1=$(date +%s%N)
echo "== systemctl start clock.service: active after $(((t1 - t0) / 1000000)) ms"
run systemctl stop clock.service
echo "== after systemctl stop: berth ps -a"
run /opt/berth/bin/berth ps -a
