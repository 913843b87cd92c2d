"""The main window's dock layout: default sizes, Reset Layout, and sizes the docks keep.

Qt keeps dock sizes in pixels only while the window has room; shrinking the window squeezes
them and enlarging it again gives every pixel to the canvas. So the sizes the user chose (by
dragging a separator, or the defaults) are remembered per dock area and given back whenever
the window resizes. Programmatic changes (a new document, Show Code) never count as a choice.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolBar

STATE_VERSION = 2  # layouts saved by older versions (a squashed canvas) are not restored
SIDE_WIDTHS = {"left": 200, "right": 280, "right_code": 480}
CODE_SHARE = 0.6  # of the right column's height for the code when it opens
MIN_CANVAS = (320, 200)  # docks given back their sizes never squeeze the canvas below this
CHROME = (16, 12)  # separators between the docks and the canvas, generously
_ORIENTATION = {"left": Qt.Horizontal, "right": Qt.Horizontal, "right_code": Qt.Horizontal,
                "bottom": Qt.Vertical}


class DockLayout(QObject):
    """Sizes of `docks`, docked in `host`: any QMainWindow (it uses Qt's dock API only);
    `code_dock` (one of them) opens splitting the right column with `inspector_dock`."""

    def __init__(self, host: QMainWindow, docks: list[QDockWidget], code_dock: QDockWidget,
                 inspector_dock: QDockWidget) -> None:
        super().__init__(host)
        self.host, self.docks = host, docks
        self.code_dock, self.inspector_dock = code_dock, inspector_dock
        self.preferred: dict[str, int] = {}
        self.default_state = host.saveState(STATE_VERSION)  # placements, before any show
        self._window_size = None  # the window's size when the docks last settled
        self._adjusting = False  # Reset Layout is restoring placements: no Show Code sizing
        self._restore_pending = False
        host.installEventFilter(self)  # a separator drag ends with a release on the window
        code_dock.visibilityChanged.connect(self._code_toggled)

    # ---- which size a dock stands for ---------------------------------------------------
    def _key(self, dock: QDockWidget) -> str | None:
        if dock.isFloating() or dock.isHidden() or dock.visibleRegion().isEmpty():
            return None
        area = self.host.dockWidgetArea(dock)
        if area == Qt.LeftDockWidgetArea:
            return "left"
        if area == Qt.RightDockWidgetArea:
            return "right_code" if self._code_docked() else "right"
        return "bottom" if area == Qt.BottomDockWidgetArea else None

    def _code_docked(self) -> bool:
        code = self.code_dock
        return (not code.isHidden() and not code.isFloating()
                and self.host.dockWidgetArea(code) == Qt.RightDockWidgetArea)

    def _size(self, key: str, dock: QDockWidget) -> int:
        """The dock area's extent, which resizeDocks sets (tabbed docks: with the tab bar)."""
        if key != "bottom":
            return dock.width()
        bar = self.host.statusBar()
        return (bar.y() if bar.isVisible() else self.host.height()) - dock.y()

    def _current(self) -> dict[str, tuple[QDockWidget, int]]:
        found = {}
        for dock in self.docks:
            key = self._key(dock)
            if key is not None and key not in found:
                found[key] = (dock, self._size(key, dock))
        return found

    # ---- defaults and reset ---------------------------------------------------------------
    def defaults(self) -> dict[str, int]:
        return SIDE_WIDTHS | {"bottom": max(140, self.host.height() // 6)}

    def apply_defaults(self) -> None:
        """The first start's sizes; also what Reset Layout ends with."""
        self.preferred = self.defaults()
        self.give_back()

    def reset(self) -> None:
        """View > Reset Layout: every dock where it started, at the default sizes."""
        w = self.host
        self._adjusting = True
        try:
            w.restoreState(self.default_state, STATE_VERSION)
            for dock in self.docks:
                dock.setFloating(False)
            self.code_dock.hide()
        finally:
            self._adjusting = False
        self.apply_defaults()
        # once the restored placement is laid out
        QTimer.singleShot(0, self.host, self.give_back)

    def settled(self) -> None:
        """After the first show: the defaults, or the sizes saved with a restored layout, are
        the choice (a restored window smaller than the saved one squeezes them for now)."""
        self._window_size = self.host.size()
        if self.preferred:
            self.give_back()
        else:
            self.preferred = self.defaults()
            self.record()

    def record(self) -> None:
        """The docks' sizes now are the ones to keep (the user dragged a separator)."""
        if self._window_size is not None and not self._restore_pending:
            self.preferred.update({key: size for key, (_dock, size) in self._current().items()})

    # ---- giving sizes back -------------------------------------------------------------------
    def give_back(self) -> None:
        """Resize each docked area to its remembered size, leaving the canvas room."""
        self._restore_pending = False
        self.host.layout().activate()  # sizes as they are for this window size
        current = self._current()
        w = self.host
        sides = [k for k in current if k != "bottom"]
        room = w.width() - MIN_CANVAS[0] - CHROME[0]
        wanted_total = sum(self.preferred.get(k, current[k][1]) for k in sides) or 1
        scale = min(1.0, max(room, 0) / wanted_total)
        wanted = {k: int(self.preferred.get(k, current[k][1]) * scale) for k in sides}
        if "bottom" in current:
            bars = sum(b.height() for b in (w.menuBar(), *_across_bars(w), w.statusBar())
                       if b.isVisible())
            room = w.height() - bars - MIN_CANVAS[1] - CHROME[1]
            wanted["bottom"] = min(self.preferred.get("bottom", current["bottom"][1]), room)
        for orientation in (Qt.Horizontal, Qt.Vertical):
            keys = [k for k in wanted if _ORIENTATION[k] == orientation
                    and wanted[k] != current[k][1] and wanted[k] > 0]
            if keys:
                w.resizeDocks([current[k][0] for k in keys], [wanted[k] for k in keys],
                              orientation)
        w.layout().activate()  # now: a relayout still pending would undo it
        self._window_size = self.host.size()

    def keep(self, key: str, size: int) -> None:
        """Give an area a size on the app's initiative (a run makes room) and keep it."""
        self.preferred[key] = size
        self.give_back()

    def window_resized(self) -> None:
        if self._window_size is None or self._restore_pending:
            return
        self._restore_pending = True
        QTimer.singleShot(0, self.host, self.give_back)

    # ---- Show Code --------------------------------------------------------------------------
    def _code_toggled(self, visible: bool) -> None:
        if self._adjusting or self._window_size is None or self.code_dock.isFloating():
            return
        if visible:
            QTimer.singleShot(0, self.host, self._split_right_column)
        QTimer.singleShot(0, self.host, self.give_back)

    def _split_right_column(self) -> None:
        w = self.host
        if not self._code_docked():
            return
        docked = [d for d in (self.inspector_dock, self.code_dock)
                  if not d.isHidden() and w.dockWidgetArea(d) == Qt.RightDockWidgetArea]
        if len(docked) == 2 and not self.code_dock.visibleRegion().isEmpty():
            total = sum(d.height() for d in docked)
            w.resizeDocks(docked, [int(total * (1 - CODE_SHARE)), int(total * CODE_SHARE)],
                          Qt.Vertical)

    # ---- the user's own choices -----------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if obj is self.host and event.type() == QEvent.MouseButtonRelease:
            QTimer.singleShot(0, self.host, self.record)
        return False


def _across_bars(host: QMainWindow) -> list[QToolBar]:
    """The toolbars above or below the docks (they take height from the bottom area)."""
    return [bar for bar in host.findChildren(QToolBar, options=Qt.FindDirectChildrenOnly)
            if host.toolBarArea(bar) in (Qt.TopToolBarArea, Qt.BottomToolBarArea)]
