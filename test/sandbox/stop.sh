#!/usr/bin/env bash
# Powers the sandbox off (SIGRTMIN+4 to its systemd), waits for systemd-nspawn to exit
# (killing it after $BERTH_SANDBOX_STOP_TIMEOUT seconds), and removes the empty cgroups
# nspawn leaves behind. No-op when it is not running.
set -euo pipefail
# shellcheck source=test/sandbox/common.sh
. "$(dirname "$0")/common.sh"
need_root
t0=$(date +%s.%N)
timeout=${BERTH_SANDBOX_STOP_TIMEOUT:-20}

gone() { ! nspawn_running && [ -z "$(sandbox_pid)" ]; }

if gone; then
	rm -f "$pidfile" "$nspawnpid"
	clean_cgroups
	say "not running"
	exit 0
fi
if p=$(sandbox_pid); then
	say "powering off (pid 1 is host pid $p)"
	kill -s SIGRTMIN+4 "$p"
fi
for _ in $(seq $((timeout * 20))); do
	gone && break
	sleep 0.05
done
if ! gone; then
	say "still running after ${timeout}s: killing"
	if nspawn_running; then kill -9 "$(cat "$nspawnpid")" || true; fi
	if p=$(sandbox_pid); then kill -9 "$p" || true; fi
	sleep 0.5
	gone || die "could not stop the sandbox"
fi
rm -f "$pidfile" "$nspawnpid"
clean_cgroups
say "stopped in $(elapsed "$t0")s"
