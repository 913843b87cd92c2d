"""Look inside › Outputs: every node's output on one sample with the current weights, before
any training (random, seeded), as small maps (images) or bars (vectors) with the value range.
Computed by backend/insight/previews.py on a Worker, once per edit of what the network
computes (moving a card changes nothing), and kept until the next such edit."""

from __future__ import annotations

import json

import numpy as np
from netcanvas.app.training.image_grid import ImageGridWidget, pixmap
from netcanvas.app.workers import Worker, error_line
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

EDIT_PAUSE_MS = 150  # recompute once edits pause, not on every keystroke of a spin box
BAR_H = 24  # pixels of a vector's bar chart
FOCUS = 420  # width of the selected node's picture


def signature(project) -> str:
    """What the outputs depend on: the layers, their parameters, the wires and the blocks
    (not where the cards sit)."""
    from netcanvas.backend.project_io import project_to_dict

    d = project_to_dict(project)
    nodes = [{k: v for k, v in n.items() if k != "position"} for n in d["graph"]["nodes"]]
    return json.dumps([nodes, d["graph"]["edges"], d.get("blocks")], sort_keys=True,
                      default=str)


def snapshot(project):
    """A copy of the project for the worker: it never touches the live document."""
    from netcanvas.backend.project_io import project_from_dict, project_to_dict

    return project_from_dict(project_to_dict(project))


