"""Fixtures shared by the app's GUI tests (star-imported by them; holds no tests)."""

from __future__ import annotations

__all__ = ["isolated", "window"]

import pytest
from netcanvas.app import files
from netcanvas.app.document import Document
from netcanvas.app.main_window import MainWindow
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project


def mlp_project() -> Project:
    """input 1x8x8 -> flatten -> fc1 (Linear 32) -> relu -> fc2 (Linear 10) -> output."""
    g = Graph()
    x = g.add("input", "image", shape=(1, 8, 8), position=(0, 0))
    flat = g.add("flatten", "flat", position=(240, 0))
    fc1 = g.add("linear", "fc1", out_features=32, position=(480, 0))
    act = g.add("relu", "act", position=(720, 0))
    fc2 = g.add("linear", "fc2", out_features=10, position=(960, 0))
    out = g.add("output", "logits", position=(1200, 0))
    for a, b in ((x, flat), (flat, fc1), (fc1, act), (act, fc2), (fc2, out)):
        g.connect(a, b)
    return Project(graph=g)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Settings and recovery files in tmp_path; any dialog that is not stubbed fails."""
    monkeypatch.setenv("NETCANVAS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("NETCANVAS_RECOVERY_DIR", str(tmp_path / "recovery"))

    def unexpected(*args):
        raise AssertionError(f"unexpected dialog: {args[1:]}")

    for name in ("ask_save_changes", "ask_open_path", "ask_save_path", "show_error",
                 "ask_recover", "warn"):
        monkeypatch.setattr(files, name, unexpected)
    return tmp_path


@pytest.fixture
def window(qtbot, isolated, monkeypatch):
    """A shown main window holding the small MLP."""
    w = MainWindow()  # closed below, not by qtbot: closing must not prompt
    w.set_document(Document(mlp_project()))
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    w.frame_all()
    yield w
    monkeypatch.setattr(files, "ask_save_changes", lambda *args: "discard")
    w.close()
    w.deleteLater()
