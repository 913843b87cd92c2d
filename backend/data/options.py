"""Read a dataset's options dict with defaults and a clear error for bad values."""

from __future__ import annotations

from typing import Any

from netcanvas.backend.data.types import DatasetError


def option(options: dict[str, Any], name: str, default: Any, kind: type,
           minimum: float | None = None) -> Any:
    """`options[name]` converted to `kind`, or `default`; refuse values below `minimum`."""
    value = options.get(name, default)
    try:
        value = kind(value)
    except (TypeError, ValueError):
        raise DatasetError(f"option '{name}' must be {kind.__name__}, got {value!r}") from None
    if minimum is not None and value < minimum:
        raise DatasetError(f"option '{name}' must be at least {minimum}, got {value}")
    return value
