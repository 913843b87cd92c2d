"""The backprop circuit: the course's f = z(x + y) through the CLI and the backend, and
random small circuits against torch.autograd.grad."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netcanvas.backend.cli import main
from netcanvas.backend.graph import Graph
from netcanvas.backend.insight.circuit import node_labels, run_circuit, wire_labels
from netcanvas.backend.project_io import load_project

torch.set_num_threads(1)
CIRCUIT = Path(__file__).resolve().parents[2] / "resources" / "examples" / "backprop_circuit.netcanvas"


def rows(text: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}


def test_cli_prints_the_course_values(capsys):
    assert main(["circuit", str(CIRCUIT), "--set", "x=-2", "y=5", "z=-4"]) == 0
    out = capsys.readouterr().out
    table = rows(out)
    # wire: type, value, d f / d wire
    assert table["x"] == ["Constant", "-2", "-4"]
    assert table["y"] == ["Constant", "5", "-4"]
    assert table["z"] == ["Constant", "-4", "3"]
    assert table["q"] == ["Add", "3", "-4"]
    assert table["f"] == ["Multiply", "-12", "1"]
    assert table["out"] == ["-12"]
    assert "local q: ∂q/∂x = 1  ∂q/∂y = 1\n" in out
    assert "local f: ∂f/∂q = -4  ∂f/∂z = 3\n" in out


def test_set_changes_the_values_and_bad_input_is_one_line(capsys):
    assert main(["circuit", str(CIRCUIT), "--set", "x=1", "y=2", "z=10"]) == 0
    table = rows(capsys.readouterr().out)
    assert table["f"][1:] == ["30", "1"] and table["z"][1:] == ["10", "3"]
    assert table["x"][1:] == ["1", "10"]
    for bad, says in ((["--set", "w=3"], "no Constant named 'w' (Constants: x, y, z)"),
                      (["--set", "x"], "--set expects NAME=NUMBER, got 'x'"),
                      (["--set", "x=abc"], "--set expects NAME=NUMBER")):
        assert main(["circuit", str(CIRCUIT), *bad]) == 2
        err = capsys.readouterr().err
        assert says in err and len(err.strip().splitlines()) == 1


def test_backend_labels_for_the_canvas():
    graph = load_project(CIRCUIT).graph
    result = run_circuit(graph)
    q, f = graph.by_name("q"), graph.by_name("f")
    assert result.value == -12 and result.objective == "output"
    assert wire_labels(result)[(q.id, "y")] == ("3", "∂ -4")
    assert node_labels(graph, result)[f.id] == "∂f/∂q = -4  ∂f/∂z = 3"


def test_a_network_shows_norms_for_one_sample():
    g = Graph()
    x = g.add("input", "x", shape=(3,))
    fc = g.add("linear", "fc", out_features=2)
    g.connect(x, fc)
    g.connect(fc, g.add("output", "out", loss="cross_entropy"))
    sample = (torch.tensor([[1.0, 2.0, 2.0]]),)
    result = run_circuit(g, sample=sample, target=torch.tensor([1]))
    wire = result.wire(g, "x")
    assert not wire.scalar and wire.value == pytest.approx(3.0)  # ‖(1, 2, 2)‖
    assert result.objective == "loss" and wire.grad > 0
    assert wire_labels(result)[(x.id, "y")] == ("‖x‖ 3", f"‖∂‖ {wire.grad:.3g}")


def test_a_trainable_constant_is_a_parameter():
    from netcanvas.backend.registry import get

    module = get("constant").build({"value": 2.5, "trainable": True}, {})
    assert [p.item() for p in module.parameters()] == [2.5]


UNARY = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "exp": torch.exp,
         "power": lambda t: t ** 2.0}
BINARY = {"add": lambda a, b: a + b, "multiply": lambda a, b: a * b,
          "subtract": lambda a, b: a - b}


@st.composite
def circuits(draw):
    """(ops, constant values): op i reads earlier wires by index; wire 0..k-1 are constants."""
    values = draw(st.lists(st.floats(-2, 2), min_size=1, max_size=4))
    ops = []
    for i in range(draw(st.integers(1, 6))):
        wires = len(values) + i
        if wires == 1 or draw(st.booleans()):
            ops.append((draw(st.sampled_from(sorted(UNARY))), (draw(st.integers(0, wires - 1)),)))
        else:  # two different wires: one edge joins two ports at most once
            pair = draw(st.lists(st.integers(0, wires - 1), min_size=2, max_size=2, unique=True))
            ops.append((draw(st.sampled_from(sorted(BINARY))), tuple(pair)))
    return ops, values


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(circuits())
def test_random_circuits_match_torch_autograd(case):
    ops, values = case
    g = Graph()
    nodes = [g.add("constant", f"c{i}", value=v) for i, v in enumerate(values)]
    leaves = [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in values]
    tensors = list(leaves)
    for type_id, args in ops:
        node = g.add(type_id)
        for position, a in enumerate(args):
            g.connect(nodes[a], node, dst_port=("x", "other")[position]
                      if type_id == "subtract" else None)
        nodes.append(node)
        fn = UNARY.get(type_id) or BINARY[type_id]
        tensors.append(fn(*(tensors[a] for a in args)))
    g.connect(nodes[-1], g.add("output", "out", loss="none"))
    result = run_circuit(g)
    reached = [i for i, n in enumerate(nodes) if (n.id, "y") in result.wires]
    expected = torch.autograd.grad(tensors[-1], [tensors[i] for i in reached], allow_unused=True)
    assert result.value == pytest.approx(tensors[-1].item(), rel=1e-5, abs=1e-6)
    for i, grad in zip(reached, expected):
        wire = result.wires[(nodes[i].id, "y")]
        assert wire.value == pytest.approx(tensors[i].item(), rel=1e-5, abs=1e-6)
        want = 0.0 if grad is None else grad.item()
        assert wire.grad == pytest.approx(want, rel=1e-4, abs=1e-5), g.to_dict()
