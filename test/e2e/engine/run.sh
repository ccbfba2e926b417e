#!/usr/bin/env bash
# test/e2e/engine/run.sh: berth's engine under a real systemd (issue 3, "Fixtures in
# test/"). Boots the sandbox of test/sandbox/ with build/bin bound at /opt/berth/bin and
# checks, on real state (systemctl show, berth ps/inspect, /proc, files), that
# hand-written Type=notify units running `berth run -d` behave as Quadlet's do:
#
#   a) --sdnotify=conmon: the unit reaches active (running), its MainPID is conmon's,
#      the cidfile names the container, and `systemctl stop` removes the container
#      (nothing in `berth ps -a`, no conmon, no cidfile); a stale container of the same
#      name is replaced (--replace) on the next start;
#   b) --sdnotify=container: the unit becomes active only when the container itself
#      sends READY=1 (relayed by conmon), MainPID is still conmon; a container that
#      never sends it times the unit out and is removed;
#   c) an image that does not exist: the unit fails with exit status 125 and one
#      clear line in its journal, and leaves nothing behind.
#
# Prints the time from `systemctl start` to active. Last line "N passed, N failed";
# exits non-zero on failure. Needs root, the fixtures (test/fixtures/selftest.sh) and
# the sandbox rootfs (test/sandbox/setup.sh). The sandbox is reset to its pristine tree
# first and stopped at the end; only one sandbox can run on a machine at a time.
#
#   BERTH_BIN_DIR        folder with the berth binary  [build/bin, built unless BERTH_E2E_NOBUILD=1]
#   BERTH_E2E_GLOBAL     berth's global flags inside   [--runtime=crun --cgroup-manager=cgroupfs]
#   BERTH_E2E_RUN_ARGS   extra `berth run` flags       [--network=none; may be set empty]
#   BERTH_REGISTRY_ADDR  the test registry             [127.0.0.1:5000]
# shellcheck disable=SC2016 # the single-quoted scripts run inside the sandbox
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
# shellcheck source=test/fixtures/lib.sh
. "$top/test/fixtures/lib.sh"
# shellcheck disable=SC2034 # say and die use it
fx_name=e2e-engine
need_root
sb=$top/test/sandbox
rootfs=${BERTH_SANDBOX_DIR:-/var/tmp/berth-sandbox}/rootfs
bin=${BERTH_BIN_DIR:-$top/build/bin}
reg=${BERTH_REGISTRY_ADDR:-127.0.0.1:5000}
image=$reg/busybox:latest
missing=$reg/berth-e2e-nope:latest
# Inside the sandbox only crun runs containers, and only without cgroups (see
# DESIGN.md); the sandbox has no netavark, hence no bridge network by default.
global=${BERTH_E2E_GLOBAL:---runtime=crun --cgroup-manager=cgroupfs}
runargs=${BERTH_E2E_RUN_ARGS---network=none}
B="/opt/berth/bin/berth $global"
passed=0 failed=0

# check NAME CMD...: runs CMD, counts it, and shows its output's tail on failure.
check() {
	local name=$1 t0 out
	shift
	t0=$(date +%s.%N)
	if out=$("$@" 2>&1); then
		passed=$((passed + 1))
		echo "ok   $name ($(elapsed "$t0")s)"
	else
		failed=$((failed + 1))
		echo "FAIL $name ($(elapsed "$t0")s)"
		printf '%s\n' "$out" | tail -n 15 | sed 's/^/     /'
	fi
}

