"""A node drawn as a card: category-tinted header with name and type, key parameters,
output shape and parameter count; input ports on the left edge, outputs on the right."""

from __future__ import annotations

from functools import lru_cache

from netcanvas.backend.graph import BLOCK, Node
from netcanvas.backend.graph.node_training import card_note
from netcanvas.backend.shapes import format_count
from netcanvas.graph_editor.hover_item import HoverItem
from netcanvas.graph_editor.kinds import NodeKind
from netcanvas.graph_editor.port_item import PortItem
from netcanvas.graph_editor.style import (
    CARD_WIDTH,
    FOOTER_H,
    GRID,
    HEADER_H,
    LINE_H,
    ROW_H,
    SINGLE_PORT_Y,
    Style,
    format_shape,
    format_value,
    make_font,
    mix,
    text_size,
)
from netcanvas.graph_editor.tag_item import TagItem
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

NOTE_COLOUR = QColor(225, 150, 20)  # amber: the badge of a training finding
PAD = 10
RADIUS = 7
NEAR_LOD = 0.65  # below this zoom a card shows its name and shape only, drawn large
FADE_LOD = 0.05  # details fade in over this much zoom above NEAR_LOD
_POS_CHANGE = QGraphicsItem.ItemPositionChange
_POS_CHANGED = QGraphicsItem.ItemPositionHasChanged
_SELECTED_CHANGED = QGraphicsItem.ItemSelectedHasChanged


def card_size(spec: NodeKind) -> tuple[float, float]:
    """Card size for a kind of node (or a layer spec: anything with inputs, outputs and
    key_params); known before the item exists (drops centre on it)."""
    rows = max(len(spec.inputs), len(spec.outputs))
    port_rows = rows * ROW_H + 2 if rows > 1 else 0
    lines = min(3, len(spec.key_params))
    return CARD_WIDTH, HEADER_H + port_rows + lines * LINE_H + FOOTER_H + 5


def port_y(index: int, count: int) -> float:
    """Port centre below the card's top edge."""
    return SINGLE_PORT_Y if count == 1 else HEADER_H + 2 + ROW_H * index + ROW_H / 2


