# shellcheck shell=bash disable=SC2154,SC2016 # run.sh and lib.sh set the variables; single-quoted scripts run in the sandbox
# Scenario 3, failures: (a) a container whose process is killed from outside comes back
# through Restart=always, as a new container under a new conmon; (b) a unit whose image
# does not exist fails with one clear journal line and leaves nothing behind; (c) a
# malformed Quadlet file's error, with its file:line, reaches the journal, and every
# other unit is still generated and works. Sourced by test/e2e/run.sh.

scenario 3 "failures: killed container, missing image, malformed file"

qdir=/etc/containers/systemd
cat >"$rootfs$qdir/e2e-restart.container" <<EOF
# Restarted whatever happens to it.
[Container]
Image=$image
Network=none
# Exits on SIGTERM, so that its stop is quick (sh as pid 1 would ignore it).
Exec=sh -c 'trap "exit 0" TERM; sleep 1000 & wait'

[Service]
Restart=always
RestartSec=200ms
EOF
missing=$reg/berth-e2e-nope:latest
cat >"$rootfs$qdir/e2e-badimage.container" <<EOF
[Container]
Image=$missing
Network=none
EOF
# Line 4 is not KEY=VALUE. The name is new on every run: the journal reads the kernel
# log, which still holds the lines of earlier runs.
brk=e2e-broken-$(date +%s)
cat >"$rootfs$qdir/$brk.container" <<EOF
[Container]
Image=$image
Network=none
Exec sleep 1000
EOF
echo "dropped into $qdir: e2e-restart.container, e2e-badimage.container, $brk.container (line 4 malformed)"
active_before=$(quadlet_units --state=active | tr '\n' ' ')
check "systemctl daemon-reload" in_sb systemctl daemon-reload

# ---- a) the container's process dies -----------------------------------------------
u=e2e-restart.service c=systemd-e2e-restart
check "a) systemctl start $u" in_sb systemctl start $u

# restarted UNIT N: systemd counted more than N restarts and the new start is done.
restarted() { [ "$(prop "$1" NRestarts)" -gt "$2" ] && [ "$(prop "$1" ActiveState)" = active ]; }
killed_comes_back() {
	local main0 n0 id0 pid0 main1 n1 id1 pid1
	main0=$(prop $u MainPID) n0=$(prop $u NRestarts)
	id0=$(B inspect --format '{{.Id}}' $c 2>&1) || { echo "berth inspect $c: $id0"; return 1; }
	pid0=$(B inspect --format '{{.State.Pid}}' $c)
	[ "${pid0:-0}" -gt 0 ] || { echo "berth inspect $c: State.Pid '$pid0'"; return 1; }
	echo "info: killing the container's pid 1 ($pid0, $(in_sb cat /proc/"$pid0"/comm)); conmon is $main0, NRestarts $n0"
	in_sb sh -c 'kill -KILL "$1"' _ "$pid0" || return 1
	wait_until 20 restarted $u "$n0" || { echo "not restarted within 20 s: $(props $u)"; journal $u 10; return 1; }
	main1=$(prop $u MainPID) n1=$(prop $u NRestarts)
	id1=$(B inspect --format '{{.Id}}' $c 2>&1) || { echo "berth inspect $c after restart: $id1"; return 1; }
	pid1=$(B inspect --format '{{.State.Pid}}' $c)
	echo "info: after: conmon $main1, NRestarts $n1, container ${id1:0:12} (was ${id0:0:12}), pid $pid1"
	expect "NRestarts" "$n1" $((n0 + 1)) || return 1
	[ "$main1" != "$main0" ] || { echo "MainPID is still $main0"; return 1; }
	[ "$id1" != "$id0" ] || { echo "still the same container $id0"; return 1; }
	if [ "$pid1" = "$pid0" ] || [ "${pid1:-0}" -le 0 ]; then
		echo "container pid '$pid1' (was $pid0)"
		return 1
	fi
	expect "containers named $c" "$(names --filter name=$c | grep -cx $c)" 1 || return 1
	in_sb test ! -d "/proc/$main0" || { echo "the old conmon $main0 still runs"; return 1; }
	main_is_conmon $u
}
check "a) kill -9 of the container's pid 1: Restart=always brings a new container" killed_comes_back
check "a) systemctl stop $u" in_sb systemctl stop $u

