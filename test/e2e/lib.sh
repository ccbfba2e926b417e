# shellcheck shell=bash disable=SC2034,SC2154,SC2016 # run.sh sets top, bin, work; scenarios use the rest; single-quoted scripts run in the sandbox
# Shared by test/e2e/run.sh and its scenarios (test/e2e/scenarios/*.sh): counting
# checks, running commands in the sandbox, reading unit and container state, and
# installing berth into the sandbox as a package would.

# ---- counting ----------------------------------------------------------------------

passed=0 failed=0
scenario_name='' scenario_failed=0 scenario_passed=0
summary=() # one line per scenario, printed at the end

# scenario N TITLE: starts a scenario; the previous one's result goes to the summary.
scenario() {
	scenario_end
	scenario_name="$1. $2" scenario_failed=0 scenario_passed=0
	scenario_t0=$(date +%s.%N)
	echo
	echo "=== scenario $scenario_name"
}

scenario_end() {
	[ -n "$scenario_name" ] || return 0
	local r=PASS
	[ "$scenario_failed" = 0 ] || r=FAIL
	summary+=("$(printf '%-4s %s (%s passed, %s failed, %ss)' "$r" "$scenario_name" \
		"$scenario_passed" "$scenario_failed" "$(elapsed "$scenario_t0")")")
	scenario_name=
}

pass() {
	passed=$((passed + 1)) scenario_passed=$((scenario_passed + 1))
	echo "PASS $*"
}

# fail WHAT [WHY...]: counts a failure; WHY lines are shown indented.
fail() {
	failed=$((failed + 1)) scenario_failed=$((scenario_failed + 1))
	echo "FAIL $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | tail -n 25 | sed 's/^/     /'
	return 0
}

# blocked WHAT WHY...: a check that cannot pass in this project yet, for the reason
# given (shown, with the facts, in the output and the summary); it counts as neither
# passed nor failed, and the closing note names it.
blocked_list=()
blocked() {
	echo "BLOCKED $1"
	blocked_list+=("$1")
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/     /'
	return 0
}

# check WHAT CMD...: runs CMD; PASS when it succeeds, else FAIL with its output's tail.
# On success, lines of its output starting with "info:" are shown.
check() {
	local what=$1 t0 check_out
	shift
	t0=$(date +%s.%N)
	if check_out=$("$@" 2>&1); then
		pass "$what ($(elapsed "$t0")s)"
		grep '^info:' <<<"$check_out" | sed 's/^info: */     /'
		return 0
	fi
	fail "$what ($(elapsed "$t0")s)" "$check_out"
	return 1
}

# expect WHAT GOT WANT: fails with a message when GOT != WANT.
expect() {
	[ "$2" = "$3" ] && return 0
	echo "$1: got '$2', want '$3'"
	return 1
}

# ---- the sandbox -------------------------------------------------------------------

sb=$top/test/sandbox
sbdir=${BERTH_SANDBOX_DIR:-/var/tmp/berth-sandbox}
rootfs=$sbdir/rootfs

# in_sb CMD...: runs CMD in the sandbox (nsenter into all its namespaces). Use it to
# look at state and to drive systemctl; behaviour is tested through units.
in_sb() { "$sb/run.sh" "$@"; }

# B runs berth in the sandbox (to look at state only).
B() { in_sb /usr/bin/berth "$@"; }

# prop UNIT PROPERTY: one property of a unit in the sandbox's system manager.
prop() { in_sb systemctl show -P "$2" "$1"; }

# props UNIT: the properties worth showing when something went wrong.
props() {
	in_sb systemctl show -p LoadState,ActiveState,SubState,Result,MainPID,ExecMainStatus,NRestarts "$1" | tr '\n' ' '
	echo
}

# journal UNIT [N]: the unit's last N journal lines.
journal() {
	in_sb journalctl --no-pager -o cat -u "$1" | tail -n "${2:-15}"
}