in_sb() { "$sb/run.sh" "$@"; }
# berth_sb runs berth inside the sandbox (through nsenter: only to look at state).
berth_sb() {
	# shellcheck disable=SC2086 # $global holds several flags
	in_sb /opt/berth/bin/berth $global "$@"
}
prop() { in_sb systemctl show -P "$2" "$1.service"; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.0f", (b-a)/1000}'; }

# expect WHAT GOT WANT: fails with a message when GOT != WANT.
expect() {
	[ "$2" = "$3" ] && return 0
	echo "$1: got '$2', want '$3'"
	return 1
}

# write_unit NAME SDNOTIFY TIMEOUT IMAGE CMD...: a hand-written unit shaped like the
# ones Quadlet generates for a .container file (KillMode=mixed, NotifyAccess=all,
# cidfile in %t, rm in ExecStop and ExecStopPost), with cgroups disabled.
write_unit() {
	local name=$1 mode=$2 timeout=$3 img=$4
	shift 4
	cat >"$rootfs/etc/systemd/system/$name.service" <<EOF
[Unit]
Description=berth e2e: $name (--sdnotify=$mode)

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
TimeoutStartSec=$timeout
ExecStart=$B run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=disabled --sdnotify=$mode -d $runargs $img $*
ExecStop=$B rm -v -f -i systemd-%N
ExecStopPost=-$B rm -v -f -i --cidfile=%t/%N.cid
EOF
}

# start_unit NAME: systemctl start inside the sandbox; prints "WALL_MS RC".
start_unit() {
	in_sb bash -c 't0=$(date +%s%N); systemctl start "$1"; rc=$?; echo $((($(date +%s%N) - t0) / 1000000)) $rc' _ "$1.service"
}

# conmons prints the pids of the conmon processes running in the sandbox.
conmons() {
	in_sb sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = conmon ] && echo ${p#/proc/}; done; true'
}

# children PID prints "pid comm" for each child of PID in the sandbox.
children() {
	in_sb sh -c 'for p in /proc/[0-9]*; do grep -qx "PPid:[[:space:]]*$1" $p/status 2>/dev/null && echo "${p#/proc/} $(cat $p/comm)"; done; true' _ "$1"
}

# ---- checks --------------------------------------------------------------------

# active_with_conmon UNIT: active (running), and MainPID is conmon, the container's
# ConmonPid, with the container's process (CMD) under it.
active_with_conmon() {
	local u=$1 cmd=$2 main comm cpid kids
	expect "ActiveState" "$(prop "$u" ActiveState)" active || return 1
	expect "SubState" "$(prop "$u" SubState)" running || return 1
	main=$(prop "$u" MainPID)
	comm=$(in_sb cat "/proc/$main/comm" 2>&1)
	expect "comm of MainPID $main" "$comm" conmon || return 1
	cpid=$(berth_sb inspect --format '{{.State.ConmonPid}}' "systemd-$u") || { echo "berth inspect: $cpid"; return 1; }
	expect "berth inspect ConmonPid" "$cpid" "$main" || return 1
	kids=$(children "$main")
	echo "conmon's children: $kids"
	grep -q " $cmd\$" <<<"$kids" || { echo "no '$cmd' process under conmon $main"; return 1; }
}

# listed UNIT: berth ps shows the container running, and the cidfile holds its ID.
listed() {
	local u=$1 names id cid
	names=$(berth_sb ps --format '{{.Names}}') || { echo "berth ps: $names"; return 1; }
	grep -qx "systemd-$u" <<<"$names" || { echo "berth ps lists: '$names'"; return 1; }
	id=$(berth_sb inspect --format '{{.Id}}' "systemd-$u") || { echo "berth inspect: $id"; return 1; }
	cid=$(in_sb cat "/run/$u.cid") || return 1
	expect "cidfile /run/$u.cid" "$cid" "$id"
}

# stopped_clean UNIT: the unit is down and nothing of its container is left.
stopped_clean() {
	local u=$1 state
	state=$(prop "$u" ActiveState)
	echo "after stop: ActiveState=$state Result=$(prop "$u" Result) ExecMainStatus=$(prop "$u" ExecMainStatus)"
	case $state in inactive | failed) ;; *) echo "unit still $state"; return 1 ;; esac
	nothing_left "$u"
}

# nothing_left UNIT: no container of the unit in `berth ps -a`, no conmon, no cidfile,
# and, when no container is left at all, no container root file system mounted.
nothing_left() {
	local u=$1 all left
	all=$(berth_sb ps -a --format '{{.Names}}') || { echo "berth ps -a: $all"; return 1; }
	if grep -qx "systemd-$u" <<<"$all"; then
		echo "berth ps -a still lists systemd-$u"
		return 1
	fi
	no_conmon || return 1
	if in_sb test -e "/run/$u.cid"; then
		echo "cidfile /run/$u.cid left"
		return 1
	fi
	# With no container at all, any container root still mounted is a leak.
	[ -z "$all" ] || return 0
	no_root_mounts
}

no_root_mounts() {
	local left
	left=$(in_sb grep -c '/containers/storage/overlay/.*/merged' /proc/self/mountinfo)
	[ "$left" = 0 ] || { echo "$left container root mounts left"; in_sb grep merged /proc/self/mountinfo; return 1; }
}