# ---- b) an image that does not exist ---------------------------------------------------
u=e2e-badimage.service
bad_image() {
	local lines n
	in_sb systemctl start $u && { echo "systemctl start $u succeeded"; return 1; }
	expect "ActiveState" "$(prop $u ActiveState)" failed || return 1
	expect "Result" "$(prop $u Result)" exit-code || return 1
	in_sb journalctl --sync
	# What the unit's own processes said (SyslogIdentifier=%N), not systemd's lines.
	lines=$(in_sb journalctl --no-pager -o cat -u $u SYSLOG_IDENTIFIER=e2e-badimage)
	n=$(grep -c . <<<"$lines")
	expect "journal lines from berth" "$n" 1 || { echo "$lines"; return 1; }
	grep -qF "$missing" <<<"$lines" || { echo "the line does not name $missing: $lines"; return 1; }
	echo "info: ExecMainStatus=$(prop $u ExecMainStatus), journal: $lines"
}
check "b) $u fails (Result=exit-code) with one journal line naming the image" bad_image
check "b) nothing left of it in berth ps -a" expect "containers named systemd-e2e-badimage" \
	"$(names | grep -c systemd-e2e-badimage)" 0

# ---- c) a malformed file ---------------------------------------------------------------
broken=$qdir/$brk.container
not_generated() {
	expect "LoadState of $brk.service" "$(prop "$brk.service" LoadState)" not-found || return 1
	in_sb test ! -e "/run/systemd/generator/$brk.service" || { echo "$brk.service was generated"; return 1; }
}
check "c) the malformed file became no unit" not_generated

# The generator logs to /dev/kmsg, which journald reads, as on a real machine: the
# sandbox is booted with the host's /dev/kmsg and CAP_SYSLOG (see run.sh). Without them
# the generator falls back to its stderr, which PID 1 sends to /dev/null.
in_journal() {
	local got
	wait_until 5 bash -c "$(printf %q "$sb/run.sh") journalctl -b --no-pager -o cat | grep -qF $(printf %q "$broken:4")"
	got=$(in_sb journalctl -b --no-pager -o cat | grep -F "$broken:4") && { echo "info: journal: $got"; return 0; }
	echo "no line with $broken:4 in journalctl -b"
	in_sb test -e /dev/kmsg || echo "the sandbox has no /dev/kmsg, and the generator's fallback, stderr, goes to /dev/null under PID 1"
	echo "journal lines about the generator: $(in_sb journalctl -b --no-pager -o cat | grep -i generator | tail -n 2)"
	echo "the generator's message (quadlet -dryrun): $(in_sb /usr/libexec/berth/quadlet -dryrun 2>&1 >/dev/null | grep -F "$broken")"
	return 1
}
check "c) the generator's error names $broken:4 in the journal (journalctl -b)" in_journal

# every_other_generated: every other Quadlet file in the folder has its service.
every_other_generated() {
	local f base svc bad=0 n=0
	for f in "$rootfs$qdir"/*.container "$rootfs$qdir"/*.pod "$rootfs$qdir"/*.volume "$rootfs$qdir"/*.network; do
		base=$(basename "$f")
		case $base in
		"$brk.container") continue ;;
		*.container) svc=${base%.container}.service ;;
		*.pod) svc=${base%.pod}-pod.service ;;
		*.volume) svc=${base%.volume}-volume.service ;;
		*.network) svc=${base%.network}-network.service ;;
		esac
		n=$((n + 1))
		in_sb test -f "/run/systemd/generator/$svc" || { echo "$base: no /run/systemd/generator/$svc"; bad=1; }
	done
	echo "info: $n other files, all generated"
	return $bad
}
check "c) every other file was still generated" every_other_generated
restart_works() {
	in_sb systemctl restart clock.service || { props clock.service; journal clock.service 5; return 1; }
	active clock.service && main_is_conmon clock.service
}
check "c) and works: systemctl restart clock.service" restart_works
# shellcheck disable=SC2086 # a list of unit names
check "c) and works: the units active before the reload still are (${active_before% })" active $active_before
rm -f "$rootfs$qdir/$brk.container" "$rootfs$qdir/e2e-badimage.container"
in_sb systemctl reset-failed e2e-badimage.service 2>/dev/null
