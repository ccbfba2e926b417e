#!/usr/bin/env bash
# The project's test command: sets up what a fresh machine lacks (test/setup.sh), then
# runs everything CI runs. Prints one line per step and ends with "N passed, N failed".
# Binaries are built once into build/bin and reused. With BERTH_REQUIRE_ALL=1 (CI), a
# test whose requirement (root, conmon, the registry...) is missing fails instead of
# skipping.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export GOFLAGS="${GOFLAGS:-} -tags=containers_image_openpgp,exclude_graphdriver_btrfs"
shared="${BERTH_SHARED:-$top/../shared}"
[ -d "$shared" ] || shared=/work/shared
start=$(date +%s)
passed=0 failed=0 failures=()

step() {
	local name=$1
	shift
	local t0=$(date +%s)
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1))
		echo "--- ok   $name ($(($(date +%s) - t0))s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "--- FAIL $name ($(($(date +%s) - t0))s)"
	fi
}

gofmt_clean() {
	local bad
	bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './build/*'))
	[ -z "$bad" ] || { echo "not gofmt'ed: $bad"; return 1; }
}

build() {
	mkdir -p build/bin
	go build -o build/bin/quadlet ./cmd/quadlet && go build -o build/bin/berth ./cmd/berth
}

# The engine under a real systemd, in the nspawn sandbox (its rootfs is built once).
engine_e2e() {
	test/sandbox/setup.sh && BERTH_E2E_NOBUILD=1 test/e2e/engine/run.sh
}

conformance() {
	[ -d "$shared/conformance/harness" ] || { echo "no conformance suite at $shared/conformance"; return 1; }
	(cd "$shared/conformance/harness" && go build -o "$top/build/bin/quadlet-conformance" .) || return 1
	build/bin/quadlet-conformance -generator build/bin/quadlet -cases "$shared/conformance/cases" \
		-engine-name berth -engine-env BERTH_ENGINE >build/conformance.log 2>&1
	local rc=$?
	grep -E '^(FAIL|SKIP)' build/conformance.log | cut -c1-300
	tail -n 12 build/conformance.log
	return $rc
}

step "setup (packages, registry, test image, modules)" test/setup.sh
step "gofmt" gofmt_clean
step "go vet" go vet ./...
step "build" build
step "go test" go test -count=1 -timeout 20m ./...
step "fuzz units (20s)" go test -run='^$' -fuzz=FuzzRoundTrip -fuzztime=20s ./units
step "quadlet conformance" conformance
step "examples: systemd-analyze verify" test/verify-examples.sh build/bin/quadlet
step "engine under systemd (sandbox)" engine_e2e
step "e2e: Quadlet files to services and back under a real systemd (test/e2e)" env BERTH_E2E_NOBUILD=1 test/e2e/run.sh
step "main job: a Quadlet file under a real systemd" test/demo-live.sh
if [ -x man/check-install.sh ]; then
	step "meson build and install layout" man/check-install.sh
fi

echo
echo "test/run.sh took $(($(date +%s) - start))s"
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
