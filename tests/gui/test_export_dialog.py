"""Exports of a trained model from the app: the ONNX dialog (run by ONNX Runtime afterwards),
safetensors weights and the standalone PyTorch file."""

import importlib.util
import itertools

import numpy as np
import onnxruntime as ort
import pytest
import torch
from netcanvas.app.training.export_dialogs import ExportActions, OnnxExportDialog
from netcanvas.backend.project import Project
from netcanvas.backend.training import Trainer, predict
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget


@pytest.fixture(scope="module")
def trained():
    project = Project()
    g = project.graph
    chain = [g.add("input", name="point", shape=(2,)), g.add("linear", out_features=8),
             g.add("relu"), g.add("linear", out_features=2), g.add("output", name="label")]
    for a, b in itertools.pairwise(chain):
        g.connect(a, b)
    project.dataset.name = "moons"
    project.dataset.options = {"n_samples": 200}
    project.training.epochs = 2
    result = Trainer(project).run()
    assert result.failed is None
    return result.model


def test_onnx_dialog_writes_a_file_onnx_runtime_runs(qtbot, tmp_path, trained):
    dialog = OnnxExportDialog(trained, path=str(tmp_path / "moons.onnx"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.dynamic_batch.isChecked()
    with qtbot.waitSignal(dialog.done_exporting, timeout=180_000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert report is not None and report.ok
    assert "max |difference|" in dialog.result.text()
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=10_000)

    session = ort.InferenceSession(str(tmp_path / "moons.onnx"))
    x = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    (onnx_out,) = session.run(None, {session.get_inputs()[0].name: x})
    torch_out = predict(trained, torch.from_numpy(x), "cpu").numpy()
    assert onnx_out.shape == (5, 2)
    np.testing.assert_allclose(onnx_out, torch_out, atol=1e-4)


def test_weights_and_python_exports_rebuild_the_trained_model(qtbot, tmp_path, trained):
    """The .py file plus the safetensors weights give back the trained network."""
    from safetensors.torch import load_file

    parent = QWidget()
    qtbot.addWidget(parent)
    actions = ExportActions(parent)
    actions.model = trained
    weights, code = tmp_path / "w.safetensors", tmp_path / "net.py"
    assert actions.save_weights_to(str(weights))
    assert actions.export_python_to(str(code))

    spec = importlib.util.spec_from_file_location("exported_net", code)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.Net().eval()
    net.load_state_dict(load_file(str(weights)))
    x = torch.randn(7, 2)
    with torch.no_grad():
        np.testing.assert_allclose(net(x).numpy(), predict(trained, x, "cpu").numpy(), atol=1e-6)
