"""The modern CNN blocks of the library (squeeze-excitation, MobileNetV2's inverted residual,
ConvNeXt's block) hold exactly the parameters of torchvision's own modules, compute what
they compute given the same weights, and export to ONNX files that ONNX Runtime runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from netcanvas.backend.blocks.edits import AddBlock
from netcanvas.backend.blocks.library import builtin_blocks
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import export_onnx
from netcanvas.backend.graph import Node, new_id
from netcanvas.backend.project import Project
from netcanvas.backend.shapes import analyze
from torchvision_zoo import models


def _torchvision(name: str):
    models()  # stubs torchvision's compiled-op registrations
    from torchvision.models.convnext import CNBlock
    from torchvision.models.mobilenetv2 import InvertedResidual
    from torchvision.ops.misc import SqueezeExcitation
    return {"SqueezeExcitation": lambda: SqueezeExcitation(24, 8),
            "InvertedResidual": lambda: InvertedResidual(16, 16, 1, 6),
            "ConvNeXtBlock": lambda: CNBlock(32, 1e-6, 0.0)}[name]()


# block -> (its params matching the torchvision module above, input shape)
CASES = {"SqueezeExcitation": ({"channels": 24, "squeeze": 8}, (24, 6, 6)),
         "InvertedResidual": ({"channels": 16, "hidden": 96}, (16, 8, 8)),
         "ConvNeXtBlock": ({"channels": 32, "hidden": 128}, (32, 8, 8))}

pytestmark = pytest.mark.skipif(models() is None, reason="torchvision is not installed")


def _project(name: str) -> Project:
    params, shape = CASES[name]
    project = Project()
    g = project.graph
    node = Node(new_id(), "block", "blk", {"block": name, **params})
    AddBlock(builtin_blocks()[name], node).apply(g)
    g.connect(g.add("input", name="x", shape=shape), node)
    g.connect(node, g.add("output", name="y", loss="none"))
    return project


def _copy_weights(mine: torch.nn.Module, theirs: torch.nn.Module) -> None:
    """torchvision's tensors into the block's, in order (Linear weights as 1x1 kernels,
    the layer scale as a depthwise 1x1 kernel)."""
    ours = [t for t in mine.state_dict().values() if t.dtype.is_floating_point]
    their = [t for k, t in theirs.state_dict().items() if t.dtype.is_floating_point]
    if "layer_scale" in dict(theirs.named_parameters()):
        their.append(their.pop(0))  # CNBlock's own parameter comes before its submodules'
    assert len(ours) == len(their)
    with torch.no_grad():
        for a, b in zip(ours, their):
            a.copy_(b.reshape(a.shape))


@pytest.mark.parametrize("name", sorted(CASES))
def test_modern_block_matches_torchvision_and_exports_to_onnx(name, tmp_path):
    import onnxruntime as ort

    project = _project(name)
    analysis = analyze(project.graph)
    assert analysis.ok, analysis.problems
    torch.manual_seed(0)
    reference = _torchvision(name).eval()
    assert analysis.total_params == sum(p.numel() for p in reference.parameters())
    model = compile_graph(project.graph)
    _copy_weights(model.module, reference)
    x = torch.randn(2, *CASES[name][1])
    with torch.no_grad():
        got, want = model.module.eval()(x), reference(x)
    assert torch.allclose(got, want, atol=1e-5), float((got - want).abs().max())
    assert export_onnx(model, tmp_path / "block.onnx").ok
    session = ort.InferenceSession(str(tmp_path / "block.onnx"))
    (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    assert np.abs(out - want.numpy()).max() < 1e-4
