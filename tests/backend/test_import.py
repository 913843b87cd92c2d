"""Import: ONNX files and PyTorch classes become projects whose weights reproduce the
original's outputs; every layer declares what it imports from."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
import torch
from netcanvas.backend.blocks.expand import flatten
from netcanvas.backend.cli import main
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import export_onnx, load_weights, python_source
from netcanvas.backend.importer.fx_forms import _forms
from netcanvas.backend.importer.save import weights_path
from netcanvas.backend.project_io import load_project
from netcanvas.backend.registry import REGISTRY
from netcanvas.backend.shapes import analyze

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
MODELS = Path(__file__).with_name("import_models.py")
SMALL = ["lenet_digits", "linear_regression", "mlp_moons", "residual_cnn", "inception_block",
         "two_stream", "segmentation_unpool"]
LARGE = [pytest.param(n, marks=pytest.mark.slow) for n in ("vgg16", "resnet18")]
ALL = sorted(p.stem for p in EXAMPLES.glob("*.netcanvas"))


def test_every_layer_declares_what_it_imports_from():
    classes, functions, methods = _forms()  # every target resolves to a torch object
    declared = {f.spec.type_id for f in classes.values()}
    declared |= {f.spec.type_id for table in (functions, methods) for forms in table.values()
                 for f in forms}
    # The circuit view's arithmetic (issue 11) landed beside the importer and declares no
    # import forms yet: an imported torch.sub/div/pow/exp is refused by name, not guessed.
    # (Its Constant imports as `netcanvas code` writes it.)
    circuit = {"subtract", "divide", "power", "exp"}
    # A Constant Tensor comes from a module's stored tensor (get_attr) or a number operand.
    assert declared == set(REGISTRY) - {"input", "output", "constant_tensor"} - circuit


def _randomized(name: str):
    """The example compiled, with random BatchNorm statistics so they are tested too."""
    model = compile_graph(load_project(EXAMPLES / f"{name}.netcanvas").graph)
    torch.manual_seed(0)
    for key, tensor in model.module.state_dict().items():
        if key.endswith(("running_mean", "weight", "bias")) and tensor.is_floating_point():
            tensor.copy_(tensor + 0.1 * torch.randn_like(tensor))
        elif key.endswith("running_var"):
            tensor.copy_(0.5 + torch.rand_like(tensor))
    return model.module.eval() and model


def _same_outputs(original, project_path: Path) -> float:
    """Largest difference between the original and the imported project with its weights."""
    imported = compile_graph(load_project(project_path).graph)
    load_weights(imported, weights_path(project_path))
    imported.module.eval()
    inputs = original.example_inputs(2, torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = original.module(*inputs), imported.module(*inputs)
    want = want if isinstance(want, tuple) else (want,)
    got = got if isinstance(got, tuple) else (got,)
    return max(float((w - g).abs().max()) for w, g in zip(want, got, strict=True))


def _params(path: Path) -> int:
    return analyze(load_project(path).graph).total_params


@pytest.mark.onnx
@pytest.mark.parametrize("name", SMALL + LARGE)
def test_onnx_export_imports_back_with_the_same_parameters_and_outputs(name, tmp_path, capsys):
    original = _randomized(name)
    export_onnx(original, tmp_path / "model.onnx")
    out = tmp_path / "imported.netcanvas"
    assert main(["import", str(tmp_path / "model.onnx"), "-o", str(out)]) == 0
    assert main(["check", str(out)]) == 0
    assert _params(out) == _params(EXAMPLES / f"{name}.netcanvas")
    assert _same_outputs(original, out) <= 1e-5
    assert "wrote" in capsys.readouterr().out


def _layers(graph) -> list[tuple]:
    """The graph's layers as (type, params), sorted; inputs and outputs left out (the
    import names its own and sets no loss), and Identity: a block's optional layer that is
    off (ResNet's shortcut conv at stride 1) is nn.Identity in the code, absent flattened."""
    return sorted((n.type_id, sorted((k, repr(v)) for k, v in n.params.items()))
                  for n in graph.nodes.values()
                  if n.type_id not in ("input", "output", "identity"))


@pytest.mark.parametrize("name", [n for n in ALL if n not in ("vgg16", "resnet18")] + LARGE)
def test_code_output_imports_back(name, tmp_path):
    """`netcanvas code` -> `netcanvas import --trust-code`, for every bundled example (the
    sequence helpers included: TokenEmbedding, LSTMSequence, Attention, SequencePool): the
    same layers with the same params, and the same outputs with the same weights."""
    original = _randomized(name)
    code = tmp_path / "net.py"
    code.write_text(python_source(original, "Net"), encoding="utf-8")
    out = tmp_path / "imported.netcanvas"
    assert main(["import", f"{code}:Net", "--trust-code", "--no-blocks", "-o", str(out)]) == 0
    assert _layers(load_project(out).graph) == \
        _layers(flatten(load_project(EXAMPLES / f"{name}.netcanvas")).graph)
    names = {n.name for n in load_project(out).graph.nodes.values()}
    assert {n.name for n in load_project(EXAMPLES / f"{name}.netcanvas").graph.nodes.values()
            if n.type_id in ("input", "output", "conv2d", "linear")} <= names
    # The same node names hold the same weights (blocks come back flat: inception_b1_conv).
    flat = compile_graph(flatten(load_project(EXAMPLES / f"{name}.netcanvas")).graph)
    load_weights(flat, weights_path(out))
    assert _same_outputs(flat.module.eval() and flat, out) <= 1e-5


def test_alexnet_imports_with_torchvisions_parameter_count(tmp_path):
    out = tmp_path / "alexnet.netcanvas"
    assert main(["import", f"{MODELS}:AlexNet", "--trust-code", "--input-shape", "3,224,224",
                 "-o", str(out)]) == 0
    assert _params(out) == 61_100_840


def test_resnet_basic_blocks_keep_their_shortcuts(tmp_path):
    out = tmp_path / "resnet.netcanvas"
    assert main(["import", f"{MODELS}:TinyResNet", "--trust-code", "--no-blocks", "--args",
                 "num_classes=7",
                 "--input-shape", "3,16,16", "-o", str(out)]) == 0
    graph = load_project(out).graph
    adds = [n for n in graph.nodes.values() if n.type_id == "add"]
    assert len(adds) == 3
    sources = [sorted(graph.nodes[e.src].type_id for e in graph.edges_into(a.id)) for a in adds]
    # identity shortcuts join the block's input (a ReLU); the strided block's, its 1x1 conv + BN
    assert sources == [["batch_norm2d", "relu"], ["batch_norm2d", "relu"],
                       ["batch_norm2d", "batch_norm2d"]]
    down = graph.by_name("layer2_downsample_0")
    assert down.type_id == "conv2d" and down.params["kernel_size"] == (1, 1)
    assert analyze(graph).nodes[graph.by_name("fc").id].output_shapes["y"] == (7,)


def test_an_unsupported_onnx_op_is_named_with_its_node(tmp_path, capsys):
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["r"], name="act"),
                               helper.make_node("Sin", ["r"], ["y"], name="weird_sin")],
                              "g", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
              tmp_path / "sin.onnx")
    assert main(["import", str(tmp_path / "sin.onnx"), "-o", str(tmp_path / "p.netcanvas")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Sin at node 'weird_sin'" in err[0]
    assert not (tmp_path / "p.netcanvas").exists()


def test_an_unsupported_pytorch_call_is_named_with_its_node(tmp_path, capsys):
    assert main(["import", f"{MODELS}:Sorts", "--trust-code", "--input-shape", "5",
                 "-o", str(tmp_path / "p.netcanvas")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "torch.sort at node 'sort'" in err[0]


def test_python_import_refuses_without_trust_code(tmp_path, capsys):
    assert main(["import", f"{MODELS}:AlexNet", "-o", str(tmp_path / "p.netcanvas")]) == 2
    err = capsys.readouterr().err
    assert "runs that Python file" in err and "--trust-code" in err
    assert not (tmp_path / "p.netcanvas").exists()
