"""Graph -> GraphModule: names, readable code, multi-input/output, errors, trace_node."""

from __future__ import annotations

import copy

import pytest
import torch
from netcanvas.backend.compiler import CompileError, LossSpec, compile_graph, trace_node
from netcanvas.backend.graph import Graph
from netcanvas.backend.shapes import analyze
from test_compiler_graphs import (
    GRAPHS,
    chain,
    encoder_decoder,
    lenet,
    odd_outputs,
    two_inputs,
    two_outputs,
)

torch.set_num_threads(2)


@pytest.mark.parametrize("name", GRAPHS)
def test_forward_gives_the_analysed_shapes_and_modules_are_named_after_nodes(name):
    graph = GRAPHS[name]()
    model = compile_graph(graph)
    analysis = analyze(graph)
    layers = {n.name for n in graph.nodes.values() if n.type_id not in ("input", "output")}
    assert {k for k, _ in model.module.named_children()} == layers
    for layer in layers:
        assert f"self.{layer}(" in model.module.code
    outputs = model.module(*model.example_inputs(batch=3))
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    want = [analysis.nodes[graph.by_name(n).id].output_shapes["y"] for n in model.output_names]
    assert [tuple(o.shape) for o in outputs] == [(3, *s) for s in want] == [
        (3, *s) for s in model.output_shapes]
    assert all(torch.isfinite(o.float()).all() for o in outputs)


def test_code_reads_like_hand_written_pytorch():
    code = compile_graph(lenet()).module.code
    assert "def forward(self, image):" in code
    assert "conv1 = self.conv1(image)" in code
    assert "relu1 = self.relu1(conv1)" in code
    assert "pool1 = self.pool1(relu1)" in code  # indices unused: the pool returns one tensor
    assert "[0]" not in code
    assert "return fc2" in code
    assert "= None" not in code  # fx's reference dropping is left out


def test_statements_follow_the_canvas_order_of_nodes():
    code = compile_graph(two_inputs()).module.code
    lines = [line.strip().split(" = ")[0] for line in code.splitlines() if " = self." in line]
    assert lines == ["left_conv", "leaky_relu1", "right_conv", "elu1", "cat1", "fuse"]


def test_two_inputs_become_placeholders_in_node_order():
    model = compile_graph(two_inputs())
    assert model.input_names == ["left", "right"]
    assert model.input_shapes == [(3, 8, 8), (3, 8, 8)]
    assert "def forward(self, left, right):" in model.module.code
    left, right = model.example_inputs(batch=2)
    swapped = model.module(right, left)
    assert not torch.equal(model.module(left, right), swapped)


def test_two_outputs_return_a_tuple_in_output_order_with_their_losses():
    model = compile_graph(two_outputs())
    assert model.output_names == ["category", "score"]
    assert model.losses == [LossSpec("category", "nll", 0.0, 1.0), LossSpec("score", "mse", 0.0, 0.5)]
    category, score = model.module(*model.example_inputs(batch=4))
    assert category.shape == (4, 3) and score.shape == (4, 1)
    assert torch.allclose(category.exp().sum(1), torch.ones(4))


def test_outputs_follow_the_node_order_whatever_feeds_them():
    model = compile_graph(odd_outputs())
    assert model.output_names == ["late", "early", "same", "passthrough"]
    assert model.input_names == ["x", "unused"]
    x, unused = model.example_inputs(batch=2)
    late, early, same, passthrough = model.module(x, unused)
    assert torch.equal(early, same) and torch.equal(passthrough, x)
    assert torch.equal(late, torch.tanh(torch.relu(early)))


def test_max_pool_indices_feed_max_unpool():
    model = compile_graph(encoder_decoder())
    code = model.module.code
    assert "pool_indices = pool[1]" in code
    assert model.module.pool.return_indices
    assert "unpool = self.unpool(mid, pool_indices)" in code
    model.module.eval()
    assert model.module(*model.example_inputs(batch=2)).shape == (2, 2, 8, 8)


def test_gradients_reach_every_parameter():
    model = compile_graph(lenet())
    logits = model.module(*model.example_inputs(batch=4))
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2, 3])).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.module.parameters())
    clone = copy.deepcopy(model.module)  # trainers snapshot the best epoch this way
    assert "= None" not in clone.code and set(clone.state_dict()) == set(model.module.state_dict())


def test_meta_device_builds_the_structure_without_weights():
    real, meta = compile_graph(lenet()), compile_graph(lenet(), device="meta")
    assert all(p.is_meta for p in meta.module.parameters())
    assert meta.module.code == real.module.code
    assert {k: v.shape for k, v in meta.module.state_dict().items()} == {
        k: v.shape for k, v in real.module.state_dict().items()}


def test_state_dict_keys_are_node_names():
    keys = set(compile_graph(lenet()).module.state_dict())
    assert {"conv1.weight", "conv1.bias", "fc1.weight", "bn1.running_mean"} <= keys


def test_nodes_leading_nowhere_are_left_out():
    graph = lenet()
    graph.connect(graph.by_name("relu1"), graph.add("linear", "unused", out_features=3))
    assert "unused" not in dict(compile_graph(graph).module.named_children())


def test_shape_errors_become_a_compile_error_naming_the_nodes():
    graph = Graph()
    x = graph.add("input", "vec", shape=(16,))
    conv = graph.add("conv2d", "conv3")
    chain(graph, x, conv, graph.add("output"))
    with pytest.raises(CompileError) as info:
        compile_graph(graph)
    assert conv.id in info.value.node_ids
    assert "conv3" in str(info.value)
    assert any(nid == conv.id for nid, _ in info.value.problems)


def test_missing_output_is_a_compile_error():
    graph = Graph()
    graph.connect(graph.add("input", shape=(2,)), graph.add("linear"))
    with pytest.raises(CompileError, match="Output"):
        compile_graph(graph)


@pytest.mark.parametrize("reserved", ["forward", "training", "lambda", "parameters"])
def test_names_python_or_torch_reserve_are_refused(reserved):
    graph = Graph()
    fc = graph.add("linear", "fc")
    chain(graph, graph.add("input", shape=(2,)), fc, graph.add("output"))
    fc.name = reserved  # behind Graph.check_name, which refuses it (test_names.py)
    with pytest.raises(CompileError, match="reserved") as info:
        compile_graph(graph)
    assert info.value.node_ids == (fc.id,)


def test_trace_node_finds_the_node_that_raised():
    model = compile_graph(two_inputs())
    left, right = model.example_inputs(batch=2)
    with pytest.raises(RuntimeError) as info:
        model.module(left, right[:, :2])  # right_conv expects 3 channels
    assert trace_node(info.value) == "right_conv"


def test_trace_node_is_none_outside_a_compiled_forward():
    try:
        torch.zeros(2) @ torch.zeros(3)
    except RuntimeError as exc:
        assert trace_node(exc) is None
