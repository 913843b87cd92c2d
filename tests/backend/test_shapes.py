"""Whole-graph shape analysis: shapes on edges, sizes per node, problems pinned to nodes."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netcanvas.backend.graph import Edge, Graph, PortError
from netcanvas.backend.registry import REGISTRY
from netcanvas.backend.shapes import analyze, human_bytes


def lenet() -> tuple[Graph, dict]:
    g = Graph()
    n = {
        "x": g.add("input", "image", shape=(1, 8, 8)),
        "conv": g.add("conv2d", "conv1", out_channels=6, kernel_size=3, padding=1),
        "act": g.add("relu"),
        "pool": g.add("max_pool2d"),
        "flat": g.add("flatten"),
        "fc": g.add("linear", "fc1", out_features=10),
        "out": g.add("output"),
    }
    names = list(n)
    for a, b in itertools.pairwise(names):
        g.connect(n[a], n[b])
    return g, n


def test_shapes_params_and_macs_of_a_chain():
    g, n = lenet()
    a = analyze(g)
    assert a.ok and a.problems == []
    assert [a.edge_shapes[e] for e in g.edges] == [
        (1, 8, 8), (6, 8, 8), (6, 8, 8), (6, 4, 4), (96,), (10,)]
    info = {k: a.nodes[node.id] for k, node in n.items()}
    assert info["conv"].params == 6 * 1 * 9 + 6
    assert info["fc"].params == 96 * 10 + 10
    assert a.total_params == 60 + 970
    assert info["conv"].macs == 6 * 8 * 8 * 9  # MACs: one 3x3x1 kernel per output value
    assert info["fc"].macs == 96 * 10
    assert info["act"].macs == 6 * 8 * 8  # default: one op per output element
    assert info["x"].macs == 0 and a.total_macs == sum(i.macs for i in info.values())
    assert info["conv"].activation_bytes == 6 * 8 * 8 * 4
    # MaxPool's indices are int64.
    assert info["pool"].output_shapes == {"y": (6, 4, 4), "indices": (6, 4, 4)}
    assert info["pool"].activation_bytes == 96 * 4 + 96 * 8


def test_error_names_the_node_and_inference_carries_on():
    g = Graph()
    x = g.add("input", shape=(64,))
    conv = g.add("conv2d", "conv3")
    after = g.add("relu")
    out = g.add("output")
    for a, b in ((x, conv), (conv, after), (after, out)):
        g.connect(a, b)
    side = g.add("linear", out_features=4)  # an independent branch is still analysed
    g.connect(x, side)
    side_out = g.add("output", loss="mse")
    g.connect(side, side_out)
    a = analyze(g)
    assert not a.ok
    assert a.nodes[conv.id].error == "Conv2d 'conv3' expects 4-D input (N, C, H, W), got (N, 64)"
    assert [p.node_id for p in a.errors] == [conv.id]  # downstream nodes stay quiet
    assert a.nodes[after.id].output_shapes == {} and a.nodes[after.id].error is None
    assert Edge(conv.id, "y", after.id, "x") not in a.edge_shapes
    assert a.nodes[side.id].output_shapes == {"y": (4,)} and a.nodes[side_out.id].error is None


def test_graph_level_problems():
    g = Graph()
    act = g.add("relu")
    a = analyze(g)
    messages = [p.message for p in a.errors]
    assert "the graph has no Input node" in messages and "the graph has no Output node" in messages
    assert a.nodes[act.id].error == "ReLU 'relu1' needs an input on port 'x'"
    x = g.add("input", shape=(4,))
    g.connect(x, act)
    a = analyze(g)
    assert [p.message for p in a.errors] == ["the graph has no Output node"]
    assert [p.severity for p in a.problems if p.node_id == act.id] == ["warning"]  # leads nowhere


def test_missing_second_input_of_unpool():
    g = Graph()
    x = g.add("input", shape=(3, 8, 8))
    pool = g.add("max_pool2d")
    unpool = g.add("max_unpool2d")
    g.connect(x, pool)
    g.connect(pool, unpool)
    out = g.add("output", loss="mse")
    g.connect(unpool, out)
    a = analyze(g)
    assert a.nodes[unpool.id].error == "MaxUnpool2d 'unpool1' needs an input on port 'indices'"
    g.connect(pool, unpool, "indices", "indices")
    a = analyze(g)
    assert a.ok and a.nodes[out.id].output_shapes == {"y": (3, 8, 8)}
    with pytest.raises(PortError, match="pooling indices"):
        g.connect(pool, g.add("relu"), "indices")


def test_cycle_marks_only_the_cycle_nodes():
    g, n = lenet()
    a, b, c = g.add("relu"), g.add("tanh"), g.add("sigmoid")
    # Wired behind the validators, as a hand-edited file might be before it is checked.
    g.edges += [Edge(a.id, "y", b.id, "x"), Edge(b.id, "y", a.id, "x"), Edge(b.id, "y", c.id, "x")]
    result = analyze(g)
    assert {p.node_id for p in result.errors} == {a.id, b.id}
    assert "on a cycle" in result.nodes[a.id].error
    assert result.nodes[c.id].error is None and result.nodes[n["fc"].id].output_shapes


def test_merges_check_their_inputs():
    g = Graph()
    x = g.add("input", shape=(3, 8, 8))
    y = g.add("input", shape=(5, 8, 8))
    add, cat = g.add("add"), g.add("concat")
    for src in (x, y):
        g.connect(src, add)
        g.connect(src, cat)
    a = analyze(g)
    assert a.nodes[cat.id].output_shapes == {"y": (8, 8, 8)}
    assert a.nodes[add.id].error.startswith("Add 'add1' ")


def test_absurd_parameter_count_is_an_error_with_its_size():
    g = Graph()
    x = g.add("input", shape=(10**6,))
    fc = g.add("linear", "fc1", out_features=10**6, bias=False)
    out = g.add("output", loss="mse")
    g.connect(x, fc)
    g.connect(fc, out)
    a = analyze(g)
    assert a.nodes[fc.id].error == "Linear 'fc1' would hold 1.0e12 parameters (4.0 TB)"
    assert [p.node_id for p in a.errors] == [fc.id]


def test_huge_activations_warn_and_absurd_ones_fail():
    g = Graph()
    x = g.add("input", shape=(3, 1024, 1024))
    conv = g.add("conv2d", out_channels=64, kernel_size=3, padding=1)
    out = g.add("output", loss="mse")
    g.connect(x, conv)
    g.connect(conv, out)
    a = analyze(g)
    assert a.ok
    (warning,) = [p for p in a.problems if p.node_id == conv.id]
    assert warning.severity == "warning" and "268.4 MB per sample" in warning.message
    g.set_param(x.id, "shape", (4, 40000, 40000))
    a = analyze(g)
    assert a.nodes[x.id].error == "Input 'input1' would output 6.4e9 values per sample (25.6 GB)"


def test_human_bytes():
    assert [human_bytes(n) for n in (12, 1500, 4e12, 3e18)] == ["12 B", "1.5 kB", "4.0 TB",
                                                                  "3000.0 PB"]



def test_a_crashing_shape_rule_becomes_an_error_on_its_node(monkeypatch):
    from dataclasses import replace

    def broken(params, inputs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(REGISTRY, "relu", replace(REGISTRY["relu"], infer_shape=broken))
    g, n = lenet()
    a = analyze(g)
    assert a.nodes[n["act"].id].error == ("ReLU 'relu1': shape rule failed "
                                          "(ZeroDivisionError: division by zero)")
    assert [p.node_id for p in a.errors] == [n["act"].id]


LAYER_TYPES = sorted(t for t in REGISTRY if t != "input")


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_random_graphs_never_crash_and_fail_once_per_cause(data):
    """Whatever is wired to whatever, the analysis returns; every node either has shapes,
    carries its own error, or sits downstream of a node without shapes."""
    g = Graph()
    shape = data.draw(st.lists(st.integers(1, 12), min_size=1, max_size=4))
    nodes = [g.add("input", shape=shape)]
    for _ in range(data.draw(st.integers(1, 8))):
        spec = REGISTRY[data.draw(st.sampled_from(LAYER_TYPES))]
        node = g.add(spec.type_id)
        for port in spec.inputs:
            for src in data.draw(st.lists(st.sampled_from(nodes), min_size=1,
                                          max_size=3 if port.many else 1, unique_by=id)):
                try:
                    g.connect(src, node, dst_port=port.name)
                except PortError:  # e.g. a float output into an indices input
                    pass
        nodes.append(node)
    a = analyze(g)
    for nid in g.topological_order():
        info = a.nodes[nid]
        preds = [e.src for e in g.edges if e.dst == nid]
        upstream_failed = any(not a.nodes[p].output_shapes for p in preds)
        assert bool(info.output_shapes) or info.error or upstream_failed
        if upstream_failed and info.error:  # only an independent cause: an unwired port
            assert "needs an input" in info.error, "a second error for one cause"
        for e in g.edges_from(nid):
            assert a.edge_shapes.get(e) == info.output_shapes.get(e.src_port)
