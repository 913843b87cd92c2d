"""The course's tasks in the app: the Data tab draws each sample's target on it, and a finished
run's Evaluation tab shows prediction beside truth, worst test sample first. Screenshots of
each task's views are written to SHOTS (docs/tasks/ keeps the ones looked at)."""

import os
from pathlib import Path

import pytest
from netcanvas.app.files import examples
from netcanvas.backend.project_io import load_project
from test_training_dock import open_project, window  # noqa: F401 (fixture)

SHOTS = Path(os.environ.get("NETCANVAS_SHOTS", "/tmp/netcanvas-shots"))
RUN_TIMEOUT_MS = 300_000  # one epoch on a shared 2-core machine: an upper bound, not a timing
WAIT_MS = 30_000  # a view that has not drawn within this is broken, not slow
TASKS = {"segmentation_unpool": ("IoU per class", "IoU "),
         "localisation": ("Mean box IoU", "IoU "),
         "two_stream": ("End-point error", "EPE "),
         "colourise": ("PSNR", "PSNR ")}


@pytest.mark.slow
@pytest.mark.parametrize("stem", sorted(TASKS))
def test_each_task_trains_and_shows_its_evaluation_view(qtbot, window, stem):
    project = load_project(next(p for p in examples() if p.stem == stem))
    project.training.epochs = 1
    open_project(window, project)
    with qtbot.waitSignal(window.training_dock.run_ended, timeout=RUN_TIMEOUT_MS) as blocker:
        window.training_dock.train_action.trigger()
    result = blocker.args[0]
    assert result.failed is None, result.failed
    dock = window.training_dock
    data, evaluation = dock.data_tab, dock.eval_tab
    note, caption = TASKS[stem]
    qtbot.waitUntil(lambda: bool(evaluation.task_note.text().startswith(note)
                                 or note in evaluation.task_note.text()), timeout=WAIT_MS)
    views = evaluation.views
    assert views.currentWidget() is evaluation.task_page
    assert not views.isTabVisible(views.indexOf(evaluation.summary))
    grid = evaluation.task_grid.widget()
    captions = [label.text() for label in grid.findChildren(type(evaluation.task_note))
                if label.text().startswith(caption)]
    assert len(captions) == 24  # the worst 24 test samples
    SHOTS.mkdir(parents=True, exist_ok=True)
    dock.tabs.setCurrentWidget(evaluation)
    dock.resize(900, 700)
    assert dock.grab().save(str(SHOTS / f"{stem}-evaluation.png"))
    dock.tabs.setCurrentWidget(data)
    qtbot.waitUntil(lambda: data.preview.currentWidget() is data.samples, timeout=WAIT_MS)
    assert "targets" in data.summary.text()
    assert data.augmented.isHidden()  # no empty augmentation panel under pictures of targets
    qtbot.wait(200)  # the summary's new height laid out before the screenshot
    assert dock.grab().save(str(SHOTS / f"{stem}-data.png"))
    try_it(qtbot, dock, stem)


def try_it(qtbot, dock, stem):
    """Try it answers with the task's picture; drawing on the canvas changes the answer."""
    from test_try_tab import drag

    tab = dock.try_tab
    dock.tabs.setCurrentWidget(tab)
    assert tab.task is not None and tab.picture.isVisible() and not tab.bars.isVisible()
    qtbot.waitUntil(lambda: tab.picture.pixmap() is not None
                    and not tab.picture.pixmap().isNull(), timeout=WAIT_MS)
    before = tab.picture.pixmap().toImage()
    tab.use_sample(5)
    assert tab.task_index == 5 and "Test sample 5" in tab.note.text()
    drag(qtbot, tab.canvas, [(r, 2) for r in range(1, 7)])
    qtbot.waitUntil(lambda: tab.picture.pixmap().toImage() != before, timeout=WAIT_MS)
    assert tab.answer.text().startswith("The model's ")
    assert dock.grab().save(str(SHOTS / f"{stem}-try.png"))
