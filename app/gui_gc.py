"""Python's cycle collector runs on the GUI thread only.

Left automatic, a collection starts on whichever thread allocates: a training worker
importing torch's optimizer machinery once collected a dead menu of an earlier document, and
its `~QObject` waited for the GIL while the GUI thread, holding it, waited for that object's
mutex (issue 21, item 11). pyqtgraph's `GarbageCollector` turns automatic collection off and
collects, by the same generation thresholds, from a timer on the GUI thread.
"""

from __future__ import annotations

_collector = None


def collect_on_gui_thread() -> None:
    """Start collecting from the GUI thread (once; needs the QApplication)."""
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=0.5)
