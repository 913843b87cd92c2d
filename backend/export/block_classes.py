"""One class per block definition in generated code.

Every compiled instance of a definition has the same submodules and forward (absent
optional branches compile as nn.Identity), differing only in constructor values. The class
takes the definition's arguments (`in_channels`, then its exposed params, as stored in
each instance's `block_args`) and writes each submodule argument that varies between
instances as the argument whose values it follows: `nn.Conv2d(in_channels, channels,
kernel_size=3, stride=stride, ...)`. When no argument explains a difference (or the
instances differ in structure), each distinct instance gets its own class (BasicBlock,
BasicBlock2, ...).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import torch
from torch import nn


class _Varies(Exception):
    """A value differs between instances and no class argument follows it."""


def is_block(module: nn.Module) -> bool:
    return isinstance(module, torch.fx.GraphModule) and hasattr(module, "block_args")


class BlockClasses:
    """Collects the block instances of a model, then writes their classes.
    `arguments(module, uniform)`: [(index, name, value, default, positional)] of a torch or
    helper module's constructor; `literal(node, module)`: its constructor call with values
    written out; `rebuilds(call, module)`: whether that call makes the same module."""

    def __init__(self, arguments: Callable, literal: Callable, rebuilds: Callable) -> None:
        self._arguments, self._literal, self._rebuilds = arguments, literal, rebuilds
        self.instances: dict[str, list[nn.Module]] = {}  # definition -> instances, post-order
        self.signature: dict[str, list[str]] = {}
        self.named: dict[int, str] = {}  # id(instance) -> its class, when classes per instance
        self.aliases: dict[str, str] = {}  # BasicBlock2 -> BasicBlock (classes per instance)
        self._varying: set[str] = set()
        self.sources: dict[str, str] = {}

    def collect(self, module: nn.Module) -> None:
        for child in module.children():
            self.collect(child)
            if is_block(child):
                self.instances.setdefault(child.__class__.__name__, []).append(child)

    def write(self) -> dict[str, str]:
        """The class sources, definitions inside others first."""
        for cls, instances in self.instances.items():
            try:
                self.sources[cls] = self._shared(cls, instances)
            except _Varies:
                self._per_instance(cls, instances)
        return self.sources

    def call(self, module: nn.Module) -> str:
        cls = self.named.get(id(module))
        if cls is not None:
            return f"{cls}()"
        cls = module.__class__.__name__
        return f"{cls}({', '.join(f'{k}={module.block_args[k]!r}' for k in self.signature[cls])})"

    # ---- one class for every instance ------------------------------------------------
    def _shared(self, cls: str, instances: list[nn.Module]) -> str:
        first = instances[0]
        names = [n for n, _ in first.named_children()]
        if any(m.code != first.code or [n for n, _ in m.named_children()] != names
               for m in instances):
            raise _Varies
        args = {k: [m.block_args.get(k) for m in instances] for k in first.block_args}
        self._varying = {k for k, v in args.items() if any(not _same(x, v[0]) for x in v)}
        used: set[str] = set()
        lines = [f"        self.{n} = {self._child(n, instances, args, used)}" for n in names]
        self.signature[cls] = [k for k in first.block_args if k in used]
        params = "".join(f", {k}" for k in self.signature[cls])
        return self._class(cls, params, lines, first)

    def _child(self, name: str, instances: list[nn.Module], args: dict, used: set[str]) -> str:
        """A submodule; one of an optional branch is `... if <condition> else nn.Identity()`."""
        modules = [getattr(m, name) for m in instances]
        condition = instances[0].block_branches.get(name)
        if condition is None:
            return self._expr(modules, args, used)
        present = [i for i, m in enumerate(modules) if not isinstance(m, nn.Identity)]
        if not present:
            return "nn.Identity()"
        if not set(condition[1]) <= set(args):
            raise _Varies
        used.update(condition[1])
        kept = {k: [v[i] for i in present] for k, v in args.items()}
        built = self._expr([modules[i] for i in present], kept, used)
        return built if len(present) == len(modules) else \
            f"{built} if {condition[0]} else nn.Identity()"

    def _expr(self, modules: list[nn.Module], args: dict, used: set[str]) -> str:
        m0 = modules[0]
        if any(_kind(m) != _kind(m0) for m in modules):
            raise _Varies
        if is_block(m0):
            cls = m0.__class__.__name__
            if cls not in self.signature:
                raise _Varies
            keys = self.signature[cls]
            return f"{cls}({', '.join(f'{k}=' + self._value([m.block_args[k] for m in modules], args, used) for k in keys)})"
        if isinstance(m0, nn.Sequential):
            if all(len(m) == len(m0) for m in modules):
                parts = [self._expr([m[i] for m in modules], args, used) for i in range(len(m0))]
                return f"nn.Sequential({', '.join(parts)})"
            return self._repeated(modules, args, used)
        literal = self._literal("", m0)
        prefix = literal[:literal.index("(") + 1]
        for uniform in (True, False):  # kernel_size=3 where that rebuilds every instance
            listed = [self._arguments(m, uniform) for m in modules]
            if any([a[1] for a in lst] != [a[1] for a in listed[0]] for lst in listed):
                raise _Varies
            if not uniform or all(self._rebuilds(self._render(prefix, [lst], {}, set()), m)
                                  for lst, m in zip(listed, modules)):
                return self._render(prefix, listed, args, used)
        raise AssertionError("unreachable")

    def _repeated(self, modules: list[nn.Module], args: dict, used: set[str]) -> str:
        """Sequentials whose length follows an argument (a repeat exposed by an outer
        block): the first element, then the rest written once in a comprehension."""
        if any(len(m) == 0 for m in modules):
            raise _Varies
        count = self._value([len(m) for m in modules], args, used)
        first = self._expr([m[0] for m in modules], args, used)
        later = [(k, j) for k, m in enumerate(modules) for j in range(1, len(m))]
        rest = self._expr([modules[k][j] for k, j in later],
                          {n: [v[k] for k, _ in later] for n, v in args.items()}, used)
        return f"nn.Sequential({first}, *[{rest} for _ in range({count} - 1)])"

    def _render(self, prefix: str, listed: list, args: dict, used: set[str]) -> str:
        out = []
        for k, (i, name, _, default, positional) in enumerate(listed[0]):
            values = [lst[k][2] for lst in listed]
            if all(_same(v, values[0]) for v in values) and _same(values[0], default):
                continue
            text = self._value(values, args, used)
            out.append(text if positional and len(out) == i else f"{name}={text}")
        return f"{prefix}{', '.join(out)})"

    def _value(self, values: list, args: dict, used: set[str]) -> str:
        """The argument whose values `values` follow (one that varies between the
        definition's instances, where `values` do not), else the constant."""
        constant = all(_same(v, values[0]) for v in values)
        for name, follows in args.items():
            if (not constant or name in self._varying) and len(follows) == len(values) \
                    and all(_same(a, v) for a, v in zip(follows, values)):
                used.add(name)
                return name
        if constant:
            return repr(values[0])
        raise _Varies

    # ---- a class per distinct instance ---------------------------------------------------
    def _per_instance(self, cls: str, instances: list[nn.Module]) -> None:
        seen: dict[str, str] = {}
        for module in instances:
            lines = [f"        self.{n} = {self._nested(n, child)}"
                     for n, child in module.named_children()]
            body = "\n".join(lines) + module.code
            if body not in seen:
                seen[body] = cls if not seen else f"{cls}{len(seen) + 1}"
                self.aliases[seen[body]] = cls
                self.sources[seen[body]] = self._class(seen[body], "", lines, module)
            self.named[id(module)] = seen[body]

    def _nested(self, node: str, module: nn.Module) -> str:
        if is_block(module):
            return self.call(module)
        if isinstance(module, nn.Sequential):
            return f"nn.Sequential({', '.join(self._nested(node, m) for m in module)})"
        return self._literal(node, module)

    @staticmethod
    def _class(name: str, params: str, lines: list[str], module: nn.Module) -> str:
        forward = textwrap.indent(module.code.strip(), "    ")
        return (f"class {name}(nn.Module):\n    def __init__(self{params}):\n"
                f"        super().__init__()\n" + "\n".join(lines) + f"\n\n{forward}\n")


def _kind(module: nn.Module):
    """What must match for one expression to build both (each compiled block has its own
    GraphModule subclass, named after its definition)."""
    return ("block", type(module).__name__) if is_block(module) else type(module)


def _same(a, b) -> bool:
    return a is b or (type(a) is type(b) and a == b)
