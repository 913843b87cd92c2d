"""The project file's "blocks" section (also the user library's file format):

    "blocks": {"BasicBlock": {"doc": "...", "graph": {"nodes": [...], "edges": [...]},
               "exposed": [{"name": "stride", "kind": "int", "default": 1, "min": 1,
                            "targets": [["conv1", "stride"]], "later": 1}, ...],
               "branches": [{"nodes": ["down_conv", "down_bn"],
                             "when": [["stride", "!=", 1], ["x.channels", "!=", "channels"]]}]}}

Definitions load in dependency order (one that contains another after it), so a block
that contains itself, directly or not, is refused by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from netcanvas.backend.blocks.declared import check_exposed_fields, check_references
from netcanvas.backend.blocks.definition import (
    OPS,
    BlockDef,
    BlockSet,
    Branch,
    Exposed,
    Test,
    check_block_name,
)
from netcanvas.backend.blocks.size import ExpansionError, check_size, definition_sizes
from netcanvas.backend.echo import brief
from netcanvas.backend.graph import BLOCK, GraphError, topo_sort
from netcanvas.backend.project_io import ProjectFileError, graph_from_dict
from netcanvas.backend.registry import Param

_DEF_KEYS = ("doc", "graph", "exposed", "branches")
_PARAM_FIELDS = tuple(f.name for f in dataclasses.fields(Param))


def blocks_to_dict(blocks: BlockSet, names: list[str] | None = None) -> dict[str, Any]:
    return {name: definition_to_dict(blocks[name]) for name in (names or list(blocks))}


def definition_to_dict(definition: BlockDef) -> dict[str, Any]:
    out: dict[str, Any] = {"doc": definition.doc, "graph": definition.graph.to_dict()}
    if definition.exposed:
        out["exposed"] = [_exposed_to_dict(e) for e in definition.exposed]
    if definition.branches:
        out["branches"] = [{"nodes": list(b.nodes), "when": [[t.left, t.op, t.right]
                                                             for t in b.when]}
                           for b in definition.branches]
    return out


def _exposed_to_dict(exposed: Exposed) -> dict[str, Any]:
    p = exposed.param
    out = {f: _plain(getattr(p, f)) for f in _PARAM_FIELDS
           if getattr(p, f) != Param.__dataclass_fields__[f].default or f in ("name", "kind")}
    out["default"] = _plain(p.default)
    out["targets"] = [list(t) for t in exposed.targets]
    if exposed.later is not None:
        out["later"] = _plain(exposed.later)
    return out


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def blocks_from_dict(d: Any, into: BlockSet | None = None) -> BlockSet:
    """A BlockSet from the "blocks" section (or the definitions added to `into`), every
    field checked; ProjectFileError names the field ("blocks.BasicBlock.graph...")."""
    blocks = into if into is not None else BlockSet()
    if not isinstance(d, dict):
        raise ProjectFileError(f"expected an object of block definitions, got {brief(d)}",
                               "blocks")
    uses: dict[str, set[str]] = {}
    for name, raw in d.items():
        field = f"blocks.{name}"
        try:
            check_block_name(name)
        except GraphError as exc:
            raise ProjectFileError(str(exc), field) from None
        if name in blocks:
            raise ProjectFileError(f"a block called {brief(name)} is already defined", field)
        if not isinstance(raw, dict):
            raise ProjectFileError(f"expected an object, got {brief(raw)}", field)
        unknown = [k for k in raw if k not in _DEF_KEYS]
        if unknown:
            raise ProjectFileError("unknown key", f"{field}.{unknown[0]}")
        uses[name] = _uses(raw.get("graph"))
    order, cyclic = topo_sort(list(d), [(u, n) for n, used in uses.items()
                                        for u in used if u in d])
    if cyclic:
        raise ProjectFileError(f"a block cannot contain itself: {' › '.join(cyclic)} › "
                               f"{cyclic[0]}", f"blocks.{cyclic[0]}")
    sizes = definition_sizes(blocks)
    for name in order:
        definition = definition_from_dict(d[name], name, blocks)
        try:
            sizes[name] = check_size(definition.graph, sizes)
        except ExpansionError as exc:
            raise ProjectFileError(str(exc), f"blocks.{name}") from None
        blocks.add(definition)
    return blocks


def _uses(graph: Any) -> set[str]:
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    if not isinstance(nodes, list):
        return set()  # graph_from_dict names what is wrong with it
    return {n["params"]["block"] for n in nodes if isinstance(n, dict) and n.get("type") == BLOCK
            and isinstance(n.get("params"), dict) and isinstance(n["params"].get("block"), str)}


def definition_from_dict(raw: dict, name: str, blocks: BlockSet) -> BlockDef:
    field = f"blocks.{name}"
    doc = raw.get("doc", "")
    if not isinstance(doc, str):
        raise ProjectFileError(f"expected text, got {brief(doc)}", f"{field}.doc")
    if "graph" not in raw:
        raise ProjectFileError("missing: a block needs a graph", f"{field}.graph")
    try:
        graph = graph_from_dict(raw["graph"], blocks, name)
    except ProjectFileError as exc:
        inner = "" if exc.field in ("", "graph") else f".{exc.field}"
        raise ProjectFileError(exc.reason, f"{field}.graph{inner}") from None
    exposed = [_exposed_from_dict(e, f"{field}.exposed[{i}]")
               for i, e in enumerate(_list(raw.get("exposed", []), f"{field}.exposed"))]
    names = ["block", "repeat"]
    for i, e in enumerate(exposed):
        if e.name in names:
            raise ProjectFileError(f"the block already has a parameter {brief(e.name)}",
                                   f"{field}.exposed[{i}].name")
        names.append(e.name)
    branches = [_branch_from_dict(b, f"{field}.branches[{i}]")
                for i, b in enumerate(_list(raw.get("branches", []), f"{field}.branches"))]
    definition = BlockDef(name, graph, exposed, branches, doc)
    check_references(definition, field)
    return definition


def _list(value: Any, field: str) -> list:
    if not isinstance(value, list):
        raise ProjectFileError(f"expected a list, got {brief(value)}", field)
    return value


def _exposed_from_dict(raw: Any, field: str) -> Exposed:
    if not isinstance(raw, dict):
        raise ProjectFileError(f"expected an object, got {brief(raw)}", field)
    targets = _list(raw.get("targets", []), f"{field}.targets")
    if not targets or not all(isinstance(t, list) and len(t) == 2
                              and all(isinstance(v, str) for v in t) for t in targets):
        raise ProjectFileError("expected a list of [node name, param name] pairs",
                               f"{field}.targets")
    check_exposed_fields(raw, field)
    declared = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()
                if k in _PARAM_FIELDS}
    try:
        param = Param(**declared)
        param.validate(param.default)
        later = None if raw.get("later") is None else param.validate(raw["later"])
    except (TypeError, AssertionError, ValueError, ArithmeticError) as exc:
        raise ProjectFileError(f"not a valid param declaration: {exc}", field) from None
    return Exposed(param, tuple(tuple(t) for t in targets), later)


def _branch_from_dict(raw: Any, field: str) -> Branch:
    if not isinstance(raw, dict):
        raise ProjectFileError(f"expected an object, got {brief(raw)}", field)
    nodes = _list(raw.get("nodes", []), f"{field}.nodes")
    if not nodes or not all(isinstance(n, str) for n in nodes):
        raise ProjectFileError("expected a list of inner node names", f"{field}.nodes")
    when = _list(raw.get("when", []), f"{field}.when")
    if not all(isinstance(t, list) and len(t) == 3 and t[1] in OPS
               and all(_operand(v) for v in (t[0], t[2])) for t in when):
        raise ProjectFileError(f"expected [left, op, right] tests with op one of {OPS} and "
                               "each side a number or a name", f"{field}.when")
    return Branch(tuple(nodes), tuple(Test(*t) for t in when))


def _operand(value: Any) -> bool:
    """A number, or the name of an exposed param or "<input>.channels"."""
    if isinstance(value, str):
        return bool(value)
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and abs(value) < float("inf")
