"""Screenshots of composite blocks, for docs/: ResNet-18 built from blocks, and one of its
stages opened inside (breadcrumb, live shapes of that instance).

    QT_QPA_PLATFORM=offscreen python tools/blocks_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "resources" / "examples" / "resnet18.netcanvas"


def settle(app: QApplication, rounds: int = 30) -> None:
    for _ in range(rounds):
        app.processEvents()


def main(argv: list[str]) -> int:
    from netcanvas.app.main_window import MainWindow

    out = Path(argv[0]) if argv else ROOT / "docs"
    app = QApplication.instance() or QApplication([])
    win = MainWindow()
    win.files.quiet = True
    win.resize(1600, 1000)
    win.show()
    win.files.open_path(EXAMPLE, prompt=False, example=True)
    settle(app)
    win.resizeDocks([win.problems_dock], [150], Qt.Vertical)
    settle(app)
    win.frame_all()
    stage = win.document.graph.by_name(argv[1] if len(argv) > 1 else "layer2")
    win.scene.select_nodes([stage.id])
    settle(app)
    win.grab().save(str(out / "blocks-resnet18.png"))
    win.navigator.open(stage.id)
    settle(app)
    win.grab().save(str(out / "blocks-inside.png"))
    win.files.quiet = True
    win.document.undo_stack.setClean()
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
