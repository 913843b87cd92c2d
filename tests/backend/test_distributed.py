"""`netcanvas train --nproc-per-node 2`: two gloo processes under torchrun on this CPU.

Tolerance: the two ranks' half-batch gradients are summed by all-reduce instead of in one
backward pass, so float32 rounding differs (about 1e-7 relative per step; measured 3e-8 on
the epoch losses after 2 epochs of LeNet). Accuracy counts are exact. rtol 1e-5 leaves room
for 40 steps of that rounding and would still catch a wrong shard, weight or average
(those move the loss by percents).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from netcanvas.backend.training.world import World
from process_tree import no_process_left  # noqa: F401 -- a fixture, used by pytestmark

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "lenet_digits.netcanvas"
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_process_left")]


def netcanvas(*argv: str, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "netcanvas", *argv], check=False, capture_output=True,
                          text=True, env=env, timeout=600, **kw)


def epochs(out: Path) -> list[dict]:
    return json.loads((out / "metrics.json").read_text())["epochs"]


def test_two_processes_train_like_one(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    single = netcanvas("train", str(EXAMPLE), "--device", "cpu", "--epochs", "2",
                       "--out", str(one))
    assert single.returncode == 0, single.stderr
    ddp = netcanvas("train", str(EXAMPLE), "--nproc-per-node", "2", "--device", "cpu",
                    "--epochs", "2", "--out", str(two))
    assert ddp.returncode == 0, ddp.stderr
    assert "trained in 2 processes" in ddp.stdout
    assert ddp.stdout.count("epoch 1/2") == 1  # rank 0 alone prints
    assert sorted(p.name for p in two.iterdir() if p.name.startswith("metrics")) == [
        "metrics.csv", "metrics.json"]
    for a, b in zip(epochs(one), epochs(two), strict=True):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-5)
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=1e-5)
        assert b["train_accuracy"] == a["train_accuracy"]


def test_interrupt_and_resume(tmp_path):
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "netcanvas", "train", str(EXAMPLE), "--nproc-per-node", "2",
            "--device", "cpu", "--epochs", "40", "--out", str(out)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    deadline = time.monotonic() + 300
    while not (out / "checkpoint.json").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole group
    proc.communicate(timeout=120)
    assert proc.returncode != 0
    done = json.loads((out / "checkpoint.json").read_text())["epoch"]
    assert 1 <= done < 40
    resumed = netcanvas("train", str(EXAMPLE), "--nproc-per-node", "2", "--device", "cpu",
                        "--epochs", str(done + 1), "--resume", str(out), "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert [e["epoch"] for e in epochs(out)] == list(range(1, done + 2))


def test_world_shares_a_batch_and_weights_the_loss():
    idx = torch.arange(7)
    shares = [World(rank=r, size=2).share(idx) for r in (0, 1)]
    assert [s[0].tolist() for s in shares] == [[0, 2, 4, 6], [1, 3, 5]]
    # mean over ranks of (weight x mean of the share) = mean over the whole batch
    values = idx.float()
    total = sum(w * values[i].mean() for i, w in shares) / 2
    assert total == pytest.approx(values.mean())
    mine, weight = World().share(idx)
    assert mine is idx and weight == 1.0
    assert World(size=2).usable_steps(3, 129, 64) == 2  # a last batch of 1 cannot be split
    assert World(size=2).usable_steps(3, 130, 64) == 3


def test_launch_options_are_checked(tmp_path, capsys):
    from netcanvas.backend.cli import main

    assert main(["train", str(EXAMPLE), "--nproc-per-node", "0"]) == 2
    assert "--nproc-per-node must be at least 1" in capsys.readouterr().err
    assert main(["train", str(EXAMPLE), "--nproc-per-node", "2", "--nnodes", "2"]) == 2
    assert "--rdzv-endpoint" in capsys.readouterr().err
