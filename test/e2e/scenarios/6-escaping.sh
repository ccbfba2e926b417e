# shellcheck shell=bash disable=SC2154,SC2016 # run.sh and lib.sh set the variables; single-quoted scripts run in the sandbox
# Scenario 6, escaping checked against systemd itself: test/e2e/escape writes Quadlet
# files that carry a table of hostile values (spaces, quotes, backslashes, $, %, tabs
# and other control characters through escapes, unicode, leading dashes, empty
# strings, ...) through Exec=, Environment=, Label=, PodmanArgs= and Volume=, each
# encoded by podman-systemd.unit(5)'s rules. The real generator turns them into
# services, the real systemd parses those and runs berth, and the containers' pid 1
# dumps its argv, environment and volume markers into a bind-mounted folder; labels
# come from berth inspect. Every value must arrive byte for byte. Sourced by
# test/e2e/run.sh.

scenario 6 "escaping: hostile values through Exec=, Environment=, Label=, Volume=, PodmanArgs="

esc_units=(esc-exec.service esc-env.service esc-label.service esc-args.service esc-volume.service)
check "escape gen: write the esc-*.container files from the table" "$work/escape" gen "$rootfs"
check "systemctl daemon-reload" in_sb systemctl daemon-reload
# systemd's own complaints about the generated services name their file and line.
systemd_accepts() {
	local bad
	bad=$(in_sb journalctl -b --no-pager -o cat -n 300 | grep -E '/esc-(exec|env|label|args|volume)\.service:[0-9]+:')
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}
check "systemd loaded the generated services without complaint" systemd_accepts

started=()
for u in "${esc_units[@]}"; do
	if check "systemctl start $u" in_sb systemctl start "$u"; then
		started+=("$u")
	else
		why "$u" | sed 's/^/     /'
	fi
done

esc_out=$rootfs/e2e-esc/out
# dumped NAME: the container wrote its dump.
dumped() {
	wait_until 10 test -e "$esc_out/$1.done" && return 0
	echo "$1 wrote no dump in 10 s: $(props "$1.service")"
	return 1
}
labels_of() {
	B inspect --format '{{json .Config.Labels}}' "systemd-$1" >"$work/$1.labels" 2>&1 || { cat "$work/$1.labels"; return 1; }
}

# dumped_equal NAME KIND [PREFIX]: NAME's dump (KIND argv, env or vol) is as meant.
dumped_equal() {
	local n=$1 kind=$2
	dumped "$n" || return 1
	case $kind in
	argv) "$work/escape" check argv "$esc_out/$n.argv" ;;
	env) "$work/escape" check env "$3" "$esc_out/$n.env" ;;
	vol) "$work/escape" check volumes "$esc_out/$n.vol" ;;
	esac
}
# labels_equal NAME PREFIX: the labels berth shows for NAME's container are as meant.
labels_equal() { labels_of "$1" && "$work/escape" check labels "$2" "$work/$1.labels"; }

check "Exec=: every argument arrives as meant (/proc/1/cmdline)" dumped_equal esc-exec argv
check "Environment=: every value arrives as meant (/proc/1/environ)" dumped_equal esc-env env E2E_
check "Label=: every label is as meant (berth inspect)" labels_equal esc-label e2e.
check "PodmanArgs=: every --env value arrives as meant (/proc/1/environ)" dumped_equal esc-args env PA_
check "PodmanArgs=: every --label is as meant (berth inspect)" labels_equal esc-args pa.
check "Volume=: every host path is mounted at its container path (markers under /v)" dumped_equal esc-volume vol

if [ ${#started[@]} -gt 0 ]; then
	check "systemctl stop the esc-* units" in_sb systemctl stop "${started[@]}"
fi
check "nothing left of them (berth ps -a)" expect "containers named systemd-esc-*" "$(names | grep -c '^systemd-esc-')" 0
rm -f "$rootfs"/etc/containers/systemd/esc-*.container
