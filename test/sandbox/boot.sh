#!/usr/bin/env bash
# boot.sh [NSPAWN-ARGS...]: boots the sandbox's systemd with systemd-nspawn in the
# background and waits until `systemctl is-system-running` says running or degraded.
# Writes the host pid of the sandbox's pid 1 to $BERTH_SANDBOX_DIR/pid1 and prints it.
# Extra arguments (e.g. --bind=/path/on/host:/opt/berth) go to systemd-nspawn, after
# those in $BERTH_SANDBOX_ARGS. No-op when the sandbox already runs.
#
# The sandbox shares the host's network, so the test registry at 127.0.0.1:5000
# answers inside too.
set -euo pipefail
# shellcheck source=test/sandbox/common.sh
. "$(dirname "$0")/common.sh"
need_root

if p=$(sandbox_pid); then
	say "already running (pid 1 is host pid $p)"
	echo "$p"
	exit 0
fi
[ -x "$rootfs/lib/systemd/systemd" ] || die "no rootfs at $rootfs: run test/sandbox/setup.sh"
nspawn_running && die "systemd-nspawn (pid $(cat "$nspawnpid")) runs without a booted pid 1: test/sandbox/stop.sh"
clean_cgroups
t0=$(date +%s.%N)
timeout=${BERTH_SANDBOX_BOOT_TIMEOUT:-60}

# There is no host systemd: --keep-unit --register=no keep nspawn from asking it for a
# scope or a machine registration; the unified hierarchy gives the payload cgroup v2;
# @keyring lets systemd and crun use keyctl. nspawn drops CAP_NET_ADMIN when it shares
# the host's network; without it a container's new network namespace cannot even
# bring up lo ("ioctl(SIOCSIFFLAGS): Operation not permitted"), so give it back
# (set BERTH_SANDBOX_NET_ADMIN=0 to keep it dropped). Mind that the network, and its
# firewall rules, are then the host's own.
caps=()
[ "${BERTH_SANDBOX_NET_ADMIN:-1}" = 1 ] && caps=(--capability=CAP_NET_ADMIN)
read -ra extra <<<"${BERTH_SANDBOX_ARGS:-}"
say "booting $rootfs (console log: $sbdir/console.log)"
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 setsid systemd-nspawn --quiet --keep-unit --register=no \
	--directory="$rootfs" --machine=berth-sandbox --system-call-filter=@keyring \
	--console=read-only "${caps[@]}" --boot "${extra[@]}" "$@" >"$sbdir/console.log" 2>&1 </dev/null &
echo $! >"$nspawnpid"

# find_pid1 prints the child of nspawn that runs systemd: the sandbox's pid 1.
find_pid1() {
	local c
	for c in $(pgrep -P "$(cat "$nspawnpid")"); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && echo "$c" && return
	done
	return 1
}

state=
while :; do
	nspawn_running || { tail -n 20 "$sbdir/console.log" >&2; die "systemd-nspawn exited during boot"; }
	if pid1=$(find_pid1); then
		state=$(timeout 5 nsenter -t "$pid1" -a systemctl is-system-running --wait 2>/dev/null || true)
		case $state in running | degraded) break ;; esac
	fi
	if awk -v a="$t0" -v b="$(date +%s.%N)" -v t="$timeout" 'BEGIN{exit !(b-a>t)}'; then
		tail -n 20 "$sbdir/console.log" >&2
		die "sandbox not up after ${timeout}s (state: ${state:-no systemd yet}); stop it with test/sandbox/stop.sh"
	fi
	sleep 0.05
done
echo "$pid1" >"$pidfile"
if [ "$state" = degraded ]; then
	say "warning: degraded; failed units: $(nsenter -t "$pid1" -a systemctl list-units --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')"
fi
say "up ($state) in $(elapsed "$t0")s; pid 1 is host pid $pid1"
echo "$pid1"
