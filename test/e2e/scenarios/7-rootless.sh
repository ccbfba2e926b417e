# shellcheck shell=bash disable=SC2154,SC2016 # run.sh and lib.sh set the variables; single-quoted scripts run in the sandbox
# Scenario 7, rootless: examples/clock.container placed in ~/.config/containers/systemd
# of a non-root user, whose user manager runs as it does for a lingering user
# (loginctl enable-linger starts user@UID.service). The user generator must turn it into
# a user service, and the service must run the container rootless. When the engine
# cannot, the scenario fails with the engine's own error and what the sandbox offers
# (user namespaces, overlay in them, newuidmap). Sourced by test/e2e/run.sh.

scenario 7 "rootless: a .container in ~/.config/containers/systemd under a user manager"

ruser=berth-e2e ruid=1500
rhome=/home/$ruser
udir=$rhome/.config/containers/systemd

# as_user CMD...: runs CMD in the sandbox as the user, in its user manager's session.
as_user() {
	in_sb runuser -u "$ruser" -- env HOME="$rhome" XDG_RUNTIME_DIR="/run/user/$ruid" \
		DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$ruid/bus" "$@"
}
uprop() { as_user systemctl --user show -P "$2" "$1"; }

check "useradd $ruser (uid $ruid, with /etc/subuid and /etc/subgid ranges)" \
	in_sb useradd -m -u "$ruid" -s /bin/sh "$ruser"
check "loginctl enable-linger $ruser: its user manager runs" eval \
	'in_sb loginctl enable-linger "$ruser" && wait_until 10 in_sb systemctl is-active "user@$ruid.service"'

# The same file as scenario 1's, and the site drop-in the sandbox needs (user units do
# not read /etc/containers/systemd's).
mkdir -p "$rootfs$udir/container.d"
cp "$top/examples/clock.container" "$rootfs$udir/"
cp "$rootfs/etc/containers/systemd/container.d/10-sandbox.conf" "$rootfs$udir/container.d/"
in_sb chown -R "$ruser:$ruser" "$rhome/.config"
check "systemctl --user daemon-reload" as_user systemctl --user daemon-reload
# User services start after berth-user-wait-network-online.service, which waits (up
# to 90 s) for the system's network-online.target: on a machine where no system unit
# pulls that target in, an admin starts it, as here.
check "systemctl start network-online.target (system)" in_sb systemctl start network-online.target

user_generated() {
	local load src
	load=$(uprop clock.service LoadState) src=$(uprop clock.service SourcePath)
	expect "clock.service LoadState" "$load" loaded || return 1
	expect "clock.service SourcePath" "$src" "$udir/clock.container" || return 1
	as_user test -f "/run/user/$ruid/systemd/generator/clock.service" || { echo "not in the user generator folder"; return 1; }
	echo "info: the user generator made /run/user/$ruid/systemd/generator/clock.service"
}
check "the user generator made clock.service from ~/.config/containers/systemd/clock.container" user_generated

# what_blocks: the facts that decide whether berth can run rootless here.
what_blocks() {
	local v
	echo "engine: $(as_user journalctl --user --no-pager -o cat -u clock.service SYSLOG_IDENTIFIER=clock | grep -m1 Error)"
	if as_user unshare -U -r true 2>/dev/null; then v=yes; else v=no; fi
	echo "sandbox: unprivileged user namespaces work (unshare -U -r): $v"
	# shellcheck disable=SC2016 # runs in the sandbox
	if as_user unshare -U -r -m sh -c 'd=$(mktemp -d) && mkdir "$d/l" "$d/u" "$d/w" "$d/m" &&
		mount -t overlay overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" "$d/m"' 2>/dev/null; then v=yes; else v=no; fi
	echo "sandbox: overlay mounts inside a user namespace work: $v"
	if in_sb sh -c 'command -v newuidmap >/dev/null'; then v=installed; else v="not installed (package uidmap)"; fi
	echo "sandbox: newuidmap/newgidmap for the /etc/subuid range $(in_sb grep "^$ruser:" /etc/subuid): $v"
}

