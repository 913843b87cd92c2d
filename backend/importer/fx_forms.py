"""Which layer a torch.fx call or module becomes: the forms each registry layer declares it
imports from (`imports=`), the tracer that keeps those modules whole (and torch's
transformer encoders, which become blocks), and how a call's or a module's arguments are
read back. Nothing here knows a layer by name."""

from __future__ import annotations

import functools
import inspect
import operator
from dataclasses import dataclass

import torch
import torch.fx
from netcanvas.backend.export.python_export import is_helper
from netcanvas.backend.importer import transformer as encoders
from netcanvas.backend.registry import REGISTRY, ImportForm, LayerSpec
from torch import nn

_NAMESPACES = {"nn": nn, "F": torch.nn.functional, "torch": torch, "operator": operator}


class _Unmapped(Exception):
    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Form:
    spec: LayerSpec
    form: ImportForm


@functools.cache
def _forms() -> tuple[dict, dict, dict]:
    """(nn class -> form, function -> forms, tensor method name -> forms) from the registry.
    A call several layers import from (`x * y`: Multiply for one shape, Multiply
    (broadcast) otherwise) lists them in registry order; the first that accepts the call's
    arguments and shapes is used."""
    classes, functions, methods = {}, {}, {}
    for spec in REGISTRY.values():
        for form in spec.imports:
            space, _, name = form.target.partition(".")
            if space == "Tensor":
                methods.setdefault(name, []).append(_Form(spec, form))
            elif space == "nn":
                classes[getattr(nn, name)] = _Form(spec, form)
            elif space == "netcanvas":  # a helper class, also as copied into exported code
                classes[form.target] = _Form(spec, form)
            elif space == "torchvision":  # by name: torchvision need not be installed
                if form.target.rpartition(".")[2][:1].isupper():
                    classes[form.target] = _Form(spec, form)
                else:
                    functions.setdefault(form.target, []).append(_Form(spec, form))
            else:
                functions.setdefault(getattr(_NAMESPACES[space], name), []).append(_Form(spec, form))
    return classes, functions, methods


def module_form(module: nn.Module) -> _Form | None:
    """The declaration for a module's class, or for the class it extends when it keeps that
    class's forward (a subclass computing something else, such as ConvNeXt's LayerNorm2d
    over channels, is not the layer it extends). torchvision's classes and NetCanvas's own
    (`netcanvas.LayerNormChannels`, as `netcanvas code` copies them) are known by name."""
    classes = _forms()[0]
    cls = type(module)
    for base in cls.__mro__:
        own = is_helper(base) and classes.get(f"netcanvas.{base.__name__}")
        found = own or classes.get(base) or classes.get(f"{base.__module__}.{base.__qualname__}")
        if found is None:
            continue
        if base is not cls and cls.forward is not base.forward and not is_helper(cls):
            return None
        return found
    return None


class Tracer(torch.fx.Tracer):
    """Keeps every module a layer imports from as one call (a subclass of nn.MaxUnpool2d
    too); traces through everything else, Sequential and the user's own classes alike."""

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return module_form(m) is not None or isinstance(m, encoders.ENCODERS)


def trace(module: nn.Module) -> torch.fx.GraphModule:
    """Traced in eval mode: what runs at inference (torchvision's stochastic depth is the
    identity there) is what is imported; Dropout and BatchNorm stay layers."""
    module.eval()
    return torch.fx.GraphModule(module, Tracer().trace(module), type(module).__name__)


def _attention_call(node: torch.fx.Node) -> dict:
    """`attn(x, x, x)` is self-attention, `attn(x, c, c)` cross-attention over c; masks and
    head-averaged weights have no NetCanvas form and are refused by name."""
    names = ("query", "key", "value", "key_padding_mask", "need_weights", "attn_mask",
             "average_attn_weights", "is_causal")
    call = dict(zip(names, node.args)) | dict(node.kwargs)
    weights_used = any(u.target is operator.getitem and u.args[1] == 1 and u.users
                       for u in node.users)
    if weights_used and call.get("average_attn_weights", True):
        raise _Unmapped("average_attn_weights=True has no NetCanvas equivalent: the "
                        "weights port gives each head's weights")
    for name in ("key_padding_mask", "attn_mask", "is_causal"):
        if call.get(name):
            raise _Unmapped(f"{name} has no NetCanvas equivalent on import (use the "
                            "layer's key_mask port or its causal setting)")
    if call.get("key") is not call.get("value"):
        raise _Unmapped("keys and values from different tensors have no NetCanvas "
                        "equivalent: the context port gives both")
    if call["key"] is call["query"]:
        return {"x": [call["query"]]}
    return {"x": [call["query"]], "context": [call["key"]]}


def _attributes(module: nn.Module) -> dict:
    """The module's constructor arguments, read back from its attributes of the same names
    (what torch's own modules keep); bias as a bool."""
    values = {}
    names = list(inspect.signature(type(module).__init__).parameters)[1:]
    if names == ["args", "kwargs"]:  # nn.LSTM, nn.GRU, LayerNorm2d keep them as attributes
        names = [k for k, v in vars(module).items() if not k.startswith("_")
                 and not isinstance(v, (torch.Tensor, nn.Module))]
    for name in names:
        if hasattr(module, name):
            value = getattr(module, name)
            if name == "bias" and not isinstance(value, bool):
                value = value is not None
            values[name] = tuple(value) if isinstance(value, (list, torch.Size)) else value
    return values


def _call_defaults(node: torch.fx.Node) -> dict:
    """The keyword defaults of the function a call_function node calls, where Python can
    read them, and under "*" its parameter names in order."""
    if node.op != "call_function":
        return {}
    try:
        signature = inspect.signature(node.target)
    except (TypeError, ValueError):
        return {}
    defaults = {k: p.default for k, p in signature.parameters.items() if p.default is not p.empty}
    defaults["*"] = tuple(signature.parameters)  # the order, for the form's ignored ("-") slots
    return defaults


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def _op_name(node: torch.fx.Node, gm: torch.fx.GraphModule) -> str:
    if node.op == "call_module":
        return type(gm.get_submodule(node.target)).__name__
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    if node.op == "get_attr":
        return "get_attr"
    target = node.target
    module = getattr(target, "__module__", None) or ""
    short = {"torch.nn.functional": "F", "_operator": "operator"}.get(module, module)
    return f"{short}.{getattr(target, '__name__', target)}" if short else str(target)
