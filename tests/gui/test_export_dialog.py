"""Exports of a run from the app: the dialog names the run, ONNX Runtime runs the file, and
the safetensors weights plus the standalone PyTorch file rebuild the trained model."""

import importlib.util
import itertools

import numpy as np
import onnxruntime as ort
import pytest
import torch
from netcanvas.app.training.export_dialogs import ExportDialog
from netcanvas.backend.data import load_dataset
from netcanvas.backend.project import Project
from netcanvas.backend.runs import DataInfo, RunStore
from netcanvas.backend.training import Trainer, predict
from PySide6.QtCore import Qt


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    project = Project()
    g = project.graph
    chain = [g.add("input", name="point", shape=(2,)), g.add("linear", out_features=8),
             g.add("relu"), g.add("linear", out_features=2), g.add("output", name="label")]
    for a, b in itertools.pairwise(chain):
        g.connect(a, b)
    project.dataset.name = "moons"
    project.dataset.options = {"n_samples": 200}
    project.training.epochs = 2
    run = RunStore("moons", tmp_path_factory.mktemp("runs")).new_run(project)
    data = load_dataset(project.dataset)
    run.data = DataInfo.of(data)
    run.ended(Trainer(run.project, data, checkpoint_dir=run.checkpoint_dir).run())
    assert run.status == "finished"
    return run, data


def _export(qtbot, dialog, path):
    dialog.path.setText(str(path))
    with qtbot.waitSignal(dialog.done_exporting, timeout=180_000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=10_000)
    return blocker.args[0]


def test_onnx_dialog_names_the_run_and_writes_a_file_taking_raw_values(qtbot, tmp_path, trained):
    run, data = trained
    dialog = ExportDialog("onnx", run, run.project)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "run 1, epoch" in dialog.source.text() and "finished, 2 epochs" in dialog.source.text()
    assert not dialog.changed.isVisibleTo(dialog)  # the canvas is the graph it trained
    assert dialog.dynamic_batch.isChecked() and dialog.normalize.isChecked()
    report = _export(qtbot, dialog, tmp_path / "moons.onnx")
    assert report is not None and report.ok
    assert "max |difference|" in dialog.result.text()

    session = ort.InferenceSession(str(tmp_path / "moons.onnx"))
    raw = data.test.x * torch.tensor(run.data.std) + torch.tensor(run.data.mean)
    (onnx_out,) = session.run(None, {session.get_inputs()[0].name: raw.numpy()})
    torch_out = predict(run.model(), data.test.x, "cpu").numpy()
    np.testing.assert_allclose(onnx_out, torch_out, atol=1e-4)
    assert session.get_modelmeta().custom_metadata_map["input_layout"] == "NC"


def test_weights_and_python_exports_rebuild_the_trained_model(qtbot, tmp_path, trained):
    """The .py file plus the safetensors weights give back the trained network."""
    from safetensors.torch import load_file

    run, _data = trained
    weights, code = tmp_path / "w.safetensors", tmp_path / "net.py"
    for kind, path in (("weights", weights), ("python", code)):
        dialog = ExportDialog(kind, run, run.project)
        qtbot.addWidget(dialog)
        assert _export(qtbot, dialog, path) is not None
        assert f"Wrote {path}" in dialog.result.text()

    spec = importlib.util.spec_from_file_location("exported_net", code)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.Net().eval()
    net.load_state_dict(load_file(str(weights)))
    x = torch.randn(7, 2)
    with torch.no_grad():
        np.testing.assert_allclose(net(x).numpy(), predict(run.model(), x, "cpu").numpy(),
                                   atol=1e-6)
