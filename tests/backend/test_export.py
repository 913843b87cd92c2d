"""Export of example-like graphs: standalone code, safetensors weights, verified ONNX."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from netcanvas.backend.compiler import compile_graph, trace_node
from netcanvas.backend.export import (
    ExportError,
    export_onnx,
    export_python,
    load_weights,
    onnx_export,
    save_weights,
)
from netcanvas.backend.graph import Graph
from netcanvas.backend.registry import REGISTRY, LayerSpec, Port
from netcanvas.backend.registry.layers.common import same_shape
from test_compiler_graphs import GRAPHS, chain, lenet, mlp

torch.set_num_threads(2)


def load_module_file(path, class_name="Net") -> torch.nn.Module:
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, class_name)()


def outputs_of(module, inputs) -> tuple:
    with torch.no_grad():
        out = module.eval()(*inputs)
    return out if isinstance(out, tuple) else (out,)


# ---- standalone Python --------------------------------------------------------------

@pytest.mark.parametrize("name", GRAPHS)
def test_exported_code_with_the_same_weights_gives_identical_outputs(name, tmp_path):
    model = compile_graph(GRAPHS[name]())
    path = tmp_path / f"{name}.py"
    source = export_python(model, path)
    tree = ast.parse(source)
    imports = {alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    imports |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imports == {"torch"}
    net = load_module_file(path)
    net.load_state_dict(model.module.state_dict())  # strict: same names, same shapes
    inputs = model.example_inputs(batch=3)
    for mine, theirs in zip(outputs_of(model.module, inputs), outputs_of(net, inputs)):
        assert torch.equal(mine, theirs)


@pytest.mark.slow
def test_exported_code_runs_as_a_script_and_takes_a_graph(tmp_path):
    path = tmp_path / "encoder_decoder.py"
    export_python(GRAPHS["encoder_decoder"](), path, class_name="Segmenter")
    assert "class Segmenter(nn.Module):" in path.read_text()
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert "tensor(" in run.stdout


def test_constructor_calls_read_like_hand_written_code(tmp_path):
    source = export_python(GRAPHS["lenet"](), tmp_path / "lenet.py")
    assert "self.conv1 = nn.Conv2d(1, 6, kernel_size=3, padding=1)" in source
    assert "self.pool1 = nn.MaxPool2d(2, stride=2)" in source  # indices unused
    assert "self.fc2 = nn.Linear(32, 10)" in source
    assert "self.bn1 = nn.BatchNorm2d(8)" in source


class Scale(torch.nn.Module):
    """Stores its argument under another name: code export cannot read it back."""

    def __init__(self, factor: float = 1.0):
        super().__init__()
        self.k = factor

    def forward(self, x):
        return x * self.k

    def extra_repr(self) -> str:
        return f"k={self.k}"


def test_a_module_that_cannot_be_written_back_is_refused_with_its_node(tmp_path):
    spec = LayerSpec(type_id="test_scale", title="Scale", category="Activation", doc="test",
                     inputs=(Port("x"),), outputs=(Port("y"),), params=(),
                     infer_shape=same_shape, build=lambda params, inputs: Scale(2.0))
    REGISTRY[spec.type_id] = spec
    try:
        graph = Graph()
        chain(graph, graph.add("input", shape=(4,)), graph.add("test_scale", "scale"),
              graph.add("output", loss="mse"))
        with pytest.raises(ExportError, match="'scale'") as info:
            export_python(graph, tmp_path / "scale.py")
    finally:
        del REGISTRY[spec.type_id]
    assert info.value.node == "scale"
    assert not (tmp_path / "scale.py").exists()


# ---- weights --------------------------------------------------------------------------

def test_weights_round_trip_through_safetensors(tmp_path):
    trained, fresh = compile_graph(lenet()), compile_graph(lenet())
    trained.module.bn1.running_mean.fill_(0.5)  # buffers travel too
    save_weights(trained, tmp_path / "w.safetensors")
    load_weights(fresh, tmp_path / "w.safetensors")
    inputs = trained.example_inputs(batch=2)
    assert torch.equal(outputs_of(trained.module, inputs)[0], outputs_of(fresh.module, inputs)[0])


def test_weights_load_from_a_training_checkpoint_preferring_its_best_epoch(tmp_path):
    from netcanvas.backend.training.checkpoint import save_checkpoint

    last, best, fresh = (compile_graph(mlp()) for _ in range(3))
    optimizer = torch.optim.SGD(last.module.parameters(), lr=0.1)
    save_checkpoint(tmp_path, model_state=last.module.state_dict(),
                    best_state=best.module.state_dict(), optimizer_state=optimizer.state_dict(),
                    shuffle=torch.Generator(), meta={"epoch": 3})
    load_weights(fresh, tmp_path)
    assert torch.equal(fresh.module.fc1.weight, best.module.fc1.weight)


def test_loading_weights_of_another_graph_names_the_difference(tmp_path):
    save_weights(compile_graph(lenet()), tmp_path / "lenet.safetensors")
    with pytest.raises(ExportError, match=r"fc1.weight has shape 32×32 in the file, the model "
                                          r"needs 16×2") as info:
        load_weights(compile_graph(mlp()), tmp_path / "lenet.safetensors")
    assert info.value.node in ("conv1", "fc1")


def test_loading_a_file_that_is_not_safetensors_is_a_clear_error(tmp_path):
    bad = tmp_path / "w.safetensors"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(ExportError, match="not a safetensors"):
        load_weights(compile_graph(mlp()), bad)
    with pytest.raises(ExportError, match="no such weights file"):
        load_weights(compile_graph(mlp()), tmp_path / "missing.safetensors")


# ---- ONNX -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every example-like graph exported once: (model, report) by name."""
    folder = tmp_path_factory.mktemp("onnx")
    result = {}
    for name, build in GRAPHS.items():
        model = compile_graph(build())
        result[name] = (model, export_onnx(model, folder / f"{name}.onnx"))
    return result


