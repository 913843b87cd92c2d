"""Streamed folders' worker processes: the start method chosen for where they are started
from (fork only from a plain main thread; the app's threads use a forkserver), workers kept
across epochs, and under several ranks each rank decoding only its share of every batch."""

from __future__ import annotations

import pickle
import sys
import threading

import pytest
import torch
import torch.distributed as dist
from netcanvas.backend.data import load_dataset
from netcanvas.backend.data.stream_workers import start_method
from netcanvas.backend.project_io import save_project
from netcanvas.backend.training import Trainer
from netcanvas.backend.training.world import World
from process_tree import no_process_left  # noqa: F401 -- a fixture
from test_data_stream import cache_folder, cnn_project, config, make_folder  # noqa: F401
from test_distributed import epochs, netcanvas


def in_thread(fn):
    out = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join(60)
    return out[0]


def test_workers_fork_only_from_the_main_thread_of_a_process_without_qt(monkeypatch):
    import PySide6.QtCore  # noqa: F401 -- the app's process has Qt loaded

    assert start_method() == "forkserver"
    monkeypatch.delitem(sys.modules, "PySide6.QtCore")
    assert start_method() == "fork"  # the command line's main thread
    assert in_thread(start_method) == "forkserver"  # the app trains in a thread


def test_the_app_path_starts_workers_by_forkserver_and_they_decode_what_fork_would(tmp_path):
    root = make_folder(tmp_path / "data", per_class=12)
    d = load_dataset(config(root, workers=2, normalize=False))
    pickle.dumps(d.train.source)  # what a forkserver/spawn worker is sent
    split = d.train.device_split(None, torch.device("cpu"))
    threaded = in_thread(lambda: torch.cat([x for (x,), _ in split.slices(8)]))
    assert d.train.feeder.method == "forkserver"
    inline = load_dataset(config(root, workers=0, normalize=False))
    expected = torch.cat([x for (x,), _ in inline.train.device_split(
        None, torch.device("cpu")).slices(8)])
    assert torch.equal(threaded, expected)


def test_workers_are_started_once_per_run_not_once_per_epoch(tmp_path):
    root = make_folder(tmp_path / "data", per_class=24)
    d = load_dataset(config(root, workers=2))
    trainer = Trainer(cnn_project((3, 8, 8), epochs=3), d)
    trainer.run()
    loader = d.train.feeder._loader
    assert loader is not None and loader.persistent_workers
    pids = {w.pid for w in loader._iterator._workers}
    assert len(pids) == 2 and all(w.is_alive() for w in loader._iterator._workers)
    again = torch.cat([x for (x,), _ in d.val.device_split(None, torch.device("cpu")).slices(4)])
    assert len(again) == len(d.val)
    assert {w.pid for w in loader._iterator._workers} == pids  # the same processes


def test_each_rank_decodes_its_share_of_every_batch_ahead(tmp_path, monkeypatch):
    """Rank 1 of 2 (in a one-process gloo group, so it runs here): every training batch it
    reads was planned, i.e. decoded by the workers ahead, and holds only its share."""
    root = make_folder(tmp_path / "data", per_class=16)
    d = load_dataset(config(root, workers=0, val_fraction=0.0, test_fraction=0.0))
    store = dist.FileStore(str(tmp_path / "store"), 1)
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        trainer = Trainer(cnn_project((3, 8, 8), epochs=2, batch_size=8), d,
                          world=World(rank=1, size=2))
        trainer.run()
    finally:
        dist.destroy_process_group()
    train = trainer._loop.train
    assert train.unplanned == 0
    assert train.peak_batch_bytes == 4 * 3 * 8 * 8  # half of each 8-sample batch


@pytest.mark.slow
@pytest.mark.usefixtures("no_process_left")
def test_two_torchrun_processes_train_a_streamed_folder_like_one(tmp_path):
    """`netcanvas train --nproc-per-node 2` (gloo, CPU) on a streamed folder: rank 0 builds
    the index, rank 1 reads it; each decodes its half of every batch with its own workers;
    the losses are one process's (tolerance as in test_distributed.py)."""
    root = make_folder(tmp_path / "data", per_class=24)
    project = cnn_project((3, 8, 8), epochs=2)
    project.dataset = config(root, workers=1, val_fraction=0.25, test_fraction=0.0)
    save_project(project, tmp_path / "folder.netcanvas")
    runs = {}
    for name, extra in (("two", ["--nproc-per-node", "2"]), ("one", [])):
        done = netcanvas("train", str(tmp_path / "folder.netcanvas"), "--device", "cpu",
                         "--out", str(tmp_path / name), *extra)
        assert done.returncode == 0, done.stderr
        runs[name] = epochs(tmp_path / name)
    assert len(list((tmp_path / "cache").rglob("*.index.json"))) == 1
    for a, b in zip(runs["one"], runs["two"], strict=True):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-5)
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=1e-5)
        assert b["train_accuracy"] == a["train_accuracy"]


def test_a_pass_left_unfinished_is_not_read_after_another_split_took_the_workers(tmp_path):
    root = make_folder(tmp_path / "data", per_class=12)
    d = load_dataset(config(root, workers=2, normalize=False))
    train = d.train.device_split(None, torch.device("cpu"))
    order = [torch.arange(0, 4), torch.arange(4, 8)]
    train.plan(order)
    train.batch(order[0])  # then stopped, e.g. a cancelled epoch
    val = torch.cat([x for (x,), _ in d.val.device_split(None, torch.device("cpu")).slices(2)])
    assert len(val) == len(d.val)
    (x,), y = train.batch(order[1])  # decoded here, not a val batch from the shared workers
    assert train.unplanned == 1 and torch.equal(y, d.train.y[4:8])
    inline = load_dataset(config(root, workers=0, normalize=False))
    (expected,), _ = inline.train.device_split(None, torch.device("cpu")).batch(order[1])
    assert torch.equal(x, expected)


@pytest.mark.parametrize(("cores", "ranks", "expected"), [
    (1, None, 0), (2, None, 1), (16, None, 8), (64, None, 8), (16, "4", 3), (2, "2", 0)])
def test_the_default_worker_count_is_the_spare_cores_shared_by_the_ranks(monkeypatch, cores,
                                                                          ranks, expected):
    from netcanvas.backend.data import stream_workers
    monkeypatch.setattr(stream_workers.os, "sched_getaffinity", lambda pid: set(range(cores)),
                        raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    if ranks is not None:
        monkeypatch.setenv("LOCAL_WORLD_SIZE", ranks)
    assert stream_workers.default_workers() == expected


def test_a_folder_that_names_no_worker_count_takes_the_default(tmp_path, monkeypatch):
    from netcanvas.backend.data import streamed
    monkeypatch.setattr(streamed, "default_workers", lambda: 0)
    root = make_folder(tmp_path / "data", per_class=4)
    options = dict(config(root, workers=1).options)
    del options["workers"]
    d = load_dataset(config(root, **options))
    assert d.train.feeder.workers == 0
    monkeypatch.setattr(streamed, "default_workers", lambda: 3)
    assert load_dataset(config(root, **options)).train.feeder.workers == 3
    assert load_dataset(config(root, **{**options, "workers": 1})).train.feeder.workers == 1
