"""Wire geometry: cubic curves, lanes that steer a long wire around the cards in its way, and
the "carriage return" from the end of one row of cards to the start of the next.

Cards are found through CardIndex, a coarse grid of card rectangles kept by the scene.
Asking QGraphicsScene.items() instead would rebuild Qt's BSP index (calling every item's
Python boundingRect) whenever items were just added or moved, which made opening a large
graph take seconds.
"""

from __future__ import annotations

from collections import defaultdict

from netcanvas.graph_editor.style import CARD_WIDTH
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPath

CELL = 512.0
CLEARANCE = 14.0  # gap kept between a routed wire and the cards it passes
STUB = 24.0  # how far a carriage return runs out of its port before turning
CORNER = 22.0  # radius of a carriage return's rounded corners
ROOMY_GAP = 48.0  # a gap between cards this tall or more is a gap between rows


def curve(p0: QPointF, p1: QPointF) -> QPainterPath:
    """Horizontal-tangent cubic; loops outward when the target lies behind the source."""
    dx = max(40.0, abs(p1.x() - p0.x()) * 0.5)
    path = QPainterPath(p0)
    path.cubicTo(p0 + QPointF(dx, 0), p1 - QPointF(dx, 0), p1)
    return path


def lane_curve(p0: QPointF, p1: QPointF, lane: float) -> QPainterPath:
    """Leave p0, run along the horizontal `lane` past the cards in the way, arrive at p1."""
    bend = max(40.0, min(90.0, abs(p1.x() - p0.x()) / 4))
    a, b = QPointF(p0.x() + bend, lane), QPointF(p1.x() - bend, lane)
    path = QPainterPath(p0)
    path.cubicTo(p0 + QPointF(bend / 2, 0), a - QPointF(bend / 2, 0), a)
    path.lineTo(b)
    path.cubicTo(b + QPointF(bend / 2, 0), p1 - QPointF(bend / 2, 0), p1)
    return path


def rounded(points: list[QPointF], radius: float = CORNER) -> QPainterPath:
    """A polyline through `points` whose corners are rounded (never past a segment's middle)."""
    path = QPainterPath(points[0])
    for prev, at, nxt in zip(points, points[1:], points[2:]):
        a, b = at - prev, nxt - at
        la, lb = (a.x() ** 2 + a.y() ** 2) ** 0.5, (b.x() ** 2 + b.y() ** 2) ** 0.5
        r = min(radius, la / 2, lb / 2)
        if r < 0.5:
            path.lineTo(at)
            continue
        path.lineTo(at - a * (r / la))
        path.quadTo(at, at + b * (r / lb))
    path.lineTo(points[-1])
    return path


def carriage_return(p0: QPointF, p1: QPointF, cards: CardIndex, ends) -> QPainterPath | None:
    """The wire from the last card of a row back to the first card of the next row (the target
    left of and below the source): out to the right, left along a lane in a gap between the
    rows, down and into the target from the left. None when the target card is not wholly
    below the source card or no gap between them is clear across the wire's width."""
    src, dst = cards.rect(ends[0]), cards.rect(ends[1])
    if src is None or dst is None or p1.x() >= p0.x() or dst.top() <= src.bottom():
        return None
    right, left = p0.x() + STUB, p1.x() - STUB
    between = QRectF(left - CLEARANCE, src.bottom(), right - left + 2 * CLEARANCE,
                     dst.top() - src.bottom())
    lane = _lane(src.bottom(), dst.top(),
                 sorted((r.top(), r.bottom()) for k, r in cards.query(between) if k not in ends))
    if lane is None:
        return None
    return rounded([p0, QPointF(right, p0.y()), QPointF(right, lane), QPointF(left, lane),
                    QPointF(left, p1.y()), p1])


def _lane(top: float, bottom: float, spans: list[tuple[float, float]]) -> float | None:
    """The middle of the lowest roomy gap between `top` and `bottom` that no span covers (the
    one just above the target's row, not a crack between a block's branches), else of the
    widest gap that still keeps the clearance."""
    gaps, y = [], top
    for a, b in spans:  # sorted by their tops
        if a > y:
            gaps.append((y, a))
        y = max(y, b)
    if bottom > y:
        gaps.append((y, bottom))
    roomy = [g for g in gaps if g[1] - g[0] >= ROOMY_GAP]
    if roomy:
        a, b = roomy[-1]
    else:
        a, b = max(gaps, key=lambda g: g[1] - g[0], default=(0.0, 0.0))
        if b - a < 2 * CLEARANCE:
            return None
    return (a + b) / 2


