#!/usr/bin/env bash
# packaging/build.sh: build the one-folder bundle dist/NetCanvas/ from a clean venv.
#
# Makes build/bundle-venv from scratch, installs the CPU torch, this checkout (as a wheel, not
# editable) and PyInstaller into it, runs packaging/netcanvas.spec there, strips torch's
# libraries, and prints the time each step took and the bundle's size. Then run
# packaging/smoke.sh.
#
#   PYTHON=python3.11 packaging/build.sh        # the interpreter for the venv (default python3)
#   TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu" packaging/build.sh
#                                               # where PyPI's Linux torch is a CUDA build
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/bundle-venv
seconds() { date +%s; }
t0=$(seconds)
rm -rf "$venv" build/pyinstaller dist/NetCanvas
"${PYTHON:-python3}" -m venv "$venv"
# shellcheck disable=SC2086  # TORCH_PIP_ARGS is a list of pip options
"$venv/bin/pip" install -q ${TORCH_PIP_ARGS:-} torch==2.13.0
"$venv/bin/pip" install -q '.[bundle]'
cuda=$("$venv/bin/python" -c "import torch; print(torch.version.cuda or '')")
if [ -n "$cuda" ]; then
    echo "build.sh: the venv got a CUDA torch ($cuda); set TORCH_PIP_ARGS for the CPU wheel" >&2
    exit 1
fi
t1=$(seconds)
"$venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath dist \
    --workpath build/pyinstaller packaging/netcanvas.spec
# torch's own libraries come with their symbol tables (libtorch_cpu.so: 434 MB, 345 MB
# without); the dynamic symbols stay, so nothing that loads them changes.
if command -v strip >/dev/null; then
    strip --strip-unneeded dist/NetCanvas/_internal/torch/lib/*.so*
fi
t2=$(seconds)
echo "venv + install: $((t1 - t0)) s; PyInstaller: $((t2 - t1)) s; total: $((t2 - t0)) s"
echo "bundle: dist/NetCanvas/ $(du -sh dist/NetCanvas | cut -f1)" \
     "($(find dist/NetCanvas -type f | wc -l) files)"
