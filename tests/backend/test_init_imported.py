"""An imported model trains from its imported weights (issue 26): ResNet-18 exported to
ONNX at a small input size, imported back, then trained with `init_from` "import": the
validation loss before the first step equals the imported model's loss on the same data,
and the first epoch starts from there."""

from __future__ import annotations

import pytest
import torch
from netcanvas.backend.cli import main
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.data import Dataset, Split
from netcanvas.backend.export import export_onnx, load_weights
from netcanvas.backend.importer.save import weights_path
from netcanvas.backend.project_io import load_project, save_project
from netcanvas.backend.training import Trainer
from netcanvas.backend.training.init_weights import read_source
from test_import import EXAMPLES


def _images(n: int, seed: int) -> Split:
    g = torch.Generator().manual_seed(seed)
    return Split(torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g))


@pytest.mark.slow
def test_imported_resnet18_starts_from_its_weights(tmp_path):
    project = load_project(EXAMPLES / "resnet18.netcanvas")
    g = project.graph
    g.set_param(g.by_name("image").id, "shape", (3, 32, 32))
    g.set_param(g.by_name("fc").id, "out_features", 10)
    torch.manual_seed(3)
    original = compile_graph(g)
    for key, tensor in original.module.state_dict().items():  # trained-looking statistics
        if key.endswith("running_var"):
            tensor.copy_(0.5 + torch.rand_like(tensor))
        elif key.endswith("running_mean"):
            tensor.copy_(0.1 * torch.randn_like(tensor))
    export_onnx(original.module.eval() and original, tmp_path / "resnet18.onnx")
    path = tmp_path / "resnet18.netcanvas"
    assert main(["import", str(tmp_path / "resnet18.onnx"), "-o", str(path)]) == 0
    imported = load_project(path)
    out = next(n for n in imported.graph.nodes.values() if n.type_id == "output")
    imported.graph.set_param(out.id, "loss", "cross_entropy")
    for key, value in {"epochs": 1, "batch_size": 16, "device": "cpu", "lr": 1e-4}.items():
        setattr(imported.training, key, value)
    save_project(imported, path)
    data = Dataset("noise", _images(32, 0), _images(32, 1), _images(16, 2), "classification", 10,
                   [str(i) for i in range(10)], (3, 32, 32), ())

    reference = compile_graph(imported.graph)
    load_weights(reference, weights_path(path))
    with torch.no_grad():
        want = float(torch.nn.functional.cross_entropy(reference.module.eval()(data.val.x),
                                                       data.val.y))
        original_loss = float(torch.nn.functional.cross_entropy(
            original.module.eval()(data.val.x), data.val.y))
    assert want == pytest.approx(original_loss, rel=1e-4)

    trainer = Trainer(imported, data, init_from=read_source("import", path))
    result = trainer.run()
    assert result.failed is None, result.failed
    report = trainer.init_report
    assert not report.new and not report.mismatched and not report.unused
    assert report.start_metrics["loss"] == pytest.approx(want, rel=1e-5)
