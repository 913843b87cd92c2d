"""What the editor shows of each kind of node, and the one layer search rule.

The editor never reads the layer registry: the app builds a `NodeKinds` from it
(app/node_kinds.py) and hands it to the scene. A node's ports and params come from the
node itself (backend.graph); its card's title, colour, key parameters and the search
text come from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from netcanvas.backend.graph import BLOCK

LAYER_MIME = "application/x-netcanvas-layer"  # a drag of a kind of node carries its type id


@dataclass(frozen=True)
class NodeKind:
    type_id: str
    title: str
    category: str
    doc: str
    inputs: tuple  # ports, each with .name and .fits(other port)
    outputs: tuple
    key_params: tuple[str, ...]  # the card shows the first three
    hue: int | None  # header and port hue in degrees (the app's theme); None: grey
    search_text: str  # title, type id, category and aliases, lower case

    def matches(self, words: list[str]) -> bool:
        """The search rule: every (lower-case) word occurs in the search text."""
        return all(w in self.search_text for w in words)


class NodeKinds(dict[str, NodeKind]):
    """type_id -> NodeKind, in palette order (by category, then as registered)."""

    def __missing__(self, type_id: str) -> NodeKind:
        raise KeyError(f"unknown layer type {type_id!r}")

    def of(self, node) -> NodeKind:
        """What a node's card shows: its type's kind (the one place to describe a node by
        more than its type); a block instance's comes from its definition (node.spec)."""
        if node.type_id != BLOCK:
            return self[node.type_id]
        spec = node.spec
        return NodeKind(spec.type_id, spec.title, spec.category, spec.doc, tuple(spec.inputs),
                        tuple(spec.outputs), tuple(spec.key_params), None,
                        f"{spec.title} block".lower())

    def search(self, query: str) -> list[str]:
        """Type ids of the kinds matching `query`; titles starting with it first, then by
        category (in palette order) and title."""
        words, start = query.lower().split(), query.lower().strip()
        order: dict[str, int] = {}
        for kind in self.values():
            order.setdefault(kind.category, len(order))
        ranked = [(not kind.title.lower().startswith(start), order[kind.category], kind.title,
                   kind.type_id) for kind in self.values() if kind.matches(words)]
        return [t for *_, t in sorted(ranked)]
