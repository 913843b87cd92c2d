"""A compiled model as a standalone .py file that needs only torch.

`__init__` rebuilds every submodule as a constructor call read back from the module
itself (its `__init__` arguments are stored as attributes of the same name), and
`forward` is the compiled GraphModule's own code. Modules torch lacks (Add, Concat, ...)
are small self-contained classes and are copied in verbatim.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import keyword
import re
import textwrap
from pathlib import Path

import torch
from netcanvas.backend.echo import brief
from netcanvas.backend.export.block_classes import BlockClasses, is_block
from netcanvas.backend.export.errors import ExportError
from netcanvas.backend.graph import Graph
from netcanvas.backend.registry.layers import modules as _layer_modules
from netcanvas.backend.registry.layers import sequence_modules as _sequence_modules
from torch import nn

# Arguments where torch's own modules take one int for "the same in every dimension".
_UNIFORM_ARGS = ("kernel_size", "stride", "padding", "dilation", "output_padding", "output_size")
_UNIFORM_REPR = re.compile(rf"\b({'|'.join(_UNIFORM_ARGS)})=\((-?\d+)(?:, \2)+\)")
_SKIPPED_ARGS = {"device", "dtype"}
_POSITIONAL = 2  # leading required arguments written without their names: nn.Linear(784, 10)
_FILE_NAMES = {"torch", "nn"}  # what every generated file imports
# The module classes torch lacks, which a generated file may define (Add, Concat, LSTM's
# sequence wrapper, ...), by name.
_HELPERS = {
    name: cls for module in (_layer_modules, _sequence_modules) for name, cls in vars(module).items()
    if isinstance(cls, type) and issubclass(cls, nn.Module) and cls.__module__ == module.__name__}
HELPER_CLASSES = frozenset(_HELPERS)


@functools.cache
def is_helper(cls: type) -> bool:
    """Whether `cls` is one of the helper classes as `netcanvas code` copies them: the same
    name and the same source, for it and for each helper it extends (a user's own class
    that is merely named Attention is not NetCanvas's)."""
    helpers = [base for base in cls.__mro__ if base.__name__ in _HELPERS]
    if not helpers or helpers[0] is not cls:
        return False
    try:
        return all(textwrap.dedent(inspect.getsource(base))
                   == textwrap.dedent(inspect.getsource(_HELPERS[base.__name__]))
                   for base in helpers)
    except (OSError, TypeError):  # defined where no source can be read
        return False


def class_name_problem(name: str, taken=HELPER_CLASSES) -> str | None:
    """Why `name` cannot name the generated class ("is a Python keyword"), or None.
    `taken`: the helper classes the file defines (Add, Concat, ...)."""
    if not name.isidentifier():
        return "is not a Python name"
    if keyword.iskeyword(name):
        return "is a Python keyword"
    if name in _FILE_NAMES or name in taken:
        return "is already used in the generated file"
    if hasattr(builtins, name):
        return f"would hide Python's built-in {name}"
    return None


def safe_class_name(name: str, taken=HELPER_CLASSES) -> str:
    """`name`, or `name` + "Net" when it cannot name the class (None -> NoneNet)."""
    while class_name_problem(name, taken) is not None:
        name = (name if name.isidentifier() else "") + "Net"
    return name


def export_python(model_or_graph, path, class_name: str = "Net") -> str:
    """Write the module's source to `path`; returns the source."""
    source = python_source(model_or_graph, class_name)
    Path(path).write_text(source, encoding="utf-8")
    return source


def python_source(model_or_graph, class_name: str = "Net") -> str:
    """The file's text. A Graph is compiled on the meta device: code needs no weights."""
    if isinstance(model_or_graph, Graph):
        from netcanvas.backend.compiler import compile_graph

        model_or_graph = compile_graph(model_or_graph, device="meta")
    model = model_or_graph
    gm = model.module
    helpers: dict[str, str] = {}
    blocks = _block_classes(gm, helpers)
    lines = []
    for name, module in gm.named_children():
        lines.append(f"        self.{name} = {_constructor(name, module, helpers, blocks)}")
    taken = {**helpers, **blocks.sources}
    problem = class_name_problem(class_name, taken)
    if problem:
        raise ExportError(f"the class name {brief(class_name)} {problem}; choose another, e.g. "
                          f"{safe_class_name(class_name, taken)!r}")
    forward = textwrap.indent(gm.code.strip(), "    ")
    init = "\n".join(lines) if lines else "        pass"
    signature = ", ".join(f"{n} {_dims(s)}" for n, s in zip(model.input_names, model.input_shapes))
    results = ", ".join(f"{n} {_dims(s)}" for n, s in zip(model.output_names, model.output_shapes))
    example = ", ".join(f"torch.randn(2, {', '.join(map(str, s))})" for s in model.input_shapes)
    header = (f'"""{class_name}: a PyTorch model exported by NetCanvas. Needs only torch.\n\n'
              f"Inputs: {signature}. Outputs: {results} (N = batch size).\n"
              f'"""\n\nimport torch\nfrom torch import nn\n')
    body = (f"class {class_name}(nn.Module):\n    def __init__(self):\n"
            f"        super().__init__()\n{init}\n\n{forward}\n")
    main = (f'if __name__ == "__main__":\n    model = {class_name}().eval()\n'
            f"    with torch.no_grad():\n        print(model({example}))\n")
    parts = [header, *helpers.values(), *blocks.sources.values(), body, main]
    source = "\n\n".join(p.rstrip("\n") + "\n" for p in parts)
    _check(source, class_name, gm, blocks.aliases)
    return source


def _check(source: str, class_name: str, gm: nn.Module, aliases: dict[str, str]) -> None:
    """Build the written class (on the meta device: no memory, no init cost) and require
    every submodule to print exactly like the compiled one, so a constructor argument that
    was not read back cannot slip through."""
    namespace: dict = {"__name__": "netcanvas_export_check"}
    exec(compile(source, f"<{class_name}>", "exec"), namespace)  # noqa: S102 - code we just wrote
    with torch.device("meta"):
        written = dict(namespace[class_name]().named_children())
    for name, module in gm.named_children():
        rebuilt = _printed(written[name]) if name in written else ""
        for alias, cls in aliases.items():  # a block written as a class per instance
            rebuilt = re.sub(rf"\b{alias}\(", f"{cls}(", rebuilt)
        if name not in written or rebuilt != _printed(module):
            raise ExportError(f"cannot write '{name}' as code: {module!r} would be rebuilt as "
                              f"{written.get(name)!r}", name)


def _dims(shape) -> str:
    return "(N, " + ", ".join(map(str, shape)) + ")"


def _constructor(node: str, module: nn.Module, helpers: dict[str, str],
                 blocks: BlockClasses | None = None) -> str:
    cls = type(module)
    if blocks is not None and is_block(module):
        return blocks.call(module)
    if cls is nn.Sequential:
        children = ", ".join(_constructor(node, m, helpers, blocks) for m in module.children())
        return f"nn.Sequential({children})"
    if getattr(nn, cls.__name__, None) is cls:
        short = _call(node, module, "nn.", uniform=True)  # kernel_size=3, not (3, 3)
        return short if _rebuilds(short, module) else _call(node, module, "nn.", uniform=False)
    _add_helper(node, cls, helpers)
    return _call(node, module, "", uniform=False)


def _block_classes(gm: nn.Module, helpers: dict[str, str]) -> BlockClasses:
    """Collect the model's block instances and write one class per definition."""
    def arguments(module: nn.Module, uniform: bool) -> list[tuple]:
        if not (getattr(nn, type(module).__name__, None) is type(module)):
            _add_helper("", type(module), helpers)
            uniform = False
        return [(i, name, value, default, positional)
                for i, name, value, default, positional in _arguments("", module, uniform)]

    def literal(node: str, module: nn.Module) -> str:
        return _constructor(node, module, helpers, blocks)

    blocks = BlockClasses(arguments, literal, _rebuilds_any)
    blocks.collect(gm)
    blocks.write()
    return blocks


def _rebuilds_any(call: str, module: nn.Module) -> bool:
    """`_rebuilds` for torch's modules and the helper classes alike."""
    with torch.device("meta"):
        return _printed(eval(call, {"nn": nn, "torch": torch, **_HELPERS})) == _printed(module)


def _rebuilds(call: str, module: nn.Module) -> bool:
    with torch.device("meta"):
        return _printed(eval(call, {"nn": nn})) == _printed(module)  # the code we just wrote


def _printed(module: nn.Module) -> str:
    """The module's repr, with kernel_size=(2, 2) and kernel_size=2 alike (torch treats
    them alike; pooling modules print whichever they were given)."""
    return _UNIFORM_REPR.sub(r"\1=\2", repr(module))


def _call(node: str, module: nn.Module, prefix: str, uniform: bool) -> str:
    args = []
    for i, name, value, default, positional in _arguments(node, module, uniform):
        if _same(value, default):
            continue
        positional = positional and len(args) == i
        args.append(repr(value) if positional else f"{name}={value!r}")
    return f"{prefix}{type(module).__name__}({', '.join(args)})"


def _arguments(node: str, module: nn.Module, uniform: bool) -> list[tuple]:
    """(index, name, value, default, positional) of each constructor argument stored on
    the module, read back from it; index counts the signature's parameters."""
    cls = type(module)
    out = []
    signature = inspect.signature(cls.__init__)
    for i, param in enumerate(list(signature.parameters.values())[1:]):
        if (param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD)
                or param.name in _SKIPPED_ARGS or param.name.startswith("_")):
            continue
        if not hasattr(module, param.name):
            if param.default is param.empty:
                raise ExportError(f"cannot write '{node}' ({cls.__name__}) as code: its "
                                  f"argument {param.name!r} is not stored on the module", node)
            continue
        value = _argument(param.name, getattr(module, param.name), uniform)
        positional = param.default is param.empty and i < _POSITIONAL
        out.append((i, param.name, value, param.default, positional))
    return out


def _argument(name: str, value, uniform: bool):
    if name == "bias" and not isinstance(value, bool):  # the Parameter, or None
        return value is not None
    if isinstance(value, (list, torch.Size)):
        value = tuple(value)
    if uniform and name in _UNIFORM_ARGS and isinstance(value, tuple) and len(set(value)) == 1:
        return value[0]
    return value


def _same(value, default) -> bool:
    return value is default or (type(value) is type(default) and value == default)


def _add_helper(node: str, cls: type, helpers: dict[str, str]) -> None:
    """Copy a small custom module class into the file; its base must be torch's."""
    if cls.__name__ in helpers:
        return
    for base in cls.__mro__[1:]:
        if base.__module__.startswith("torch."):
            break
        _add_helper(node, base, helpers)
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError) as exc:
        raise ExportError(f"cannot write '{node}' as code: the source of {cls.__name__} is "
                          f"not available ({exc})", node) from None
    helpers[cls.__name__] = source
