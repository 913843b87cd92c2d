"""Files: new/open/save round trips, the unsaved prompt, recovery, bad files, drops, recents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from netcanvas.app import files
from netcanvas.backend.graph import RemoveItems, SetParam
from netcanvas.backend.project_io import load_project, project_to_dict, save_project
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from test_app_support import *  # fixtures: window, isolated
from test_app_support import mlp_project


def _edit(window):
    fc1 = window.document.graph.by_name("fc1")
    window.document.push(SetParam(fc1.id, "out_features", 20))


def test_save_as_open_round_trip(window, isolated, monkeypatch):
    _edit(window)
    path = isolated / "net"  # the suffix is added
    monkeypatch.setattr(files, "ask_save_path", lambda parent, suggested: str(path))
    window.actions.save_as.trigger()
    saved = isolated / "net.netcanvas"
    assert saved.exists() and window.document.path == saved
    assert not window.document.modified and window.windowTitle() == "net.netcanvas — NetCanvas"
    expected = project_to_dict(window.document.project)

    window.actions.new.trigger()
    assert window.document.graph.nodes == {} and window.document.path is None
    monkeypatch.setattr(files, "ask_open_path", lambda parent, folder: str(saved))
    window.actions.open.trigger()
    assert project_to_dict(window.document.project) == expected
    assert window.document.graph.by_name("fc1").params["out_features"] == 20
    assert window.files.recent_files()[0] == saved.resolve()

    window.document.push(RemoveItems([window.document.graph.by_name("act").id]))
    assert window.windowTitle() == "net.netcanvas* — NetCanvas"
    window.actions.save.trigger()  # Save writes where it came from, no dialog
    assert window.document.graph.by_name("act") is None
    assert load_project(saved).graph.by_name("act") is None
    assert not window.document.modified


def test_unsaved_changes_prompt(window, isolated, monkeypatch):
    answers, asked = ["cancel", "discard"], []

    def answer(parent, name):
        asked.append(name)
        return answers.pop(0)

    monkeypatch.setattr(files, "ask_save_changes", answer)
    _edit(window)
    window.actions.new.trigger()
    assert asked == ["Untitled"] and "fc1" in [n.name for n in window.document.graph.nodes.values()]
    window.actions.new.trigger()  # discard
    assert window.document.graph.nodes == {} and not window.document.modified

    window.set_document(type(window.document)(mlp_project()))
    _edit(window)
    target = isolated / "kept.netcanvas"
    monkeypatch.setattr(files, "ask_save_changes", lambda parent, name: "save")
    monkeypatch.setattr(files, "ask_save_path", lambda parent, suggested: str(target))
    assert window.close()  # saving first lets the window close
    assert load_project(target).graph.by_name("fc1").params["out_features"] == 20


def test_opening_a_broken_file_shows_an_error_and_keeps_the_document(window, isolated,
                                                                     monkeypatch):
    data = project_to_dict(mlp_project())
    data["graph"]["nodes"][2]["params"]["out_features"] = "many"
    bad = isolated / "bad.netcanvas"
    bad.write_text(json.dumps(data))
    errors = []
    monkeypatch.setattr(files, "show_error", lambda parent, title, text: errors.append(text))
    before = window.document
    assert not window.files.open_path(bad)
    assert window.document is before and window.document.graph.by_name("fc1") is not None
    assert len(errors) == 1 and "bad.netcanvas" in errors[0] and "out_features" in errors[0]
    assert "nodes[2]" in errors[0]
    (isolated / "junk.netcanvas").write_text("{not json")
    assert not window.files.open_path(isolated / "junk.netcanvas")
    assert len(errors) == 2 and window.document is before


def test_autosave_writes_a_recovery_file_and_recovery_restores_it(qtbot, window, isolated,
                                                                 monkeypatch):
    files_ = window.files
    assert files_.autosave_timer.isActive() and files_.autosave_timer.interval() == 60_000
    files_.autosave()
    assert not files_.recovery_path.exists()  # nothing unsaved, nothing to recover
    _edit(window)
    files_.autosave_timer.timeout.emit()
    assert files_.recovery_path.exists()
    assert load_project(files_.recovery_path).graph.by_name("fc1").params["out_features"] == 20

    # Simulate a crash: the file now belongs to a process that is gone.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    crashed = files_.recovery_path.with_name(f"recovery-{dead.pid}.netcanvas")
    files_.recovery_path.rename(crashed)
    files_.recovery_path.with_suffix(".json").rename(crashed.with_suffix(".json"))

    from netcanvas.app.main_window import MainWindow

    offered = []
    monkeypatch.setattr(files, "ask_recover", lambda parent, name, when: offered.append(name)
                        or True)
    fresh = MainWindow()
    try:
        assert fresh.files.offer_recovery()
        assert offered == ["Untitled"]
        assert fresh.document.graph.by_name("fc1").params["out_features"] == 20
        assert fresh.document.modified and fresh.windowTitle().startswith("Untitled*")
        assert not crashed.exists()
        assert not fresh.files.offer_recovery()  # offered once
        # Declined: set aside, openable, not offered again, gone after SET_ASIDE_DAYS
        fresh.files.recovery_path.rename(crashed)
        fresh.files.recovery_path.with_suffix(".json").rename(crashed.with_suffix(".json"))
        monkeypatch.setattr(files, "ask_recover", lambda *args: False)
        assert not fresh.files.offer_recovery() and not crashed.exists()
        kept = crashed.with_name(f"{crashed.stem}-declined.netcanvas")
        assert str(kept) in fresh.statusBar().currentMessage()
        assert load_project(kept).graph.by_name("fc1").params["out_features"] == 20
        assert not fresh.files.offer_recovery()
        old = time.time() - (files.SET_ASIDE_DAYS + 1) * 86400
        os.utime(kept, (old, old))
        fresh.files.offer_recovery()
        assert not kept.exists()
    finally:
        monkeypatch.setattr(files, "ask_save_changes", lambda *args: "discard")
        fresh.close()
        fresh.deleteLater()  # now, not whenever the garbage collector gets to it
    assert not fresh.files.recovery_path.exists()  # a clean close leaves nothing behind


@pytest.mark.filterwarnings("ignore:Function.*QDrag.*deprecated:DeprecationWarning")
def test_dropping_a_project_file_on_the_window_opens_it(window, isolated, qtbot):
    project = mlp_project()
    project.graph.rename(project.graph.by_name("fc1").id, "dropped")
    path = isolated / "dropped.netcanvas"
    save_project(project, path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    target = window.view.viewport()  # the canvas does not take files: the window does
    enter = QDragEnterEvent(QPoint(300, 300), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(300, 300), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(target, drop)
    qtbot.waitUntil(lambda: window.document.path == path)
    assert window.document.graph.by_name("dropped") is not None


def test_examples_menu_opens_each_bundled_example_without_a_path(window):
    menu = window.actions.examples_menu
    titles = [a.text() for a in menu.actions()]
    assert titles == [files.example_title(p) for p in files.examples()]
    if not titles:
        return
    menu.actions()[0].trigger()
    assert window.document.path is None and "(example)" in window.document.name
    assert window.document.graph.nodes
