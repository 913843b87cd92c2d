"""Upgrades of older project files, one step per format version.

Each step takes the parsed JSON of version n and returns version n + 1; `migrate` chains
them, so a file of any older version loads. A new format adds one step here and bumps
FORMAT_VERSION.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FORMAT_VERSION = 4


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def _v0_to_v1(d: dict[str, Any]) -> dict[str, Any]:
    """Pre-release files: nodes and edges at the top level, nodes with "type_id" and "pos",
    edges as {"from": [node, port], "to": [node, port]}, training under "settings" with
    "learning_rate"."""
    d = dict(d)
    d.pop("version", None)
    nodes, edges = d.pop("nodes", []), d.pop("edges", [])
    # Malformed parts are passed through unchanged for the loader to refuse by field.
    d["graph"] = {"nodes": [_v0_node(n) for n in nodes] if isinstance(nodes, list) else nodes,
                  "edges": [_v0_edge(e) for e in edges] if isinstance(edges, list) else edges}
    if "settings" in d:
        training = d.pop("settings")
        if isinstance(training, dict) and "learning_rate" in training:
            training = dict(training)
            training["lr"] = training.pop("learning_rate")
        d["training"] = training
    return d


def _v0_node(node: Any) -> Any:
    if isinstance(node, dict):
        node = dict(node)
        if "type_id" in node:
            node["type"] = node.pop("type_id")
        if "pos" in node:
            node["position"] = node.pop("pos")
    return node


def _v0_edge(edge: Any) -> Any:
    if isinstance(edge, dict) and _is_pair(edge.get("from")) and _is_pair(edge.get("to")):
        (src, src_port), (dst, dst_port) = edge["from"], edge["to"]
        edge = {"src": src, "src_port": src_port, "dst": dst, "dst_port": dst_port}
    return edge


def _v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
    """Format 2 lets a node carry "silenced" (lint rule ids turned off for it); a format 1
    node has none, so its data is unchanged."""
    return dict(d)


def _v2_to_v3(d: dict[str, Any]) -> dict[str, Any]:
    """Format 3 adds the top-level "blocks" section (block definitions by name); a format 2
    project has none, so its graph is unchanged."""
    return {**d, "blocks": {}}


def _v3_to_v4(d: dict[str, Any]) -> dict[str, Any]:
    """Format 4 lets a node carry "training" (per-node trainable, lr_factor, weight_decay);
    a format 3 node has none: every weight trains at the run's rate, as before."""
    return dict(d)


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    0: _v0_to_v1, 1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}
assert set(MIGRATIONS) == set(range(FORMAT_VERSION)), "one migration per older version"


def migrate(d: dict[str, Any], version: int) -> dict[str, Any]:
    """`d` (format `version`) brought up to FORMAT_VERSION, with "format_version" set."""
    for v in range(version, FORMAT_VERSION):
        d = MIGRATIONS[v](d)
    return {**d, "format_version": FORMAT_VERSION}
