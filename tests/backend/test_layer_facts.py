"""The facts each layer declares for the doctor (backend/registry/spec.py: `saves`, `view`,
`roles`, `bias_param`), checked for every registered type against PyTorch itself, so a new
layer needs its one declaration and nothing in backend/doctor/."""

from __future__ import annotations

import pytest
import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.doctor import memory
from netcanvas.backend.doctor.context import ACTIVATIONS, types_with
from netcanvas.backend.registry import REGISTRY
from netcanvas.backend.registry.spec import ROLES
from netcanvas.backend.shapes import analyze
from test_export_layers import layer_graph

LAYERS = sorted(t for t in REGISTRY if REGISTRY[t].category != "Input/Output")


def test_every_layer_declares_what_backward_keeps():
    undeclared = sorted(t for t, spec in REGISTRY.items() if spec.saves is None)
    assert undeclared == [], f"declare saves=... on the LayerSpec of {', '.join(undeclared)}"


def _saved_by_torch(type_id: str) -> int:
    """Bytes of the distinct non-parameter tensors autograd saves in the layer's forward
    (its inputs need gradients; a batch of 2, for BatchNorm)."""
    model = compile_graph(layer_graph(type_id))
    inputs = [x.requires_grad_(x.is_floating_point()) for x in model.example_inputs(batch=2)]
    params = {p.data_ptr() for p in model.module.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor):
        if t.data_ptr() not in params and t.numel() > 1:  # scalars: a layer's constants
            seen[t.data_ptr()] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model.module.train()(*inputs)
    return sum(seen.values())


# Where the count is not exact: BatchNorm also keeps the batch's per-channel mean and 1/std
# (a few bytes, not per sample); MaxUnpool2d's test graph holds the MaxPool2d before it;
# LSTM/GRU kernels and attention also keep weight slices and workspaces of their own.
# Stochastic Depth keeps one value a sample, LayerNorm (channels) a mean and 1/std a position,
# MaxPool1d the int64 indices it does not output.
APPROXIMATE = ("batch_norm1d", "batch_norm2d", "max_unpool2d", "lstm", "gru",
               "multihead_attention", "stochastic_depth", "layer_norm_channels", "max_pool1d")


@pytest.mark.parametrize("type_id", LAYERS)
def test_what_a_layer_declares_it_saves_is_what_autograd_saves(type_id):
    declared, torch_bytes = _saved_as_declared(type_id), _saved_by_torch(type_id)
    message = (f"{type_id} declares saves={REGISTRY[type_id].saves}: {declared} bytes a "
               f"sample, autograd keeps {torch_bytes} for two")
    if type_id in APPROXIMATE:
        assert (declared > 0) == (torch_bytes > 0), message
    else:
        assert 2 * declared == torch_bytes, message


def _saved_as_declared(type_id: str) -> int:
    """Per-sample bytes the memory predictor counts for the layer alone, its inputs needing
    gradients."""
    graph = layer_graph(type_id)
    node = graph.by_name("layer")
    keys = [(e.src, e.src_port) for e in graph.edges_into(node.id)]
    own = {(node.id, p.name): (node.id, p.name) for p in node.spec.outputs}
    saved = memory._Saved()
    memory._layer_saved(saved, graph, analyze(graph), node, keys, own, "cpu")
    return sum(saved.bytes.values())


def test_roles_are_declared_and_the_doctor_reads_them():
    assert all(set(spec.roles) <= set(ROLES) for spec in REGISTRY.values())
    activations = {t for t, spec in REGISTRY.items() if spec.category == "Activation"}
    assert set(ACTIVATIONS) <= activations
    assert activations - set(ACTIVATIONS) == {"power", "exp"}  # the circuit's arithmetic
    assert set(types_with("saturating")) <= set(ACTIVATIONS)
    assert {t for t, s in REGISTRY.items() if s.bias_param} == {
        t for t, s in REGISTRY.items() if any(p.name == "bias" for p in s.params)}