# timed_start UNIT MIN_MS: starts the unit, which must succeed; prints the times.
timed_start() {
	local u=$1 min=${2:-0} r wall rc sys
	r=$(start_unit "$u") || true
	read -r wall rc <<<"$r"
	if [ "$rc" != 0 ]; then
		echo "systemctl start failed ($rc) after ${wall} ms; journal:"
		in_sb journalctl -u "$u.service" -o cat --no-pager | tail -n 12
		return 1
	fi
	sys=$(ms_between "$(prop "$u" InactiveExitTimestampMonotonic)" "$(prop "$u" ActiveEnterTimestampMonotonic)")
	echo "time: $u: systemctl start to active ${wall} ms (systemd: ${sys} ms from leaving inactive)"
	[ "$wall" -ge "$min" ] || { echo "active after ${wall} ms, before the container could be ready (${min} ms)"; return 1; }
	echo "$u: systemctl start to active ${wall} ms (systemd ${sys} ms)" >>"$work/times"
}

timed_stop() {
	local u=$1 t0
	t0=$(date +%s.%N)
	in_sb systemctl stop "$u.service" || return 1
	echo "$u: systemctl stop $(elapsed "$t0") s (then Result=$(prop "$u" Result), ExecMainStatus=$(prop "$u" ExecMainStatus))" | tee -a "$work/times"
}

# make_stale UNIT: creates a stopped container with the unit's container name (its ID
# in $work/stale); replaced UNIT: the unit's start replaced it (--replace).
make_stale() {
	local u=$1
	# shellcheck disable=SC2086
	in_sb systemd-run --quiet --wait --collect -p Type=oneshot /opt/berth/bin/berth $global \
		create --name "systemd-$u" $runargs "$image" true || return 1
	berth_sb inspect --format '{{.Id}}' "systemd-$u" >"$work/stale" || { cat "$work/stale"; return 1; }
	echo "stale container $(cat "$work/stale")"
}
replaced() {
	local u=$1 id stale_id
	stale_id=$(cat "$work/stale")
	id=$(berth_sb inspect --format '{{.Id}}' "systemd-$u") || { echo "$id"; return 1; }
	if [ -z "$stale_id" ] || [ "$id" = "$stale_id" ]; then
		echo "container is still the stale $stale_id"
		return 1
	fi
	! berth_sb inspect --format '{{.Id}}' "$stale_id" >/dev/null 2>&1 || { echo "stale $stale_id still exists"; return 1; }
}

no_conmon() {
	local left
	left=$(conmons)
	[ -z "$left" ] || { echo "conmon still runs: pids $left"; return 1; }
}

# timed_out UNIT: the unit's start failed on its start timeout.
timed_out() {
	local u=$1 r wall rc
	r=$(start_unit "$u") || true
	read -r wall rc <<<"$r"
	echo "systemctl start: rc $rc after ${wall} ms; Result=$(prop "$u" Result)"
	[ "$rc" != 0 ] || { echo "the unit started without READY=1"; return 1; }
	expect "Result" "$(prop "$u" Result)" timeout
}

# failed_one_line UNIT IMAGE: the start failed with berth's exit status 125 and one
# journal line from berth, naming the image.
failed_one_line() {
	local u=$1 img=$2 r rc lines n
	r=$(start_unit "$u") || true
	read -r _ rc <<<"$r"
	[ "$rc" != 0 ] || { echo "systemctl start succeeded"; return 1; }
	expect "ActiveState" "$(prop "$u" ActiveState)" failed || return 1
	expect "ExecMainStatus" "$(prop "$u" ExecMainStatus)" 125 || return 1
	in_sb journalctl --sync 2>/dev/null
	# Lines from the unit's own processes (SyslogIdentifier=%N), not systemd's.
	lines=$(in_sb journalctl -u "$u.service" -o cat --no-pager "SYSLOG_IDENTIFIER=$u")
	n=$(grep -c . <<<"$lines")
	printf 'journal (%s lines):\n%s\n' "$n" "$lines"
	expect "journal lines from berth" "$n" 1 || return 1
	grep -qF "$img" <<<"$lines" || { echo "the line does not name $img"; return 1; }
}

# ---- setup -----------------------------------------------------------------------

t_all=$(date +%s.%N)
work=$(mktemp -d /tmp/berth-e2e-engine.XXXXXX)
cleanup() {
	"$sb/stop.sh" >/dev/null 2>&1 || say "warning: test/sandbox/stop.sh failed"
	rm -rf "$work"
}
trap cleanup EXIT

if [ "${BERTH_E2E_NOBUILD:-0}" != 1 ] && [ -z "${BERTH_BIN_DIR:-}" ]; then
	check "build berth" bash -c "cd $(printf %q "$top") && mkdir -p build/bin && go build -tags containers_image_openpgp,exclude_graphdriver_btrfs -o build/bin/berth ./cmd/berth"
