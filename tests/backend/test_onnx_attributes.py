"""Every attribute of every op the ONNX importer maps is honoured exactly (checked against
ONNX Runtime) or the node is refused with the attribute named; the silent and crashing
cases found in issue 24 each have a small file here."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from netcanvas.backend.cli import main
from netcanvas.backend.importer import ImportProblem
from netcanvas.backend.importer.onnx_fx import SUPPORTED_OPSETS, onnx_to_fx
from netcanvas.backend.importer.onnx_layers import HONOURED
from onnx import TensorProto, defs, helper, numpy_helper

pytestmark = pytest.mark.onnx
RNG = np.random.default_rng(0)


def model(nodes, inputs, output_shape, inits=(), opset=17, outputs=("y",)):
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, output_shape) for o in outputs],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in dict(inits).items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                             ir_version=8)


def weights(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


X = ("x", [1, 4, 8, 8])
# (op, attributes, the model): each honoured attribute at a value other than its default.
CASES = [
    ("Conv", {"kernel_shape": [3, 3], "strides": [2, 1], "pads": [1, 2, 1, 2],
              "dilations": [2, 1], "group": 2},
     lambda a: model([helper.make_node("Conv", ["x", "w", "b"], ["y"], **a)], [X], None,
                     {"w": weights(6, 2, 3, 3), "b": weights(6)})),
    ("Conv", {"auto_pad": "SAME_UPPER", "kernel_shape": [3, 3]},
     lambda a: model([helper.make_node("Conv", ["x", "w"], ["y"], **a)], [X], None,
                     {"w": weights(3, 4, 3, 3)})),
    ("ConvTranspose", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1],
                       "output_padding": [1, 1], "dilations": [1, 1], "auto_pad": "NOTSET"},
     lambda a: model([helper.make_node("ConvTranspose", ["x", "w"], ["y"], **a)], [X], None,
                     {"w": weights(4, 3, 3, 3)})),
    ("Gemm", {"alpha": 0.5, "beta": 2.0, "transB": 1},
     lambda a: model([helper.make_node("Gemm", ["x", "w", "c"], ["y"], **a)], [("x", [1, 5])],
                     None, {"w": weights(3, 5), "c": weights(1, 3)})),
    ("BatchNormalization", {"epsilon": 0.1, "momentum": 0.5},
     lambda a: model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"],
                                       **a)], [X], None,
                     {"s": weights(4), "b": weights(4), "m": weights(4),
                      "v": np.abs(weights(4)) + 0.5})),
    ("Clip", {"min": 0.0, "max": 6.0}, lambda a: model(
        [helper.make_node("Clip", ["x"], ["y"], **a)], [X], None, opset=10)),
    ("Clip", {}, lambda a: model([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], [X], None,
                                 {"lo": np.array(-0.5, np.float32),
                                  "hi": np.array(0.5, np.float32)})),
    ("HardSwish", {}, None),
    ("HardSigmoid", {"alpha": 1 / 6, "beta": 0.5}, None),
    ("LeakyRelu", {"alpha": 0.3}, None), ("Elu", {"alpha": 0.4}, None),
    ("Gelu", {"approximate": "tanh"}, lambda a: model(
        [helper.make_node("Gelu", ["x"], ["y"], **a)], [X], None, opset=20)),
    ("Softmax", {"axis": 1}, None), ("LogSoftmax", {"axis": 2}, None),
    ("Dropout", {"ratio": 0.3}, lambda a: model(
        [helper.make_node("Dropout", ["x"], ["y"], **a)], [X], None, opset=10)),
    ("Dropout", {"seed": 3}, lambda a: model(
        [helper.make_node("Dropout", ["x", "r"], ["y"], **a)], [X], None,
        {"r": np.array(0.3, np.float32)}, opset=13)),
    ("MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1],
                 "ceil_mode": 1, "dilations": [1, 1], "auto_pad": "NOTSET"}, None),
    ("AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1],
                     "ceil_mode": 1, "count_include_pad": 1, "auto_pad": "NOTSET"}, None),
    ("AveragePool", {"kernel_shape": [2, 2], "auto_pad": "VALID"}, None),
    ("MaxPool", {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}, lambda a: model(
        [helper.make_node("MaxPool", ["x"], ["y"], **a)], [("x", [1, 4, 9])], None)),
    ("AveragePool", {"kernel_shape": [3], "pads": [1, 1], "count_include_pad": 1},
     lambda a: model([helper.make_node("AveragePool", ["x"], ["y"], **a)],
                     [("x", [1, 4, 9])], None)),
    ("ReduceMean", {"axes": [2, 3], "keepdims": 0}, lambda a: model(
        [helper.make_node("ReduceMean", ["x"], ["y"], **a)], [X], None, opset=13)),
    ("ReduceMax", {"axes": [1], "keepdims": 1}, lambda a: model(
        [helper.make_node("ReduceMax", ["x"], ["y"], **a)], [X], None, opset=13)),
    ("ReduceMin", {"axes": [-1], "keepdims": 0}, lambda a: model(
        [helper.make_node("ReduceMin", ["x"], ["y"], **a)], [X], None, opset=13)),
    ("ReduceSum", {"axes": [2, 3], "keepdims": 1}, lambda a: model(
        [helper.make_node("ReduceSum", ["x"], ["y"], **a)], [X], None, opset=11)),
    ("ReduceSum", {}, lambda a: model(
        [helper.make_node("ReduceSum", ["x", "ax"], ["y"], keepdims=0)], [X], None,
        {"ax": np.array([1, 3])}, opset=13)),
    ("Slice", {}, lambda a: model(
        [helper.make_node("Slice", ["x", "st", "en", "ax"], ["y"])], [X], None,
        {"st": np.array([1, -5]), "en": np.array([3, 2**62]), "ax": np.array([1, -1])},
        opset=13)),
    ("LayerNormalization", {"axis": -2, "epsilon": 0.1}, lambda a: model(
        [helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], **a)], [X], None,
        {"s": weights(8, 8), "b": weights(8)}, opset=17)),
    ("Split", {"axis": 1, "split": [1, 3]}, lambda a: model(
        [helper.make_node("Split", ["x"], ["p", "q"], **a),
         helper.make_node("Concat", ["q", "p"], ["y"], axis=1)], [X], None, opset=11)),
    ("Split", {"axis": 3, "num_outputs": 3}, lambda a: model(
        [helper.make_node("Split", ["x"], ["p", "q", "r"], **a),
         helper.make_node("Concat", ["r", "p", "q"], ["y"], axis=3)], [X], None, opset=18)),
    ("ReduceMean", {"axes": [2, 3], "keepdims": 1}, lambda a: model(
        [helper.make_node("ReduceMean", ["x"], ["y"], **a)], [X], None, opset=13)),
    ("Resize", {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                "nearest_mode": "floor"},
     lambda a: model([helper.make_node("Resize", ["x", "", "s"], ["y"], **a)], [X], None,
                     {"s": np.array([1, 1, 2, 2], np.float32)}, opset=13)),
    ("Flatten", {"axis": -3}, None),
    ("Transpose", {"perm": [0, 2, 3, 1]}, None),
    ("Concat", {"axis": 1}, lambda a: model(
        [helper.make_node("Concat", ["x", "x"], ["y"], **a)], [X], None)),
    ("Cast", {"to": TensorProto.FLOAT}, None),
    ("Gather", {"axis": 2}, lambda a: model(  # x[:, :, -1]: one position after the batch
        [helper.make_node("Gather", ["x", "i"], ["y"], **a)], [X], None, {"i": np.array(-1)})),
    # The exporters' shape arithmetic: x.reshape(x.size(0), -1) spelled out.
    ("Shape", {"start": 0, "end": 1, "allowzero": 0}, lambda a: model([
        helper.make_node("Shape", ["x"], ["s"], **{k: a[k] for k in ("start", "end")}),
        helper.make_node("Constant", [], ["k"], value_ints=[-1]),
        helper.make_node("Concat", ["s", "k"], ["t"], axis=0),
        helper.make_node("Reshape", ["x", "t"], ["y"], allowzero=a["allowzero"])],
        [X], None, opset=15)),
    ("Reshape", {"value_ints": [-1], "axes": [0],
                 "to": TensorProto.INT64, "value": "zeros", "value_int": 0,
                 "value_float": 0.0, "value_floats": [0.0]},
     lambda a: model([
         helper.make_node("Shape", ["x"], ["s"]),
         helper.make_node("Cast", ["s"], ["s64"], to=TensorProto.INT64),
         helper.make_node("Constant", [], ["k"], value_ints=[-1]),
         helper.make_node("Constant", [], ["i"], value_int=0),
         helper.make_node("Constant", [], ["f"], value_float=0.0),
         helper.make_node("Constant", [], ["fs"], value_floats=[0.0]),
         helper.make_node("Constant", [], ["z"], value=numpy_helper.from_array(
             np.zeros(1, np.float32))),
         helper.make_node("Gather", ["s64", "i"], ["n"]),
         helper.make_node("Unsqueeze", ["n"], ["n1"], axes=[0]),
         helper.make_node("Squeeze", ["n1"], ["n0"], axes=[0]),
         helper.make_node("Unsqueeze", ["n0"], ["n2"], axes=[0]),
         helper.make_node("Concat", ["n2", "k"], ["t"], axis=0),
         helper.make_node("ConstantOfShape", ["s"], ["zz"], value=numpy_helper.from_array(
             np.zeros(1, np.float32))),
         helper.make_node("Reshape", ["x", "t"], ["y"])], [X], None, opset=11)),
]
# Covered by the cases above under other names.
ALSO = {"MaxUnpool": {"kernel_shape", "strides", "pads"}}  # test_import: segmentation_unpool


def _single(op, attrs):
    return model([helper.make_node(op, ["x"], ["y"], **attrs)], [X], None)


@pytest.mark.parametrize("op, attrs, make", CASES, ids=[c[0] for c in CASES])
def test_honoured_attributes_match_onnx_runtime(op, attrs, make):
    m = make(attrs) if make else _single(op, attrs)
    m.graph.output[0].type.tensor_type.ClearField("shape")
    m = onnx.shape_inference.infer_shapes(m)
    x = RNG.standard_normal([d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim])
    x = x.astype(np.float32)
    want = ort.InferenceSession(m.SerializeToString()).run(None, {"x": x})[0]
    path = f"/tmp/netcanvas_attr_{op}.onnx"
    onnx.save(m, path)
    gm, _, _ = onnx_to_fx(path)
    with torch.no_grad():
        got = gm.eval()(torch.from_numpy(x)).numpy()
    assert got.shape == want.shape
    assert np.allclose(got, want, rtol=1e-5, atol=1e-5), float(np.abs(got - want).max())


def _attributes(op: str) -> dict:
    """Every attribute the ONNX spec defines for `op` in the supported opsets, with the
    latest opset that has it."""
    found = {}
    for opset in SUPPORTED_OPSETS:
        try:
            schema = defs.get_schema(op, opset, "")
        except defs.SchemaError:
            continue
        for name, attr in schema.attributes.items():
            found[name] = (opset, attr)
    return found


def _unusual(attr) -> object:
    """A value other than the attribute's default, of its type."""
    t = onnx.AttributeProto
    default = helper.get_attribute_value(attr.default_value) if attr.default_value.name else None
    if attr.type == t.INT:
        return (default or 0) + 1
    if attr.type == t.FLOAT:
        return (default or 0.0) + 0.5
    if attr.type == t.STRING:
        return "unusual"
    if attr.type == t.TENSOR:
        return numpy_helper.from_array(np.ones(2, np.float32))
    if attr.type == t.SPARSE_TENSOR:
        return helper.make_sparse_tensor(numpy_helper.from_array(np.ones(1, np.float32)),
                                         numpy_helper.from_array(np.zeros(1, np.int64)), [2])
    return {t.INTS: [2, 2], t.FLOATS: [0.5, 0.5], t.STRINGS: ["unusual"]}[attr.type]


