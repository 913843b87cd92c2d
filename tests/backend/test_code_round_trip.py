"""`netcanvas code` -> `netcanvas import --trust-code`: every bundled example comes back as
the same layers with the same parameters, and with the same weights computes the same
outputs (the sequence and attention helpers included: TokenEmbedding, LSTMSequence,
Attention, SequencePool, ...)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from netcanvas.backend.blocks.expand import flatten
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import python_source
from netcanvas.backend.importer import import_fx, trace
from netcanvas.backend.importer.pytorch import documented_io, load_class
from netcanvas.backend.project_io import load_project

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
HEAVY = {"resnet18", "vgg16"}  # seconds each to trace, import and run here
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.netcanvas"))


def _layers(graph) -> list[tuple]:
    """The graph's layers as (type, params), sorted; inputs and outputs left out (the
    import names its own and sets no loss)."""
    return sorted((n.type_id, sorted((k, repr(v)) for k, v in n.params.items()))
                  for n in graph.nodes.values() if n.type_id not in ("input", "output"))


def _as_tuple(out) -> tuple:
    if isinstance(out, dict):
        return tuple(out.values())
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY
                                  else n for n in NAMES])
def test_code_output_imports_back_as_the_same_layers_and_outputs(name, tmp_path):
    torch.manual_seed(0)
    graph = flatten(load_project(EXAMPLES / f"{name}.netcanvas")).graph
    original = compile_graph(graph).module.eval()
    code = tmp_path / "net.py"
    code.write_text(python_source(compile_graph(graph), "Net"), encoding="utf-8")
    cls = load_class(code, "Net")
    shapes, outputs = documented_io(cls)
    written = cls().eval()
    written.load_state_dict(original.state_dict())  # the same weights
    imported = import_fx(trace(written), shapes, outputs, blocks=False)
    assert _layers(imported.graph) == _layers(graph)
    back = compile_graph(imported.graph).module.eval()
    back.load_state_dict(imported.weights)
    # Whole numbers 0..2: token ids, 0/1-ish masks and pixels alike.
    inputs = [torch.randint(0, 3, (2, *shape)).float() for shape in shapes]
    with torch.no_grad():
        want, got = _as_tuple(original(*inputs)), _as_tuple(back(*inputs))
    assert len(want) == len(got)
    for w, g in zip(want, got):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-6)


class SequencePool(torch.nn.Module):
    """A user's own class that only shares a NetCanvas helper's name: it sums."""

    def forward(self, x):
        return x.sum(dim=1)


class Summed(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pool = SequencePool()

    def forward(self, x):
        return self.pool(x)


def test_a_class_merely_named_like_a_helper_is_traced_through_not_taken_for_it():
    imported = import_fx(trace(Summed()), [(5, 3)], blocks=False)
    assert "sequence_pool" not in {n.type_id for n in imported.graph.nodes.values()}
    back = compile_graph(imported.graph).module.eval()
    back.load_state_dict(imported.weights)
    x = torch.randn(2, 5, 3)
    with torch.no_grad():
        torch.testing.assert_close(_as_tuple(back(x))[0], x.sum(dim=1))