# why UNIT: the unit's state and the last error its own processes logged, else what
# systemd said last.
why() {
	local line
	line=$(in_sb journalctl --no-pager -o cat -u "$1" SYSLOG_IDENTIFIER="${1%.service}" | grep -i error | tail -n 1)
	[ -n "$line" ] || line=$(journal "$1" 1)
	echo "$1: $(props "$1")"
	echo "  | $line"
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s until it succeeds; fails after SECONDS.
wait_until() {
	local deadline
	deadline=$(awk -v t="$(date +%s.%N)" -v s="$1" 'BEGIN{printf "%.2f", t+s}')
	shift
	until "$@" >/dev/null 2>&1; do
		awk -v d="$deadline" -v t="$(date +%s.%N)" 'BEGIN{exit !(t>d)}' && return 1
		sleep 0.1
	done
}

# oneshot_done UNIT: a oneshot service without RemainAfterExit= (such as a .volume's)
# that ran successfully, which leaves it inactive.
oneshot_done() {
	[ "$(prop "$1" Type)" = oneshot ] && [ "$(prop "$1" RemainAfterExit)" = no ] &&
		[ "$(prop "$1" ActiveState)" = inactive ] && [ "$(prop "$1" Result)" = success ] &&
		[ "$(prop "$1" ExecMainExitTimestampMonotonic)" != 0 ] && [ "$(prop "$1" ExecMainStatus)" = 0 ]
}

# active UNIT...: every unit is active; else says which is not, with its journal.
active() {
	local u st bad=0
	for u in "$@"; do
		st=$(prop "$u" ActiveState)
		if [ "$st" = active ]; then
			echo "info: $u active ($(prop "$u" SubState))"
		elif oneshot_done "$u"; then
			echo "info: $u ran and exited successfully (a oneshot without RemainAfterExit)"
		else
			bad=1
			why "$u"
		fi
	done
	return $bad
}

# quadlet_units [--state=STATE]: the loaded services made from Quadlet files in
# /etc/containers/systemd (by their SourcePath).
quadlet_units() {
	local u
	for u in $(in_sb systemctl list-units --all --plain --no-legend --type=service "$@" | awk '{print $1}'); do
		case $(prop "$u" SourcePath) in /etc/containers/systemd/*) echo "$u" ;; esac
	done
}

# main_is_conmon UNIT: the unit's MainPID runs conmon, and is the ConmonPid of the
# container berth knows for the unit (CONTAINER, default systemd-%N).
main_is_conmon() {
	local u=$1 name=${2:-} main comm cpid
	[ -n "$name" ] || name=systemd-${u%.service}
	main=$(prop "$u" MainPID)
	[ "$main" != 0 ] || { echo "$u has no MainPID ($(props "$u"))"; return 1; }
	comm=$(in_sb cat "/proc/$main/comm" 2>&1)
	expect "$u: comm of MainPID $main" "$comm" conmon || return 1
	cpid=$(B inspect --format '{{.State.ConmonPid}}' "$name" 2>&1) || { echo "berth inspect $name: $cpid"; return 1; }
	expect "$u: berth inspect $name ConmonPid" "$cpid" "$main" || return 1
	echo "info: $u: MainPID $main is conmon of $name"
}

# conmons prints the pids of conmon processes in the sandbox.
conmons() {
	in_sb sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = conmon ] && echo ${p#/proc/}; done; true'
}

# berth_mounts prints the mounts under berth's storage and state roots in the sandbox.
berth_mounts() {
	in_sb awk '$5 ~ "^/var/lib/containers/storage|^/run/containers/storage|^/run/libpod|^/run/berth" {print $5}' /proc/self/mountinfo
}

# names [ARGS]: the names of the containers berth lists (berth ps -a by default).
names() { B ps -a --format '{{.Names}}' "$@"; }

# ms_between A B: milliseconds between two monotonic µs timestamps.
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.0f", (b-a)/1000}'; }

# http_get HOST PORT [PATH]: the body of an HTTP/1.0 GET, through bash's /dev/tcp.
http_get() {
	timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$3" "$1" >&3 &&
		sed "1,/^\r\{0,1\}\$/d" <&3' _ "$1" "$2" "${3:-/}"
}

# sb_boot: boots the sandbox and waits for the boot to finish. Two differences from
# test/sandbox/boot.sh's defaults make it a real machine for what berth does:
#  - the generator's messages reach the journal through the kernel log: the sandbox
#    gets the host's /dev/kmsg, and CAP_SYSLOG for journald to read it;
#  - /proc/sys is writable (SYSTEMD_NSPAWN_API_VFS_WRITABLE): netavark sets sysctls
#    when it sets up a bridge network. The sandbox shares the host's network
#    namespace, so these, like the bridges and firewall rules, are the host's.
sb_boot() {
	local kmsg=()
	[ -c /dev/kmsg ] && kmsg=(--bind=/dev/kmsg --capability=CAP_SYSLOG)
	SYSTEMD_NSPAWN_API_VFS_WRITABLE=1 "$sb/boot.sh" "${kmsg[@]}" "$@" >/dev/null
}
sb_stop() { "$sb/stop.sh" >/dev/null 2>&1; }

# clean_host_net PREFIX: removes what a run that died left in the host's network
# namespace (which the sandbox shares) for the subnet whose addresses start with PREFIX
# (e.g. "10.89.10."): interfaces holding such an address, and the firewall rules
# naming it or jumping to netavark's chains for it. Says what it removed.
clean_host_net() {
	local prefix=$1 t ifs chains rules r c
	ifs=$(ip -o -4 addr show | awk -v p="$prefix" 'index($4, p) == 1 {print $2}' | sort -u)
	for c in $ifs; do ip link del "$c" && echo "info: removed interface $c (${prefix}x, left by an earlier run)"; done
	command -v iptables-save >/dev/null || return 0
	for t in filter nat; do
		# netavark's chains for the subnet: those whose rules name it.
		chains=$(iptables-save -t "$t" | awk -v p="$prefix" '$1 == "-A" && $2 ~ /^NETAVARK-/ && index($0, p) {print $2}' | sort -u)
		rules=$(iptables-save -t "$t" | awk -v p="$prefix" -v c=" ${chains//$'\n'/ } " '
			$1 != "-A" {next}
			index($0, p) {print; next}
			{for (i = 1; i < NF; i++) if ($i == "-j" && index(c, " " $(i+1) " ")) {print; next}}')
		while IFS= read -r r; do
			[ -n "$r" ] || continue
			eval "iptables -t $t -D ${r#-A }" && echo "info: removed $t rule: $r"
		done <<<"$rules"
		for c in $chains; do
			iptables -t "$t" -F "$c" && iptables -t "$t" -X "$c" && echo "info: removed $t chain $c"
		done
	done
	return 0
}

# ---- installing berth -----------------------------------------------------------------

# install_berth DESTDIR: meson's install layout (meson.build) into DESTDIR, with the
# binaries of $bin (see prebuilt-go.sh): /usr/bin/berth, /usr/libexec/berth/quadlet,
# the generator links in systemd's generator folders, the user unit.
install_berth() {
	local dest=$1 mb=$top/build/e2e-meson
	rm -rf "$mb"
	BERTH_PREBUILT_DIR=$bin meson setup "$mb" --prefix=/usr -Dman=disabled -Dengine=enabled \
		"-Dgo=$top/test/e2e/prebuilt-go.sh" >"$work/meson-setup.log" 2>&1 ||
		{ tail -n 20 "$work/meson-setup.log"; return 1; }
	BERTH_PREBUILT_DIR=$bin meson install -C "$mb" --destdir "$dest" >"$work/meson-install.log" 2>&1 ||
		{ tail -n 20 "$work/meson-install.log"; return 1; }
	grep '^Installing' "$work/meson-install.log" | sed "s|$dest||g; s/^/info: /"
}