def is_long(p0: QPointF, p1: QPointF) -> bool:
    """Whether a card could sit between the ends (only then is routing worth a lookup)."""
    return p1.x() - p0.x() > CARD_WIDTH + 40 or p1.x() < p0.x()


class CardIndex:
    """Scene rects by key (the scene's cards by node id, its wires not built yet by edge),
    bucketed in a coarse grid for rectangle queries."""

    def __init__(self, cell: float = CELL) -> None:
        self.cell = cell  # the grid's step: about the size of what is put and asked for
        self._cells: dict[tuple[int, int], set] = defaultdict(set)
        self._where: dict[object, tuple[QRectF, list]] = {}
        self._bounds: QRectF | None = None  # of everything held; None: to be computed

    def _keys(self, rect: QRectF) -> list[tuple[int, int]]:
        cell = self.cell
        x0, x1 = int(rect.left() // cell), int(rect.right() // cell)
        y0, y1 = int(rect.top() // cell), int(rect.bottom() // cell)
        if x0 == x1 and y0 == y1:  # most cards (a 10,000-card graph is put at once)
            return [(x0, y0)]
        return [(i, j) for i in range(x0, x1 + 1) for j in range(y0, y1 + 1)]

    def put(self, key, rect: QRectF) -> None:
        if key in self._where:
            self.remove(key)
        cells = self._keys(rect)
        self._bounds = None
        for c in cells:
            self._cells[c].add(key)
        self._where[key] = (rect, cells)

    def remove(self, key) -> None:
        _, cells = self._where.pop(key, (None, ()))
        self._bounds = None
        for c in cells:
            self._cells[c].discard(key)

    def __contains__(self, key) -> bool:
        return key in self._where

    def __iter__(self):
        return iter(list(self._where))

    def bounds(self) -> QRectF:
        """The rect around every rect held (a null rect when none is)."""
        if self._bounds is None:
            coords = [r.getCoords() for r, _ in self._where.values()]
            self._bounds = QRectF() if not coords else QRectF(
                QPointF(min(c[0] for c in coords), min(c[1] for c in coords)),
                QPointF(max(c[2] for c in coords), max(c[3] for c in coords)))
        return QRectF(self._bounds)

    def rect(self, key) -> QRectF | None:
        entry = self._where.get(key)
        return entry[0] if entry is not None else None

    def query(self, rect: QRectF) -> list[tuple[object, QRectF]]:
        found = set()
        for c in self._keys(rect):
            found |= self._cells.get(c, set())
        return [(k, self._where[k][0]) for k in found if self._where[k][0].intersects(rect)]


def route(p0: QPointF, p1: QPointF, cards: CardIndex, ends) -> QPainterPath:
    """The wire from p0 to p1: a plain cubic, a carriage return to the next row, or one along
    a lane clear of the cards."""
    path = curve(p0, p1)
    if not is_long(p0, p1):
        return path
    back = carriage_return(p0, p1, cards, ends)
    if back is not None:
        return back
    hit = _cards_hit(path, cards, ends)
    if not hit:
        return path
    mid = (p0.y() + p1.y()) / 2
    below = max(r.bottom() for r in hit) + CLEARANCE
    above = min(r.top() for r in hit) - CLEARANCE
    for _ in range(4):  # a lane may run into other cards: step past those too
        lane = below if abs(below - mid) <= abs(above - mid) else above
        path = lane_curve(p0, p1, lane)
        more = _cards_hit(path, cards, ends)
        if not more:
            break
        if lane == below:
            below = max(r.bottom() for r in more) + CLEARANCE
        else:
            above = min(r.top() for r in more) - CLEARANCE
    return path


def _cards_hit(path: QPainterPath, cards: CardIndex, ends) -> list[QRectF]:
    """Rects (with clearance) of the cards, other than the ends, the path runs through."""
    area = path.boundingRect().adjusted(-8, -8, 8, 8)  # a level wire has a zero-height box
    near = [r.adjusted(-6, -6, 6, 6) for k, r in cards.query(area) if k not in ends]
    if not near:
        return []
    points = [path.pointAtPercent(t / 24) for t in range(1, 24)]
    return [r for r in near if any(r.contains(p) for p in points)]
