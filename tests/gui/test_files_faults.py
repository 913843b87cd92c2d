"""Bad files and full disks never lose work or stop the app (issue 9, item 9): Open and
crash recovery show the error and go on, an unreadable recovery file is set aside, and a
failing autosave tells the user once."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest
from netcanvas.app import files
from netcanvas.backend.graph import SetParam
from netcanvas.backend.project_io import project_to_dict
from test_app_support import *  # fixtures: window, isolated
from test_app_support import mlp_project

BAD_FILES = {
    "huge out_features": lambda d: d["graph"]["nodes"][2]["params"].update(out_features="__HUGE__"),
    "pre-release with nodes 5": lambda d: d.clear() or d.update(version=0, nodes=5),
    "format from the future": lambda d: d.update(format_version=7),
    "deep options": lambda d: d["dataset"].update(options="__DEEP__"),
}


def bad_text(mutate) -> str:
    data = project_to_dict(mlp_project())
    mutate(data)
    deep = '{"a": ' * 800 + "1" + "}" * 800
    return json.dumps(data).replace('"__HUGE__"', "1e999").replace('"__DEEP__"', deep)


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_open_shows_the_error_and_keeps_the_document(case, window, isolated, monkeypatch):
    path = isolated / "bad.netcanvas"
    path.write_text(bad_text(BAD_FILES[case]))
    errors = []
    monkeypatch.setattr(files, "show_error", lambda parent, title, text: errors.append(text))
    before = window.document
    assert not window.files.open_path(path, prompt=False)
    assert window.document is before and len(errors) == 1
    assert "bad.netcanvas could not be opened" in errors[0] and "Traceback" not in errors[0]
    assert len(errors[0]) < 2000


def test_the_app_refuses_a_bad_file_without_aborting(isolated, tmp_path):
    path = tmp_path / "bad.netcanvas"
    path.write_text(bad_text(BAD_FILES["huge out_features"]))
    run = subprocess.run([sys.executable, "-m", "netcanvas", str(path), "--screenshot",
                          str(tmp_path / "shot.png")], capture_output=True, text=True,
                         timeout=120, check=False,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 1, run.stderr
    assert "out_features" in run.stderr and "Traceback" not in run.stderr


def _crashed_recovery(isolated, text: str, meta: str | None):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = isolated / "recovery"
    folder.mkdir(exist_ok=True)
    path = folder / f"recovery-{dead.pid}.netcanvas"
    path.write_text(text)
    if meta is not None:
        path.with_suffix(".json").write_text(meta)
    return path


@pytest.mark.parametrize("case", ["huge out_features", "pre-release with nodes 5"])
def test_an_unreadable_recovery_file_is_set_aside_and_the_app_goes_on(case, window, isolated,
                                                                    monkeypatch):
    path = _crashed_recovery(isolated, bad_text(BAD_FILES[case]),
                             json.dumps({"path": None, "name": "Untitled", "saved_at": "now"}))
    errors = []
    monkeypatch.setattr(files, "show_error", lambda parent, title, text: errors.append(text))
    before = window.document
    assert not window.files.offer_recovery()
    assert window.document is before and len(errors) == 1
    kept = path.with_name(path.name + ".unreadable")
    assert "could not be read" in errors[0] and str(kept) in errors[0]
    assert kept.exists() and not path.exists()
    assert not window.files.offer_recovery() and len(errors) == 1  # never retried


@pytest.mark.parametrize("meta", [None, "{trunc", "[1, 2]", '{"path": 5, "name": []}'])
def test_a_damaged_recovery_note_still_restores_the_work(meta, window, isolated, monkeypatch):
    project = mlp_project()
    project.graph.set_param(project.graph.by_name("fc1").id, "out_features", 21)
    text = json.dumps(project_to_dict(project))
    _crashed_recovery(isolated, text, meta)
    monkeypatch.setattr(files, "ask_recover", lambda parent, name, when: True)
    assert window.files.offer_recovery()
    assert window.document.graph.by_name("fc1").params["out_features"] == 21
    assert window.document.modified


def test_autosave_failing_tells_the_user_once(window, isolated, monkeypatch):
    warnings = []
    monkeypatch.setattr(files, "warn", lambda parent, title, text: warnings.append(text))
    fc1 = window.document.graph.by_name("fc1")
    window.document.push(SetParam(fc1.id, "out_features", 20))
    real_save = files.save_project

    def disk_full(project, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(files, "save_project", disk_full)
    window.files.autosave()
    window.files.autosave()
    assert len(warnings) == 1
    assert "No space left on device" in warnings[0] and "Crash protection is off" in warnings[0]
    monkeypatch.setattr(files, "save_project", real_save)
    window.files.autosave()  # works again: the recovery file is there
    assert window.files.recovery_path.exists()
    monkeypatch.setattr(files, "save_project", disk_full)
    window.files.autosave()
    assert len(warnings) == 2  # a new failure after a success is told again


def test_the_recovery_note_is_written_atomically(window, isolated, monkeypatch):
    fc1 = window.document.graph.by_name("fc1")
    window.document.push(SetParam(fc1.id, "out_features", 20))
    written = []
    real = files.write_atomic
    monkeypatch.setattr(files, "write_atomic", lambda path, text: written.append(path)
                        or real(path, text))
    window.files.autosave()
    assert written == [window.files.recovery_path.with_suffix(".json")]
    assert json.loads(written[0].read_text())["name"] == window.document.name


def test_open_answers_a_sample_of_the_fuzz_corpus(window, isolated, monkeypatch):
    import random
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))
    from fuzz_corpus import corpus

    errors = []
    monkeypatch.setattr(files, "show_error", lambda parent, title, text: errors.append(text))
    sample = random.Random(4).sample(corpus(seed=5), 40)
    for i, (label, text) in enumerate(sample):
        path = isolated / f"case{i}.netcanvas"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        before = len(errors)
        opened = window.files.open_path(path, prompt=False)
        assert len(errors) == before + (not opened), label
        if not opened:
            assert "Traceback" not in errors[-1] and len(errors[-1]) < 2000, label
    assert errors  # most of the corpus cannot be opened
