"""GraphView: zoom under the cursor, pan (middle button or space+drag), frame, grid, keys."""

from __future__ import annotations

import math

from netcanvas.graph_editor.quick_add import QuickAddWidget
from netcanvas.graph_editor.scene import GraphScene
from netcanvas.graph_editor.scene_items import SHORT_WIRE
from netcanvas.graph_editor.style import GRID, mix
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QCursor, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGraphicsView,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
)

MIN_ZOOM, MAX_ZOOM = 0.1, 3.0
_NUDGE = {Qt.Key_Left: (-1, 0), Qt.Key_Right: (1, 0), Qt.Key_Up: (0, -1), Qt.Key_Down: (0, 1)}
ZOOM_STEP = 1.15
TYPING = (QLineEdit, QAbstractSpinBox, QPlainTextEdit, QTextEdit, QComboBox)


class GraphView(QGraphicsView):
    """The canvas widget. The app may also bind the same shortcuts to menu actions:
    a window shortcut wins over keyPressEvent, so nothing fires twice."""

    def __init__(self, scene: GraphScene, parent=None) -> None:
        super().__init__(scene, parent)
        if scene.parent() is None:
            # Qt, not a garbage-collection pass at some random later moment, must delete the
            # scene: collecting an unparented scene while views repaint crashed PySide.
            scene.setParent(self)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ContainsItemShape)  # only what it wholly encloses
        self.setTransformationAnchor(QGraphicsView.NoAnchor)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFrameShape(QGraphicsView.NoFrame)
        self.setAcceptDrops(True)
        self._pan_from: QPointF | None = None
        self._space = False
        self.quick_add = QuickAddWidget(self)
        self.quick_add.hide()
        self.quick_add.chosen.connect(self._quick_added)
        self._quick_at = QPointF()
        self._quick_wire: tuple[str, str, bool] | None = None
        scene.wire_dropped.connect(self._wire_dropped)

    def graph_scene(self) -> GraphScene:
        return self.scene()

    # ---- zoom and framing -------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor: QPoint | None = None) -> None:
        """Zoom keeping the scene point under `anchor` (viewport pixels; default: centre)."""
        anchor = self.viewport().rect().center() if anchor is None else anchor
        fixed = self.mapToScene(anchor)
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        self.scale(target / self.zoom(), target / self.zoom())
        drift = self.mapFromScene(fixed) - anchor
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + drift.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + drift.y())

    def reset_zoom(self) -> None:
        center = self.mapToScene(self.viewport().rect().center())
        self.resetTransform()
        self.centerOn(center)

    def frame(self, rect: QRectF) -> None:
        """Fit `rect` in the view without zooming in past 100%."""
        if rect.isNull():
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        self.fitInView(rect, Qt.KeepAspectRatio)
        if self.zoom() > 1.0 or self.zoom() < MIN_ZOOM:
            z = min(1.0, max(MIN_ZOOM, self.zoom()))
            self.resetTransform()
            self.scale(z, z)
            self.centerOn(rect.center())

    def frame_selection_or_all(self) -> None:
        scene = self.graph_scene()
        ids = scene.selected_node_ids()
        self.frame(scene.nodes_rect(ids or None))

    def cursor_scene_pos(self) -> QPointF:
        """Mouse position in scene coordinates, or the view centre when it is elsewhere."""
        local = self.viewport().mapFromGlobal(QCursor.pos())
        if not self.viewport().rect().contains(local):
            local = self.viewport().rect().center()
        return self.mapToScene(local)

    # ---- quick add ------------------------------------------------------------------------
    def open_quick_add(self, scene_pos: QPointF | None = None,
                       wire_to: tuple[str, str, bool] | None = None) -> None:
        """Popup to add a layer at `scene_pos` (default: the mouse), wired to `wire_to`."""
        self._quick_at = self.cursor_scene_pos() if scene_pos is None else scene_pos
        self._quick_wire = wire_to
        accepts = None
        if wire_to is not None:  # only layers with a port that can take this wire
            def accepts(kind):
                return self.graph_scene().wirable_port(kind, wire_to) is not None
        self.quick_add.popup(self.viewport().mapToGlobal(self.mapFromScene(self._quick_at)),
                             self.graph_scene().kinds, accepts)

    def _wire_dropped(self, node_id: str, port: str, is_output: bool, pos: QPointF) -> None:
        self.open_quick_add(pos, (node_id, port, is_output))

    def _quick_added(self, type_id: str) -> None:
        self.graph_scene().add_layer(type_id, self._quick_at, wire_to=self._quick_wire)
        self._quick_wire = None
        self.setFocus()

    # ---- events ---------------------------------------------------------------------------
    def event(self, event) -> bool:
        if event.type() == QEvent.KeyPress and event.key() == Qt.Key_Tab:
            self.open_quick_add()  # Tab is ours, not focus navigation
            return True
        return super().event(event)

    def enterEvent(self, event) -> None:
        """Keys go to the canvas under the mouse (Space+drag pans at once), unless the user
        is typing somewhere: a text field keeps its focus."""
        super().enterEvent(event)
        focus = QApplication.focusWidget()
        if self.window().isActiveWindow() and not isinstance(focus, TYPING):
            self.setFocus(Qt.MouseFocusReason)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(ZOOM_STEP ** steps, event.position().toPoint())
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MiddleButton or (self._space and event.button() == Qt.LeftButton):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None and event.button() in (Qt.MiddleButton, Qt.LeftButton):
            self._pan_from = None
            self.viewport().setCursor(Qt.OpenHandCursor if self._space else Qt.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        scene = self.graph_scene()
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.OpenHandCursor)
        elif key in (Qt.Key_Delete, Qt.Key_Backspace):
            scene.delete_selection()
        elif key == Qt.Key_F and not mods:
            self.frame_selection_or_all()
        elif key == Qt.Key_0 and mods & Qt.ControlModifier:
            self.reset_zoom()
        elif key == Qt.Key_Escape:
            scene.wiring.cancel()
            scene.clearSelection()
        elif event.matches(QKeySequence.Copy):
            scene.copy_selection()
        elif event.matches(QKeySequence.Cut):
            scene.cut_selection()
        elif event.matches(QKeySequence.Paste):
            scene.paste(self.cursor_scene_pos())
        elif event.matches(QKeySequence.SelectAll):
            scene.select_all()
        elif key == Qt.Key_D and mods & Qt.ControlModifier:
            scene.duplicate_selection()
        elif key in _NUDGE and scene.selected_node_ids():
            step = GRID * (5 if mods & Qt.ShiftModifier else 1)
            scene.nudge_selection(_NUDGE[key][0] * step, _NUDGE[key][1] * step)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._pan_from = None
            self.viewport().setCursor(Qt.ArrowCursor)
        super().keyReleaseEvent(event)

    def paintEvent(self, event) -> None:
        """Build what is about to show first: the cards and wires in view and SHORT_WIRE
        around it (see GraphScene.realize); a pan builds what comes into view as it paints."""
        seen = self.mapToScene(self.viewport().rect()).boundingRect()
        self.graph_scene().realize(seen.adjusted(-SHORT_WIRE, -SHORT_WIRE, SHORT_WIRE,
                                                 SHORT_WIRE))
        super().paintEvent(event)

    # ---- background -------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        theme = self.graph_scene().theme
        painter.fillRect(rect, theme.canvas)
        # Lines are drawn as 1-device-pixel rectangles in device space: crisp at any zoom or
        # DPR, and fillRect is far cheaper than stroking long lines through a transform.
        world = painter.worldTransform()
        device = world.mapRect(rect).toAlignedRect()
        zoom = self.zoom()
        painter.save()
        painter.resetTransform()
        for step, strength in ((GRID, 0.55), (GRID * 5, 1.0)):
            px = step * zoom  # on-screen spacing
            if px < 6:
                continue
            color = mix(theme.canvas, theme.grid, strength * min(1.0, (px - 6) / 14))
            for x in _frange(math.floor(rect.left() / step) * step, rect.right(), step):
                painter.fillRect(round(world.map(QPointF(x, 0)).x()), device.top(), 1,
                                 device.height(), color)
            for y in _frange(math.floor(rect.top() / step) * step, rect.bottom(), step):
                painter.fillRect(device.left(), round(world.map(QPointF(0, y)).y()),
                                 device.width(), 1, color)
        painter.restore()


def _frange(start: float, stop: float, step: float):
    x = start
    while x <= stop:
        yield x
        x += step
