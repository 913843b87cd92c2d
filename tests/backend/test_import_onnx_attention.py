"""nn.MultiheadAttention that torch's ONNX exporter decomposes into 31 ops (38 exported with
a dynamic batch) imports from ONNX as one multihead_attention layer with its weights, the
same outputs as ONNX Runtime for any batch; a variant the recogniser does not match exactly
is refused by name, op by op."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest
import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.importer import ImportProblem, import_fx
from netcanvas.backend.importer.onnx_fx import onnx_to_fx
from torch import nn

pytestmark = pytest.mark.onnx


class SelfAttention(nn.Module):
    def __init__(self, need_weights: bool = False, mask: bool = False) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)
        self.need_weights, self.mask = need_weights, mask
        with torch.no_grad():  # torch starts both biases at zero: give them values
            self.attn.in_proj_bias.normal_()
            self.attn.out_proj.bias.normal_()

    def forward(self, x):
        mask = torch.ones(5, 5, dtype=torch.bool).triu(1) if self.mask else None
        out, weights = self.attn(x, x, x, need_weights=self.need_weights, attn_mask=mask)
        return out if weights is None else out + weights.sum()


def export(model: nn.Module, path, dynamic: bool = False) -> None:
    torch.manual_seed(0)
    batch = {"dynamic_shapes": ({0: torch.export.Dim("batch", min=1, max=64)},)} \
        if dynamic else {}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.randn(2 if dynamic else 1, 5, 16),), str(path),
                          dynamo=True, **batch)


@pytest.mark.parametrize("dynamic", [False, True], ids=["batch 1", "dynamic batch"])
def test_decomposed_self_attention_imports_as_one_layer_with_its_weights(tmp_path, dynamic):
    import onnxruntime

    torch.manual_seed(1)
    model = SelfAttention()
    export(model, tmp_path / "a.onnx", dynamic)
    gm, shapes, names = onnx_to_fx(tmp_path / "a.onnx")
    result = import_fx(gm, shapes, names)
    (node,) = [n for n in result.graph.nodes.values() if n.type_id != "input"
               and n.type_id != "output"]
    assert node.type_id == "multihead_attention" and node.params["num_heads"] == 4
    for key, value in model.attn.state_dict().items():
        assert torch.equal(result.weights[f"{node.name}.{key}"], value), key
    compiled = compile_graph(result.graph)
    compiled.module.load_state_dict(result.weights)
    session = onnxruntime.InferenceSession(str(tmp_path / "a.onnx"))
    x = torch.randn(3 if dynamic else 1, 5, 16)
    want = torch.from_numpy(session.run(None, {session.get_inputs()[0].name: x.numpy()})[0])
    with torch.no_grad():
        got = compiled.module.eval()(x)
        assert float((got - want).abs().max()) <= 1e-5 * float(want.abs().max())
        x3 = torch.randn(4, 5, 16)  # exported for a batch of 1 (or any), imports for any
        assert torch.allclose(compiled.module(x3), model(x3), atol=1e-5)


def _retouched(path, name: str, value) -> None:
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(path))
    for init in m.graph.initializer:
        if init.name == name:
            init.CopyFrom(numpy_helper.from_array(np.asarray(value, dtype=numpy_helper.to_array(
                init).dtype), name))
    onnx.save(m, str(path))


def _scale_name(path) -> str:
    import onnx

    m = onnx.load(str(path))
    (mul, _) = [n for n in m.graph.node if n.op_type == "Mul"]
    return mul.input[1]


def _shape_read_from(path, start: int) -> None:
    """The Shape that k's run-time transpose reads now starts at `start`."""
    import onnx

    m = onnx.load(str(path))
    (shape,) = [n for n in m.graph.node if n.op_type == "Shape"]
    shape.attribute.append(onnx.helper.make_attribute("start", start))
    onnx.save(m, str(path))


@pytest.mark.parametrize("variant,dynamic", [
    *((v, d) for v in ("mask", "weights", "scale") for d in (False, True)),
    ("shape", True),  # with a fixed batch, no shape is read at run time
])
def test_what_the_recogniser_does_not_match_exactly_is_refused_by_name(variant, dynamic,
                                                                       tmp_path):
    """A mask, the weights returned, a scale other than head_dim^-1/4 on q and k, or k's
    run-time shape read another way: not the pattern, so the ops are refused by name, never
    imported as something else."""
    path = tmp_path / "a.onnx"
    export(SelfAttention(need_weights=variant == "weights", mask=variant == "mask"), path,
           dynamic)
    if variant == "scale":
        _retouched(path, _scale_name(path), [0.5])
    if variant == "shape":
        _shape_read_from(path, 1)
    with pytest.raises(ImportProblem, match=r"Transpose at node .*moves the batch dimension"):
        onnx_to_fx(path)
