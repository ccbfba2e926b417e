#!/usr/bin/env bash
# test/bench/sdready.sh: unit start to READY under a real systemd, berth side by side
# with Debian's podman 4.3.1 (DESIGN.md's reference: podman 0.21-0.24 s, berth's target
# at most 0.5x). Boots the nspawn sandbox of test/sandbox/, installs podman into its
# rootfs (the rootfs is reset from its pristine copy first and again at the end, so
# the install does not stay), and alternates `systemctl start` of two Type=notify units
# shaped like Quadlet's (--sdnotify=conmon, --replace --rm, -d), one per engine, with
# the same image, storage driver (overlay), runtime (crun), cgroups mode (disabled:
# the only one that works in the sandbox) and rlimits. `systemctl start` of a
# Type=notify unit returns when READY=1 arrived: that is the time measured. Prints the
# medians and the ratio. A benchmark: it prints figures and does not fail on them.
#
#   BERTH_BIN_DIR   folder with the berth binary       [build/bin, built if missing]
#   RUNS            measured starts per engine         [15]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=test/fixtures/lib.sh
. test/fixtures/lib.sh
# shellcheck disable=SC2034 # say and die use it
fx_name=sdready
need_root
export GOFLAGS="${GOFLAGS:-} -tags=containers_image_openpgp,exclude_graphdriver_btrfs"
runs=${RUNS:-15}
bin=${BERTH_BIN_DIR:-$top/build/bin}
sb=test/sandbox
rootfs=${BERTH_SANDBOX_DIR:-/var/tmp/berth-sandbox}/rootfs
image=${BERTH_REGISTRY_ADDR:-127.0.0.1:5000}/busybox:latest

test/setup.sh >/dev/null
test/sandbox/setup.sh >/dev/null
if [ ! -x "$bin/berth" ]; then
	mkdir -p "$bin"
	go build -o "$bin/berth" ./cmd/berth
fi
"$sb/stop.sh" >/dev/null 2>&1 || true
"$sb/reset.sh" >/dev/null
trap '"$sb/stop.sh" >/dev/null 2>&1 || true; "$sb/reset.sh" >/dev/null 2>&1 || true' EXIT

say "installing podman into the sandbox's rootfs (apt in a chroot)"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
mount --bind /proc "$rootfs/proc"
chroot "$rootfs" apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
	--no-install-recommends podman >/dev/null
umount "$rootfs/proc"
# Both engines read storage.conf: overlay for both, and no state from before.
rm -rf "$rootfs/var/lib/containers"
printf '[storage]\ndriver = "overlay"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n' \
	>"$rootfs/etc/containers/storage.conf"
# /proc/sys is read-only in the sandbox: podman fails on its default sysctl
# (berth skips it with a warning); neither engine gets it.
printf '[containers]\ndefault_sysctls = []\n' >"$rootfs/etc/containers/containers.conf"

mkdir -p "$rootfs/opt/berth/bin" "$rootfs/etc/containers"
cp "$bin/berth" "$rootfs/opt/berth/bin/berth"
printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "${image%%/*}" >"$rootfs/etc/containers/registries.conf"
"$sb/boot.sh" >/dev/null
in_sb() { "$sb/run.sh" "$@"; }

# The same limits for both: the unit's hard limits (podman asks for more than a unit
# may have, and fails; berth clamps on its own).
read -r nofile nproc < <(in_sb systemd-run --quiet --wait --pipe --collect -p Type=oneshot \
	bash -c 'echo "$(ulimit -Hn) $(ulimit -Hu)"')
limits="--ulimit=nofile=$nofile:$nofile --ulimit=nproc=$nproc:$nproc"
common="--cgroup-manager=cgroupfs --runtime=crun"
declare -A exe=([berth]=/opt/berth/bin/berth [podman]=/usr/bin/podman)
for e in berth podman; do
	in_sb systemd-run --quiet --wait --pipe --collect -p Type=oneshot \
		"${exe[$e]}" $common pull -q --tls-verify=false "$image" >/dev/null
	cat >"$rootfs/etc/systemd/system/ready-$e.service" <<EOF
[Unit]
Description=sdready: $e
StartLimitIntervalSec=0

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
Type=notify
NotifyAccess=all
TimeoutStartSec=60
ExecStart=${exe[$e]} $common run --name systemd-%N --replace --rm --cgroups=disabled --sdnotify=conmon -d --network=none $limits $image sleep 1000
ExecStop=${exe[$e]} $common rm -v -f -i -t 0 systemd-%N
EOF
done
in_sb systemctl daemon-reload

# start_ms UNIT: the wall time of `systemctl start` inside the sandbox, in ms.
start_ms() {
	in_sb bash -c 't0=$(date +%s%N); systemctl start "$1" || exit 1; echo $((($(date +%s%N) - t0) / 1000000))' _ "$1"
}
declare -A times=([berth]="" [podman]="")
for i in $(seq 0 "$runs"); do
	for e in berth podman; do
		ms=$(start_ms "ready-$e.service") || die "systemctl start ready-$e.service failed: $(in_sb journalctl --no-pager -n 5 -u "ready-$e.service")"
		main=$(in_sb systemctl show -P MainPID "ready-$e.service")
		comm=$(in_sb cat "/proc/$main/comm")
		[ "$comm" = conmon ] || die "ready-$e.service: MainPID $main is $comm, not conmon"
		in_sb systemctl stop "ready-$e.service"
		[ "$i" = 0 ] && continue # one unmeasured start each
		times[$e]+="$ms "
	done
done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
minmax() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk 'NR==1{a=$1} {b=$1} END {print a "-" b}'; }
mb=$(median "${times[berth]}") mp=$(median "${times[podman]}")
echo
echo "unit start to READY under systemd (systemctl start of a Type=notify unit, --sdnotify=conmon,"
echo "crun, overlay, cgroups disabled, $runs alternating starts each; $(in_sb podman --version)):"
printf '  %-8s median %5s ms  (range %s ms)\n' berth "$mb" "$(minmax "${times[berth]}")"
printf '  %-8s median %5s ms  (range %s ms)\n' podman "$mp" "$(minmax "${times[podman]}")"
awk -v b="$mb" -v p="$mp" 'BEGIN { r = b / p; printf "  berth/podman = %.2fx (target <= 0.5x): %s\n", r, (r <= 0.5 ? "met" : "missed") }'
