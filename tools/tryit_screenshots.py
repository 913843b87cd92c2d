"""Screenshots of Try it and Why, for docs/: a 7 drawn with the mouse on the LeNet digits
model trained for 20 epochs, and the three attribution maps of a test sample.

    QT_QPA_PLATFORM=offscreen python tools/tryit_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "backend"))


def settle(app: QApplication, tab, timeout: float = 60.0) -> None:
    """Let the bars and the Why maps (computed in a worker thread) catch up with the input."""
    import numpy as np

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        why = tab.why
        if (tab.input is not None and why.explained is not None and why._job is None
                and np.array_equal(why.explained, tab.input)):
            break
        time.sleep(0.02)
    for _ in range(20):
        app.processEvents()


def stroke(app: QApplication, canvas, cells) -> None:
    """A left-button drag through the centres of `cells` (row, col)."""
    points = [canvas.cell_centre(r, c) for r, c in cells]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, pos=points[0])
    for p in points[1:]:
        app.sendEvent(canvas, QMouseEvent(QMouseEvent.Type.MouseMove, QPointF(p), QPointF(p),
                                          Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton,
                                          Qt.KeyboardModifier.NoModifier))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=points[-1])


def main(argv: list[str]) -> int:
    from insight_support import trained_digits_run
    from netcanvas.app.training.try_tab import TryTab

    out = Path(argv[0]) if argv else ROOT / "docs"
    app = QApplication.instance() or QApplication([])
    run, data = trained_digits_run(Path(tempfile.mkdtemp()), epochs=20)
    tab = TryTab(lambda project: data)
    tab.resize(1000, 430)
    tab.show()
    tab.set_run(run)
    stroke(app, tab.canvas, [(1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6)])
    stroke(app, tab.canvas, [(1, 6), (2, 5.6), (3, 5), (4, 4.4), (5, 4), (6, 3.5)])
    settle(app, tab)
    tab.grab().save(str(out / "tryit-drawing.png"))
    tab.use_sample(3)
    settle(app, tab)
    tab.grab().save(str(out / "why-saliency.png"))
    print(f"wrote {out / 'tryit-drawing.png'} and {out / 'why-saliency.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
