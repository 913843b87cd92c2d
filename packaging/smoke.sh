#!/usr/bin/env bash
# packaging/smoke.sh: run the built bundle as a user would, from outside the checkout and
# with nothing but the bundle (no venv, no source tree on the path).
#
#   packaging/smoke.sh                   # checks dist/NetCanvas/netcanvas
#   packaging/smoke.sh path/to/netcanvas # another build of it
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exe=$(realpath "${1:-$root/dist/NetCanvas/netcanvas}")
examples=$(dirname "$exe")/_internal/netcanvas/resources/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} XDG_DATA_HOME=$tmp/data \
       XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state XDG_CACHE_HOME=$tmp/cache
step() {  # step NAME COMMAND...: run it, show its output, say how long it took
    local name=$1 start
    shift
    start=$(date +%s%N)
    echo "== $name: $*"
    "$@" 2>&1 | tee "$tmp/out"
    echo "-- $name ok in $(( ($(date +%s%N) - start) / 1000000 )) ms"
}
expect() { grep -q -- "$1" "$tmp/out" || { echo "smoke.sh: expected '$1'" >&2; exit 1; }; }

step version "$exe" --version
expect "netcanvas 0.1.0"
step check "$exe" check "$examples/lenet_digits.netcanvas"
expect "13,706 parameters"
step train "$exe" train --epochs 1 --out run "$examples/lenet_digits.netcanvas"
expect "epoch 1/1"
test -f run/checkpoint.json
step export "$exe" export --onnx lenet.onnx --weights run "$examples/lenet_digits.netcanvas"
expect "verified with ONNX Runtime"
test -s lenet.onnx
{ seq -s, 1 64 | tr -d '\n'; echo; } | sed 's/[0-9][0-9]*/0.5/g' > rows.csv  # 64 grey pixels
step predict "$exe" predict --weights run "$examples/lenet_digits.netcanvas" rows.csv
expect "rows.csv row 1"
step screenshot "$exe" --screenshot shot.png "$examples/residual_cnn.netcanvas"
[ "$(head -c 8 shot.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]  # a PNG
[ "$(stat -c %s shot.png)" -gt 20000 ]
before=$(find data config -type f 2>/dev/null | sort)  # what the app itself saved
step "desktop install" "$exe" desktop install
grep -qxF "Exec=$exe %f" data/applications/io.github.netcanvas.netcanvas.desktop
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate data/applications/io.github.netcanvas.netcanvas.desktop
fi
step "desktop uninstall" "$exe" desktop uninstall
[ "$(find data config -type f 2>/dev/null | sort)" = "$before" ]  # nothing left behind
echo "smoke.sh: all passed ($exe)"
