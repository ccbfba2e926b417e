#!/usr/bin/env bash
# Generates the units of examples/ and checks them with `systemd-analyze verify`.
# Usage: test/verify-examples.sh GENERATOR
# The engine path written into the units must name an executable for verify to pass:
# build/bin/berth when it has been built, else a placeholder script in a temp folder
# (verify checks unit syntax, dependencies and that ExecStart= is executable; it does
# not run anything).
set -euo pipefail
gen=$(realpath "$1")
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
engine="$top/build/bin/berth"
if [ ! -x "$engine" ]; then
	engine="$tmp/bin/berth"
	mkdir -p "$tmp/bin"
	printf '#!/bin/sh\necho "berth: engine not built" >&2\nexit 125\n' >"$engine"
	chmod +x "$engine"
fi
out="$tmp/generator"
mkdir -p "$out"
QUADLET_UNIT_DIRS="$top/examples" BERTH_ENGINE="$engine" "$gen" -no-kmsg-log "$out"
services=("$out"/*.service)
echo "generated ${#services[@]} services: $(cd "$out" && echo *.service)"
# Instances of templates are verified through their default instance's link.
targets=()
for s in "${services[@]}"; do
	case "$s" in
	*@.service) ;;
	*) targets+=("$s") ;;
	esac
done
for l in "$out"/*.wants/*@*.service; do
	[ -e "$l" ] && targets+=("$l")
done
# verify loads the units next to the files it is given, so references between
# generated units resolve.
SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "${targets[@]}" 2>&1 | tee "$tmp/verify.log"
if [ -s "$tmp/verify.log" ]; then
	echo "systemd-analyze verify reported problems" >&2
	exit 1
fi
echo "systemd-analyze verify: clean"
