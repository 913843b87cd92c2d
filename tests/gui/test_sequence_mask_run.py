"""A sequence classifier fed its padding mask as a second input trains in the app and gets
the classifier's Evaluation views (the confusion matrix, the misclassified count), as a
one-input classifier does."""

import dataclasses
import os
from pathlib import Path

from netcanvas.app.files import examples
from netcanvas.backend.data import load_dataset
from netcanvas.backend.project_io import load_project
from test_training_dock import open_project, run_to_end, window  # noqa: F401 (fixture)

SHOTS = Path(os.environ.get("NETCANVAS_SHOTS", "/tmp/netcanvas-shots"))
RUN_TIMEOUT_MS = 60_000  # an upper bound on a shared 2-core machine, not a timing assert


def test_a_masked_sequence_run_is_scored_like_any_classifier(qtbot, window):
    project = load_project(next(p for p in examples() if p.stem == "masked_transformer_recall"))
    project.training.epochs = 1
    project.dataset = dataclasses.replace(project.dataset, options={"n_samples": 400})
    open_project(window, project)
    result = run_to_end(qtbot, window.training_dock)
    assert result.failed is None, result.failed
    dock = window.training_dock
    evaluation = dock.eval_tab
    qtbot.waitUntil(lambda: "test samples misclassified" in evaluation.mistakes_note.text(),
                    timeout=RUN_TIMEOUT_MS)
    test = len(load_dataset(project.dataset).test)
    assert f"of {test} test samples" in evaluation.mistakes_note.text()
    views = evaluation.views
    assert views.isTabVisible(views.indexOf(evaluation.summary))  # the confusion matrix
    dock.tabs.setCurrentWidget(evaluation)
    views.setCurrentWidget(evaluation.summary)
    dock.resize(900, 700)
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert dock.grab().save(str(SHOTS / "masked-recall-evaluation.png"))


def test_the_data_tab_names_both_inputs_of_a_masked_sequence_set(qtbot):
    from netcanvas.app.training.data_tab import DataTab
    from netcanvas.backend.project import DatasetConfig

    tab = DataTab(DatasetConfig(name="digits"))
    qtbot.addWidget(tab)
    tab.resize(1100, 600)
    tab.show()
    tab.combo.setCurrentIndex(tab.combo.findData("recall"))
    with qtbot.waitSignal(tab.dataset_loaded, timeout=RUN_TIMEOUT_MS):
        tab.load_button.click()
    assert "inputs tokens 12, mask 12; 2 classes: absent, present" in tab.summary.text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    qtbot.wait(200)  # the summary's new height laid out before the screenshot
    assert tab.summary.grab().save(str(SHOTS / "masked-recall-data.png"))
    tab.shutdown()
