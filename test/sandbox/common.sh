# shellcheck shell=bash disable=SC2034 # the paths are used by the scripts that source this
# Shared by the sandbox scripts: paths, the pid files, and cgroup cleanup.
# shellcheck source=test/fixtures/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)/lib.sh"
fx_name=sandbox-$fx_name

sbdir=${BERTH_SANDBOX_DIR:-/var/tmp/berth-sandbox}
rootfs=$sbdir/rootfs     # the tree the sandbox boots (tests may change it)
base=$sbdir/base         # pristine copy made by setup.sh, for reset.sh
pidfile=$sbdir/pid1      # host pid of the sandbox's pid 1 (systemd)
nspawnpid=$sbdir/nspawn.pid

# sandbox_pid prints the pid of the sandbox's pid 1 if it runs.
sandbox_pid() {
	local p
	[ -s "$pidfile" ] && p=$(cat "$pidfile") && alive "$p" && echo "$p"
}

nspawn_running() {
	[ -s "$nspawnpid" ] && alive "$(cat "$nspawnpid")"
}

# clean_cgroups removes the empty payload/supervisor cgroups that systemd-nspawn
# leaves at the top of the hierarchies when there is no host systemd to do it. They
# are fixed paths, which is why only one sandbox can run on a machine at a time.
clean_cgroups() {
	local h d
	for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
		for d in "$h/payload" "$h/supervisor"; do
			[ -d "$d" ] || continue
			find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
			[ -d "$d" ] && say "warning: could not remove $d (processes left in it?)"
		done
	done
	return 0
}