def maps_image(values: np.ndarray) -> np.ndarray:
    """(maps, H, W) -> uint8 (H, maps * (W + 1), 3): the channels side by side, each scaled
    to its own range, grey."""
    tiles = []
    for m in values:
        lo, hi = float(m.min()), float(m.max())
        scaled = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
        tiles += [scaled, np.full((m.shape[0], 1), 0.5, dtype=np.float32)]
    grey = (np.concatenate(tiles[:-1], axis=1) * 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def bars_image(values: np.ndarray) -> np.ndarray:
    """(F,) -> uint8 (BAR_H, F * 3, 3): a bar per value around a zero line (orange up, blue
    down), scaled to the largest magnitude."""
    peak = float(np.abs(values).max()) or 1.0
    img = np.full((BAR_H, len(values) * 3, 3), 245, dtype=np.uint8)
    mid = BAR_H // 2
    for i, v in enumerate(values):
        h = round(abs(v) / peak * (mid - 1))
        rows = slice(mid - h, mid) if v >= 0 else slice(mid, mid + h)
        img[rows, i * 3:i * 3 + 2] = (230, 130, 30) if v >= 0 else (40, 110, 220)
    img[mid, :] = 150
    return img


class OutputsPage(QWidget):
    computed = Signal()  # the previews of the current graph are shown

    def __init__(self, dataset_of, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset_of = dataset_of  # (project) -> the loaded dataset or None
        self.document = None
        self.previews: dict = {}
        self.key: tuple | None = None  # (signature, sample) of what `previews` shows
        self.computations = 0  # forward passes run (one per edit, not per look)
        self.worker: Worker | None = None
        self._wanted = False  # a hover asked for previews while a computation ran
        self.live = QCheckBox("Follow edits", checked=True)
        self.sample = QSpinBox(minimum=0, maximum=0)
        self.note = QLabel(wordWrap=True)
        self.focus: str | None = None  # the node selected on the canvas
        self.focus_picture = QLabel()
        self.focus_caption = QLabel(wordWrap=True)
        self.grid = ImageGridWidget(columns=2, size=200)
        self._timer = QTimer(self, singleShot=True, interval=EDIT_PAUSE_MS)
        self._timer.timeout.connect(self.refresh)
        self.sample.valueChanged.connect(self._timer.start)
        self.live.toggled.connect(lambda on: on and self._timer.start())
        row = QHBoxLayout()
        for w in (self.live, QLabel("Test sample"), self.sample):
            row.addWidget(w)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.note)
        focus = QHBoxLayout()
        focus.addWidget(self.focus_picture)
        focus.addWidget(self.focus_caption, 1)
        layout.addLayout(focus)
        layout.addWidget(self.grid, 1)

    def set_document(self, document) -> None:
        if self.document is not None:
            self.document.graph.changed.disconnect(self._edited)
        self.document = document
        self.previews, self.key = {}, None
        document.graph.changed.connect(self._edited)
        self._timer.start()

    def _edited(self, *_args) -> None:
        if self.live.isChecked():
            self._timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._timer.start()

    def refresh(self, wanted: bool = False) -> None:
        """Start a computation unless the shown previews are of this graph and sample, or one
        runs (it is followed by another when it ends, if still needed). Only while the page
        shows, unless `wanted` (a hover on a card asks for it)."""
        doc = self.document
        if doc is None or not (wanted or self.isVisible()) or not doc.analysis.ok:
            if doc is not None and not doc.analysis.ok:
                self.note.setText("Fix the graph's errors to see what each node outputs.")
            return
        dataset = self.dataset_of(doc.project)
        self.sample.setMaximum(max(len(dataset.test) - 1, 0) if dataset is not None else 0)
        key = (signature(doc.project), self.sample.value() if dataset is not None else None)
        if self.worker is not None:
            self._wanted = self._wanted or wanted  # asked again once the running one ends
            return
        if key == self.key:
            return
        sample = None
        if dataset is not None and len(dataset.test):
            sample = (dataset.test.x[self.sample.value()][None],)
        self.note.setText("Computing every node's output…")
        self.worker = Worker("netcanvas.backend.insight.previews:previews",
                             snapshot(doc.project).graph, sample, parent=self)
        self.worker.key = key
        self.worker.returned.connect(self._done)  # a bound slot: dropped if the page goes first
        self.worker.errored.connect(self._failed)
        self.worker.finished.connect(self._ended)
        self.computations += 1
        self.worker.start()

    def _ended(self) -> None:
        self.worker.deleteLater()
        self.worker, wanted, self._wanted = None, self._wanted, False
        self.refresh(wanted)  # edits made while it ran, and hovers it outlived

    def _failed(self, exc) -> None:
        self.note.setText(f"Could not compute the outputs: {error_line(exc)}")

    def _done(self, previews: dict) -> None:
        key = self.sender().key
        self.previews, self.key = previews, key
        graph = self.document.graph
        shown = [(graph.nodes[nid], p) for nid, p in previews.items() if nid in graph.nodes]
        images = [maps_image(p.values) if p.kind == "image" else bars_image(p.values)
                  for _, p in shown]
        captions = [f"{n.name}: {'×'.join(map(str, p.shape))}, {p.describe()}"
                    for n, p in shown]
        source = ("test sample " + str(key[1]) if key[1] is not None
                  else "a random sample (load the data for a real one)")
        self.note.setText(f"Each node's output on {source}, with the current weights "
                          "(random until trained).")
        self.grid.set_images(images, captions)
        self.show_node(self.focus)
        self.computed.emit()

    def show_node(self, node_id: str | None) -> None:
        """The output of the node selected on the canvas, larger, above the grid (from the
        cache: selecting computes nothing)."""
        self.focus = node_id
        preview = self.previews.get(node_id) if node_id else None
        node = self.document.graph.nodes.get(node_id) if node_id and self.document else None
        if preview is None or node is None:
            self.focus_picture.clear()
            self.focus_caption.setText("Select a node on the canvas to see its output here.")
            return
        image = maps_image(preview.values) if preview.kind == "image" else bars_image(
            preview.values)
        self.focus_picture.setPixmap(pixmap(image, FOCUS))
        self.focus_caption.setText(f"<b>{node.name}</b> ({node.spec.title}): output "
                                   f"{'×'.join(map(str, preview.shape))}, values "
                                   f"{preview.describe()}")
