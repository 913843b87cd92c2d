"""Receptive fields in the app: the lines a card's and a wire's tooltip add (size, jump and
offset on each image input) and the Summary dock's column, computed from the document's
declarations (backend/receptive.py: pure arithmetic, milliseconds even for ResNet-18) once
per analysis."""

from __future__ import annotations

from netcanvas.backend.graph import GraphError
from netcanvas.backend.receptive import NotSpatial, fields, image_inputs


class ReceptiveFields:
    def __init__(self, document_of) -> None:
        self.document_of = document_of  # () -> the open Document
        self._key = None
        self._fields: dict[str, list[tuple[str, object]]] = {}

    def _current(self) -> dict[str, list[tuple[str, object]]]:
        doc = self.document_of()
        if doc is None:
            return {}
        analysis = doc.analysis
        if self._key is not analysis:
            self._key = analysis
            self._fields = {}
            try:
                images = image_inputs(doc.project)
                for image in images:
                    for nid, f in fields(doc.project, image).items():
                        if f is not None:
                            self._fields.setdefault(nid, []).append((image, f))
            except (NotSpatial, GraphError, KeyError, ValueError):
                self._fields = {}  # a graph that does not check out: its errors say why
        return self._fields

    def text(self, node_id: str) -> str:
        """"7, jump 1, offset -3" (prefixed by the input's name when there are several)."""
        found = self._current().get(node_id, [])
        several = len({image for image, _ in found}) > 1
        return "; ".join((f"{image}: " if several else "") + f.describe() for image, f in found)

    def lines(self, node_id: str) -> list[str]:
        text = self.text(node_id)
        return [f"receptive field {text}"] if text else []
