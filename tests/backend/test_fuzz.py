"""Fuzz: thousands of malformed project and checkpoint files through the loader and the CLI
(issue 9). Every refusal is exit 2 with one short line on stderr and no traceback; nothing
hangs (each case runs under a watchdog). Most cases run in-process through the CLI's
`main`; a small sample runs as real subprocesses, as a user would."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import subprocess
import sys

import pytest
from fuzz_corpus import SETTINGS_CASES, checkpoint_cases, corpus, dump, source
from netcanvas.backend.cli import main

CASE_SECONDS = 10  # watchdog per case: a hang, not a timing assert
MAX_LINE = 1000  # an error line longer than this echoes too much
# Cases (by label, after any "source: " prefix) no loader may accept.
MUST_REFUSE = ("truncated", "raw ", "format_version", "version 0", "nested", "name of",
               "type of", "position __", "input shape ['__", "out_features __", "kernel_size __",
               "node training")


class Hang(Exception):
    pass


def _alarm(*_):
    raise Hang


def run_cli(argv: list[str]) -> tuple[object, str, str]:
    """(exit status or the exception's name, stdout, stderr) of `netcanvas ARGV`."""
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status: object = main(argv)
    except Hang:
        status = "hang"
    except BaseException as exc:  # noqa: BLE001 -- the finding to report
        status = f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return status, out.getvalue(), err.getvalue()


def verdict(label: str, status, out: str, err: str) -> str | None:
    """What is wrong with one run, or None."""
    lines = err.strip().splitlines()
    if not isinstance(status, int):
        return f"{label}: {status}"
    if "Traceback" in err or status not in (0, 1, 2):
        return f"{label}: exit {status}, traceback in {err[-300:]!r}"
    if status == 2 and len(lines) != 1:
        return f"{label}: exit 2 with {len(lines)} lines: {err[:300]!r}"
    if any(len(line) > MAX_LINE for line in lines) or len(out) > 200_000:
        return f"{label}: output too long ({len(out)} / {max(map(len, lines), default=0)})"
    if status != 2 and label.split(": ", 1)[-1].startswith(MUST_REFUSE):
        return f"{label}: accepted with exit {status}"
    return None


def write_cases(folder, cases) -> list[tuple[str, str]]:
    paths = []
    for i, (label, text) in enumerate(cases):
        path = folder / f"case{i}.netcanvas"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        paths.append((label, str(path)))
    return paths


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    return write_cases(folder, corpus(seed=9, per_source=2))


@pytest.fixture(scope="module")
def commands_loaded():
    """What code/export/train import on first use (torch), loaded outside the watchdog."""
    import netcanvas.backend.compiler
    import netcanvas.backend.data
    import netcanvas.backend.export
    import netcanvas.backend.training  # noqa: F401


@pytest.fixture(scope="module")
def refused(cases):
    """The cases `check` refuses as unreadable (exit 2), for the other commands."""
    found, problems = [], []
    for label, path in cases:
        status, out, err = run_cli(["check", path])
        problem = verdict(label, status, out, err)
        if problem:
            problems.append(problem)
        elif status == 2:
            found.append((label, path, err))
    return found, problems


@pytest.mark.slow
def test_check_answers_every_malformed_project_in_one_line(cases, refused):
    found, problems = refused
    assert len(cases) >= 2000
    assert not problems, "\n".join(problems[:20])
    assert len(found) > len(cases) // 3  # most mutations make a file that cannot load


@pytest.mark.slow
def test_code_export_and_train_refuse_the_same_files_in_one_line(refused, commands_loaded,
                                                                tmp_path):
    found, _ = refused
    sample = random.Random(1).sample(found, min(len(found), 150))
    problems = []
    for i, (label, path, check_err) in enumerate(sample):
        command = ("code", "export", "train")[i % 3]
        extra = {"code": ["-o", str(tmp_path / "m.py")],
                 "export": ["--onnx", str(tmp_path / "m.onnx")], "train": ["--epochs", "1"]}
        status, out, err = run_cli([command, path, *extra[command]])
        problem = verdict(f"{command} {label}", status, out, err)
        if problem or status != 2:
            problems.append(problem or f"{command} {label}: exit {status}")
    assert not problems, "\n".join(problems[:20])
    assert not any(p.suffix in (".py", ".onnx") for p in tmp_path.iterdir())


@pytest.mark.slow
def test_code_never_breaks_on_a_loadable_mutation(cases, refused, commands_loaded):
    refused_paths = {path for _, path, _ in refused[0]}
    loadable = [(label, path) for label, path in cases if path not in refused_paths]
    problems = []
    for label, path in random.Random(2).sample(loadable, min(len(loadable), 60)):
        status, out, err = run_cli(["code", path])
        problem = verdict(f"code {label}", status, out, err)
        if problem:
            problems.append(problem)
        elif status == 0:
            compile(out, label, "exec")  # the written file is valid Python
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("section, key, value", SETTINGS_CASES)
def test_settings_out_of_range_are_refused(section, key, value, tmp_path):
    base = source("mlp_moons")
    base[section][key] = value
    path = tmp_path / "s.netcanvas"
    path.write_text(dump(base))
    status, out, err = run_cli(["check", str(path)])  # loading refuses it: no run needed
    assert verdict("settings", status, out, err) is None
    assert status == 2 and f"{section}.{key}" in err


def test_special_files_are_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.netcanvas"
    os.mkfifo(fifo)
    for path, words in ((fifo, "pipe"), (tmp_path, "folder"), ("/dev/zero", "device")):
        status, out, err = run_cli(["check", str(path)])
        assert status == 2 and words in err and verdict("special", status, out, err) is None


# ---- checkpoints ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from netcanvas.backend.training import Trainer
    from test_training_support import blobs, mlp_project

    folder = tmp_path_factory.mktemp("ckpt")
    assert Trainer(mlp_project(epochs=1, device="cpu"), blobs(),
                   checkpoint_dir=folder).run().failed is None
    return folder


def checkpoint_corpus(source, target, seed: int = 0):
    """(label, folder) for each malformed checkpoint made from `source`."""
    from netcanvas.backend.training.checkpoint import CHECKPOINT_JSON

    doc = json.loads((source / CHECKPOINT_JSON).read_text())
    tensors = (source / doc["tensors"]).read_bytes()
    rng = random.Random(seed)
    made = []
    cases = list(checkpoint_cases(doc, rng))
    for i in range(40):  # flipped bytes anywhere in the tensor file
        cases.append((f"flip {i}", None))
    for i, (label, text) in enumerate(cases):
        folder = target / f"c{i}"
        folder.mkdir()
        data = bytearray(tensors)
        if text is None:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            text = json.dumps(doc)
        (folder / doc["tensors"]).write_bytes(bytes(data))
        (folder / CHECKPOINT_JSON).write_text(text)
        made.append((label, folder))
    return made


@pytest.mark.slow
def test_damaged_checkpoints_are_refused_in_one_line(checkpoint, tmp_path):
    from netcanvas.backend.training.checkpoint import (
        CheckpointError,
        check_resume_fields,
        load_checkpoint,
    )
    from test_training_support import mlp_project

    made = checkpoint_corpus(checkpoint, tmp_path)
    problems = []
    for label, folder in made:  # the loader: a CheckpointError or a usable checkpoint
        try:
            check_resume_fields(load_checkpoint(folder)[0])
        except CheckpointError:
            pass
        except Exception as exc:  # noqa: BLE001 -- the finding to report
            problems.append(f"{label}: {type(exc).__name__}: {exc}")
    assert not problems, "\n".join(problems[:20])

    project = mlp_project(epochs=2, device="cpu")
    project.dataset.name = "blobs"
    project.dataset.options = {"n_samples": 150, "classes": 3}
    from netcanvas.backend.project_io import save_project

    save_project(project, tmp_path / "p.netcanvas")
    sample = random.Random(3).sample(made, 25)
    for label, folder in sample:  # the CLI
        status, out, err = run_cli(["train", str(tmp_path / "p.netcanvas"), "--resume",
                                    str(folder), "--out", str(folder)])
        problem = verdict(f"resume {label}", status, out, err)
        if problem:
            problems.append(problem)
        elif status != 0 and "checkpoint" not in err:
            problems.append(f"resume {label}: exit {status}: {err!r}")
        elif status != 0 and "at step" in err:
            problems.append(f"resume {label}: names a step: {err!r}")
    assert not problems, "\n".join(problems[:20])


# ---- as a user runs it -----------------------------------------------------------------
def netcanvas(*argv: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netcanvas", *argv], capture_output=True,
                          text=True, timeout=60, check=False, **kw)


@pytest.mark.slow
def test_a_sample_through_real_processes(cases, tmp_path):
    fifo = tmp_path / "pipe.netcanvas"
    os.mkfifo(fifo)
    labels = dict(cases)
    picks = [labels[k] for k in labels if k.startswith(("truncated", "raw '{{{", "nested",
                                                        "name of 2000000"))][:4]
    for path in [*picks, str(fifo), "/dev/zero"]:
        run = netcanvas("check", path)
        assert run.returncode == 2, (path, run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


@pytest.mark.slow
def test_check_piped_into_head_ends_quietly():
    example = "resources/examples/resnet18.netcanvas"
    run = subprocess.run(f"{sys.executable} -m netcanvas check {example} | head -1",
                         shell=True, capture_output=True, text=True, timeout=60, check=False)
    assert run.stdout.startswith("node") and run.stderr == ""
