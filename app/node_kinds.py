"""The editor's descriptor of every layer (graph_editor/kinds.py), built from the registry,
with the category colours of the app's theme, and the look of block instances."""

from __future__ import annotations

from functools import lru_cache

from netcanvas.backend.graph import BLOCK
from netcanvas.backend.registry import CATEGORIES, REGISTRY
from netcanvas.graph_editor.kinds import NodeKind, NodeKinds

# One hue per registry category (degrees); a category without one is drawn grey.
CATEGORY_HUES = {
    "Input/Output": 140, "Dense": 215, "Convolution": 265, "Pooling": 190,
    "Normalization": 45, "Activation": 25, "Regularization": 330, "Reshape": 170,
    "Merge": 300, "Sequence": 100,
}
BLOCKS = "Blocks"  # the category of block instances (their spec's) and of the palette section
BLOCK_HUE = 215  # blocks hold layers of every kind: a quiet slate, not a layer's colour


def category_colour(category: str) -> tuple[int | None, bool]:
    """(hue, quiet) of a category's headers and icons."""
    return (BLOCK_HUE, True) if category == BLOCKS else (CATEGORY_HUES.get(category), False)


@lru_cache(maxsize=1)
def node_kinds() -> NodeKinds:
    """Every registered layer, by category in palette order; block instances' look."""
    specs = sorted(REGISTRY.values(), key=lambda s: CATEGORIES.index(s.category))
    block = NodeKind(BLOCK, "Block", BLOCKS, "", (), (), (), BLOCK_HUE, "block blocks", quiet=True)
    return NodeKinds(((spec.type_id, NodeKind(
        spec.type_id, spec.title, spec.category, spec.doc, tuple(spec.inputs),
        tuple(spec.outputs), tuple(spec.key_params), CATEGORY_HUES.get(spec.category),
        " ".join((spec.title, spec.type_id, spec.category, *spec.aliases)).lower()))
        for spec in specs), block=block)