class NodeItem(HoverItem):
    def __init__(self, node: Node, style: Style, kind: NodeKind) -> None:
        super().__init__()
        self.node_id = node.id
        self.spec = node.spec  # the node's ports (a block instance's from its definition)
        self.kind = kind  # what its card shows
        self.theme = style
        self.width, self.height = card_size(kind)
        self._header_path = _header_path(self.width)  # built once, not on every repaint
        self.shape_text = ""
        self.params_text = ""
        self.error: str | None = None
        self.unwired = False  # the error is only an input not wired yet: drawn calmly
        self.info = None
        self.note: str | None = None  # a finding of the running training (amber badge)
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.inputs = self._make_ports(self.spec.inputs, False)
        self.outputs = self._make_ports(self.spec.outputs, True)
        self.tag_item = TagItem(self, style)
        self.training_note = ""  # "frozen · lr ×0.1": the node's own training settings
        self.mark: tuple[str, str] | None = None  # (text, role) the app puts on the card
        self.setPos(*node.position)
        self.refresh(node)

    def _make_ports(self, ports, is_output: bool) -> dict[str, PortItem]:
        items = {}
        for i, port in enumerate(ports):
            item = PortItem(self, port, is_output)
            item.setPos(self.width if is_output else 0.0, port_y(i, len(ports)))
            items[port.name] = item
        return items

    def port(self, name: str, is_output: bool) -> PortItem | None:
        return (self.outputs if is_output else self.inputs).get(name)

    # ---- content -----------------------------------------------------------------
    def refresh(self, node: Node) -> None:
        """Re-read name and parameters from the document node."""
        self.name = node.name
        repeat = node.params.get("repeat", 1) if node.type_id == BLOCK else 1
        self.repeat = repeat
        self._retitle()
        self.param_lines = [(k, format_value(node.params.get(k)))
                            for k in self.kind.key_params[:3]]
        self.training_note = card_note(node.training)
        self._show_tags()
        self.update()

    def _retitle(self) -> None:
        """The type line: the kind's title, ×N when repeated, and what its params make of
        it ("Conv2d · depthwise 3×3", from the analysis)."""
        variant = getattr(self.info, "variant", "")
        self.title = self.kind.title + (f" ×{self.repeat}" if self.repeat > 1 else "") + \
            (f" · {variant}" if variant else "")

    def set_mark(self, mark: tuple[str, str] | None) -> None:
        """A (text, role) pill above the card (see tag_item.ROLES), or None."""
        self.mark = mark
        self._show_tags()

    def _show_tags(self) -> None:
        tags = [(self.training_note, "training")] if self.training_note else []
        self.tag_item.set(tags + ([self.mark] if self.mark else []))

    def set_info(self, info) -> None:
        """Apply one node's analysis result (NodeInfo or None)."""
        self.info = info
        title = self.title
        self._retitle()
        if info is None:
            shape_text, params_text, error = "", "", None
        else:
            shapes = list(info.output_shapes.values())
            shape_text = format_shape(tuple(shapes[0])) if shapes else "?"  # unknown upstream
            params_text = self._params_label(info.params, shape_text)
            error = info.error
        if (shape_text, params_text, error, title) == (self.shape_text, self.params_text,
                                                       self.error, self.title):
            return  # (an error's text says whether it is an unwired input)
        self.shape_text, self.params_text, self.error = shape_text, params_text, error
        self.unwired = bool(error and info.unwired)
        self.update()

    @property
    def alarming(self) -> bool:
        """A red outline and badge: an error that is more than an input not wired yet."""
        return bool(self.error) and not self.unwired

    def footer_text(self) -> str:
        if self.unwired:
            return "not wired yet"
        if self.error:
            return "shape error"
        return f"→ {self.shape_text}" if self.shape_text else ""

    def tooltip_text(self) -> str:
        """Built when asked (GraphScene.helpEvent), so re-analyses never pay for it."""
        lines = [f"{self.name} — {self.title}"]
        info = self.info
        if info is not None:
            for port, shape in info.output_shapes.items():
                prefix = f"{port}: " if len(info.output_shapes) > 1 else "output "
                lines.append(prefix + format_shape(tuple(shape)))
            if info.params:
                lines.append(f"{info.params:,} parameters")
            if info.error:
                lines.append(f"Error: {info.error}")
        hint = getattr(self.scene(), "node_hint", None)
        if hint is not None:
            lines += hint(self.node_id)
        if self.note:
            lines.append(f"Training: {self.note}")
        return "\n".join(lines)

    def set_note(self, note: str | None) -> None:
        if note != self.note:
            self.note = note
            self.update()

    def _params_label(self, count: int, shape_text: str) -> str:
        """"36.9k params", or just "36.9k" when the footer is too narrow for both."""
        if not count:
            return ""
        font, room = self.theme.small_font, self.width - 2 * PAD - 10
        full = f"{format_count(count)} params"
        if text_size(f"→ {shape_text}", font)[0] + text_size(full, font)[0] <= room:
            return full
        return format_count(count)

    def set_style(self, style: Style) -> None:
        self.theme = style
        self.tag_item.theme = style
        self.update()

    # ---- geometry ----------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        m = 12  # room for the selection outline, shadow, error badge and a block's stack
        return QRectF(-m, -m, self.width + 2 * m, self.height + 2 * m)

    def card_rect(self) -> QRectF:
        return QRectF(0, 0, self.width, self.height)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.card_rect(), RADIUS, RADIUS)
        return path

    def center(self) -> QPointF:
        return self.pos() + QPointF(self.width / 2, self.height / 2)

    def itemChange(self, change, value):
        if change == _POS_CHANGE:
            scene = self.scene()
            if scene is not None and scene.snap_to_grid:
                return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        elif change == _POS_CHANGED:
            scene = self.scene()
            if scene is not None:
                scene.node_item_moved(self)
        elif change == _SELECTED_CHANGED:
            self.setZValue(1 if value else 0)
        return super().itemChange(change, value)

    # ---- painting ----------------------------------------------------------------
    def paint(self, painter, option, widget=None) -> None:
        s = self.theme
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        rect = self.card_rect()
        header = s.header(self.kind.hue, self.kind.quiet)
        painter.setRenderHint(painter.RenderHint.Antialiasing)

        shadow = QColor(0, 0, 0, 70 if s.dark else 28)
        painter.setPen(Qt.NoPen)
        painter.setBrush(shadow)
        painter.drawRoundedRect(rect.translated(1.5, 2.5), RADIUS, RADIUS)
        if self.repeat > 1:  # a repeated block reads as a stack of cards
            painter.setPen(QPen(s.outline, 0))
            painter.setBrush(header)
            for step in (8, 4):
                painter.drawRoundedRect(rect.translated(step, -step), RADIUS, RADIUS)
            painter.setPen(Qt.NoPen)

        painter.setBrush(s.card)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        painter.setBrush(header)
        painter.drawPath(self._header_path)

        if lod >= NEAR_LOD:
            self._paint_text(painter, min(1.0, 0.35 + (lod - NEAR_LOD) / FADE_LOD))
        elif lod >= 0.18:
            self._paint_far_name(painter, lod)

        if self.isSelected():
            pen = QPen(s.selection, max(2.5, 2.0 / lod))
        elif self.alarming:
            pen = QPen(s.error, max(2.0, 1.5 / lod))
        elif self.unwired:  # incomplete, not wrong: a quiet dashed outline
            pen = QPen(s.muted, 1.2, Qt.DashLine)
            pen.setCosmetic(True)
        elif self.hovered:
            pen = QPen(mix(s.outline, s.selection, 0.6), 1.5)
            pen.setCosmetic(True)
        else:
            pen = QPen(s.outline, 1.0)
            pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        if self.alarming:
            self._paint_badge(painter, lod)
        elif self.note:
            self._paint_badge(painter, lod, NOTE_COLOUR)

    def _paint_text(self, painter, alpha: float) -> None:
        """Name and type at full strength; ports, parameters and footer at `alpha`."""
        s = self.theme
        text_w = self.width - 2 * PAD
        painter.setPen(s.text)
        painter.setFont(s.name_font)
        painter.drawText(QRectF(PAD, 3, text_w, 18), Qt.AlignLeft | Qt.AlignVCenter,
                         _elide(self.name, s.name_font, text_w))
        painter.setPen(s.text if s.dark else s.muted.darker(130))
        painter.setFont(s.type_font)
        painter.drawText(QRectF(PAD, 19, text_w, 14), Qt.AlignLeft | Qt.AlignVCenter,
                         _elide(self.title, s.type_font, text_w))

        if alpha <= 0.0:
            return
        painter.setOpacity(alpha)
        y = HEADER_H + 2
        painter.setFont(s.small_font)
        painter.setPen(s.muted)
        for side, ports, align, x in ((self.spec.inputs, self.inputs, Qt.AlignLeft, PAD),
                                      (self.spec.outputs, self.outputs, Qt.AlignRight, PAD)):
            if len(ports) > 1:  # name ports only when a side has several
                for i, port in enumerate(side):
                    painter.drawText(QRectF(x, y + i * ROW_H, text_w, ROW_H),
                                     align | Qt.AlignVCenter, port.name)
        rows = max(len(self.inputs), len(self.outputs))
        if rows > 1:
            y += rows * ROW_H + 2
        for name, value in self.param_lines:
            painter.setPen(s.muted)
            painter.drawText(QRectF(PAD, y, text_w, LINE_H), Qt.AlignLeft | Qt.AlignVCenter, name)
            painter.setPen(s.text)
            painter.drawText(QRectF(PAD, y, text_w, LINE_H), Qt.AlignRight | Qt.AlignVCenter,
                             _elide(value, s.small_font, text_w * 0.6))
            y += LINE_H

        foot = QRectF(PAD, self.height - FOOTER_H - 2, text_w, FOOTER_H)
        if y > HEADER_H + 2:  # a rule between parameters and the footer, when there are any
            painter.setPen(QPen(s.outline, 0))
            painter.drawLine(QPointF(1, foot.top()), QPointF(self.width - 1, foot.top()))
        painter.setPen(s.error if self.alarming else s.muted if self.unwired else s.text)
        painter.drawText(foot, Qt.AlignLeft | Qt.AlignVCenter, self.footer_text())
        painter.setPen(s.muted)
        painter.drawText(foot, Qt.AlignRight | Qt.AlignVCenter, self.params_text)
        painter.setOpacity(1.0)

    def _paint_far_name(self, painter, lod: float) -> None:
        """Zoomed out: the name, and the output shape while there is room, drawn larger so
        they stay legible on screen (about 12 and 10 device pixels)."""
        s = self.theme
        rect = self.card_rect().adjusted(5, 0, -5, 0)
        name_font = QFont(s.name_font)
        fit = s.name_font.pixelSize() * rect.width() / max(1.0, text_size(self.name, s.name_font)[0])
        name_font.setPixelSize(max(8, min(28, int(12 / lod), int(fit))))
        painter.setFont(name_font)
        painter.setPen(s.text)
        painter.drawText(QRectF(rect.x(), 0, rect.width(), HEADER_H), Qt.AlignCenter,
                         _elide(self.name, name_font, rect.width()))
        second = self.footer_text()
        if second and lod >= 0.4:
            small = QFont(s.small_font)
            fit = s.small_font.pixelSize() * rect.width() / text_size(second, s.small_font)[0]
            small.setPixelSize(max(6, min(int(10 / lod), int(self.height - HEADER_H) - 4,
                                          int(fit))))
            painter.setFont(small)
            painter.setPen(s.error if self.alarming else s.muted)
            painter.drawText(QRectF(rect.x(), HEADER_H, rect.width(), self.height - HEADER_H),
                             Qt.AlignCenter, _elide(second, small, rect.width()))

    def _paint_badge(self, painter, lod: float, colour=None) -> None:
        r = max(8.0, 5.0 / lod)
        c = QPointF(self.width - 2, 2)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QBrush(colour or self.theme.error))
        painter.drawEllipse(c, r, r)
        painter.setPen(QColor(255, 255, 255))
        f = QFont(self.theme.name_font)
        f.setPixelSize(int(r * 1.5))
        painter.setFont(f)
        painter.drawText(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r), Qt.AlignCenter, "!")


def _header_path(width: float) -> QPainterPath:
    """The coloured header: rounded at the top, square where it meets the body."""
    head = QPainterPath()
    head.addRoundedRect(QRectF(0, 0, width, HEADER_H), RADIUS, RADIUS)
    head.addRect(QRectF(0, HEADER_H / 2, width, HEADER_H / 2))
    head.setFillRule(Qt.WindingFill)
    return head


def _elide(text: str, font, width: float) -> str:
    return _elided(text, font.pixelSize(), font.bold(), width)


@lru_cache(maxsize=20000)
def _elided(text: str, px: int, bold: bool, width: float) -> str:
    return QFontMetricsF(make_font(px, bold)).elidedText(text, Qt.ElideRight, width)
