# shellcheck shell=bash disable=SC2154,SC2016 # run.sh and lib.sh set the variables; single-quoted scripts run in the sandbox
# Scenario 2, boot: the sandbox is powered off and booted again. The units whose
# Quadlet files say [Install] WantedBy=multi-user.target come up by themselves, each
# after what it depends on, and nothing of the previous boot's containers is left
# over. Builds on scenario 1's files. Sourced by test/e2e/run.sh.

scenario 2 "boot: enabled units come up by themselves, in dependency order"

# Enabled by their [Install] sections: clock, the app's pod and containers, and
# echo@8081 (echo@.container's DefaultInstance); the network and volume come as
# dependencies.
boot_units=(webapp-network.service webapp-data-volume.service webapp-pod.service webapp-api.service
	webapp-web.service clock.service echo@8081.service)

poweroff() {
	local t0
	t0=$(date +%s.%N)
	sb_stop || return 1
	echo "info: powered off in $(elapsed "$t0")s"
}
check "power off (test/sandbox/stop.sh)" poweroff
check "boot again (test/sandbox/boot.sh)" sb_boot

check "the generator linked the enabled units into multi-user.target.wants" \
	in_sb test -L /run/systemd/generator/multi-user.target.wants/clock.service -a \
	-L /run/systemd/generator/multi-user.target.wants/webapp-web.service -a \
	-L /run/systemd/generator/multi-user.target.wants/echo@8081.service

# Units whose start is still running when the boot is "up" are waited for.
settled() {
	local u st
	for u in "${boot_units[@]}"; do
		st=$(prop "$u" ActiveState)
		[ "$st" = activating ] && return 1
	done
	return 0
}
wait_until 30 settled
check "every enabled unit is active after the boot" active "${boot_units[@]}"
check "clock.service: MainPID is conmon" main_is_conmon clock.service
check "webapp-web.service: MainPID is conmon" main_is_conmon webapp-web.service webapp-web

# after DEP UNIT: UNIT began to start only after DEP was up, and became active after
# it (from systemd's InactiveExit- and ActiveEnterTimestampMonotonic). A oneshot DEP
# without RemainAfterExit (a .volume's) is up when its process exited.
after() {
	local dep=$1 u=$2 dep_on u_start u_on
	dep_on=$(prop "$dep" ActiveEnterTimestampMonotonic)
	oneshot_done "$dep" && dep_on=$(prop "$dep" ExecMainExitTimestampMonotonic)
	u_start=$(prop "$u" InactiveExitTimestampMonotonic)
	u_on=$(prop "$u" ActiveEnterTimestampMonotonic)
	if [ "${dep_on:-0}" = 0 ] || [ "${u_on:-0}" = 0 ] || [ "$(prop "$u" ActiveState)" != active ]; then
		echo "$dep up at ${dep_on:-?} µs, $u active at ${u_on:-?} µs and now $(prop "$u" ActiveState): not both came up"
		return 1
	fi
	if [ "$dep_on" -gt "$u_start" ] || [ "$dep_on" -gt "$u_on" ]; then
		echo "$u started at $u_start µs, active at $u_on µs, but $dep was up only at $dep_on µs"
		return 1
	fi
	echo "info: $dep up at +$(ms_between 0 "$dep_on") ms, then $u started at +$(ms_between 0 "$u_start") ms, active at +$(ms_between 0 "$u_on") ms"
}
check "order: network before pod" after webapp-network.service webapp-pod.service
check "order: pod before webapp-web" after webapp-pod.service webapp-web.service
check "order: pod before webapp-api" after webapp-pod.service webapp-api.service
check "order: volume before webapp-web" after webapp-data-volume.service webapp-web.service
check "order: volume before webapp-api" after webapp-data-volume.service webapp-api.service
check "order: network before echo@8081" after webapp-network.service echo@8081.service

# Only this boot's containers exist: the poweroff removed the last boot's.
only_this_boot() {
	local all n want=" systemd-clock webapp-web webapp-api systemd-echo_8081 " extra=
	all=$(names 2>&1) || { echo "berth ps -a: $all"; return 1; }
	for n in $all; do
		[[ $want == *" $n "* ]] || [[ $n == *-infra ]] || extra+=" $n"
	done
	[ -z "$extra" ] || { echo "containers not from this boot's units:$extra"; return 1; }
	echo "info: containers: $(echo "$all" | tr '\n' ' ')"
}
check "berth ps -a holds only this boot's containers" only_this_boot
