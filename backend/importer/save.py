"""An imported graph saved as a project, with its weights beside it as safetensors."""

from __future__ import annotations

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
    save_project(project, path)
    if imported.weights:
        save_file(imported.weights, str(weights_path(path)), metadata={"format": "netcanvas"})
    return project
