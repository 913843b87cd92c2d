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
import resource
import signal
import subprocess
import sys

import pytest
from fuzz_corpus import (
    SETTINGS_CASES,
    block_cases,
    checkpoint_cases,
    corpus,
    csv_cases,
    dump,
    onnx_cases,
    png_cases,
    source,
)
from netcanvas.backend.cli import main
from process_tree import no_process_left  # noqa: F401 -- a fixture

CASE_SECONDS = 10  # watchdog per case: a hang, not a timing assert
MAX_LINE = 1000  # an error line longer than this echoes too much
MEMORY_HEADROOM = 3 * 2**30  # address space a case may add: a 2^40-node bomb needs far more
# Cases (by label, after any "source: " prefix) no loader may accept.
MUST_REFUSE = ("truncated", "raw ", "format_version", "version 0", "nested", "name of",
               "type of", "position __", "input shape ['__", "out_features __", "kernel_size __",
               "node training")


class Hang(Exception):
    pass


def _alarm(*_):
    raise Hang


@contextlib.contextmanager
def memory_limit(extra: int = MEMORY_HEADROOM):
    """RLIMIT_AS at this process's address space now plus `extra` bytes, while a case runs:
    a bomb that tries to allocate past it gets MemoryError (a finding) instead of the
    machine's memory. The soft limit only: it is raised back afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/status") as f:
        size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    limit = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run_cli(argv: list[str], seconds: float = CASE_SECONDS) -> tuple[object, str, str]:
    """(exit status or the exception's name, stdout, stderr) of `netcanvas ARGV`, under a
    watchdog of `seconds` and a memory limit."""
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), memory_limit():
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
@pytest.mark.usefixtures("no_process_left")
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
@pytest.mark.usefixtures("no_process_left")
def test_check_piped_into_head_ends_quietly():
    example = "resources/examples/resnet18.netcanvas"
    run = subprocess.run(f"{sys.executable} -m netcanvas check {example} | head -1",
                         shell=True, capture_output=True, text=True, timeout=60, check=False)
    assert run.stdout.startswith("node") and run.stderr == ""


# ---- the surfaces added since: blocks, import, predict (issue 29) -------------------------
def refused_in_one_line(label: str, status, out: str, err: str) -> str | None:
    """What is wrong with a run that must be refused: exit 2, one line, no traceback."""
    return verdict(label, status, out, err) or (
        None if status == 2 else f"{label}: exit {status}: {(err or out)[:300]!r}")


@pytest.fixture(scope="module")
def block_files(tmp_path_factory):
    return write_cases(tmp_path_factory.mktemp("blocks"), block_cases())


@pytest.mark.parametrize("command", ["check", "code", "export", "train"])
def test_block_bombs_and_bad_declarations_are_refused_by_every_command(
        command, block_files, commands_loaded, tmp_path):
    extra = {"check": [], "code": ["-o", str(tmp_path / "m.py")],
             "export": ["--onnx", str(tmp_path / "m.onnx")], "train": ["--epochs", "1"]}
    problems = []
    for label, path in block_files:
        status, out, err = run_cli([command, path, *extra[command]])
        problem = refused_in_one_line(f"{command} {label}", status, out, err)
        if problem is None and label.startswith("block bomb") and "nodes once" not in err:
            problem = f"{label}: the refusal gives no count: {err!r}"
        if problem:
            problems.append(problem)
    assert not problems, "\n".join(problems)


def test_onnx_files_missing_attributes_or_inputs_are_refused_in_one_line(tmp_path):
    problems = []
    for label, data in onnx_cases():
        model = tmp_path / "m.onnx"
        model.write_bytes(data)
        status, out, err = run_cli(["import", str(model), "-o", str(tmp_path / "p.netcanvas")])
        problem = refused_in_one_line(label, status, out, err)
        if problem:
            problems.append(problem)
    assert not problems, "\n".join(problems)
    assert not (tmp_path / "p.netcanvas").exists()


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    """The LeNet digits example (1×8×8 inputs, 64 values a CSV row) with untrained weights:
    enough for predict to read hostile inputs."""
    from netcanvas.backend.compiler import compile_graph
    from netcanvas.backend.data import load_dataset
    from netcanvas.backend.export import save_weights
    from netcanvas.backend.project_io import load_project, save_project

    folder = tmp_path_factory.mktemp("digits")
    project = load_project("resources/examples/lenet_digits.netcanvas")
    save_project(project, folder / "lenet.netcanvas")
    save_weights(compile_graph(project.graph, device="cpu"), folder / "lenet.safetensors")
    load_dataset(project.dataset)  # its imports (sklearn) load here, outside the watchdog
    return folder


def test_hostile_csv_rows_and_png_files_are_refused_by_predict(digits_model, commands_loaded):
    model = ["predict", str(digits_model / "lenet.netcanvas"), "--weights",
             str(digits_model / "lenet.safetensors")]
    problems = []
    for label, text in csv_cases():
        path = digits_model / "rows.csv"
        path.write_text(text, encoding="utf-8")
        status, out, err = run_cli([*model, str(path)])
        problem = refused_in_one_line(label, status, out, err)
        if problem is None and "cell" in label and "line 2" not in err:
            problem = f"{label}: the row is not named: {err!r}"
        if problem is None and "cell" in label and "column 8" not in err:
            problem = f"{label}: the column is not named: {err!r}"
        if problem:
            problems.append(problem)
    for label, data in png_cases():
        path = digits_model / "image.png"
        path.write_bytes(data)
        status, out, err = run_cli([*model, str(path)])
        problems.append(refused_in_one_line(label, status, out, err))
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


def test_the_memory_limit_stops_what_a_bomb_would_allocate():
    with memory_limit(), pytest.raises(MemoryError):
        bytearray(MEMORY_HEADROOM + 2**30)  # a case that tries this fails, the machine lives
    bytearray(2**28)  # and the limit is lifted afterwards
