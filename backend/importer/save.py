"""An imported graph saved as a project, with its weights beside it as safetensors: both
files are replaced, or neither (the weights are written to a temp file first, and renamed
only once the project is written)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from netcanvas.backend.importer.fx_import import Imported
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import save_project
from safetensors.torch import save_file


def weights_path(project_path) -> Path:
    """`model.netcanvas` -> `model.safetensors`, where the imported weights are kept."""
    return Path(project_path).with_suffix(".safetensors")


def save_imported(imported: Imported, path, source: str) -> Project:
    project = Project(graph=imported.graph, description=f"Imported from {source}.")
    weights = Path(os.path.realpath(weights_path(path)))
    tmp = weights.with_name(f".{weights.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        if imported.weights:
            save_file(imported.weights, str(tmp), metadata={"format": "netcanvas"})
        save_project(project, path)
        if imported.weights:
            os.replace(tmp, weights)
    finally:
        tmp.unlink(missing_ok=True)
    return project