ALL = [(op, name) for op in sorted(HONOURED) for name in sorted(_attributes(op))]


@pytest.mark.parametrize("op, name", ALL, ids=[f"{o}.{n}" for o, n in ALL])
def test_every_attribute_is_honoured_or_refused_by_name(op, name, tmp_path):
    opset, attr = _attributes(op)[name]
    if name in ALSO.get(op, ()):
        return
    if name in HONOURED[op]:
        covered = [a for o, a, _ in CASES if name in a and o in (op, "Reshape", "Shape")]
        assert covered, f"{op}.{name} is honoured but no case checks it against ONNX Runtime"
        return
    node = helper.make_node(op, ["x"], ["y"], **{name: _unusual(attr)})
    onnx.save(model([node], [X], [1, 4, 8, 8], opset=opset), tmp_path / "m.onnx")
    with pytest.raises(ImportProblem, match=f"attribute {name}="):
        onnx_to_fx(tmp_path / "m.onnx")


def _import(m, tmp_path, capsys):
    onnx.save(m, tmp_path / "m.onnx")
    out = tmp_path / "p.netcanvas"
    code = main(["import", str(tmp_path / "m.onnx"), "-o", str(out)])
    err = capsys.readouterr().err.strip()
    return code, err, out


@pytest.mark.parametrize("node, opset, named", [
    (helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 2]),
     19, "attribute dilations=[2, 2]"),
    (helper.make_node("Resize", ["x", "", "s"], ["y"], mode="linear", antialias=1), 18,
     "attribute antialias=1"),
    (helper.make_node("Cast", ["x"], ["y"], to=TensorProto.INT32), 17, "to int32"),
    (helper.make_node("Dropout", ["x", "r", "t"], ["y"]), 17, "training_mode=true"),
    (helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], pads=[2, 2, 2, 2]), 17,
     "larger than half the kernel"),
    (helper.make_node("Gather", ["x", "g"], ["y"], axis=1), 17,
     "a gather of a tensor along axis 1 with an index of shape [2]"),
], ids=["avgpool-dilations", "resize-antialias", "cast-int", "dropout-training", "avgpool-pads",
        "gather-many"])
