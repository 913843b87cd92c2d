"""`train --nproc-per-node` cannot exhaust the machine or leave orphans (issue 29 item 2):
the process count is capped by the devices unless --oversubscribe, workers die with their
launcher, and a rendezvous nobody joins times out with one clear line."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from netcanvas.backend.cli import main
from netcanvas.backend.cli.launch import check_process_count
from netcanvas.backend.cli.train import add_parser
from netcanvas.backend.training import world as world_module
from process_tree import no_process_left, tagged  # noqa: F401 -- a fixture

MOONS = "resources/examples/mlp_moons.netcanvas"
LIFELINE = Path(__file__).resolve().parents[2] / "backend" / "training" / "lifeline.py"


def test_more_processes_than_cores_are_refused_unless_insisted(capsys, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert main(["train", MOONS, "--device", "cpu", "--nproc-per-node", "100"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "100 is more than this machine's 2 CPU cores" in err[0]
    assert "--oversubscribe" in err[0]
    parser = add_parser(argparse.ArgumentParser().add_subparsers())
    args = parser.parse_args([MOONS, "--nproc-per-node", "100", "--oversubscribe"])
    assert check_process_count(args, "cpu") is None
    args = parser.parse_args([MOONS, "--nproc-per-node", "2"])
    assert check_process_count(args, "cpu") is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_rendezvous_nobody_joins_times_out_in_one_line(capsys, monkeypatch):
    monkeypatch.setattr(world_module, "RENDEZVOUS_SECONDS", 2.0)
    for key, value in (("RANK", "1"), ("WORLD_SIZE", "2"), ("LOCAL_RANK", "1"),
                       ("MASTER_ADDR", "127.0.0.1"), ("MASTER_PORT", str(_free_port()))):
        monkeypatch.setenv(key, value)
    started = time.monotonic()
    assert main(["train", MOONS, "--epochs", "1", "--device", "cpu"]) == 1
    assert time.monotonic() - started < 60
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rank 1 of 2: the other training processes did not join" in err[0]
    assert "within 2 s" in err[0]


CHILD = """
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("lifeline", sys.argv[1])
lifeline = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lifeline)
lifeline.follow_parent()
print("armed", flush=True)
time.sleep(120)
"""
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]])
time.sleep(120)
"""


def test_a_worker_dies_with_its_launcher(no_process_left):
    launcher = subprocess.Popen([sys.executable, "-c", PARENT, CHILD, str(LIFELINE)],
                                stdout=subprocess.PIPE, text=True)
    assert launcher.stdout.readline().strip() == "armed"
    assert len(tagged(no_process_left)) == 2
    launcher.kill()  # SIGKILL: no chance to stop its child itself
    launcher.wait()
    deadline = time.monotonic() + 10
    while tagged(no_process_left) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tagged(no_process_left) == []


@pytest.mark.slow
def test_killing_the_torchrun_launcher_leaves_no_worker(no_process_left):
    launcher = subprocess.Popen([sys.executable, "-m", "netcanvas", "train", MOONS, "--device",
                                 "cpu", "--epochs", "1000", "--nproc-per-node", "2"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    deadline = time.monotonic() + 120
    while len(tagged(no_process_left)) < 3 and time.monotonic() < deadline:
        time.sleep(0.5)  # the launcher and its two workers
    assert len(tagged(no_process_left)) >= 3
    time.sleep(5)  # the workers are in init_process_group or training
    launcher.kill()
    launcher.wait()
    deadline = time.monotonic() + 15
    while tagged(no_process_left) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert tagged(no_process_left) == []
