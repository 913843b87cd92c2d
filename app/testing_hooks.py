"""Test-only hook: with $NETCANVAS_TEST_GEOMETRY_DUMP set, keep a JSON file of where the key
widgets are on screen, so an end-to-end test can drive the real window with a real mouse
(xdotool) instead of guessing pixels. Nothing here runs unless that variable is set.

The file is rewritten (atomically, with a rising "seq") shortly after the window is shown,
moved or resized, and after every change to the open document's graph. "window_id" is the
native window handle (for xdotool). All points are global screen pixels; a canvas pixel at
global g shows the scene point scene_origin + (g - global[:2]) / zoom.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, QTimer

ENV_VAR = "NETCANVAS_TEST_GEOMETRY_DUMP"
DEBOUNCE_MS = 100


def install_test_hooks(install_dump) -> None:
    """Called by launch.main once the window is shown, with the window's own way to make a
    GeometryDump writing to a path; a no-op unless the env var is set."""
    path = os.environ.get(ENV_VAR)
    if path:
        install_dump(Path(path))


def _rect(widget, local) -> list[int]:
    top_left = widget.mapToGlobal(local.topLeft())
    return [top_left.x(), top_left.y(), local.width(), local.height()]


def _point(point: QPoint) -> list[int]:
    return [point.x(), point.y()]


class GeometryDump(QObject):
    """Measures the top-level window that holds `palette_panel`, the palette's rows, the
    current canvas (`scene()`, `view()`: they change with the document and the block shown)
    and what the training dock shows; rewritten after each of the `changed` signals."""

    def __init__(self, path: Path, *, palette_panel, training_dock, scene, view,
                 changed) -> None:
        super().__init__(palette_panel)
        self.path, self.seq = path, 0
        self.palette_panel, self.dock, self.scene, self.view = (
            palette_panel, training_dock, scene, view)
        self.timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.timer.timeout.connect(self.write)
        palette_panel.window().installEventFilter(self)
        for signal in changed:
            signal.connect(lambda *_: self.timer.start())
        self.timer.start()

    def eventFilter(self, watched, event) -> bool:
        if event.type() in (QEvent.Move, QEvent.Resize, QEvent.Show):
            self.timer.start()
        return False

    def write(self) -> None:
        self.seq += 1
        top = self.palette_panel.window()
        data = {"seq": self.seq, "window_id": int(top.winId()), "window": _rect(top, top.rect()),
                "palette": self._palette(), "canvas": self._canvas(), "nodes": self._nodes(),
                "title": top.windowTitle(), "training": self._training()}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.path)

    def _palette(self) -> dict[str, list[int]]:
        """Visible palette leaves: type_id -> global rect of the row."""
        panel = self.palette_panel
        tree, port = panel.tree, panel.tree.viewport()
        out = {}
        for type_id in panel.visible_type_ids():
            local = tree.visualItemRect(panel.item_for(type_id))
            if port.rect().contains(local):
                out[type_id] = _rect(port, local)
        return out

    def _training(self) -> dict:
        """What the training dock shows: the runs plotted, the run evaluated, the banners."""
        dock = self.dock
        return {"running": dock.running,
                "plotted": [run.label for run in dock.run_tab.plots.runs],
                "shown": dock.shown.label if dock.shown is not None else None,
                "eval_source": dock.eval_tab.source.text(),
                "eval_metrics": dock.eval_tab.metrics.text(),
                "failure_banner": dock.run_tab.failure_banner.isVisibleTo(dock),
                "progress": dock.run_tab.progress.format()}

    def _canvas(self) -> dict:
        view = self.view()
        port = view.viewport()
        origin = view.mapToScene(QPoint(0, 0))
        return {"global": _rect(port, port.rect()), "scene_origin": [origin.x(), origin.y()],
                "zoom": view.transform().m11()}

    def _nodes(self) -> dict[str, dict]:
        view = self.view()
        port = view.viewport()

        def to_global(scene_point):
            return _point(port.mapToGlobal(view.mapFromScene(scene_point)))

        out = {}
        scene = self.scene()
        scene.build_all()
        for node_id, item in scene.node_items().items():
            card = view.mapFromScene(item.mapRectToScene(item.card_rect())).boundingRect()
            out[node_id] = {
                "card": _rect(port, card),
                "inputs": {n: to_global(p.scenePos()) for n, p in item.inputs.items()},
                "outputs": {n: to_global(p.scenePos()) for n, p in item.outputs.items()},
            }
        return out
