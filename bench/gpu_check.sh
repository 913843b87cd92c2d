#!/usr/bin/env bash
# Multi-GPU check: lenet_digits trained on one GPU, then on every GPU of this machine
# (device cuda:all = torchrun with one process per GPU), throughput of each and their ratio;
# then the app's path (trainer_for -> ProcessTrainer, rank 0's events followed) on every GPU.
#
#   bash bench/gpu_check.sh [EPOCHS] [BATCH_SIZE]      (defaults: 20 epochs, the project's batch)
#
# Throughput = training samples / median seconds of an epoch (epoch 1 left out as warm-up;
# an epoch's seconds include its validation pass). The digits are tiny (about 1,300 training
# samples), so per-step communication dominates and several GPUs may well be slower than one:
# the ratio shows the overhead more than the scaling. Exits 0 with a message without CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
EPOCHS=${1:-20}
BATCH=${2:-}
EXAMPLE=resources/examples/lenet_digits.netcanvas

GPUS=$("$PY" -c "import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)")
if [ "$GPUS" -lt 1 ]; then
    echo "gpu_check: no CUDA GPU on this machine: nothing to measure"
    exit 0
fi
OUT=$(mktemp -d -t netcanvas-gpu-check-XXXX)
trap 'rm -rf "$OUT"' EXIT
EXTRA=(--epochs "$EPOCHS" --layer-stats 0)
[ -n "$BATCH" ] && EXTRA+=(--batch-size "$BATCH")
"$PY" -c "import torch; [print(f'GPU {i}: {torch.cuda.get_device_name(i)}') for i in range(torch.cuda.device_count())]"

echo "== one GPU: netcanvas train $EXAMPLE --device cuda ${EXTRA[*]}"
"$PY" -m netcanvas train "$EXAMPLE" --device cuda --out "$OUT/one" "${EXTRA[@]}" | tail -n 3
if [ "$GPUS" -gt 1 ]; then
    echo "== all $GPUS GPUs: netcanvas train $EXAMPLE --device cuda:all (--nproc-per-node $GPUS) ${EXTRA[*]}"
    "$PY" -m netcanvas train "$EXAMPLE" --device cuda:all --out "$OUT/all" "${EXTRA[@]}" | tail -n 3
else
    echo "== only one GPU here: no multi-GPU run"
fi

"$PY" - "$EXAMPLE" "$OUT" "$GPUS" <<'EOF'
import json, statistics, sys
from pathlib import Path
from netcanvas.backend.data import load_dataset
from netcanvas.backend.project_io import load_project

example, out, gpus = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
samples = len(load_dataset(load_project(example).dataset).train)

def throughput(folder):
    epochs = json.loads((folder / "metrics.json").read_text())["epochs"]
    seconds = [e["seconds"] for e in epochs[1:]] or [epochs[0]["seconds"]]
    return samples / statistics.median(seconds)

one = throughput(out / "one")
print(f"one GPU:        {one:12,.0f} samples/s  ({samples} training samples per epoch)")
if gpus > 1:
    every = throughput(out / "all")
    print(f"all {gpus} GPUs:     {every:12,.0f} samples/s")
    print(f"ratio all/one:  {every / one:12.2f}  (ideal {gpus}; tiny data: overhead-bound)")
EOF

if [ "$GPUS" -gt 1 ]; then
    echo "== the app's path: trainer_for(project on cuda:all) -> ProcessTrainer, 2 epochs"
    "$PY" - "$EXAMPLE" "$OUT/app" <<'EOF'
import sys
from netcanvas.backend.project_io import load_project
from netcanvas.backend.training.events import EpochEnded, Finished, Started
from netcanvas.backend.training.remote import ProcessTrainer, trainer_for

project = load_project(sys.argv[1])
project.training.device, project.training.epochs = "cuda:all", 2
trainer = trainer_for(project, checkpoint_dir=sys.argv[2])
assert isinstance(trainer, ProcessTrainer), trainer
for event in trainer.events():
    if isinstance(event, (Started, EpochEnded)):
        print(" ", event)
result = trainer.result
print(f"  {trainer.nproc} processes; finished: {result.failed is None and not result.cancelled}, "
      f"test {result.test_metrics}, model loaded: {result.model is not None}")
EOF
fi
