#!/usr/bin/env bash
# prebuilt-go.sh: stands in for `go` in meson (meson setup -Dgo=THIS) so that the suite
# installs berth with meson's own install layout without a second, -trimpath build: for
# `go build ... -o OUT ./cmd/NAME` it copies $BERTH_PREBUILT_DIR/NAME to OUT. Anything
# else (go test, other packages) fails loudly.
set -euo pipefail
dir=${BERTH_PREBUILT_DIR:?BERTH_PREBUILT_DIR is not set}
[ "${1:-}" = build ] || { echo "prebuilt-go.sh: only 'go build' is supported, got: $*" >&2; exit 1; }
out='' pkg=''
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift ;;
	./cmd/*) pkg=${1#./cmd/} ;;
	esac
	shift
done
if [ -z "$out" ] || [ -z "$pkg" ]; then
	echo "prebuilt-go.sh: no -o OUT ./cmd/NAME in the arguments" >&2
	exit 1
fi
[ -x "$dir/$pkg" ] || { echo "prebuilt-go.sh: no prebuilt $dir/$pkg" >&2; exit 1; }
cp "$dir/$pkg" "$out"