@pytest.mark.onnx
@pytest.mark.parametrize("name", GRAPHS)
def test_onnx_export_is_verified_at_another_batch_size(name, exported):
    model, report = exported[name]
    assert report.ok and report.rel_diff <= 1e-4
    assert report.verified_batch != report.exported_batch
    onnx.checker.check_model(str(report.path))
    proto = onnx.load(str(report.path))
    assert [i.name for i in proto.graph.input] == model.input_names
    assert [o.name for o in proto.graph.output] == model.output_names
    assert {i.type.tensor_type.shape.dim[0].dim_param for i in proto.graph.input} == {"batch"}
    assert {o.type.tensor_type.shape.dim[0].dim_param for o in proto.graph.output} == {"batch"}
    # Independently of the report: ORT at batch 5 agrees with PyTorch.
    inputs = model.example_inputs(batch=5)
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    got = session.run(None, {n: x.numpy() for n, x in zip(model.input_names, inputs)})
    for want, have in zip(outputs_of(model.module, inputs), got):
        np.testing.assert_allclose(have, want.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.onnx
def test_verification_fails_when_onnx_and_torch_disagree(exported):
    report = exported["mlp"][1]
    changed = compile_graph(mlp())  # other random weights than the exported file holds
    _, rel_diff, ok = onnx_export._verify(changed.module.eval(), changed, report.path, batch=4)
    assert not ok and rel_diff > 1e-4


@pytest.mark.onnx
def test_fixed_batch_export_and_training_mode_kept(tmp_path, capfd):
    model = compile_graph(mlp())
    model.module.train()
    report = export_onnx(model, tmp_path / "fixed.onnx", dynamic_batch=False, opset=18)
    assert report.ok and report.verified_batch == report.exported_batch
    assert model.module.training  # dropout was off for the export only
    proto = onnx.load(str(report.path))
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == report.exported_batch
    assert any(o.domain in ("", "ai.onnx") and o.version == 18 for o in proto.opset_import)
    assert report.opset == 18
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # the exporter's chatter is captured, not printed


@pytest.mark.onnx
def test_an_opset_the_exporter_cannot_write_is_an_error_not_a_surprise(tmp_path):
    with pytest.raises(ExportError, match="cannot write opset 99"):
        export_onnx(compile_graph(mlp()), tmp_path / "m.onnx", opset=99)
    with pytest.raises(ExportError, match="no weights"):
        export_onnx(compile_graph(mlp(), device="meta"), tmp_path / "m.onnx")


class Zeta(torch.nn.Module):
    """An op ONNX has no translation for."""

    def forward(self, x):
        return torch.special.zeta(x, x)


class SignFlip(torch.nn.Module):
    """Control flow on data: torch.export cannot trace it."""

    def forward(self, x):
        return x if x.sum() > 0 else -x


class FixedBatch(torch.nn.Module):
    """Bakes the batch size in: the dynamic batch dimension is lost."""

    def forward(self, x):
        return x.reshape(2, -1)


def compiled_with(module: torch.nn.Module):
    """Input -> Linear 'fc' -> `module` as node 'weird' -> Output, compiled."""
    spec = LayerSpec(type_id="test_layer", title="Test", category="Activation", doc="test",
                     inputs=(Port("x"),), outputs=(Port("y"),), params=(),
                     infer_shape=same_shape, build=lambda params, inputs: module)
    REGISTRY[spec.type_id] = spec
    try:
        graph = Graph()
        chain(graph, graph.add("input", shape=(4,)), graph.add("linear", "fc", out_features=4),
              graph.add("test_layer", "weird"), graph.add("output", loss="mse"))
        return compile_graph(graph)
    finally:
        del REGISTRY[spec.type_id]


@pytest.mark.onnx
@pytest.mark.parametrize("module, words", [(Zeta(), "zeta"), (SignFlip(), "data"),
                                           (FixedBatch(), "batch")],
                         ids=["no-onnx-op", "data-dependent", "fixed-batch"])
def test_what_cannot_be_exported_is_reported_with_the_node_name(module, words, tmp_path):
    model = compiled_with(module)
    with pytest.raises(ExportError, match="node 'weird'") as info:
        export_onnx(model, tmp_path / "bad.onnx")
    assert info.value.node == "weird"
    assert words in info.value.details.lower()  # the exporter's own words are kept


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_model_on_the_gpu_exports_reloads_and_traces_errors(tmp_path):
    model = compile_graph(lenet())
    model.module.cuda()
    report = export_onnx(model, tmp_path / "gpu.onnx")
    assert report.ok
    assert next(model.module.parameters()).is_cuda  # exported from a CPU copy
    save_weights(model, tmp_path / "w.safetensors")
    fresh = compile_graph(lenet())
    fresh.module.cuda()
    load_weights(fresh, tmp_path / "w.safetensors")
    inputs = model.example_inputs(batch=4)
    assert inputs[0].is_cuda
    assert torch.equal(outputs_of(model.module, inputs)[0], outputs_of(fresh.module, inputs)[0])
    with pytest.raises(RuntimeError) as info:
        model.module(torch.randn(2, 3, 8, 8, device="cuda"))  # conv1 takes 1 channel
    assert trace_node(info.value) == "conv1"
