"""Train's prompts and refusals act on the state at the moment: the "still training?" question
answered after the run ended behind it (issue 21, bug 1); F5 on a broken graph (bug 7)."""

import pytest
from netcanvas.app.training import dock as dock_module
from test_training_dock import RUN_TIMEOUT_MS, mlp_project, open_project, window  # noqa: F401


@pytest.fixture
def answered_after_the_run_ended(qtbot, monkeypatch, window):
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
    win = answered_after_the_run_ended
    old = win.document
    assert win.files.new()
    assert win.document is not old and not win.training_dock.running


def test_quit_closes_when_the_run_ended_behind_the_prompt(answered_after_the_run_ended):
    win = answered_after_the_run_ended
    win.document.mark_saved("/tmp/unused.netcanvas")  # no "save changes?" before it
    assert win.close() and not win.isVisible()


@pytest.mark.parametrize("broken", ["empty", "unwired"])
def test_train_on_a_graph_with_errors_is_refused_before_a_run_exists(window, qtbot,
                                                                     broken):
    from netcanvas.backend.project import Project
    project = Project()
    if broken == "unwired":
        project.graph.add("linear", "fc")
    open_project(window, project)
    dock = window.training_dock
    dock.train_action.trigger()
    assert not dock.running and dock.store.runs == [] and dock.run_tab.plots.runs == []
    message = window.statusBar().currentMessage()
    assert message.startswith("Cannot train yet: fix the ") and "Problems" in message
    assert window.problems_dock.isVisible()


def test_an_examples_runs_are_found_again_when_it_is_reopened(window):
    from netcanvas.app.files import examples

    path = next(p for p in examples() if p.stem == "mlp_moons")
    window.files.open_path(path, prompt=False, example=True)
    store = window.training_dock.store
    store.new_run(window.document.project)
    window.files.new()
    window.files.open_path(path, prompt=False, example=True)
    again = window.training_dock.store
    assert again.folder == store.folder and len(again.runs) == 1
    assert not window.document.path  # still an example: Save asks where
