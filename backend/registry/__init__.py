"""The one registry of layer types. Import `REGISTRY` or call `get(type_id)`."""

from __future__ import annotations

from netcanvas.backend.registry.spec import (
    BATCH,
    ImportForm,
    Inputs,
    LayerSpec,
    Param,
    ParamError,
    Port,
    Shape,
    ShapeError,
)

REGISTRY: dict[str, LayerSpec] = {}

# Display order of categories in the palette; colours are chosen by the editor.
CATEGORIES = (
    "Input/Output", "Dense", "Convolution", "Pooling", "Normalization",
    "Activation", "Regularization", "Reshape", "Merge", "Sequence",
)


def register(spec: LayerSpec) -> LayerSpec:
    assert spec.type_id not in REGISTRY, f"layer {spec.type_id!r} registered twice"
    assert spec.category in CATEGORIES, f"layer {spec.type_id!r}: unknown category {spec.category!r}"
    REGISTRY[spec.type_id] = spec
    return spec


def get(type_id: str) -> LayerSpec:
    try:
        return REGISTRY[type_id]
    except KeyError:
        raise KeyError(f"unknown layer type {type_id!r}") from None


from netcanvas.backend.registry import layers  # noqa: F401  (registers every layer)

__all__ = [
    "BATCH", "CATEGORIES", "REGISTRY", "ImportForm", "Inputs", "LayerSpec", "Param",
    "ParamError", "Port", "Shape", "ShapeError", "get", "register",
]
