"""A tab widget whose pages are built when first needed: when a page is first shown (made
current with the tab widget on screen) or first asked for (`page`), whichever comes first.
The window then comes on screen without building tabs the user has not opened yet.

    tabs = LazyTabs()
    tabs.add_lazy("Evaluation", build)   # build() -> the page's QWidget, called once
    tabs.page("Evaluation")              # the page, built now if it was not
    tabs.built("Evaluation")             # the page, or None while it is not built

`setCurrentWidget` and `indexOf` take a built page as well as its holder, so a page is
used as if it were the tab itself. A descriptor gives an owner a page as an attribute:

    class Dock:
        eval_tab = LazyPage("Evaluation")   # dock.eval_tab builds it on first access
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget


class _Holder(QWidget):
    """The tab widget's page for a tab not built yet; it holds the real page once built."""

    def __init__(self, build: Callable[[], QWidget]) -> None:
        super().__init__()
        self._build = build
        self.page: QWidget | None = None
        QVBoxLayout(self).setContentsMargins(0, 0, 0, 0)

    def get(self) -> QWidget:
        if self.page is None:
            build, self._build = self._build, None
            self.page = build()
            self.layout().addWidget(self.page)
            if self.isVisible():  # built while on screen: show it now, not a frame later
                self.page.show()
        return self.page

    def showEvent(self, event) -> None:
        self.get()
        super().showEvent(event)


class LazyTabs(QTabWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._holders: dict[str, _Holder] = {}

    def add_lazy(self, label: str, build: Callable[[], QWidget]) -> None:
        holder = _Holder(build)
        self._holders[label] = holder
        self.addTab(holder, label)

    def page(self, label: str) -> QWidget:
        return self._holders[label].get()

    def built(self, label: str) -> QWidget | None:
        return self._holders[label].page

    def _holder_of(self, widget: QWidget) -> QWidget:
        for holder in self._holders.values():
            if holder.page is not None and holder.page is widget:
                return holder
        return widget

    def setCurrentWidget(self, widget: QWidget) -> None:
        super().setCurrentWidget(self._holder_of(widget))

    def indexOf(self, widget: QWidget) -> int:
        return super().indexOf(self._holder_of(widget))


class LazyPage:
    """An attribute that is the page `label` of the owner's `tabs` (a LazyTabs), built on
    first access."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __get__(self, owner, owner_type=None):
        return self if owner is None else owner.tabs.page(self.label)
