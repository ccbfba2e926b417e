#!/usr/bin/env bash
# run.sh CMD [ARGS...]: runs a command inside the booted sandbox (all its namespaces)
# with a clean environment, and exits with its status. Note: nsenter is more
# privileged than a unit; to test behaviour, start units (systemctl start,
# systemd-run --wait) through it.
set -euo pipefail
# shellcheck source=test/sandbox/common.sh
. "$(dirname "$0")/common.sh"
[ $# -gt 0 ] || die "usage: run.sh CMD [ARGS...]"
p=$(sandbox_pid) || die "the sandbox is not running: test/sandbox/boot.sh"
exec nsenter -t "$p" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 "$@"