def test_silent_and_crashing_cases_are_refused_by_name_and_write_nothing(
        node, opset, named, tmp_path, capsys):
    inits = {"s": np.array([1, 1, 0.5, 0.5], np.float32), "r": np.array(0.5, np.float32),
             "t": np.array(True), "g": np.array([0, 2])}
    m = model([node], [X], None, {k: v for k, v in inits.items() if k in node.input},
              opset=opset)
    code, err, out = _import(m, tmp_path, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and named in err, err
    assert not out.exists() and not out.with_suffix(".safetensors").exists()


@pytest.mark.parametrize("node, named", [
    (helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2, 2], name="pool"),
     "MaxPool at node 'pool' (3-D pooling (NetCanvas has no 3-D layers"),
    (helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2, 2], name="pool"),
     "AveragePool at node 'pool' (3-D pooling (NetCanvas has no 3-D layers"),
    (helper.make_node("GlobalAveragePool", ["x"], ["y"], name="pool"),
     "GlobalAveragePool at node 'pool' (global pooling of a 5-D input (NetCanvas has no 3-D"),
    (helper.make_node("Conv", ["x", "w"], ["y"], name="conv"),
     "Conv at node 'conv' (3-D convolution (NetCanvas has no 3-D layers"),
], ids=["maxpool3d", "avgpool3d", "global-avgpool3d", "conv3d"])
def test_3d_pooling_and_convolution_of_a_5d_input_are_refused_by_name(node, named, tmp_path,
                                                                      capsys):
    inits = {"w": weights(2, 4, 1, 1, 1)} if node.op_type == "Conv" else {}
    m = model([node], [("x", [1, 4, 4, 8, 8])], None, inits)
    code, err, out = _import(m, tmp_path, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and named in err, err
    assert not out.exists()


def test_global_average_pool_of_a_sequence_averages_over_its_length(tmp_path, capsys):
    """(N, C, L) -> (N, C, 1): torch's 2-D pool would read (N, C, L) as one (C, H, W)."""
    from netcanvas.backend.compiler import compile_graph
    from netcanvas.backend.project_io import load_project

    m = model([helper.make_node("GlobalAveragePool", ["x"], ["y"])], [("x", ["N", 4, 8])],
              ["N", 4, 1])
    code, err, out = _import(m, tmp_path, capsys)
    assert code == 0, err
    x = RNG.standard_normal((3, 4, 8)).astype(np.float32)
    want = ort.InferenceSession(m.SerializeToString()).run(None, {"x": x})[0]
    with torch.no_grad():
        got = compile_graph(load_project(out).graph).module.eval()(torch.from_numpy(x)).numpy()
    assert got.shape == want.shape and np.abs(got - want).max() < 1e-6


def test_an_output_not_computed_from_the_inputs_is_refused_by_name(tmp_path, capsys):
    m = model([helper.make_node("Relu", ["x"], ["y"]),
               helper.make_node("Shape", ["x"], ["shape"])], [X], [1, 4, 8, 8],
              outputs=("y", "shape"))
    code, err, out = _import(m, tmp_path, capsys)
    assert code == 2 and "output at node 'shape'" in err and "Traceback" not in err
    assert not out.exists()


def test_every_unsupported_op_is_listed_once_with_its_count(tmp_path, capsys):
    nodes = [helper.make_node("Sin", ["x"], ["a"], name="s1"),
             helper.make_node("Relu", ["x"], ["b"]),
             helper.make_node("Sin", ["b"], ["c"], name="s2"),
             helper.make_node("Cos", ["x"], ["d"], name="c1"),
             helper.make_node("Sum", ["a", "c", "d"], ["y"], name="sum")]
    code, err, _ = _import(model(nodes, [X], [1, 4, 8, 8]), tmp_path, capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "Sin ×2 at node 's1', ..." in err and "Cos at node 'c1'" in err
    assert "cannot import 3 node(s)" in err  # Sum is not listed: its inputs already failed


def _roundtrip(m, tmp_path, capsys, batch: int = 3) -> float:
    """Import through the CLI, compile with the saved weights, compare with ONNX Runtime."""
    from netcanvas.backend.compiler import compile_graph
    from netcanvas.backend.export import load_weights
    from netcanvas.backend.importer.save import weights_path
    from netcanvas.backend.project_io import load_project

    code, err, out = _import(m, tmp_path, capsys)
    assert code == 0, err
    compiled = compile_graph(load_project(out).graph)
    if weights_path(out).exists():
        load_weights(compiled, weights_path(out))
    x = RNG.standard_normal((batch, 4, 8, 8)).astype(np.float32)
    want = ort.InferenceSession(m.SerializeToString()).run(None, {"x": x})[0]
    with torch.no_grad():
        got = compiled.module.eval()(torch.from_numpy(x)).numpy()
    return float(np.abs(got - want).max())


def test_single_input_concat_broadcast_gate_and_constant_arithmetic_import(tmp_path, capsys):
    nodes = [helper.make_node("Concat", ["x"], ["c"], axis=1),
             helper.make_node("Sub", ["c", "mean"], ["s"]),
             helper.make_node("Div", ["s", "std"], ["d"]),
             helper.make_node("GlobalAveragePool", ["d"], ["g"]),
             helper.make_node("Sigmoid", ["g"], ["gate"]),
             helper.make_node("Mul", ["d", "gate"], ["m"]),
             helper.make_node("Add", ["m", "one"], ["y"])]
    inits = {"mean": weights(1, 4, 1, 1), "std": np.abs(weights(4, 1, 1)) + 1,
             "one": np.array(1.0, np.float32)}
    m = model(nodes, [("x", ["N", 4, 8, 8])], ["N", 4, 8, 8], inits)
    assert _roundtrip(m, tmp_path, capsys) < 1e-5


def test_channel_shuffle_with_a_fixed_batch_of_one_imports(tmp_path, capsys):
    nodes = [helper.make_node("Reshape", ["x", "s1"], ["r"]),
             helper.make_node("Transpose", ["r"], ["t"], perm=[0, 2, 1, 3, 4]),
             helper.make_node("Reshape", ["t", "s2"], ["y"])]
    inits = {"s1": np.array([1, 2, 2, 8, 8]), "s2": np.array([1, 4, 8, 8])}
    m = model(nodes, [X], [1, 4, 8, 8], inits)
    assert _roundtrip(m, tmp_path, capsys, batch=1) == 0


def test_a_class_token_put_before_the_sequence_imports_as_a_class_token(tmp_path, capsys):
    """The exporter folds ViT's `token.expand(1, -1, -1)` at a fixed batch of one into a
    constant concatenated before the patches; it comes back as a ClassToken layer."""
    from netcanvas.backend.compiler import compile_graph
    from netcanvas.backend.export import load_weights
    from netcanvas.backend.importer.save import weights_path
    from netcanvas.backend.project_io import load_project

    m = model([helper.make_node("Concat", ["token", "x"], ["y"], axis=1)],
              [("x", [1, 3, 4])], [1, 4, 4], {"token": weights(1, 1, 4)})
    code, err, out = _import(m, tmp_path, capsys)
    assert code == 0, err
    graph = load_project(out).graph
    assert [n.type_id for n in graph.nodes.values()].count("class_token") == 1
    compiled = compile_graph(graph)
    load_weights(compiled, weights_path(out))
    x = RNG.standard_normal((1, 3, 4)).astype(np.float32)
    want = ort.InferenceSession(m.SerializeToString()).run(None, {"x": x})[0]
    with torch.no_grad():
        got = compiled.module.eval()(torch.from_numpy(x)).numpy()
    assert np.abs(got - want).max() < 1e-6
