"""A prompt that outlives its cause acts on the state at the moment of the answer: the
"still training?" question answered after the run finished behind it (issue 21, bug 1)."""

import pytest
from netcanvas.app.training import dock as dock_module
from test_training_dock import RUN_TIMEOUT_MS, mlp_project, open_project, window  # noqa: F401


@pytest.fixture
def answered_after_the_run_ended(qtbot, monkeypatch, window):  # noqa: F811
    """`ask_stop_run` that keeps its question open until the run has ended, then says Yes."""
    dock = window.training_dock

    def ask(parent, label):
        qtbot.waitUntil(lambda: not dock.running, timeout=RUN_TIMEOUT_MS)
        return True

    monkeypatch.setattr(dock_module, "ask_stop_run", ask)
    open_project(window, mlp_project(epochs=1))
    dock.train_action.trigger()
    assert dock.running
    return window


def test_new_project_opens_when_the_run_ended_behind_the_prompt(answered_after_the_run_ended):
    window = answered_after_the_run_ended
    old = window.document
    assert window.files.new()
    assert window.document is not old and not window.training_dock.running


def test_quit_closes_when_the_run_ended_behind_the_prompt(answered_after_the_run_ended, qtbot):
    window = answered_after_the_run_ended
    window.document.mark_saved("/tmp/unused.netcanvas")  # no "save changes?" before it
    assert window.close() and not window.isVisible()
