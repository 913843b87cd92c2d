"""Block definitions: a named inner graph, stored once per project, with the params it
exposes and the optional branches its exposed params switch on and off. Pure data.

An inner graph's Input nodes are the block's input ports and its Output nodes its output
ports (by node name, in canvas order). An instance is a node of type "block" whose
params["block"] names the definition; `BlockSet.spec(name)` is the LayerSpec instances
resolve to (see netcanvas.backend.blocks.spec).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from netcanvas.backend.echo import brief
from netcanvas.backend.graph import BLOCK, Event, Graph, GraphError
from netcanvas.backend.registry import LayerSpec, Param

OPS = ("==", "!=", ">", "<")


@dataclass(frozen=True)
class Exposed:
    """An inner param shown as the block's own: setting it on an instance sets every
    target `(inner node name, param name)`. With `later` set, repetitions after the first
    of a repeated instance use `later` instead (a ResNet stage strides only once)."""

    param: Param
    targets: tuple[tuple[str, str], ...]
    later: Any = None

    @property
    def name(self) -> str:
        return self.param.name


@dataclass(frozen=True)
class Test:
    """`left op right`; an operand is a literal number, an exposed param's name, or
    "<input port>.channels" (the channel count arriving on that input)."""

    left: Any
    op: str
    right: Any


@dataclass(frozen=True)
class Branch:
    """An optional chain of inner nodes (one wire in, wires out of its last node), present
    when any test holds; when absent the chain is a plain wire (identity). The ResNet basic
    block's 1×1 downsample shortcut: present when stride != 1 or x.channels != channels."""

    nodes: tuple[str, ...]
    when: tuple[Test, ...]


@dataclass
class BlockDef:
    name: str  # a class name: "BasicBlock"
    graph: Graph
    exposed: list[Exposed] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    doc: str = ""

    def inputs(self) -> list[str]:
        return [n.name for n in self.graph.nodes.values() if n.type_id == "input"]

    def outputs(self) -> list[str]:
        return [n.name for n in self.graph.nodes.values() if n.type_id == "output"]

    def exposed_param(self, name: str) -> Exposed | None:
        return next((e for e in self.exposed if e.name == name), None)

    def uses(self) -> set[str]:
        """Names of the definitions its inner graph instantiates directly."""
        return {n.params.get("block") for n in self.graph.nodes.values() if n.type_id == BLOCK}


class BlockSet(Mapping[str, BlockDef]):
    """The project's definitions by name, shared by the top-level graph and every inner
    graph (for nesting). `changed` fires after any change to a definition or the set."""

    def __init__(self) -> None:
        self._defs: dict[str, BlockDef] = {}
        self.changed = Event()
        self.version = 0  # bumped by every change; keys the cached specs and shapes
        self._specs: dict[str, tuple[int, LayerSpec]] = {}
        self.cache: dict[Any, Any] = {}  # per-version memo of instance shapes (spec.py)

    def __getitem__(self, name: str) -> BlockDef:
        try:
            return self._defs[name]
        except KeyError:
            raise GraphError(f"no block definition {brief(name)} in this project") from None

    def __contains__(self, name: object) -> bool:
        return name in self._defs

    def __iter__(self) -> Iterator[str]:
        return iter(self._defs)

    def __len__(self) -> int:
        return len(self._defs)

    def bump(self, *_: Any) -> None:
        self.version += 1
        self.cache.clear()
        self.changed.emit()

    def add(self, definition: BlockDef, index: int | None = None) -> None:
        """Add a definition (its inner graph then resolves blocks here too)."""
        if definition.name in self._defs:
            raise GraphError(f"a block called {brief(definition.name)} is already defined")
        check_block_name(definition.name)
        attach(definition.graph, self, definition.name)
        items = list(self._defs.items())
        items.insert(len(items) if index is None else index, (definition.name, definition))
        self._defs = dict(items)
        definition.graph.changed.connect(self.bump)
        self.bump()

    def remove(self, name: str) -> BlockDef:
        definition = self[name]
        del self._defs[name]
        definition.graph.changed.disconnect(self.bump)
        self.bump()
        return definition

    def index(self, name: str) -> int:
        return list(self._defs).index(name)

    def spec(self, name: str) -> LayerSpec:
        cached = self._specs.get(name)
        if cached is None or cached[0] != self.version:
            from netcanvas.backend.blocks.spec import block_spec
            cached = (self.version, block_spec(self, self[name]))
            self._specs[name] = cached
        return cached[1]

    def contained(self, name: str) -> list[str]:
        """Every definition `name` instantiates, at any depth (each once)."""
        seen: list[str] = []
        stack = [name]
        while stack:
            for inner in sorted(self._defs[stack.pop()].uses()):
                if inner in self._defs and inner not in seen:
                    seen.append(inner)
                    stack.append(inner)
        return seen

    def check_nesting(self, owner: str | None, name: Any, node_id: str = "") -> None:
        """Refuse an instance of `name` inside the definition `owner` when that would make
        a block contain itself."""
        if owner is None or not isinstance(name, str) or name not in self._defs:
            return
        if name == owner or owner in self.contained(name):
            path = f"{owner} › {name}" + ("" if name == owner else f" › … › {owner}")
            raise GraphError(f"a block cannot contain itself: {path}",
                             (node_id,) if node_id else ())

    def unique_name(self, stem: str) -> str:
        if stem not in self._defs:
            return stem
        i = 2
        while f"{stem}{i}" in self._defs:
            i += 1
        return f"{stem}{i}"


def check_block_name(name: Any) -> None:
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        raise GraphError(f"block name {brief(name)} must start with a letter or _ and hold "
                         "only letters, digits and _")


def attach(graph: Graph, blocks: BlockSet | None, owner: str | None) -> None:
    """Make `graph` (and its nodes) resolve block instances from `blocks`."""
    graph.blocks, graph.owner = blocks, owner
    for node in graph.nodes.values():
        node.blocks = blocks
