"""The training dock builds its heavier tabs when first shown or first used, so the window
comes on screen sooner; a tab built late takes what the workspace holds at that moment."""

from __future__ import annotations

from test_app_support import *  # fixtures: window, isolated
from test_training_dock import mlp_project, open_project, run_to_end

LATE = ("Run", "Evaluation", "Try it", "Experiments", "Fool it")


def index_of(tabs, label: str) -> int:
    return next(i for i in range(tabs.count()) if tabs.tabText(i) == label)


def test_the_heavier_tabs_are_built_when_first_shown(qtbot, window):
    tabs = window.training_dock.tabs
    assert [label for label in LATE if tabs.built(label) is not None] == []
    tabs.setCurrentIndex(index_of(tabs, "Evaluation"))
    page = tabs.built("Evaluation")
    assert page is not None and page.isVisible()  # shown at once, not a frame later
    assert tabs.indexOf(page) == tabs.currentIndex() == index_of(tabs, "Evaluation")
    assert [label for label in LATE if tabs.built(label) is not None] == ["Evaluation"]
    assert window.training_dock.eval_tab is page  # asking for it gives the same page


def test_a_tab_built_after_a_run_shows_the_shown_run(qtbot, window):
    dock = window.training_dock
    open_project(window, mlp_project(epochs=1))
    assert run_to_end(qtbot, dock).failed is None
    run = window.workspace.shown
    assert run is not None and run.usable
    for label in ("Try it", "Experiments", "Fool it"):  # the run did not need them
        assert dock.tabs.built(label) is None
    dock.tabs.setCurrentIndex(index_of(dock.tabs, "Try it"))
    try_tab = dock.tabs.built("Try it")
    assert try_tab.predictor is not None and run.label in try_tab.source.text()
    assert dock.fool_tab.run is run  # built on access
    assert dock.experiments_tab.table.rowCount() == 1
