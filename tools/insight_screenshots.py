"""Screenshots of looking inside, for docs/: the backprop circuit with Circuit on, and the
deep sigmoid network after a short run with layer statistics on the canvas.

    QT_QPA_PLATFORM=offscreen python tools/insight_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"


def settle(app: QApplication, rounds: int = 30) -> None:
    for _ in range(rounds):
        app.processEvents()


def example_window(example: str):
    """The app, shown at 1600x1000, holding `example` (a file in resources/examples)."""
    from netcanvas.app.main_window import MainWindow

    win = MainWindow()
    win.files.quiet = True
    win.resize(1600, 1000)
    win.show()
    win.files.open_path(EXAMPLES / example, prompt=False, example=True)
    return win


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs"
    app = QApplication.instance() or QApplication([])
    win = example_window("backprop_circuit.netcanvas")
    win.insight.circuit.setChecked(True)
    settle(app)
    win.resizeDocks([win.problems_dock], [150], Qt.Vertical)
    settle(app)
    win.frame_all()
    settle(app)
    win.grab().save(str(out / "circuit.png"))
    win.insight.circuit.setChecked(False)

    win.files.open_path(EXAMPLES / "deep_sigmoid.netcanvas", prompt=False, example=True)
    win.document.project.training.epochs = 6
    dock = win.training_dock
    done: list = []
    dock.run_ended.connect(done.append)
    dock.train_action.trigger()
    while not done:
        app.processEvents()
    dock.tabs.setCurrentWidget(dock.layers_tab)
    win.resizeDocks([dock], [330], Qt.Vertical)  # room for the canvas above the chart
    settle(app)
    win.frame_all()
    settle(app)
    win.grab().save(str(out / "layer_stats.png"))
    win.document.mark_saved(str(out / "unused.netcanvas"))
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