rootless_runs() {
	if ! as_user systemctl --user start clock.service; then
		echo "systemctl --user start clock.service failed: $(as_user systemctl --user show -p ActiveState,Result,ExecMainStatus clock.service | tr '\n' ' ')"
		what_blocks
		return 1
	fi
	local main
	main=$(uprop clock.service MainPID)
	expect "comm of MainPID $main" "$(in_sb cat "/proc/$main/comm" 2>&1)" conmon || return 1
	expect "owner of conmon" "$(in_sb stat -c %u "/proc/$main")" "$ruid" || return 1
	expect "berth ps (as $ruser)" "$(as_user berth ps --format '{{.Names}}' 2>&1)" systemd-clock || return 1
	echo "info: MainPID $main is conmon, running as uid $ruid"
}
# berth has no rootless mode yet: it refuses a non-root user with one clear line,
# which must be what the unit's journal shows. Anything else is a failure.
refused_clearly() {
	as_user systemctl --user start clock.service >/dev/null 2>&1
	local line
	line=$(as_user journalctl --user --no-pager -o cat -u clock.service | grep -m1 'Error: ')
	expect "the unit's error line" "$(grep -c 'rootless mode .* is not supported yet' <<<"$line")" 1 || { echo "$line"; return 1; }
	expect "clock.service Result" "$(uprop clock.service Result)" exit-code || return 1
	echo "info: $line"
}
# pause_in_scope: berth's rootless pause process (which holds the user namespace) runs
# in a berth-pause-*.scope of the user manager, not in the cgroup of the unit that
# started it, so stopping that unit left it alive.
pause_in_scope() {
	local pid cg
	pid=$(in_sb cat "/run/user/$ruid/berth/pause.pid") || { echo "no pause.pid"; return 1; }
	cg=$(in_sb cat "/proc/$pid/cgroup" 2>&1) || { echo "pause process $pid is gone: $cg"; return 1; }
	grep -q 'berth-pause-[0-9a-f]*\.scope' <<<"$cg" || { echo "pause process $pid is not in a berth-pause scope: $cg"; return 1; }
	echo "info: pause process $pid in $(grep -o 'berth-pause-[0-9a-f]*\.scope' <<<"$cg" | head -1)"
}
# The user's first berth command runs in a unit of its user manager, as it would on a
# real machine (a command through nsenter stays in the host's cgroup, which the user
# manager cannot move a process out of; and without dbus-user-session there is no
# systemd-run --user).
mkdir -p "$rootfs$rhome/.config/systemd/user"
printf '[Service]\nType=oneshot\nExecStart=/usr/bin/berth ps\n' >"$rootfs$rhome/.config/systemd/user/berth-probe.service"
in_sb chown -R "$ruser:$ruser" "$rhome/.config"
as_user systemctl --user daemon-reload
if as_user systemctl --user start berth-probe.service >/dev/null 2>&1; then
	# The engine runs for this user: the real scenario.
	if check "systemctl --user start clock.service: active, MainPID conmon, rootless" rootless_runs; then
		check "systemctl --user stop clock.service" as_user systemctl --user stop clock.service
		check "nothing left (berth ps -a as $ruser)" expect "berth ps -a" "$(as_user berth ps -a --format '{{.Names}}' 2>&1)" ""
		check "the pause process outlives the unit, in a scope of its own" pause_in_scope
	fi
else
	check "berth refuses a non-root user with one clear line in the unit's journal" refused_clearly
	blocked "rootless: clock.service under the user manager runs the container" \
		"berth has no rootless mode: it would need to enter a user namespace mapped from /etc/subuid" \
		"(newuidmap/newgidmap), keep storage under ~/.local/share/containers and state under" \
		"\$XDG_RUNTIME_DIR, run without cgroups or in the user's systemd slice, and give containers" \
		"a network without root (slirp4netns or pasta). What this sandbox offers:" \
		"$(what_blocks | grep -v '^engine:')"
fi
as_user systemctl --user stop clock.service >/dev/null 2>&1
in_sb loginctl disable-linger "$ruser" >/dev/null 2>&1
