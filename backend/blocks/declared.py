"""The fields of a block's exposed params and branches, checked one by one as the file gives
them (issue 29): each wrong type, unknown field or missing node is refused by its field
("blocks.BasicBlock.exposed[0].min: expected a whole number ..."), before a Param is built."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

from netcanvas.backend.echo import brief
from netcanvas.backend.project_io import ProjectFileError
from netcanvas.backend.registry import Param
from netcanvas.backend.registry.spec import PARAM_KINDS

PARAM_FIELDS = tuple(f.name for f in dataclasses.fields(Param))
EXPOSED_KEYS = (*PARAM_FIELDS, "targets", "later")


def check_exposed_fields(raw: dict, field: str) -> None:
    """Refuse an exposed entry whose fields have the wrong type, by field."""
    for key in raw:
        if key not in EXPOSED_KEYS:
            raise ProjectFileError(f"unknown field (expected {', '.join(EXPOSED_KEYS)})",
                                   f"{field}.{brief(key)[1:-1]}")
    for key in ("name", "kind"):
        if key not in raw:
            raise ProjectFileError("missing", f"{field}.{key}")
    _text(raw, "name", field)
    if not raw["name"].isidentifier():
        raise ProjectFileError(f"expected a name of letters, digits and _, got "
                               f"{brief(raw['name'])}", f"{field}.name")
    if raw["kind"] not in PARAM_KINDS:
        raise ProjectFileError(f"expected one of {', '.join(PARAM_KINDS)}, got "
                               f"{brief(raw['kind'])}", f"{field}.kind")
    for key in ("doc", "label"):
        _text(raw, key, field)
    whole = raw["kind"] in ("int", "ints")
    for key in ("min", "max"):
        if key in raw:
            _number(raw[key], whole, f"{field}.{key}")
    if "min" in raw and "max" in raw and raw["min"] > raw["max"]:
        raise ProjectFileError(f"min {raw['min']} is above max {raw['max']}", f"{field}.min")
    if "choices" in raw and not (isinstance(raw["choices"], list) and raw["choices"]
                                 and all(isinstance(c, str) for c in raw["choices"])):
        raise ProjectFileError(f"expected a list of texts, got {brief(raw['choices'])}",
                               f"{field}.choices")
    if "length" in raw and raw["length"] is not None:
        _number(raw["length"], True, f"{field}.length")
        if raw["length"] < 1:
            raise ProjectFileError(f"expected 1 or more, got {raw['length']}", f"{field}.length")
    if "optional" in raw and not isinstance(raw["optional"], bool):
        raise ProjectFileError(f"expected true or false, got {brief(raw['optional'])}",
                               f"{field}.optional")
    if raw.get("pattern") is not None:
        _text(raw, "pattern", field)
        try:
            re.compile(raw["pattern"])
        except re.error as exc:
            raise ProjectFileError(f"not a regular expression: {exc}", f"{field}.pattern") \
                from None


def _text(raw: dict, key: str, field: str) -> None:
    if key in raw and not isinstance(raw[key], str):
        raise ProjectFileError(f"expected text, got {brief(raw[key])}", f"{field}.{key}")


def _number(value: Any, whole: bool, field: str) -> None:
    if whole and (isinstance(value, bool) or not isinstance(value, int)):
        raise ProjectFileError(f"expected a whole number, got {brief(value)}", field)
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or isinstance(value, float) and not math.isfinite(value):
        raise ProjectFileError(f"expected a finite number, got {brief(value)}", field)


def check_references(definition, field: str) -> None:
    """Refuse exposed targets and branch nodes that name no inner node (or no param of
    it), by field."""
    by_name = {n.name: n for n in definition.graph.nodes.values()}
    for i, exposed in enumerate(definition.exposed):
        for j, (node_name, param) in enumerate(exposed.targets):
            where = f"{field}.exposed[{i}].targets[{j}]"
            node = by_name.get(node_name)
            if node is None:
                raise ProjectFileError(f"names {brief(node_name)}, which is not in the block",
                                       where)
            if param not in {p.name for p in node.spec.params}:
                raise ProjectFileError(f"{node_name} ({node.type_id}) has no parameter "
                                       f"{brief(param)}", where)
    for i, branch in enumerate(definition.branches):
        missing = [n for n in branch.nodes if n not in by_name]
        if missing:
            raise ProjectFileError(f"names {brief(missing[0])}, which is not in the block",
                                   f"{field}.branches[{i}].nodes")
