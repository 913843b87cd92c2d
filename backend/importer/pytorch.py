"""`model.py:ClassName`: run the user's file, build the module, trace it, import it.

Running a .py file runs whatever it contains, so callers must have the user's consent
(`--trust-code` on the command line, a question in the app) before calling `load_class`.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import sys
from pathlib import Path

from netcanvas.backend.importer.fx_forms import trace
from netcanvas.backend.importer.fx_import import Imported, ImportProblem, import_fx
from netcanvas.backend.importer.user_code import guarded
from netcanvas.backend.registry import Shape

# `netcanvas code` writes "Inputs: image (N, 1, 8, 8). Outputs: logits (N, 10)" in its docstring.
_DOC_VALUES = re.compile(r"(\w+) \(N((?:, \d+)*)\)")


class SourceError(ValueError):
    """The file, class or its arguments cannot be used; the message says which."""


def split_target(target: str) -> tuple[Path, str]:
    """`path/model.py:ClassName` -> (path, class name)."""
    path, sep, name = target.rpartition(":")
    if not sep or not path.endswith(".py") or not name.isidentifier():
        raise SourceError(f"{target!r}: expected FILE.py:ClassName")
    return Path(path), name


def load_class(path: Path, name: str) -> type:
    """Execute `path` as a module (trusted by the caller) and return its class `name`."""
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    module_name = f"netcanvas_import_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look the module up
    with guarded(str(path)):
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - any error in the user's file is reported
            raise SourceError(f"{path} fails to run: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        raise SourceError(f"{path} defines no class {name!r}")
    return cls


def parse_args(args: list[str]) -> tuple[list, dict]:
    """Constructor arguments as Python literals: `10`, `(3, 32)`, `num_classes=10`."""
    positional, named = [], {}
    for text in args:
        key, eq, rest = text.partition("=")
        literal = rest if eq and key.isidentifier() else text
        try:
            value = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            raise SourceError(f"--args {text!r}: not a Python literal") from None
        if eq and key.isidentifier():
            named[key] = value
        else:
            positional.append(value)
    return positional, named


def parse_shape(text: str) -> tuple[int, ...]:
    """`3,32,32` (or 3x32x32) -> (3, 32, 32)."""
    try:
        shape = tuple(int(d) for d in text.replace("x", ",").replace("×", ",").split(","))
    except ValueError:
        raise SourceError(f"--input-shape {text!r}: expected sizes like 3,32,32") from None
    if not shape or min(shape) < 1:
        raise SourceError(f"--input-shape {text!r}: sizes must be at least 1")
    return shape


def documented_io(cls: type) -> tuple[list[Shape], list[str]]:
    """Input shapes and output names from a `netcanvas code` docstring, else empty."""
    doc = cls.__doc__ or ""
    if sys.modules.get(cls.__module__) is not None:
        doc = (sys.modules[cls.__module__].__doc__ or "") + doc
    inputs = re.search(r"Inputs: (.*?)\.(?: |$)", doc)
    outputs = re.search(r"Outputs: (.*?)(?: \(N = |\.\s|$)", doc)
    shapes = [tuple(int(d) for d in dims.split(", ")[1:])
              for _, dims in _DOC_VALUES.findall(inputs.group(1))] if inputs else []
    names = [n for n, _ in _DOC_VALUES.findall(outputs.group(1))] if outputs else []
    return shapes, names


def import_class(cls: type, args: list[str], input_shapes: list[Shape] | None,
                 card_size=None, blocks: bool = True) -> Imported:
    positional, named = parse_args(args)
    with guarded(f"{cls.__name__}(...)"):
        try:
            module = cls(*positional, **named)
        except Exception as exc:  # noqa: BLE001 - the user's constructor
            raise SourceError(f"{cls.__name__}(...) fails: {type(exc).__name__}: {exc}") \
                from None
    documented, output_names = documented_io(cls)
    shapes = input_shapes or documented
    if not shapes and len(inspect.signature(cls.forward).parameters) > 1:  # beyond self
        raise SourceError(f"the input shape of {cls.__name__} is unknown: give --input-shape "
                          "C,H,W (one per forward argument)")
    with guarded(f"{cls.__name__}.forward"):
        try:
            gm = trace(module)
        except Exception as exc:  # noqa: BLE001 - fx cannot follow data-dependent Python
            raise ImportProblem([("forward", cls.__name__, f"cannot be traced: {exc}")]) \
                from None
    return import_fx(gm, shapes, output_names, card_size, blocks)