fi
[ -x "$bin/berth" ] || {
	echo "no berth binary in $bin"
	echo "$passed passed, $((failed + 1)) failed"
	exit 1
}
check "registry up" bash -c "$(printf %q "$top/test/fixtures/registry.sh") status || $(printf %q "$top/test/fixtures/registry.sh") start"
check "sandbox rootfs" "$sb/setup.sh"
"$sb/stop.sh" >/dev/null 2>&1
check "sandbox reset" "$sb/reset.sh"

# The registry is plain HTTP: mark it insecure as an admin would.
mkdir -p "$rootfs/etc/containers"
cat >"$rootfs/etc/containers/registries.conf" <<EOF
[[registry]]
location = "$reg"
insecure = true
EOF
write_unit berth-e2e-conmon conmon 60 "$image" sleep 1000
# busybox's nc has no unix datagram mode (no -U), but its logger sends one to
# /dev/log through glibc's syslog(), and conmon relays any datagram that contains
# READY=1: point /dev/log at the notify socket. The sleep makes readiness observable.
# It also exits on SIGTERM, so that its stop is quick and clean (sleep as pid 1
# ignores SIGTERM, so case a's stops wait for rm's 10 s timeout, as with podman).
write_unit berth-e2e-container container 60 "$image" \
	"sh -c 'trap \"exit 0\" TERM; ln -sf \"\$\$NOTIFY_SOCKET\" /dev/log && sleep 1 && logger READY=1; sleep 1000 & wait'"
# On a start timeout systemd skips ExecStop and sends SIGTERM to MainPID (conmon), which
# ignores it; SIGKILL follows after TimeoutStopSec (90 s by default: shorten it), and
# ExecStopPost's rm --cidfile is what removes the container.
write_unit berth-e2e-noready container 3 "$image" sleep 1000
echo "TimeoutStopSec=5" >>"$rootfs/etc/systemd/system/berth-e2e-noready.service"
write_unit berth-e2e-noimage conmon 60 "$missing" sleep 1000

check "sandbox boots with build/bin at /opt/berth/bin" "$sb/boot.sh" "--bind-ro=$bin:/opt/berth/bin"
check "berth runs in the sandbox" in_sb systemd-run --quiet --wait --pipe --collect -p Type=oneshot /opt/berth/bin/berth --version
# shellcheck disable=SC2086
check "berth pull from $reg in a unit" in_sb systemd-run --quiet --wait --pipe --collect -p Type=oneshot \
	/opt/berth/bin/berth $global pull -q "$image"

# ---- a) --sdnotify=conmon ------------------------------------------------------------
u=berth-e2e-conmon
check "a) $u reaches active" timed_start $u
check "a) MainPID is conmon (= berth inspect ConmonPid), sleep under it" active_with_conmon $u sleep
check "a) berth ps lists it, cidfile holds its ID" listed $u
check "a) systemctl stop" timed_stop $u
check "a) stop removed the container (ps -a, conmon, cidfile, mounts)" stopped_clean $u
check "a) a stale container of the same name" make_stale $u
check "a) start again with --replace" timed_start $u
check "a) the stale container was replaced" replaced $u
check "a) MainPID is conmon after the replace" active_with_conmon $u sleep
check "a) systemctl stop again" timed_stop $u
check "a) nothing left" stopped_clean $u

# ---- b) --sdnotify=container ---------------------------------------------------------
u=berth-e2e-container
check "b) $u active only after the container's READY=1 (>= 1 s)" timed_start $u 1000
check "b) MainPID is conmon, the container's sh under it" active_with_conmon $u sh
check "b) systemctl stop" timed_stop $u
check "b) the container exited 0 on SIGTERM: the unit ends with success" expect Result "$(prop $u Result)" success
check "b) stop removed the container" stopped_clean $u
u=berth-e2e-noready
check "b) a container that never sends READY=1 times the unit out" timed_out $u
check "b) the timed-out container was removed" stopped_clean $u

# ---- c) an image that does not exist ---------------------------------------------------
u=berth-e2e-noimage
check "c) $u fails with 125 and one journal line naming $missing" failed_one_line $u "$missing"
check "c) nothing left behind" nothing_left $u

check "no container left in the sandbox (berth ps -a is empty)" expect "berth ps -a" "$(berth_sb ps -a --format '{{.Names}}' 2>&1)" ""
check "no conmon left in the sandbox" no_conmon
check "no container root mounted in the sandbox" no_root_mounts
check "sandbox stop" "$sb/stop.sh"

echo "--- times"
sed 's/^/  /' "$work/times" 2>/dev/null
rm -rf "$work"
trap - EXIT
echo "e2e engine took $(elapsed "$t_all")s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
