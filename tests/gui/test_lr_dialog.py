"""The "Find learning rate…" dialog in the real main window: a real range test on tiny data in
its thread; Use applies the suggestion as one undoable edit."""

import time

import pytest
from netcanvas.app.main_window import MainWindow

from tests.gui.test_training_dock import mlp_project, open_project

TIMEOUT_MS = 60_000


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    win.files.quiet = True
    win.show()
    yield win
    win.document.mark_saved("/tmp/unused.netcanvas")
    win.close()
    win.deleteLater()


def open_dialog(qtbot, win):
    form = win.training_dock.settings_form
    win.training_dock.lr_find_button.click()
    dialog = form.lr_dialog
    assert dialog.isVisible()
    return dialog


@pytest.mark.slow
def test_find_lr_suggests_and_use_is_one_undo_step(qtbot, window):
    doc = open_project(window, mlp_project(epochs=1))
    doc.project.training.lr = 0.0123
    dialog = open_dialog(qtbot, window)
    with qtbot.waitSignal(dialog.finished_test, timeout=TIMEOUT_MS):
        pass
    assert dialog.suggestion is not None and 1e-7 < dialog.suggestion < 10
    xs, ys = dialog.curve.getData()
    assert len(xs) > 10 and len(ys) == len(xs)
    assert dialog.marker.isVisible()
    assert dialog.use_button.isEnabled()
    assert dialog.use_button.text() == f"Use {dialog.suggestion:.1e}"
    dialog.grab().save("/tmp/lr_dialog.png")
    dialog.use_button.click()
    assert not dialog.isVisible()
    expected = float(f"{dialog.suggestion:.2g}")
    assert doc.project.training.lr == expected
    assert window.training_dock.settings_form.value("lr") == pytest.approx(expected)
    window.actions.undo.trigger()  # Ctrl+Z
    assert doc.project.training.lr == 0.0123


def test_cancel_stops_the_test(qtbot, window, monkeypatch):
    from netcanvas.app.training import lr_dialog

    def held_until_cancelled(project, dataset, steps, cancelled):
        """The real test, whose first step waits for Cancel: the click always lands mid-test,
        however fast or loaded the machine."""
        steps_seen = []

        def gate():
            if not steps_seen:
                steps_seen.append(1)
                while not cancelled():
                    time.sleep(0.005)  # polls the condition; no elapsed time is asserted
            return cancelled()
        return real(project, dataset, steps, gate)

    real = lr_dialog.range_test
    monkeypatch.setattr(lr_dialog, "range_test", held_until_cancelled)
    open_project(window, mlp_project(epochs=1))
    dialog = open_dialog(qtbot, window)
    with qtbot.waitSignal(dialog.finished_test, timeout=TIMEOUT_MS):
        dialog.cancel_button.click()
    assert dialog.cancel_button.text() == "Close"
    xs = dialog.curve.getData()[0]
    assert xs is None or len(xs) < 100  # stopped before the 100 steps
    dialog.cancel_button.click()
    assert not dialog.isVisible()
