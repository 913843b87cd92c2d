"""The window keeps its shape: documents never resize docks, sizes survive a small window,
Show Code opens readable and gives the inspector its width back, Reset Layout."""

from __future__ import annotations

import subprocess
import sys

from netcanvas.app import files
from netcanvas.app.files import examples
from netcanvas.app.main_window import MainWindow
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from test_app_support import *  # fixtures: window, isolated


def settle(qtbot, ms: int = 60) -> None:
    qtbot.wait(ms)


def shape(w) -> dict[str, int]:
    return {"layers": w.palette_dock.width(), "inspector": w.inspector_dock.width(),
            "bottom": w.problems_dock.height(), "canvas_h": w.view.height(),
            "canvas_w": w.view.width()}


def test_opening_creating_or_recovering_a_document_never_resizes_docks(window, qtbot,
                                                                         monkeypatch):
    settle(qtbot)
    before = shape(window)
    assert before["canvas_h"] > window.height() // 2
    for path in examples()[:4]:
        assert window.files.open_path(path, prompt=False, example=True)
        settle(qtbot)
        assert shape(window) == before, path.stem  # no squashed canvas, no width creep
    window.actions.new.trigger()
    settle(qtbot)
    assert shape(window) == before

    window.add_layer_at_center("relu")
    window.files.autosave()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    crashed = window.files.recovery_path.with_name(f"recovery-{dead.pid}.netcanvas")
    window.files.recovery_path.rename(crashed)
    window.files.recovery_path.with_suffix(".json").rename(crashed.with_suffix(".json"))
    monkeypatch.setattr(files, "ask_recover", lambda *args: True)
    monkeypatch.setattr(files, "ask_save_changes", lambda *args: "discard")
    assert window.files.offer_recovery()
    settle(qtbot)
    assert shape(window) == before


def test_docks_get_their_sizes_back_after_the_window_was_small(window, qtbot):
    settle(qtbot)
    before = shape(window)
    window.resize(640, 420)
    settle(qtbot)
    assert window.view.width() >= 300  # the canvas is never squeezed away
    window.resize(1400, 900)
    settle(qtbot)
    assert shape(window) == before


def drag_layers_separator(window, qtbot, dx: int) -> None:
    """Drag the separator right of the Layers dock as a user does (press, moves, release)."""
    edge = window.palette_dock.geometry().right() + 2
    y = window.palette_dock.geometry().center().y()
    for kind, x, buttons in ((QEvent.MouseButtonPress, edge, Qt.LeftButton),
                             (QEvent.MouseMove, edge + dx // 2, Qt.LeftButton),
                             (QEvent.MouseMove, edge + dx, Qt.LeftButton),
                             (QEvent.MouseButtonRelease, edge + dx, Qt.NoButton)):
        at = QPointF(x, y)
        button = Qt.NoButton if kind == QEvent.MouseMove else Qt.LeftButton
        QApplication.sendEvent(window, QMouseEvent(kind, at, window.mapToGlobal(at), button,
                                                   buttons, Qt.NoModifier))
        settle(qtbot, 30)  # Qt applies separator moves on a timer
    settle(qtbot)


def test_a_dragged_separator_is_the_size_kept(window, qtbot):
    settle(qtbot)
    drag_layers_separator(window, qtbot, 60)
    chosen = window.palette_dock.width()
    assert chosen > 230
    window.resize(700, 500)
    settle(qtbot)
    window.resize(1400, 900)
    settle(qtbot)
    assert window.palette_dock.width() == chosen


def test_show_code_opens_readable_and_gives_the_inspector_its_width_back(window, qtbot):
    settle(qtbot)
    inspector = window.inspector_dock.width()
    window.actions.show_code.trigger()
    settle(qtbot)
    code = window.code_dock
    assert code.width() >= 450 and code.height() >= window.height() // 3
    window.actions.show_code.trigger()
    settle(qtbot)
    assert window.inspector_dock.width() == inspector
    assert window.view.height() > window.height() // 2


def test_reset_layout_restores_the_defaults(window, qtbot):
    settle(qtbot)
    before = shape(window)
    window.palette_dock.setFloating(True)
    window.problems_dock.hide()
    window.actions.show_code.trigger()
    window.resizeDocks([window.inspector_dock], [600], Qt.Horizontal)
    settle(qtbot)
    window.actions.reset_layout.trigger()
    settle(qtbot, 150)
    assert not window.palette_dock.isFloating() and window.problems_dock.isVisible()
    assert window.code_dock.isHidden()
    assert shape(window) == before


def test_a_saved_layout_comes_back_and_an_old_format_one_is_ignored(qtbot, isolated):
    from netcanvas.app.settings import app_settings

    first = MainWindow()
    first.resize(1400, 900)
    first.show()
    qtbot.waitExposed(first)
    settle(qtbot)
    drag_layers_separator(first, qtbot, 120)
    first_width = first.palette_dock.width()
    first.save_state()
    first.close()
    second = MainWindow()
    second.restore_state()
    second.resize(1400, 900)  # the offscreen screen is smaller than the saved geometry
    second.show()
    qtbot.waitExposed(second)
    settle(qtbot)
    assert second.palette_dock.width() == 320 == first_width
    second.close()
    app_settings().setValue("window/state", second.saveState())  # no version: an old one
    third = MainWindow()
    third.restore_state()
    third.resize(1400, 900)
    third.show()
    qtbot.waitExposed(third)
    settle(qtbot)
    assert third.palette_dock.width() == 200
    third.close()
    for w in (first, second, third):
        w.deleteLater()
