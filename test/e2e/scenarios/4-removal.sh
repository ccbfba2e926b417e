# shellcheck shell=bash disable=SC2154,SC2016 # run.sh and lib.sh set the variables; single-quoted scripts run in the sandbox
# Scenario 4, removal: after systemctl stop, nothing of the units is left: no
# container (berth ps -a), pod, conmon, container mount, pid or id file, and the
# network, whose NetworkDeleteOnStop= is on, is gone with its bridge and firewall
# rules; the volume, data, stays. Then a file removed while its service runs, plus
# daemon-reload: the unit is gone from systemd, and stopping the still running service
# leaves nothing either. Sourced by test/e2e/run.sh.

scenario 4 "removal: systemctl stop, file removal + daemon-reload"

qdir=/etc/containers/systemd
check "systemctl daemon-reload (scenario 3's files removed)" in_sb systemctl daemon-reload

units=$(quadlet_units | tr '\n' ' ')
echo "units made from Quadlet files: $units"
# shellcheck disable=SC2086 # a list of unit names
check "systemctl stop of them all" in_sb systemctl stop $units
down() {
	local u st bad=0
	for u in $units; do
		st=$(prop "$u" ActiveState)
		case $st in inactive | failed) ;; *) echo "$u is $st"; bad=1 ;; esac
	done
	return $bad
}
check "every unit is down" down
check "no container left (berth ps -a)" expect "berth ps -a" "$(names 2>&1 | tr '\n' ' ')" ""
if B pod --help >/dev/null 2>&1; then
	check "no pod left (berth pod ps)" expect "berth pod ps" "$(B pod ps --format '{{.Name}}' 2>&1 | tr '\n' ' ')" ""
else
	fail "no pod left: berth has no pod command to ask"
fi
check "no conmon runs" expect "conmon pids" "$(conmons | tr '\n' ' ')" ""

# Container mounts: root file systems, /dev/shm, network namespace files. The storage's
# own bind mount of its overlay folder, and the netns folder's, stay, as with podman.
no_container_mounts() {
	local m
	m=$(in_sb awk '$5 ~ /\/merged$|\/userdata\/|\/overlay-containers\/|\/netns\/[^\/]+$/ {print $5}' /proc/self/mountinfo)
	[ -z "$m" ] || { echo "mounts left: $m"; return 1; }
	echo "info: mounts under berth's roots: $(berth_mounts | tr '\n' ' ')"
}
check "no container mount left (/proc/self/mountinfo)" no_container_mounts
no_run_files() {
	local f
	f=$(in_sb find /run -maxdepth 1 \( -name '*.cid' -o -name '*.pid' -o -name '*.pod-id' \) -print)
	[ -z "$f" ] || { echo "left in /run: $f"; return 1; }
}
check "no cidfile, pidfile or pod-id file left in /run" no_run_files
network_gone() {
	local n rules
	if ! B network --help >/dev/null 2>&1; then
		echo "berth has no network command: nothing was created, nothing to check"
		return 1
	fi
	n=$(B network ls --format '{{.Name}}' 2>&1) || { echo "berth network ls: $n"; return 1; }
	grep -qx webapp <<<"$n" && { echo "network webapp still exists"; return 1; }
	# The sandbox shares the host's network namespace: bridges and rules are the host's.
	ip -o addr show | grep -F 10.89.10. && { echo "an interface still has an address in 10.89.10.0/24"; return 1; }
	rules=$( (iptables-save 2>/dev/null; nft list ruleset 2>/dev/null) | grep -F 10.89.10.)
	[ -z "$rules" ] || { echo "firewall rules left: $rules"; return 1; }
	echo "info: networks now: $(echo "$n" | tr '\n' ' ')"
}
check "network webapp (NetworkDeleteOnStop=true) gone, with its bridge and firewall rules" network_gone
check "volume webapp-data (data) stays" B volume exists webapp-data

# ---- a file removed while its service runs --------------------------------------------
# systemd keeps the service running, but forgets with the file its ExecStop=,
# ExecStopPost= and KillMode=: the stop can only signal the processes (SIGTERM to all,
# then SIGKILL after TimeoutStopSec=90s). A container that exits on SIGTERM lets conmon
# run berth's cleanup; one whose pid 1 ignores it (clock's sh) cannot. Bounded to 15 s.

unit_gone() {
	local u=$1
	in_sb test ! -e "/run/systemd/generator/$u" || { echo "$u still generated"; return 1; }
	in_sb test ! -e "/run/systemd/generator/multi-user.target.wants/$u" || { echo "$u still wanted by multi-user.target"; return 1; }
	expect "$u: LoadState" "$(prop "$u" LoadState)" not-found || return 1
	echo "info: $u: LoadState=not-found, ActiveState=$(prop "$u" ActiveState) (kept until stopped), ExecStop='$(prop "$u" ExecStop)'"
}
stopped() { case $(prop "$1" ActiveState) in inactive | failed) return 0 ;; esac; return 1; }
stop_removed() {
	local u=$1 t0 st
	t0=$(date +%s.%N)
	in_sb systemctl stop --no-block "$u"
	if ! wait_until 15 stopped "$u"; then
		st=$(prop "$u" SubState)
		in_sb systemctl kill --signal=SIGKILL "$u"
		wait_until 5 stopped "$u"
		echo "$u still $st after 15 s: without its file systemd only signals it, and waits TimeoutStopSec=$(prop "$u" TimeoutStopUSec) before SIGKILL; killed it"
		return 1
	fi
	echo "info: stopped in $(elapsed "$t0")s, Result=$(prop "$u" Result)"
}
removed_while_running() {
	local u=$1 c=$2 file=$3
	check "$u: systemctl start" in_sb systemctl start "$u"
	rm "$rootfs$qdir/$file"
	check "$u: rm $qdir/$file while it runs; systemctl daemon-reload" in_sb systemctl daemon-reload
	check "$u: gone from the generator's output and from systemd" unit_gone "$u"
	check "$u: systemctl stop ends within 15 s" stop_removed "$u"
	check "$u: nothing left: berth ps -a" expect "containers named $c" "$(names | grep -cx "$c")" 0
	check "$u: nothing left: conmon" expect "conmon pids" "$(conmons | tr '\n' ' ')" ""
	check "$u: nothing left: container mounts" no_container_mounts
	# Whatever the outcome, the next scenarios start clean.
	B rm -f "$c" >/dev/null 2>&1
	in_sb systemctl reset-failed "$u" 2>/dev/null
}
# e2e-restart.container (scenario 3) exits on SIGTERM; examples/clock.container does not.
removed_while_running e2e-restart.service systemd-e2e-restart e2e-restart.container
removed_while_running clock.service systemd-clock clock.container
