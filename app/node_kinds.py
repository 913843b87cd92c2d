"""The editor's descriptor of every layer (graph_editor/kinds.py), built from the registry,
with the category colours of the app's theme."""

from __future__ import annotations

from functools import lru_cache

from netcanvas.backend.registry import CATEGORIES, REGISTRY
from netcanvas.graph_editor.kinds import NodeKind, NodeKinds

# One hue per registry category (degrees); a category without one is drawn grey.
CATEGORY_HUES = {
    "Input/Output": 140, "Dense": 215, "Convolution": 265, "Pooling": 190,
    "Normalization": 45, "Activation": 25, "Regularization": 330, "Reshape": 170,
    "Merge": 300,
}


@lru_cache(maxsize=1)
def node_kinds() -> NodeKinds:
    """Every registered layer, by category in palette order."""
    specs = sorted(REGISTRY.values(), key=lambda s: CATEGORIES.index(s.category))
    return NodeKinds((spec.type_id, NodeKind(
        spec.type_id, spec.title, spec.category, spec.doc, tuple(spec.inputs),
        tuple(spec.outputs), tuple(spec.key_params), CATEGORY_HUES.get(spec.category),
        " ".join((spec.title, spec.type_id, spec.category, *spec.aliases)).lower()))
        for spec in specs)
