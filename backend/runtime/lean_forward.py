"""The forward of plain training steps and evaluation: the compiled module with its stateless
layers (ReLU, pooling, flatten, ...) called as functions instead of as submodules.

The compiled module calls every node's module so that forward hooks (the layer-statistics
probe, the insight views) and error messages see each node; a hand-written loop calls
`F.relu(x)` instead and skips Module.__call__'s bookkeeping. The lean twin does the same
arithmetic with the same parameters (it shares the module objects, so the optimizer, the
state_dict and every export keep using the compiled module); the loop runs it on the steps
where nothing is hooked. Only exact torch classes with no hooks of their own (when the twin
is built) are replaced.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def _pool(m: nn.Module) -> tuple:
    return (m.kernel_size, m.stride, m.padding)


# type -> the module as (function, positional arguments after the input, keyword arguments)
_FUNCTIONS: dict[type, Callable[[nn.Module], tuple[Callable, tuple, dict]]] = {
    nn.ReLU: lambda m: (torch.relu, (), {}),
    nn.Sigmoid: lambda m: (torch.sigmoid, (), {}),
    nn.Tanh: lambda m: (torch.tanh, (), {}),
    nn.GELU: lambda m: (F.gelu, (), {"approximate": m.approximate}),
    nn.Flatten: lambda m: (torch.flatten, (m.start_dim, m.end_dim), {}),
    nn.MaxPool2d: lambda m: (F.max_pool2d, (*_pool(m), m.dilation, m.ceil_mode), {}),
    nn.AvgPool2d: lambda m: (F.avg_pool2d, (*_pool(m), m.ceil_mode, m.count_include_pad,
                                            m.divisor_override), {}),
}


def _function_for(module: nn.Module) -> tuple[Callable, tuple, dict] | None:
    as_call = _FUNCTIONS.get(type(module))
    if as_call is None or module._forward_hooks or module._forward_pre_hooks:
        return None
    if getattr(module, "inplace", False) or getattr(module, "return_indices", False):
        return None
    return as_call(module)


def lean_module(model: nn.Module) -> nn.Module:
    """A GraphModule sharing `model`'s submodules whose stateless layers are function calls;
    `model` itself when it is no GraphModule or has nothing to replace."""
    if not isinstance(model, torch.fx.GraphModule):
        return model
    graph = torch.fx.Graph()
    values: dict[torch.fx.Node, torch.fx.Node] = {}
    replaced = False
    for node in model.graph.nodes:
        found = _function_for(model.get_submodule(node.target)) \
            if node.op == "call_module" else None
        if found is None or node.kwargs or len(node.args) != 1:
            values[node] = graph.node_copy(node, lambda n: values[n])
            continue
        function, args, kwargs = found
        values[node] = graph.create_node(  # same name: `relu1 = torch.relu(conv1)`
            "call_function", function, (values[node.args[0]], *args), kwargs, name=node.name)
        replaced = True
    if not replaced:
        return model
    lean = torch.fx.GraphModule(model, graph, class_name=type(model).__name__)
    lean.train(model.training)
    return lean
