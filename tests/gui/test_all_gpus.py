"""The device choice "all N GPUs of this machine" and a run on it in the real training dock.

This machine has no GPU: the form is shown torch.cuda reporting 4 (or 1) of them, and the
dock's run goes through the very ProcessTrainer "cuda:all" builds, with two gloo ranks on
this CPU (the number of processes patched to 2, the device "cpu"). No timing asserts.
"""

import pytest
import torch
from netcanvas.app.document import Document
from netcanvas.app.training.settings_form import SettingsForm
from netcanvas.backend.training import remote
from test_training_dock import RUN_TIMEOUT_MS, mlp_project, open_project, window  # noqa: F401 - a fixture


def device_items(form) -> dict[str, str]:
    combo = form.widgets["device"]
    return {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}


@pytest.fixture
def gpus(monkeypatch):
    def install(count: int) -> None:
        monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: f"Test GPU {i}")
    return install


def probed_form(qtbot, project=None) -> SettingsForm:
    form = SettingsForm(Document(project or mlp_project()))
    qtbot.addWidget(form)
    form.probe_devices()
    qtbot.waitUntil(lambda: form.devices_probed, timeout=30_000)
    return form


def test_several_gpus_offer_all_of_them_as_one_choice(qtbot, gpus, tmp_path):
    gpus(4)
    form = probed_form(qtbot)
    items = device_items(form)
    assert items["cuda:all"] == "all 4 GPUs of this machine"
    assert items["cuda:3"] == "cuda:3 (Test GPU 3)"
    combo = form.widgets["device"]
    combo.setCurrentIndex(combo.findData("cuda:all"))
    project = form.document.project
    assert project.training.device == "cuda:all"  # saved as a declared value
    assert form.row_visible("precision")  # a CUDA device: mixed precision is offered
    form.resize(900, 300)
    assert form.grab().save(str(tmp_path / "settings_all_gpus.png"))
    form.document.undo_stack.undo()
    assert project.training.device == "auto" and combo.currentData() == "auto"


def test_one_gpu_offers_no_all_gpus_choice(qtbot, gpus):
    gpus(1)
    items = device_items(probed_form(qtbot))
    assert "cuda" in items and "cuda:all" not in items
    assert not any("GPUs of this machine" in text for text in items.values())


@pytest.mark.slow
def test_a_run_in_two_processes_plots_stops_and_stays_resumable(qtbot, monkeypatch, window):
    monkeypatch.setattr(remote, "processes", lambda _device: 2)
    project = mlp_project(epochs=10_000)
    project.training.device = "cpu"
    open_project(window, project)
    dock = window.training_dock
    plots = dock.run_tab.plots
    dock.train_action.trigger()
    run = dock.run
    qtbot.waitUntil(lambda: plots.current.buffers["train_loss"].size >= 2, timeout=RUN_TIMEOUT_MS)
    assert plots.current.steps > 0  # the per-step curve too
    with qtbot.waitSignal(dock.run_ended, timeout=RUN_TIMEOUT_MS) as blocker:
        dock.stop_action.trigger()
    result = blocker.args[0]
    assert result.cancelled and result.failed is None
    assert run.status == "stopped" and run.can_resume and dock.shown is run
    assert (run.checkpoint_dir / remote.EVENTS).is_file()
    assert "stopped" in dock.run_tab.progress.format()
    assert dock.resume_action.isEnabled() and dock.train_action.isEnabled()
    assert "accuracy" in dock.eval_tab.metrics.text()  # the kept epochs were evaluated
